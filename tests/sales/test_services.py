"""The sales services: capture, assignment, status, conversion, the pipeline."""

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Department, Notification
from crm.models import ContactPerson, Customer, Interaction
from sales import services
from sales.models import AssignmentRule, Lead, LeadEvent, Opportunity, Stage, StageChange
from tests.factories import CustomerFactory, UserFactory

from .factories import LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reps(branch_a):
    return [UserFactory(branch=branch_a, department=Department.SALES) for _ in range(3)]


def test_it_hands_out_leads_round_robin_and_wraps(branch_a, reps):
    owners = [LeadFactory(branch=branch_a, assign=True).owner for _ in range(7)]
    assert owners == [reps[0], reps[1], reps[2], reps[0], reps[1], reps[2], reps[0]]
    rule = AssignmentRule.objects.get(branch=branch_a)
    assert rule.last_assigned == reps[0] and rule.assigned_count == 7


def test_it_skips_inactive_staff_and_other_departments(branch_a, reps, manager_a):
    reps[1].is_active = False
    reps[1].save()
    owners = [LeadFactory(branch=branch_a, assign=True).owner for _ in range(3)]
    assert owners == [reps[0], reps[2], reps[0]]


def test_it_gives_least_open_leads_the_next_one(branch_a, reps):
    services.assignment_rule_set(branch=branch_a, method=AssignmentRule.Method.LEAST_OPEN, by=None)
    for _ in range(2):
        LeadFactory(branch=branch_a, owner=reps[0])
    LeadFactory(branch=branch_a, owner=reps[1])
    assert LeadFactory(branch=branch_a, assign=True).owner == reps[2]
    assert LeadFactory(branch=branch_a, assign=True).owner == reps[1]  # 1 vs reps[2]'s 1: lower id first


def test_it_leaves_the_lead_unassigned_when_the_rule_is_manual_or_nobody_works_there(branch_a, branch_b, reps):
    services.assignment_rule_set(branch=branch_a, method=AssignmentRule.Method.MANUAL, by=None)
    assert LeadFactory(branch=branch_a, assign=True).owner is None
    assert LeadFactory(branch=branch_b, assign=True).owner is None  # no sales staff at branch B


def test_it_notifies_the_owner(branch_a, reps):
    lead = LeadFactory(branch=branch_a, assign=True)
    note = Notification.objects.get(recipient=reps[0])
    assert note.verb == services.LEAD_ASSIGNED and note.target_id == lead.pk
    assert note.target_url == lead.get_absolute_url()


def test_it_keeps_a_prospects_history_on_the_lead_and_a_customers_on_the_timeline(branch_a, reps, customer_a):
    prospect = LeadFactory(branch=branch_a, assign=True)
    assert [e.summary for e in prospect.events.all()] == [
        "Lead created (Showroom walk-in): interested in Avanza.", f"Lead assigned to {reps[0]}."]
    known = LeadFactory(branch=branch_a, customer=customer_a, assign=True)
    assert not known.events.exists()
    entries = Interaction.objects.filter(customer=customer_a, source_id=known.pk).order_by("id")
    assert [e.summary for e in entries] == ["Lead created (Showroom walk-in): interested in Avanza.",
                                            f"Lead assigned to {reps[1]}."]


def test_it_moves_status_and_records_first_contact(branch_a, sales_a):
    lead = LeadFactory(branch=branch_a, owner=sales_a)
    lead = services.lead_status_set(lead=lead, status=Lead.Status.CONTACTED, by=sales_a)
    first = lead.first_contacted_at
    assert first is not None
    lead = services.lead_status_set(lead=lead, status=Lead.Status.QUALIFIED, by=sales_a)
    lead = services.lead_status_set(lead=lead, status=Lead.Status.CONTACTED, by=sales_a)
    assert lead.first_contacted_at == first  # the first one stays


def test_it_refuses_disqualifying_without_a_reason_and_odd_moves(branch_a, sales_a):
    lead = LeadFactory(branch=branch_a, owner=sales_a)
    with pytest.raises(ValidationError, match="Say why"):
        services.lead_status_set(lead=lead, status=Lead.Status.DISQUALIFIED, by=sales_a, reason="  ")
    with pytest.raises(ValidationError, match="cannot become"):
        services.lead_status_set(lead=lead, status=Lead.Status.CONVERTED, by=sales_a)
    lead = services.lead_status_set(lead=lead, status=Lead.Status.DISQUALIFIED, by=sales_a, reason="No budget")
    assert lead.disqualify_reason == "No budget"


def qualified(lead, by):
    services.lead_status_set(lead=lead, status=Lead.Status.CONTACTED, by=by)
    return services.lead_status_set(lead=lead, status=Lead.Status.QUALIFIED, by=by)


def test_it_converts_a_prospect_into_customer_and_opportunity_with_its_history(branch_a, sales_a, stages):
    lead = qualified(LeadFactory(branch=branch_a, owner=sales_a, budget=300_000_000, email="Rina@Contoh.id"),
                     sales_a)
    opp = services.lead_convert(lead=lead, by=sales_a)
    lead.refresh_from_db()
    customer = opp.customer
    assert lead.status == Lead.Status.CONVERTED and lead.customer == customer
    assert (customer.name, customer.phone, customer.email, customer.branch) == (
        lead.name, lead.phone, "rina@contoh.id", branch_a)
    assert (opp.stage, opp.amount, opp.owner, opp.probability) == (stages[0], 300_000_000, sales_a, 10)
    assert not LeadEvent.objects.filter(lead=lead).exists()
    summaries = list(customer.interactions.order_by("occurred_at", "id").values_list("summary", flat=True))
    assert summaries[0].startswith("Lead created")
    assert "Lead status: Qualified." in summaries
    assert summaries[-1] == f"Lead converted; opportunity {opp.number} opened (Prospek)."
    assert StageChange.objects.get(opportunity=opp).to_stage == stages[0]


def test_it_converts_a_company_with_a_contact_person(branch_a, sales_a):
    lead = qualified(LeadFactory(branch=branch_a, owner=sales_a, name="Rina", company="PT Maju Jaya"), sales_a)
    opp = services.lead_convert(lead=lead, by=sales_a)
    assert opp.customer.kind == Customer.Kind.COMPANY and opp.customer.name == "PT Maju Jaya"
    assert ContactPerson.objects.get(customer=opp.customer).name == "Rina"


def test_it_attaches_a_lead_to_an_existing_customer(branch_a, sales_a, customer_a):
    lead = qualified(LeadFactory(branch=branch_a, owner=sales_a, phone=customer_a.phone), sales_a)
    customers = Customer.objects.count()
    opp = services.lead_convert(lead=lead, by=sales_a, customer=customer_a)
    assert opp.customer == customer_a and Customer.objects.count() == customers


def test_it_converts_only_qualified_leads(branch_a, sales_a):
    lead = LeadFactory(branch=branch_a, owner=sales_a)
    with pytest.raises(ValidationError, match="Only a qualified lead"):
        services.lead_convert(lead=lead, by=sales_a)


def test_it_writes_nothing_when_conversion_fails_halfway(branch_a, sales_a, monkeypatch):
    lead = qualified(LeadFactory(branch=branch_a, owner=sales_a), sales_a)
    customers, events = Customer.objects.count(), lead.events.count()

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services.Opportunity.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.lead_convert(lead=lead, by=sales_a)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.QUALIFIED and lead.customer is None
    assert Customer.objects.count() == customers and lead.events.count() == events


def test_it_moves_an_opportunity_with_history_timeline_and_probability(branch_a, sales_a, stages):
    opp = OpportunityFactory(branch=branch_a, owner=sales_a)
    services.opportunity_move(opportunity=opp, stage=stages[2], by=sales_a)
    opp.refresh_from_db()
    assert (opp.stage, opp.probability, opp.closed_at) == (stages[2], 50, None)
    change = StageChange.objects.filter(opportunity=opp).latest("id")
    assert (change.from_stage, change.to_stage, change.by) == (stages[0], stages[2], sales_a)
    entry = opp.customer.interactions.latest("id")
    assert entry.summary == f"Opportunity {opp.number} moved from Prospek to Penawaran." and entry.source_id == opp.pk


def test_it_closes_as_won_and_needs_a_reason_for_lost(branch_a, sales_a, manager_a, stages):
    won = Stage.objects.get(is_won=True)
    lost = Stage.objects.get(is_lost=True)
    opp = OpportunityFactory(branch=branch_a, owner=sales_a)
    with pytest.raises(ValidationError, match="Say why"):
        services.opportunity_move(opportunity=opp, stage=lost, by=sales_a)
    services.opportunity_move(opportunity=opp, stage=won, by=manager_a)
    opp.refresh_from_db()
    assert opp.closed_at is not None and opp.probability == 100
    assert Notification.objects.filter(recipient=sales_a, verb=services.OPPORTUNITY_WON).exists()
    assert not Opportunity.objects.open().filter(pk=opp.pk).exists()


def test_it_refuses_a_stage_no_longer_in_use(branch_a, sales_a, stages):
    opp = OpportunityFactory(branch=branch_a)
    Stage.objects.filter(pk=stages[1].pk).update(is_active=False)
    stages[1].refresh_from_db()
    with pytest.raises(ValidationError, match="no longer in use"):
        services.opportunity_move(opportunity=opp, stage=stages[1], by=sales_a)


def test_it_refuses_reassigning_to_staff_of_another_branch(branch_a, staff_b):
    lead = LeadFactory(branch=branch_a)
    with pytest.raises(ValidationError):
        services.lead_reassign(lead=lead, owner=staff_b, by=None)


def test_the_customer_factory_still_works(branch_a):
    assert CustomerFactory(branch=branch_a).pk
