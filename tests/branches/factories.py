"""Factories of the branch calendar (found by tests/accounts/test_branch_scoping.py too)."""

import datetime as dt

import factory

from branches.models import Closure, OpeningHours
from tests.factories import BranchFactory


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    branch = factory.SubFactory(BranchFactory)
    weekday = 0
    opens = dt.time(8)
    closes = dt.time(17)


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    branch = factory.SubFactory(BranchFactory)
    starts_on = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=10))
    ends_on = factory.LazyAttribute(lambda c: c.starts_on + dt.timedelta(days=2))
    reason = "Renovasi bengkel"
