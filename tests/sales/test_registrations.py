"""What sales adds to the shared pages: the 360 panel, the home card, the search box, the demo step."""

import pytest
from django.urls import reverse

from crm.registry import DemoContext, demo_steps, home_cards, panels, search_providers
from sales import services
from sales.models import Lead, Opportunity, StageChange

from .factories import LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def test_it_registers_its_parts():
    assert "sales" in panels and "my_leads" in home_cards and "sales" in search_providers and "sales" in demo_steps


def test_the_360_page_shows_open_opportunities_and_leads(client, sales_a, branch_a, customer_a, stages):
    opp = OpportunityFactory(branch=branch_a, customer=customer_a, title="Fortuner VRZ")
    closed = OpportunityFactory(branch=branch_a, customer=customer_a, title="Old deal")
    services.opportunity_move(opportunity=closed, stage=stages[-1], by=sales_a, reason="Too expensive")
    LeadFactory(branch=branch_a, customer=customer_a, model_of_interest="Hilux")
    client.force_login(sales_a)
    page = client.get(customer_a.get_absolute_url()).content.decode()
    assert "Leads and opportunities" in page and opp.get_absolute_url() in page and "Hilux" in page
    assert closed.get_absolute_url() not in page.split("Leads and opportunities")[1].split("</section>")[0]


def test_the_360_panel_says_what_to_do_when_empty(client, sales_a, customer_a):
    client.force_login(sales_a)
    assert "Convert a qualified lead to open one." in client.get(customer_a.get_absolute_url()).content.decode()


@pytest.mark.parametrize("rows", [1, 8])
def test_the_360_panel_costs_two_queries(sales_a, branch_a, customer_a, rows, django_assert_num_queries):
    for _ in range(rows):
        OpportunityFactory(branch=branch_a, customer=customer_a)
        LeadFactory(branch=branch_a, customer=customer_a)
    with django_assert_num_queries(2):
        data = panels.get("sales").selector(customer_a, sales_a)
    assert len(data["opportunities"]) == min(rows, 5)


def test_the_home_card_lists_my_open_leads(client, sales_a, branch_a, staff_b):
    mine = LeadFactory(branch=branch_a, owner=sales_a, name="Joko Widodo")
    LeadFactory(branch=branch_a, name="Nobody's")
    client.force_login(sales_a)
    page = client.get(reverse("crm:home")).content.decode()
    assert "My open leads" in page and mine.get_absolute_url() in page and "Nobody&#x27;s" not in page


def test_the_search_box_finds_an_opportunity_by_number_and_a_lead_by_phone(client, sales_a, branch_a, staff_b):
    opp = OpportunityFactory(branch=branch_a, title="Raize GR")
    lead = LeadFactory(branch=branch_a, phone="+6285766667777", name="Maya Sari")
    client.force_login(sales_a)
    page = client.get(reverse("crm:customer_list"), {"q": opp.number}).content.decode()
    assert opp.get_absolute_url() in page
    page = client.get(reverse("crm:customer_list"), {"q": "0857-6666-7777"}).content.decode()
    assert lead.get_absolute_url() in page
    client.force_login(staff_b)
    assert opp.get_absolute_url() not in client.get(reverse("crm:customer_list"), {"q": opp.number}).content.decode()


def test_the_demo_step_is_idempotent(branch_a, branch_b, head_office, sales_a, customer_a, customer_b):
    context = DemoContext(customers=100, branches=[head_office, branch_a, branch_b])
    demo_steps.get("sales").run(context)
    leads, opps = Lead.objects.count(), Opportunity.objects.count()
    assert leads == 40 and opps == 2  # 20 leads a branch (the minimum), an opportunity per customer
    assert StageChange.objects.filter(opportunity__in=Opportunity.objects.all()).count() >= opps
    assert not Lead.objects.filter(branch=head_office).exists()
    demo_steps.get("sales").run(context)
    assert (Lead.objects.count(), Opportunity.objects.count()) == (leads, opps)
