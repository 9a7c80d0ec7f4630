"""Each rep's month against the target the sales manager sets: leads handled, first response
in the branch's business hours, conversion rate, won amount; the page, its charts and CSVs,
the targets form; scoping, permissions, bad input, pinned query counts."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from accounts.models import Department
from sales import activity_selectors, activity_services, services
from sales.models import Lead, Opportunity, SalesTarget, Stage
from tests.factories import UserFactory

from .factories import LeadFactory, OpportunityFactory
from .factories_agenda import SalesTargetFactory

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
MONTH = dt.date(2026, 11, 1)
TUESDAY = dt.datetime(2026, 11, 17, 9, 0, tzinfo=WIB)  # default hours: 08–12, 13–17


def handled(branch, rep, assigned_at, first_contact=None, status=Lead.Status.CONTACTED, **kwargs):
    lead = LeadFactory(branch=branch, owner=rep, **kwargs)
    Lead.objects.filter(pk=lead.pk).update(assigned_at=assigned_at, first_contacted_at=first_contact,
                                           status=status if first_contact or status != "contacted" else "new")
    return lead


def won(branch, rep, amount, closed_at):
    opp = OpportunityFactory(branch=branch, owner=rep, amount=amount)
    services.opportunity_move(opportunity=opp, stage=Stage.objects.get(is_won=True), by=None)
    Opportunity.objects.filter(pk=opp.pk).update(closed_at=closed_at)
    return opp


@pytest.fixture
def month_of_work(branch_a, sales_a):
    other = UserFactory(branch=branch_a, department=Department.SALES, first_name="Zaki")
    hour = dt.timedelta(hours=1)
    # sales_a: three leads, first responses of 2, 2 (over the night) and 4 business hours; one converted.
    handled(branch_a, sales_a, TUESDAY, TUESDAY + 2 * hour)
    handled(branch_a, sales_a, TUESDAY + 7 * hour, TUESDAY + 24 * hour, status=Lead.Status.CONVERTED)
    handled(branch_a, sales_a, TUESDAY, TUESDAY + 5 * hour)
    handled(branch_a, sales_a, TUESDAY + 30 * hour)  # not contacted yet
    # Outside the month in the branch's zone: 31 October 23:30 WIB is 16:30 UTC the same day.
    handled(branch_a, sales_a, dt.datetime(2026, 10, 31, 23, 30, tzinfo=WIB), TUESDAY)
    handled(branch_a, other, TUESDAY, TUESDAY + hour, status=Lead.Status.CONVERTED)
    won(branch_a, sales_a, 300_000_000, TUESDAY)
    won(branch_a, sales_a, 200_000_000, TUESDAY + 24 * hour)
    won(branch_a, sales_a, 999_000_000, dt.datetime(2026, 12, 1, 0, 30, tzinfo=WIB))  # next month
    won(branch_a, other, 250_000_000, TUESDAY)
    activity_services.sales_targets_set(branch=branch_a, month=MONTH, by=None,
                                        targets=[(sales_a, 1_000_000_000, 8), (other, 0, 0)])
    return other


def test_the_figures_of_each_rep(branch_a, sales_a, month_of_work):
    rows = {r.rep: r for r in activity_selectors.performance(branch_a, MONTH)}
    mine = rows[sales_a]
    assert (mine.leads_handled, mine.contacted, mine.converted) == (4, 3, 1)
    assert mine.response_minutes == 120  # median of 120, 120 and 240 business minutes
    assert mine.response_hours == 2.0
    assert mine.conversion_rate == 25.0
    assert (mine.won_amount, mine.won_count) == (500_000_000, 2)
    assert (mine.target_amount, mine.target_leads, mine.amount_pct, mine.leads_pct) == (1_000_000_000, 8, 50, 50)
    other = rows[month_of_work]
    assert (other.leads_handled, other.conversion_rate, other.response_minutes, other.won_amount) == (
        1, 100.0, 60, 250_000_000)
    assert other.amount_pct is None  # no target amount: no percentage, not a division by zero


def test_another_branchs_month_is_its_own(branch_b, staff_b, month_of_work):
    rows = activity_selectors.performance(branch_b, MONTH)
    assert [(r.rep, r.leads_handled, r.won_amount) for r in rows] == [(staff_b, 0, 0)]


def test_the_page_its_charts_and_csv(client, manager_a, sales_a, month_of_work):
    client.force_login(manager_a)
    page = client.get(reverse("sales:performance"), {"month": "2026-11"}).content.decode()
    assert 'id="performance-table"' in page and "Rp 500,000,000" in page and "25.0%" in page
    assert "chart-sales-performance-won" in page and "chart-sales-performance-leads" in page
    assert reverse("sales:targets") in page
    csv_text = client.get(reverse("sales:performance_csv"), {"month": "2026-11"}).content.decode("utf-8-sig")
    header, *lines = csv_text.splitlines()
    assert header.startswith("Sales rep,Leads handled,Target leads,Contacted,Median first response")
    assert any(line.endswith(",4,8,3,2,1,25,2,500000000,1000000000") for line in lines), lines
    won_csv = client.get(reverse("sales:performance_csv"), {"month": "2026-11", "chart": "won"}).content.decode()
    assert "500000000,1000000000" in won_csv


def test_it_says_a_bad_month_at_the_field(client, sales_a):
    client.force_login(sales_a)
    response = client.get(reverse("sales:performance"), {"month": "November"})
    assert response.status_code == 200
    assert "Enter a month as YYYY-MM" in " ".join(response.context["form"].errors["month"])


def test_branch_staff_see_only_their_branch(client, staff_b, branch_a, month_of_work):
    client.force_login(staff_b)
    response = client.get(reverse("sales:performance"), {"month": "2026-11", "branch": branch_a.pk})
    assert response.context["branch"] != branch_a
    assert "500,000,000" not in response.content.decode()
    csv_text = client.get(reverse("sales:performance_csv"), {"month": "2026-11", "branch": branch_a.pk}).content
    assert b"500000000" not in csv_text


def test_head_office_picks_the_branch(client, head_office_user, branch_a, branch_b, month_of_work):
    client.force_login(head_office_user)
    page = client.get(reverse("sales:performance"), {"month": "2026-11", "branch": branch_a.pk}).content.decode()
    assert "Rp 500,000,000" in page


def test_the_manager_sets_the_months_targets(client, manager_a, sales_a, branch_a):
    client.force_login(manager_a)
    url = f"{reverse('sales:targets')}?month=2026-12"
    form = client.get(url)
    assert form.status_code == 200 and f'name="amount_{sales_a.pk}"' in form.content.decode()
    response = client.post(url, {f"amount_{sales_a.pk}": "750000000", f"leads_{sales_a.pk}": "12"})
    assert response.status_code == 302 and response["Location"].endswith("month=2026-12")
    target = SalesTarget.objects.get(rep=sales_a, month=dt.date(2026, 12, 1))
    assert (target.target_amount, target.target_leads, target.set_by, target.branch) == (
        750_000_000, 12, manager_a, branch_a)
    client.post(url, {f"amount_{sales_a.pk}": "800000000", f"leads_{sales_a.pk}": "10"})  # changed: same row
    assert SalesTarget.objects.get(rep=sales_a).target_amount == 800_000_000


@pytest.mark.parametrize("amount, leads, field", [("-5", "3", "amount"), ("lots", "3", "amount"),
                                                   ("100", "1.5", "leads"), ("1" + "0" * 14, "3", "amount")])
def test_it_says_bad_targets_at_the_field(client, manager_a, sales_a, amount, leads, field):
    client.force_login(manager_a)
    response = client.post(f"{reverse('sales:targets')}?month=2026-12",
                           {f"amount_{sales_a.pk}": amount, f"leads_{sales_a.pk}": leads})
    assert response.status_code == 200
    assert response.context["form"].errors[f"{field}_{sales_a.pk}"]
    assert not SalesTarget.objects.exists()


def test_a_rep_reads_the_figures_but_sets_no_target(client, sales_a):
    client.force_login(sales_a)
    assert client.get(reverse("sales:performance")).status_code == 200
    assert client.get(reverse("sales:targets")).status_code == 403
    assert client.post(reverse("sales:targets"), {f"amount_{sales_a.pk}": "1"}).status_code == 403
    assert not SalesTarget.objects.exists()


@pytest.mark.parametrize("name", ["sales:performance", "sales:performance_csv", "sales:targets"])
def test_it_is_for_sales_staff(client, readonly_a, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    client.force_login(readonly_a)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", ["sales:performance", "sales:performance_csv"])
def test_it_refuses_post_on_the_read_only_pages(client, manager_a, name):
    client.force_login(manager_a)
    assert client.post(reverse(name)).status_code == 405


@pytest.mark.parametrize("per_rep", [1, 6])
def test_the_page_costs_the_same_with_more_rows(client, branch_a, manager_a, per_rep, django_assert_num_queries):
    reps = [UserFactory(branch=branch_a, department=Department.SALES) for _ in range(3)]
    for rep in reps:
        SalesTargetFactory(branch=branch_a, rep=rep, month=MONTH)
        for i in range(per_rep):
            handled(branch_a, rep, TUESDAY + dt.timedelta(hours=i), TUESDAY + dt.timedelta(hours=i + 3))
            won(branch_a, rep, 100_000_000, TUESDAY)
    client.force_login(manager_a)
    # session, user, perms ×2, reps, targets (+rep), the month's leads, won totals, the branch's
    # opening hours and closures
    with django_assert_num_queries(10):
        assert client.get(reverse("sales:performance"), {"month": "2026-11"}).status_code == 200
