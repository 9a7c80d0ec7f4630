"""Factories of activities and targets (issue 10, part 2). ``ActivityFactory`` is also
exported from tests/sales/factories.py, where the branch-scoping walk looks for it by name."""

import datetime as dt

import factory
from django.utils import timezone

from accounts.models import Department
from sales import activity_services
from sales.models import Activity, SalesTarget
from tests.factories import BranchFactory, CustomerFactory, UserFactory


class ActivityFactory(factory.Factory):
    """An activity through sales.activity_services.activity_create: about a new customer of
    the branch and given to a new sales rep of it, unless told otherwise."""

    class Meta:
        model = dict

    branch = factory.SubFactory(BranchFactory)
    kind = Activity.Kind.CALL
    subject = factory.Sequence(lambda n: f"Call about the Avanza quotation {n}")
    due_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=2))
    assignee = factory.LazyAttribute(lambda o: UserFactory(branch=o.branch, department=Department.SALES))
    customer = None
    lead = None
    opportunity = None
    by = None

    @classmethod
    def _create(cls, model_class, *args, branch, **kwargs):
        if kwargs["customer"] is None and kwargs["lead"] is None and kwargs["opportunity"] is None:
            kwargs["customer"] = CustomerFactory(branch=branch)
        return activity_services.activity_create(**kwargs)


class SalesTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SalesTarget

    branch = factory.SubFactory(BranchFactory)
    rep = factory.LazyAttribute(lambda o: UserFactory(branch=o.branch, department=Department.SALES))
    month = factory.LazyFunction(lambda: timezone.localdate().replace(day=1))
    target_amount = 500_000_000
    target_leads = 20
