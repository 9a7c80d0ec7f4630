"""Factories of the branch calendar (found by tests/accounts/test_branch_scoping.py too)."""

import datetime as dt
import uuid

import factory

from branches.models import Closure, Conflict, OpeningHours
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


class ConflictFactory(factory.django.DjangoModelFactory):
    """A phone number edited at head office and at the branch before they synchronised."""

    class Meta:
        model = Conflict

    branch = factory.SubFactory(BranchFactory)
    model = "crm.customer"
    record_id = factory.LazyFunction(uuid.uuid4)
    field = "phone"
    hq_value = "+6281200000099"
    branch_value = "+6281200000077"
    hq_clock = 1
    branch_clock = 2
    winner = Conflict.Winner.BRANCH
    reason = Conflict.Reason.BOTH_EDITED
