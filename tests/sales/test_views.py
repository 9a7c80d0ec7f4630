"""The sales pages: happy path, anonymous, other branch, missing permission, wrong method,
duplicate warnings, bad input, pinned query counts."""

import pytest
from django.urls import reverse

from accounts.models import Department
from crm.models import Customer
from sales import services
from sales.models import AssignmentRule, Lead, Opportunity, Stage
from tests.factories import UserFactory

from .factories import LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_a(branch_a, sales_a):
    return LeadFactory(branch=branch_a, owner=sales_a, name="Rina Wulandari", phone="+6285711112222",
                       email="rina@contoh.id")


@pytest.fixture
def opp_a(branch_a, sales_a, customer_a):
    return OpportunityFactory(branch=branch_a, owner=sales_a, customer=customer_a, title="Innova Zenix")


def lead_url(name, lead):
    return reverse(f"sales:{name}", args=[lead.public_id])


GET_PAGES = ["sales:lead_list", "sales:lead_create", "sales:opportunity_board", "sales:opportunity_list"]


# --- access -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", GET_PAGES + ["sales:assignment_rule"])
def test_it_sends_anonymous_visitors_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", GET_PAGES + ["sales:assignment_rule"])
def test_it_refuses_staff_without_the_permission(client, readonly_a, name):
    client.force_login(readonly_a)  # quality control: no sales permissions
    assert client.get(reverse(name)).status_code == 403


def test_it_refuses_marketing_to_change_leads_it_may_read(client, branch_a, lead_a):
    marketing = UserFactory(branch=branch_a, department=Department.MARKETING)
    client.force_login(marketing)
    assert client.get(lead_url("lead_detail", lead_a)).status_code == 200
    assert client.post(lead_url("lead_status", lead_a), {"status": "contacted"}).status_code == 403
    assert client.get(reverse("sales:lead_create")).status_code == 403


@pytest.mark.parametrize("name", ["lead_detail", "lead_status", "lead_convert", "lead_reassign"])
def test_it_hides_another_branchs_lead(client, staff_b, lead_a, name):
    client.force_login(staff_b)
    response = client.post(lead_url(name, lead_a), {"status": "contacted"}) if name != "lead_detail" \
        else client.get(lead_url(name, lead_a))
    assert response.status_code in (404, 403) if name == "lead_reassign" else response.status_code == 404
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.NEW


@pytest.mark.parametrize("name", ["opportunity_detail", "opportunity_edit", "opportunity_move"])
def test_it_hides_another_branchs_opportunity(client, staff_b, opp_a, stages, name):
    client.force_login(staff_b)
    response = client.post(reverse(f"sales:{name}", args=[opp_a.public_id]), {"stage": stages[2].pk})
    assert response.status_code == 404 if name != "opportunity_detail" else response.status_code == 405
    assert client.get(reverse("sales:opportunity_detail", args=[opp_a.public_id])).status_code == 404
    opp_a.refresh_from_db()
    assert opp_a.stage == stages[0]


def test_it_never_lists_another_branchs_leads_or_opportunities(client, staff_b, lead_a, opp_a):
    client.force_login(staff_b)
    assert "Rina Wulandari" not in client.get(reverse("sales:lead_list")).content.decode()
    assert "Innova Zenix" not in client.get(reverse("sales:opportunity_board")).content.decode()
    assert "Innova Zenix" not in client.get(reverse("sales:opportunity_list")).content.decode()


@pytest.mark.parametrize("name", ["lead_status", "lead_reassign"])
def test_it_refuses_get_on_post_only_lead_urls(client, sales_a, lead_a, name):
    client.force_login(sales_a)
    assert client.get(lead_url(name, lead_a)).status_code == 405


def test_it_refuses_get_on_the_move_url(client, sales_a, opp_a):
    client.force_login(sales_a)
    assert client.get(reverse("sales:opportunity_move", args=[opp_a.public_id])).status_code == 405


def test_it_lets_head_office_open_every_branchs_lead(client, head_office_user, lead_a):
    client.force_login(head_office_user)
    assert client.get(lead_url("lead_detail", lead_a)).status_code == 200


# --- leads ----------------------------------------------------------------------------------------
LEAD_POST = {"name": "Agus Salim", "phone": "0857-2222-3333", "email": "Agus@Contoh.id", "city": "Bandung",
             "source": "phone", "model_of_interest": "Rush", "budget": "280000000", "preferred_contact_time": "any"}


def test_it_creates_and_assigns_a_lead(client, sales_a, branch_a):
    client.force_login(sales_a)
    response = client.post(reverse("sales:lead_create"), LEAD_POST)
    lead = Lead.objects.get(name="Agus Salim")
    assert response.status_code == 302 and response["Location"] == lead.get_absolute_url()
    assert (lead.phone, lead.email, lead.branch, lead.owner, lead.budget) == (
        "+6285722223333", "agus@contoh.id", branch_a, sales_a, 280_000_000)
    page = client.get(response["Location"]).content.decode()
    assert "Lead saved and assigned to" in page and "Rp 280,000,000" in page


def test_it_warns_of_a_customer_with_the_same_phone_before_saving(client, sales_a, customer_a):
    client.force_login(sales_a)
    data = {**LEAD_POST, "phone": "0812 3456 7890"}  # customer_a's, typed another way
    response = client.post(reverse("sales:lead_create"), data)
    assert response.status_code == 200 and not Lead.objects.exists()
    page = response.content.decode()
    assert "This may be someone we already know" in page
    assert reverse("crm:customer_detail", args=[customer_a.public_id]) in page
    response = client.post(reverse("sales:lead_create"), {**data, "confirm_duplicate": "on"})
    assert response.status_code == 302 and Lead.objects.count() == 1


def test_it_warns_of_an_open_lead_with_the_same_email_in_another_branch(client, sales_a, branch_b):
    other = LeadFactory(branch=branch_b, email="agus@contoh.id", phone="")
    client.force_login(sales_a)
    page = client.post(reverse("sales:lead_create"), LEAD_POST).content.decode()
    assert "Open leads with the same phone or email" in page and other.get_absolute_url() in page


def test_it_hints_at_a_customer_with_the_same_name_in_the_same_city(client, sales_a, branch_a):
    from tests.factories import CustomerFactory

    namesake = CustomerFactory(name="Agus Salim", city="bandung", phone="+6281311110000", branch=branch_a)
    client.force_login(sales_a)
    page = client.post(reverse("sales:lead_create"), LEAD_POST).content.decode()
    assert "same name in the same city" in page and str(namesake.public_id) in page


@pytest.mark.parametrize("field, value, message", [
    ("phone", "12345", "is not a valid phone number"),
    ("budget", "-5", "Enter the budget in rupiah"),
    ("email", "not-an-email", "Enter a valid email address"),
])
def test_it_says_what_is_wrong_at_the_field(client, sales_a, field, value, message):
    client.force_login(sales_a)
    response = client.post(reverse("sales:lead_create"), {**LEAD_POST, field: value})
    assert response.status_code == 200 and message in response.content.decode()
    assert not Lead.objects.exists()


def test_it_asks_for_some_way_to_reach_the_lead(client, sales_a):
    client.force_login(sales_a)
    response = client.post(reverse("sales:lead_create"), {**LEAD_POST, "phone": "", "email": ""})
    assert "Give a phone number or an email" in response.content.decode() and not Lead.objects.exists()


def test_head_office_must_choose_a_branch(client, head_office_user, branch_a):
    client.force_login(head_office_user)
    response = client.post(reverse("sales:lead_create"), LEAD_POST)
    assert "Choose the branch" in response.content.decode() and not Lead.objects.exists()
    response = client.post(reverse("sales:lead_create"), {**LEAD_POST, "branch": branch_a.pk})
    assert response.status_code == 302 and Lead.objects.get().branch == branch_a


def test_it_filters_and_searches_the_lead_list(client, sales_a, branch_a, lead_a):
    LeadFactory(branch=branch_a, name="Dewi Lestari", phone="+6285799998888")
    client.force_login(sales_a)
    page = client.get(reverse("sales:lead_list"), {"q": "0857-1111-2222"}).content.decode()
    assert "Rina Wulandari" in page and "Dewi Lestari" not in page
    page = client.get(reverse("sales:lead_list"), {"q": "dewi"}).content.decode()
    assert "Dewi Lestari" in page and "Rina Wulandari" not in page
    page = client.get(reverse("sales:lead_list"), {"unassigned": "on"}).content.decode()
    assert "Dewi Lestari" in page and "Rina Wulandari" not in page
    response = client.get(reverse("sales:lead_list"), {"status": "nonsense", "owner": "x"})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def test_it_moves_the_status_and_shows_refusals(client, sales_a, lead_a):
    client.force_login(sales_a)
    client.post(lead_url("lead_status", lead_a), {"status": "contacted"})
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.CONTACTED
    response = client.post(lead_url("lead_status", lead_a), {"status": "disqualified"}, follow=True)
    assert "Say why the lead is disqualified." in response.content.decode()
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.CONTACTED


def test_a_manager_reassigns_within_the_branch(client, manager_a, branch_a, lead_a, staff_b):
    other = UserFactory(branch=branch_a, department=Department.SALES)
    client.force_login(manager_a)
    client.post(lead_url("lead_reassign", lead_a), {"owner": staff_b.pk})
    lead_a.refresh_from_db()
    assert lead_a.owner != staff_b
    client.post(lead_url("lead_reassign", lead_a), {"owner": other.pk})
    lead_a.refresh_from_db()
    assert lead_a.owner == other


def test_a_sales_rep_hands_over_their_own_lead_but_not_a_colleagues(client, sales_a, branch_a, lead_a):
    colleague = UserFactory(branch=branch_a, department=Department.SALES)
    theirs = LeadFactory(branch=branch_a, owner=colleague)
    client.force_login(sales_a)
    assert client.post(lead_url("lead_reassign", theirs), {"owner": sales_a.pk}).status_code == 403
    assert client.post(lead_url("lead_reassign", lead_a), {"owner": colleague.pk}).status_code == 302
    lead_a.refresh_from_db()
    theirs.refresh_from_db()
    assert lead_a.owner == colleague and theirs.owner == colleague


def test_it_converts_a_qualified_lead(client, sales_a, lead_a, stages):
    services.lead_status_set(lead=lead_a, status="qualified", by=sales_a)
    client.force_login(sales_a)
    assert client.get(lead_url("lead_convert", lead_a)).status_code == 200
    response = client.post(lead_url("lead_convert", lead_a), {"customer": "", "title": "Avanza G",
                                                              "amount": "250000000", "expected_close": "30/06/2026"})
    opp = Opportunity.objects.get()
    assert response.status_code == 302 and response["Location"] == opp.get_absolute_url()
    assert opp.title == "Avanza G" and opp.customer.name == "Rina Wulandari" and str(opp.expected_close) == "2026-06-30"


def test_it_offers_the_matching_customer_when_converting(client, sales_a, branch_a, customer_a):
    lead = LeadFactory(branch=branch_a, owner=sales_a, phone=customer_a.phone)
    services.lead_status_set(lead=lead, status="qualified", by=sales_a)
    client.force_login(sales_a)
    page = client.get(lead_url("lead_convert", lead)).content.decode()
    assert str(customer_a.public_id) in page
    customers = Customer.objects.count()
    client.post(lead_url("lead_convert", lead), {"customer": str(customer_a.public_id), "title": "Rush"})
    assert Opportunity.objects.get().customer == customer_a and Customer.objects.count() == customers


def test_it_refuses_to_convert_an_unqualified_lead(client, sales_a, lead_a):
    client.force_login(sales_a)
    response = client.post(lead_url("lead_convert", lead_a), {"title": "x"})
    assert response.status_code == 200 and "Only a qualified lead can be converted" in response.content.decode()
    assert not Opportunity.objects.exists()


def test_a_manager_edits_the_assignment_rule(client, manager_a, sales_a, branch_a):
    client.force_login(manager_a)
    assert client.get(reverse("sales:assignment_rule")).status_code == 200
    client.post(reverse("sales:assignment_rule"), {"method": "least_open", "escalate_after_hours": "8"})
    rule = AssignmentRule.objects.get(branch=branch_a)
    assert (rule.method, rule.escalate_after_hours) == ("least_open", 8)
    response = client.post(reverse("sales:assignment_rule"), {"method": "random", "escalate_after_hours": "-1"})
    page = response.content.decode()
    assert response.status_code == 200 and "Select a valid choice" in page and "greater than or equal to 0" in page


def test_a_sales_rep_may_not_edit_the_assignment_rule(client, sales_a):
    client.force_login(sales_a)
    assert client.get(reverse("sales:assignment_rule")).status_code == 403


# --- opportunities ----------------------------------------------------------------------------------
def test_it_draws_the_board_with_counts_and_totals(client, sales_a, branch_a, stages):
    for _ in range(3):
        OpportunityFactory(branch=branch_a, amount=200_000_000)
    client.force_login(sales_a)
    response = client.get(reverse("sales:opportunity_board"))
    columns = response.context["columns"]
    assert [c.stage for c in columns] == stages
    assert (columns[0].count, columns[0].total, len(columns[0].cards)) == (3, 600_000_000, 3)
    assert "Rp 600M" in response.content.decode()


def test_it_shows_25_cards_per_column_then_more(client, sales_a, branch_a, settings):
    for _ in range(27):
        OpportunityFactory(branch=branch_a)
    client.force_login(sales_a)
    response = client.get(reverse("sales:opportunity_board"))
    column = response.context["columns"][0]
    assert (len(column.cards), column.count, column.has_more) == (25, 27, True)
    stage = column.stage
    more = client.get(reverse("sales:opportunity_board"), {"stage": stage.pk, "offset": 25}, HTTP_HX_REQUEST="true")
    assert len(more.context["column"].cards) == 2


def test_it_moves_a_card_by_htmx(client, sales_a, opp_a, stages):
    client.force_login(sales_a)
    response = client.post(reverse("sales:opportunity_move", args=[opp_a.public_id]), {"stage": stages[1].pk},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and f'data-stage="{stages[1].pk}"' in response.content.decode()
    opp_a.refresh_from_db()
    assert opp_a.stage == stages[1]


@pytest.mark.parametrize("stage", ["999999", "abc", ""])
def test_it_refuses_a_move_to_a_stage_that_does_not_exist(client, sales_a, opp_a, stage):
    client.force_login(sales_a)
    response = client.post(reverse("sales:opportunity_move", args=[opp_a.public_id]), {"stage": stage},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    opp_a.refresh_from_db()
    assert opp_a.stage.order == 10


def test_it_refuses_a_lost_move_without_reason_with_a_message(client, sales_a, opp_a):
    lost = Stage.objects.get(is_lost=True)
    client.force_login(sales_a)
    url = reverse("sales:opportunity_move", args=[opp_a.public_id])
    response = client.post(url, {"stage": lost.pk}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422 and "Say why the opportunity was lost." in response.content.decode()
    response = client.post(url, {"stage": lost.pk, "reason": "Bought elsewhere"}, follow=True)
    assert "Moved to Kalah" in response.content.decode()


def test_it_edits_an_opportunity(client, sales_a, opp_a):
    client.force_login(sales_a)
    url = reverse("sales:opportunity_edit", args=[opp_a.public_id])
    assert client.get(url).status_code == 200
    data = {"title": "Innova Zenix Q", "amount": "550000000", "probability": "40", "expected_close": "",
            "model_of_interest": "", "trade_in": "Xenia 2015", "competitor": "", "next_step": "Test drive"}
    assert client.post(url, data).status_code == 302
    opp_a.refresh_from_db()
    assert (opp_a.title, opp_a.amount, opp_a.trade_in) == ("Innova Zenix Q", 550_000_000, "Xenia 2015")
    response = client.post(url, {**data, "probability": "140"})
    assert response.status_code == 200 and "less than or equal to 100" in response.content.decode()


def test_it_filters_the_opportunity_list_by_close_month(client, sales_a, branch_a):
    import datetime as dt

    OpportunityFactory(branch=branch_a, title="June deal", expected_close=dt.date(2026, 6, 15))
    OpportunityFactory(branch=branch_a, title="July deal", expected_close=dt.date(2026, 7, 1))
    client.force_login(sales_a)
    page = client.get(reverse("sales:opportunity_list"), {"close_month": "2026-06"}).content.decode()
    assert "June deal" in page and "July deal" not in page


# --- query counts -------------------------------------------------------------------------------------
# Every page starts with: the session, the user (with branch), the user's permissions, the role's.
def grow(branch, owner, n):
    for i in range(n):
        LeadFactory(branch=branch, owner=owner, name=f"Lead {i}")
        OpportunityFactory(branch=branch, owner=owner)


@pytest.mark.parametrize("rows", [3, 30])
def test_the_lead_list_costs_the_same_with_more_rows(client, sales_a, branch_a, rows, django_assert_num_queries):
    grow(branch_a, sales_a, rows)
    client.force_login(sales_a)
    # session, user, perms ×2, the page of leads (owner, branch, customer joined), the owner filter's options
    with django_assert_num_queries(6):
        assert client.get(reverse("sales:lead_list")).status_code == 200


@pytest.mark.parametrize("rows", [3, 30])
def test_the_board_costs_the_same_with_more_rows(client, sales_a, branch_a, rows, django_assert_num_queries):
    grow(branch_a, sales_a, rows)
    client.force_login(sales_a)
    # session, user, perms ×2, stages, cards (window), counts and totals, the owner filter's options
    with django_assert_num_queries(8):
        assert client.get(reverse("sales:opportunity_board")).status_code == 200


@pytest.mark.parametrize("rows", [3, 30])
def test_the_opportunity_list_costs_the_same_with_more_rows(client, sales_a, branch_a, rows,
                                                             django_assert_num_queries):
    grow(branch_a, sales_a, rows)
    client.force_login(sales_a)
    # session, user, perms ×2, the page (customer, owner, stage, branch joined), owner and stage filter options
    with django_assert_num_queries(7):
        assert client.get(reverse("sales:opportunity_list")).status_code == 200


@pytest.mark.parametrize("rows", [1, 10])
def test_the_lead_and_opportunity_pages_cost_the_same(client, sales_a, branch_a, customer_a, rows,
                                                       django_assert_num_queries):
    lead = LeadFactory(branch=branch_a, owner=sales_a)
    opp = OpportunityFactory(branch=branch_a, customer=customer_a)
    for i in range(rows):
        services.lead_status_set(lead=lead, status="contacted" if i % 2 == 0 else "qualified", by=sales_a)
        services.opportunity_move(opportunity=opp, stage=Stage.objects.all()[i % 4], by=sales_a)
    client.force_login(sales_a)
    # session, user, perms ×2, the lead (+branch, owner, customer), its events, its opportunities,
    # its activities, "contacted recently" for its score, the branch's sales staff (the owner may
    # hand it over)
    with django_assert_num_queries(10):
        assert client.get(lead.get_absolute_url()).status_code == 200
    # session, user, perms ×2, the opportunity (+joins), stage history, its activities, its quotations, stages
    with django_assert_num_queries(9):
        assert client.get(opp.get_absolute_url()).status_code == 200


def test_it_speaks_indonesian_to_indonesian_staff(client, branch_a, lead_a):
    rep = UserFactory(branch=branch_a, department=Department.SALES, language="id")
    client.force_login(rep)
    page = client.get(reverse("sales:lead_list")).content.decode()
    assert "<h1 class=\"h3 mb-0\">Prospek</h1>" in page and "Prospek baru" in page
