"""Accepting a quotation wins its opportunity (through the pipeline's stage service, in the
accept's transaction), and the opportunity page lists its quotations."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Notification
from crm.formatting import format_rupiah
from sales import quotations, services
from sales.models import Opportunity, Quotation, SalesOrder, Stage, StageChange
from sales.quotations import LineInput
from tests.sales.factories import OpportunityFactory
from tests.sales.factories_orders import QuotationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def opportunity(branch_a, customer_a, sales_a):
    return OpportunityFactory(branch=branch_a, customer=customer_a, owner=sales_a, amount=100_000_000)


def won_stage() -> Stage:
    return Stage.objects.get(is_won=True)


def test_accepting_a_quotation_wins_its_opportunity(opportunity, sales_a, manager_a):
    quotation = QuotationFactory(branch=opportunity.branch, opportunity=opportunity, by=sales_a,
                                 lines=[LineInput(description="Kaca film", quantity=1, unit_price=Decimal(2_000_000))])
    start = opportunity.stage
    order = quotations.quotation_accept(quotation=quotation, by=manager_a)
    opportunity.refresh_from_db()
    assert opportunity.stage == won_stage() and opportunity.probability == won_stage().probability == 100
    assert opportunity.closed_at is not None
    assert opportunity.close_reason == f"quotation {quotation.display_number} accepted"
    assert opportunity.amount == quotation.total == order.total == Decimal(2_220_000)  # what was sold
    history = list(StageChange.objects.filter(opportunity=opportunity).order_by("id")
                   .values_list("from_stage", "to_stage", "by"))
    assert history == [(None, start.pk, None), (start.pk, won_stage().pk, manager_a.pk)]
    assert Notification.objects.filter(recipient=sales_a, verb=services.OPPORTUNITY_WON).count() == 1


def test_a_failed_win_leaves_no_order(opportunity, sales_a, monkeypatch):
    """One transaction: the stage change refused means no order and the quotation still open."""
    quotation = QuotationFactory(branch=opportunity.branch, opportunity=opportunity, by=sales_a)

    def refuse(**kwargs):
        raise ValidationError("The stage is no longer in use.")

    monkeypatch.setattr(services, "opportunity_move", refuse)
    with pytest.raises(ValidationError):
        quotations.quotation_accept(quotation=quotation, by=sales_a)
    quotation.refresh_from_db()
    opportunity.refresh_from_db()
    assert quotation.status == Quotation.Status.DRAFT and not SalesOrder.objects.exists()
    assert not opportunity.stage.is_won and opportunity.amount == 100_000_000


def test_a_second_accepted_quotation_leaves_a_won_opportunity_as_it_is(opportunity, sales_a):
    first = QuotationFactory(branch=opportunity.branch, opportunity=opportunity, by=sales_a)
    second = QuotationFactory(branch=opportunity.branch, opportunity=opportunity, by=sales_a)
    quotations.quotation_accept(quotation=first, by=sales_a)
    changes = StageChange.objects.filter(opportunity=opportunity).count()
    quotations.quotation_accept(quotation=second, by=sales_a)
    opportunity.refresh_from_db()
    assert opportunity.stage == won_stage() and StageChange.objects.filter(opportunity=opportunity).count() == changes
    assert opportunity.amount == first.total


def test_a_double_accept_moves_the_stage_once(opportunity, sales_a):
    quotation = QuotationFactory(branch=opportunity.branch, opportunity=opportunity, by=sales_a)
    quotations.quotation_accept(quotation=quotation, by=sales_a)
    with pytest.raises(ValidationError):
        quotations.quotation_accept(quotation=quotation, by=sales_a)
    assert StageChange.objects.filter(opportunity=opportunity, to_stage=won_stage()).count() == 1


def test_a_lost_opportunity_is_won_when_its_quotation_is_accepted(opportunity, sales_a):
    quotation = QuotationFactory(branch=opportunity.branch, opportunity=opportunity, by=sales_a)
    services.opportunity_move(opportunity=opportunity, stage=Stage.objects.get(is_lost=True), by=sales_a,
                              reason="Beli di dealer lain")
    quotations.quotation_accept(quotation=quotation, by=sales_a)
    assert Opportunity.objects.get(pk=opportunity.pk).stage == won_stage()


def test_the_forecast_counts_the_won_amount(opportunity, sales_a):
    quotation = QuotationFactory(branch=opportunity.branch, opportunity=opportunity, by=sales_a)
    quotations.quotation_accept(quotation=quotation, by=sales_a)
    row = Opportunity.objects.get(pk=opportunity.pk)
    assert row.weighted_amount == quotation.total  # 100% of what was sold


# --- the opportunity page -----------------------------------------------------------------------
def test_the_opportunity_page_lists_its_quotations(client, opportunity, sales_a):
    first = QuotationFactory(branch=opportunity.branch, opportunity=opportunity, by=sales_a)
    revision = quotations.quotation_revise(quotation=first, by=sales_a)
    client.force_login(sales_a)
    page = client.get(opportunity.get_absolute_url()).content.decode()
    table = page[page.index('id="opp-quotations"'):]
    table = table[:table.index("</table>")]
    for q, status in ((first, "Replaced by a revision"), (revision, "Draft")):
        assert q.get_absolute_url() in table and q.display_number in table and status in table
        assert format_rupiah(q.total, language="en") in table
    assert table.index(revision.display_number) < table.index(f"{first.display_number}</a>")  # newest first


def test_the_opportunity_page_says_what_to_do_without_quotations(client, opportunity, sales_a):
    client.force_login(sales_a)
    page = client.get(opportunity.get_absolute_url()).content.decode()
    assert 'id="opp-quotations"' not in page and "No quotation yet." in page


@pytest.mark.parametrize("count", [1, 6])
def test_the_opportunity_page_costs_the_same_with_more_quotations(client, opportunity, sales_a, count,
                                                                  django_assert_num_queries):
    for _ in range(count):
        QuotationFactory(branch=opportunity.branch, opportunity=opportunity, by=sales_a)
    client.force_login(sales_a)
    # session, user, perms ×2, the opportunity (+joins), stage history, its activities, its quotations, stages
    with django_assert_num_queries(9):
        response = client.get(opportunity.get_absolute_url())
    assert response.status_code == 200 and len(response.context["quotations"]) == count
