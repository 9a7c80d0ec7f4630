"""Factories of the sales app (found by tests/accounts/test_branch_scoping.py by name)."""

import factory

from sales import services
from sales.models import Lead, Opportunity, Stage, StageChange
from tests.factories import BranchFactory, CustomerFactory


def open_stage() -> Stage:
    return Stage.objects.filter(is_won=False, is_lost=False, is_active=True).order_by("order", "id").first() \
        or Stage.objects.create(name="Prospek", order=10, probability=10)


class LeadFactory(factory.Factory):
    """A lead through sales.services.lead_create; not assigned unless ``assign=True``."""

    class Meta:
        model = dict

    name = factory.Sequence(lambda n: f"Prospek {n}")
    phone = factory.Sequence(lambda n: f"+62857{n:08d}")
    email = ""
    city = "Bandung"
    source = Lead.Source.WALK_IN
    model_of_interest = "Avanza"
    branch = factory.SubFactory(BranchFactory)
    by = None
    assign = False

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return services.lead_create(**kwargs)


class OpportunityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Opportunity
        skip_postgeneration_save = True

    branch = factory.SubFactory(BranchFactory)
    customer = factory.LazyAttribute(lambda o: CustomerFactory(branch=o.branch))
    stage = factory.LazyFunction(open_stage)
    title = factory.Sequence(lambda n: f"Avanza {n}")
    amount = 250_000_000
    probability = 10

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if create:
            StageChange.objects.create(opportunity=obj, from_stage=None, to_stage=obj.stage, changed_at=obj.created_at)


# Issue 10 part 2's factories, found here by name (tests/accounts/test_branch_scoping.py).
from tests.sales.factories_agenda import ActivityFactory, SalesTargetFactory  # noqa: E402,F401

# Issue 11's factories, found here by name (tests/accounts/test_branch_scoping.py).
from tests.sales.factories_orders import *  # noqa: E402,F401,F403
