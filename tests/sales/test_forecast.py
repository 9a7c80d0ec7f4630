"""The forecast page: weighted pipeline by close month, won amounts, the funnel; CSV; scoping."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from sales import selectors, services
from sales.models import Opportunity, Stage, StageChange

from .factories import OpportunityFactory

pytestmark = pytest.mark.django_db


def month(offset: int):
    return selectors._add_months(timezone.localdate().replace(day=1), offset)


def test_it_weighs_open_opportunities_by_close_month(branch_a, sales_a, stages):
    OpportunityFactory(branch=branch_a, amount=200_000_000, probability=50, expected_close=month(0) + dt.timedelta(3))
    OpportunityFactory(branch=branch_a, amount=100_000_000, probability=10, expected_close=month(2))
    OpportunityFactory(branch=branch_a, amount=999_000_000, probability=90, expected_close=month(7))  # too far
    chart = selectors.forecast_pipeline_chart(Opportunity.objects.all())
    weighted, full = chart.series[0][1], chart.series[1][1]
    assert chart.labels == [month(i) for i in range(6)]
    assert weighted == [100_000_000, 0, 10_000_000, 0, 0, 0]
    assert full == [200_000_000, 0, 100_000_000, 0, 0, 0]


def test_it_sums_won_amounts_by_month_closed(branch_a, sales_a, stages):
    won = Stage.objects.get(is_won=True)
    opp = OpportunityFactory(branch=branch_a, amount=300_000_000)
    services.opportunity_move(opportunity=opp, stage=won, by=sales_a)
    OpportunityFactory(branch=branch_a, amount=50_000_000)  # still open
    chart = selectors.forecast_won_chart(Opportunity.objects.all())
    assert chart.labels[-1] == month(0) and len(chart.labels) == 12
    assert chart.series[0][1] == [0] * 11 + [300_000_000]


def test_the_funnel_counts_reached_stages_and_median_days(branch_a, sales_a, stages):
    prospek, test_drive, quote = stages[0], stages[1], stages[2]
    start = timezone.now() - dt.timedelta(days=30)
    for days_in_prospek, last in ((2, test_drive), (4, quote), (6, None)):
        opp = OpportunityFactory(branch=branch_a)
        StageChange.objects.filter(opportunity=opp).update(changed_at=start)
        if last is not None:
            StageChange.objects.create(opportunity=opp, from_stage=prospek, to_stage=last,
                                       changed_at=start + dt.timedelta(days=days_in_prospek))
    steps = {s.stage.name: s for s in selectors.funnel(Opportunity.objects.all())}
    assert steps["Prospek"].reached == 3 and steps["Prospek"].median_days == 3.0  # 2 and 4 days
    assert steps["Test drive"].reached == 2 and steps["Test drive"].conversion == pytest.approx(66.7)
    assert steps["Penawaran"].reached == 1 and steps["Penawaran"].conversion == 50.0  # skipped the test drive
    assert "Kalah" not in steps


def test_the_page_and_its_csv(client, sales_a, branch_a, staff_b, stages):
    OpportunityFactory(branch=branch_a, amount=200_000_000, probability=50, expected_close=month(1))
    client.force_login(sales_a)
    page = client.get(reverse("sales:forecast")).content.decode()
    assert "Weighted pipeline by expected close month" in page and "Funnel" in page
    response = client.get(reverse("sales:forecast_csv"))
    assert response["Content-Type"].startswith("text/csv") and "100000000" in response.content.decode()
    assert "300000000" not in client.get(reverse("sales:forecast_csv"), {"chart": "won"}).content.decode()
    client.force_login(staff_b)  # another branch: sees none of it
    assert "100000000" not in client.get(reverse("sales:forecast_csv")).content.decode()


@pytest.mark.parametrize("name", ["sales:forecast", "sales:forecast_csv"])
def test_it_is_for_sales_staff(client, readonly_a, name):
    assert client.get(reverse(name)).status_code == 302
    client.force_login(readonly_a)
    assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("rows", [2, 20])
def test_the_page_costs_the_same_with_more_rows(client, sales_a, branch_a, rows, django_assert_num_queries):
    for i in range(rows):
        OpportunityFactory(branch=branch_a, owner=sales_a, expected_close=month(i % 6))
    client.force_login(sales_a)
    # session, user, perms ×2, pipeline, won, funnel (stages; reached and medians in one), owner
    # filter options
    with django_assert_num_queries(9):
        assert client.get(reverse("sales:forecast")).status_code == 200
