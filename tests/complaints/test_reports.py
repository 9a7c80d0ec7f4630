"""Reports: per month (or week) complaints by category, department and branch; the median
times; the SLA met; the reopen rate; each with its CSV."""

import csv
import datetime as dt
import io

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import reports, services
from complaints.models import Category, Complaint
from tests.factories import CustomerFactory

from .factories import ComplaintFactory

pytestmark = pytest.mark.django_db
MONTH = reports.PERIODS["month"]
WEEK = reports.PERIODS["week"]


@pytest.fixture(autouse=True)
def no_cached_figures():
    cache.clear()  # the report's rows are cached five minutes: each test starts from the database
    yield
    cache.clear()


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def two_months_ago() -> dt.datetime:
    """Noon on the 10th of the month before last (in the business's time zone)."""
    first = reports.periods_of(timezone.now(), MONTH, 3)[0]
    return timezone.make_aware(dt.datetime.combine(first.replace(day=10), dt.time(12)))


@pytest.fixture
def planted(helpdesk, branch_a, branch_b):
    """This month: 2 deliveries and 1 repair at branch A; one delivery at B. The month before
    last: 1 order-status complaint at A."""
    made = [ComplaintFactory(customer=CustomerFactory(branch=branch_a), category=c)
            for c in (Category.DELIVERY, Category.DELIVERY, Category.VEHICLE_REPAIR)]
    ComplaintFactory(customer=CustomerFactory(branch=branch_b), category=Category.DELIVERY)
    old = ComplaintFactory(customer=CustomerFactory(branch=branch_a), category=Category.ORDER_STATUS,
                           now=two_months_ago())
    return made, old


def _table(chart):
    return {name: values for name, values in chart.series}


def test_it_counts_complaints_per_month_by_category_department_and_branch(planted, head_office_user, manager_a):
    charts = reports.report(head_office_user, period=MONTH, n=4)
    assert [d.day for d in charts["category"].labels] == [1, 1, 1, 1]
    category = _table(charts["category"])
    assert category["Order not delivered"] == [0, 0, 0, 3]
    assert category["Vehicle under repair"] == [0, 0, 0, 1]
    assert category["Order status not followed up"] == [0, 1, 0, 0]
    assert _table(charts["department"])["Shipment"][-1] == 3
    everywhere = _table(charts["branch"])
    assert everywhere[manager_a.branch.name] == [0, 1, 0, 3] and sum(map(sum, everywhere.values())) == 5
    branch = _table(reports.report(manager_a, period=MONTH, n=4)["branch"])  # branch A's manager sees only A
    assert list(branch) == [manager_a.branch.name] and branch[manager_a.branch.name] == [0, 1, 0, 3]


def test_the_week_view_counts_the_same_complaints_per_week(planted, head_office_user):
    category = _table(reports.report(head_office_user, period=WEEK, n=12)["category"])
    assert category["Order not delivered"][-1] == 3 and sum(category["Order not delivered"]) == 3
    assert sum(category["Order status not followed up"]) == 1


def test_it_takes_the_median_times_to_first_response_and_resolution(planted, head_office_user):
    made, old = planted
    answered_after = {made[0]: 1, made[1]: 2, made[2]: 10}  # hours; the fourth is not answered
    for complaint, hours in answered_after.items():
        Complaint.objects.filter(pk=complaint.pk).update(
            first_response_at=complaint.created_at + dt.timedelta(hours=hours))
    Complaint.objects.filter(pk=made[0].pk).update(resolved_at=made[0].created_at + dt.timedelta(hours=4))
    Complaint.objects.filter(pk=made[1].pk).update(resolved_at=made[1].created_at + dt.timedelta(hours=8))
    Complaint.objects.filter(pk=old.pk).update(first_response_at=old.created_at + dt.timedelta(hours=30))
    times = _table(reports.report(head_office_user, period=MONTH, n=3)["times"])
    assert times["To first response"] == [30.0, 0, 2.0]  # the middle of 1, 2, 10 hours; none last month
    assert times["To resolution"] == [0, 0, 6.0]  # between 4 and 8 hours (percentile_cont interpolates)


def test_it_computes_the_share_that_met_the_sla(planted, head_office_user):
    made, old = planted
    now = timezone.now()
    # This month: one answered on time, one answered late; the rest not yet due.
    Complaint.objects.filter(pk=made[0].pk).update(first_response_at=made[0].first_response_due - dt.timedelta(minutes=1))
    Complaint.objects.filter(pk=made[1].pk).update(first_response_due=now - dt.timedelta(hours=2),
                                                   first_response_at=now - dt.timedelta(hours=1))
    sla = _table(reports.report(head_office_user, period=MONTH, n=3)["sla"])
    assert sla["First response on time"][-1] == 50.0


def test_the_reopen_rate_is_the_share_of_resolved_complaints_reopened(planted, head_office_user, manager_a):
    made, old = planted
    for complaint in made:
        services.complaint_status_set(complaint=complaint, status=Complaint.Status.RESOLVED, by=manager_a)
    services.complaint_status_set(complaint=made[0], status=Complaint.Status.IN_PROGRESS, by=manager_a)  # reopened
    assert Complaint.objects.get(pk=made[0].pk).reopen_count == 1
    rate = _table(reports.report(head_office_user, period=MONTH, n=3)["reopen"])["Reopened after resolution"]
    assert rate == [0, 0, 33.3]  # 1 of the 3 resolved this month (the open one at B is not counted)
    # Resolved again, then closed and reopened once more: still one complaint reopened of three.
    services.complaint_status_set(complaint=made[0], status=Complaint.Status.RESOLVED, by=manager_a)
    services.complaint_status_set(complaint=made[0], status=Complaint.Status.CLOSED, by=manager_a)
    services.complaint_status_set(complaint=made[0], status=Complaint.Status.IN_PROGRESS, by=manager_a)
    cache.clear()
    assert Complaint.objects.get(pk=made[0].pk).reopen_count == 2
    assert _table(reports.report(head_office_user, period=MONTH, n=3)["reopen"])["Reopened after resolution"][-1] == 33.3


def test_the_report_page_and_its_csvs(planted, head_office_user, django_assert_num_queries):
    client = as_user(head_office_user)
    url = reverse("complaints:reports")
    client.get(url)
    cache.clear()
    # session, user, the user's and groups' permissions; the counts (category, department,
    # branch, SLA, reopen charts: one query) and their branches' names; the medians (one query)
    with django_assert_num_queries(7):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "Complaints by category" in html and "wall-clock" in html
    for dom_id in ("category", "department", "branch", "times", "sla", "reopen"):
        assert f'id="chart-complaints-{dom_id}-data"' in html
    with django_assert_num_queries(4):  # within five minutes: the figures come from the cache
        client.get(url)
    for _ in range(5):
        ComplaintFactory(customer=CustomerFactory(branch=planted[1].customer.branch), category=Category.OTHER)
    cache.clear()
    with django_assert_num_queries(7):  # more complaints: the same queries
        client.get(url)

    response = client.get(reverse("complaints:report_csv", args=["category"]), {"period": "month", "n": "4"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Month" and len(rows) == 5 and rows[-1][0].endswith("-01")
    response = client.get(reverse("complaints:report_csv", args=["times"]), {"period": "week", "n": "4"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Week of", "To first response", "To resolution"] and len(rows) == 5
    assert "complaints-times-per-week.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(client.get(reverse("complaints:report_csv", args=["reopen"]))
                                       .content.decode("utf-8-sig"))))
    assert rows[0] == ["Month", "Reopened after resolution"] and len(rows) == 1 + MONTH.default
    assert client.get(reverse("complaints:report_csv", args=["nonsense"])).status_code == 404


def test_a_bad_period_or_length_falls_back_to_the_default(planted, head_office_user):
    client = as_user(head_office_user)
    url = reverse("complaints:reports")
    for query in ({"n": "abc"}, {"period": "decade"}, {"n": "-3"}, {"n": "99999"}, {"period": "week", "n": "x"}):
        assert client.get(url, query).status_code == 200
    page = client.get(url, {"period": "week", "n": "4"}).content.decode()
    assert "Per week" in page and 'href="?period=week&amp;n=26"' in page
    assert client.get(url, {"n": "99999"}).context["n"] == max(MONTH.choices)


def test_the_reports_refuse_anonymous_and_staff_without_a_role(branch_a):
    from tests.factories import UserFactory

    url = reverse("complaints:reports")
    assert Client().get(url)["Location"].startswith(reverse("login"))
    assert Client().get(reverse("complaints:report_csv", args=["sla"]))["Location"].startswith(reverse("login"))
    nobody = UserFactory(email="nobody@relasi.test", branch=branch_a, department="")
    assert as_user(nobody).get(url).status_code == 403
    assert as_user(nobody).get(reverse("complaints:report_csv", args=["sla"])).status_code == 403


def test_the_reports_answer_only_get(head_office_user):
    client = as_user(head_office_user)
    assert client.post(reverse("complaints:reports")).status_code == 405
    assert client.post(reverse("complaints:report_csv", args=["sla"])).status_code == 405
