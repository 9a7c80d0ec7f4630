"""The branch activity report: interactions per day by kind, chart + table + CSV of the same figures."""

import csv
import datetime as dt
import html as htmllib
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from branches.selectors import branch_activity_chart
from crm import services
from crm.models import Interaction
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

WIB, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Jayapura")


def report_url(branch):
    return reverse("branches:report", args=[branch.public_id])


def csv_url(branch):
    return reverse("branches:report_csv", args=[branch.public_id])


def log(customer, kind, when):
    return services.interaction_record(customer=customer, kind=kind, channel="phone", direction="out",
                                       summary=f"{kind} at {when:%H:%M}", occurred_at=when)


def local_today(branch):
    return timezone.now().astimezone(ZoneInfo(branch.time_zone)).date()


def at_local(branch, day, hour=10, minute=0):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ZoneInfo(branch.time_zone))


@pytest.fixture
def activity(branch_a, customer_a, customer_b):
    """Branch A: 3 calls and a visit today, 2 SMS five days ago, one call 30 days ago (outside
    the window); branch B: calls today that branch A's report must not count."""
    today = local_today(branch_a)
    for i in range(3):
        log(customer_a, "call", at_local(branch_a, today, 9, i))
    log(customer_a, "visit", at_local(branch_a, today, 11))
    other = CustomerFactory(branch=branch_a, name="Dewi")
    log(customer_a, "sms", at_local(branch_a, today - dt.timedelta(days=5)))
    log(other, "sms", at_local(branch_a, today - dt.timedelta(days=5), 16))
    log(customer_a, "call", at_local(branch_a, today - dt.timedelta(days=30)))
    log(customer_b, "call", at_local(branch_a, today))
    log(customer_b, "call", at_local(branch_a, today))
    forget_creation_notes()
    return today


def forget_creation_notes():
    """customer_create logs a "created" note now; drop them, so the figures are only the test's."""
    Interaction.objects.filter(channel=Interaction.Channel.SYSTEM).delete()


def table(html: str) -> list[list[str]]:
    """The chart's table as the page shows it: header, then each row's data-value cells."""
    body = html.split('data-chart-table="')[1].split("</table>")[0]
    header = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', body)]
    rows = [re.findall(r'data-value="([^"]*)"', row) for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]]
    return [header, *rows]


def test_it_counts_the_branchs_interactions_per_day_by_kind(client, manager_a, branch_a, activity):
    client.force_login(manager_a)
    response = client.get(report_url(branch_a))
    assert response.status_code == 200
    chart = response.context["chart"]
    assert chart.series_names == ["Call", "SMS", "Visit"]  # kinds in the model's order; none without data
    assert chart.labels[0] == activity - dt.timedelta(days=29) and chart.labels[-1] == activity
    by_day = {row.value: row.values for row in chart.rows}
    assert by_day[activity.isoformat()] == (3, 0, 1)
    assert by_day[(activity - dt.timedelta(days=5)).isoformat()] == (0, 2, 0)
    assert sum(sum(values) for values in by_day.values()) == 6  # not branch B's, not 30 days ago
    html = response.content.decode()
    assert table(html)[-1] == [activity.isoformat(), "3", "0", "1"]
    assert 'canvas data-chart="chart-branch-activity-data"' in html
    assert '<script id="chart-branch-activity-data" type="application/json">' in html
    assert f'href="{csv_url(branch_a)}" download' in html


def test_the_csv_is_the_table_on_the_page(client, manager_a, branch_a, activity):
    client.force_login(manager_a)
    page_table = table(client.get(report_url(branch_a)).content.decode())
    response = client.get(csv_url(branch_a))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="bdg-activity-{activity:%Y-%m-%d}.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == page_table
    assert rows[0] == ["Day", "Call", "SMS", "Visit"] and len(rows) == 31


def test_days_are_the_branchs_own_days(branch_a, customer_a):
    """23:30 WIB on the 22nd is the 23rd in Jayapura: each branch counts in its own zone."""
    forget_creation_notes()
    branch_a.time_zone = "Asia/Jayapura"
    branch_a.save()
    log(customer_a, "call", dt.datetime(2026, 11, 22, 23, 30, tzinfo=WIB))  # 01:30 on the 23rd WIT
    log(customer_a, "call", dt.datetime(2026, 11, 22, 23, 59, tzinfo=WIT))
    chart = branch_activity_chart(branch_a, now=dt.datetime(2026, 11, 23, 12, 0, tzinfo=WIT))
    by_day = {row.value: row.values for row in chart.rows}
    assert by_day["2026-11-23"] == (1,) and by_day["2026-11-22"] == (1,)
    # The window is the branch's last 30 days, today included: 25 Oct to 23 Nov.
    assert chart.labels[0] == dt.date(2026, 10, 25) and len(chart.labels) == 30


def test_a_customer_who_moves_takes_no_history_along(branch_a, branch_b, customer_a):
    """The report counts what the branch did: touches logged while the customer was branch A's
    stay in A's report after the customer moves to B; later ones count for B."""
    forget_creation_notes()
    today = local_today(branch_a)
    log(customer_a, "call", at_local(branch_a, today, 9))
    customer_a.branch = branch_b
    customer_a.save()
    log(customer_a, "visit", at_local(branch_a, today, 10))
    by_day_a = {row.value: row.values for row in branch_activity_chart(branch_a).rows}
    by_day_b = {row.value: row.values for row in branch_activity_chart(branch_b).rows}
    assert branch_activity_chart(branch_a).series_names == ["Call"] and by_day_a[today.isoformat()] == (1,)
    assert branch_activity_chart(branch_b).series_names == ["Visit"] and by_day_b[today.isoformat()] == (1,)


def test_an_empty_period_says_so(client, manager_a, branch_a, customer_a):
    forget_creation_notes()
    client.force_login(manager_a)
    response = client.get(report_url(branch_a))
    html = response.content.decode()
    assert response.status_code == 200 and response.context["chart"].is_empty
    assert "No interactions with this branch's customers in the last 30 days." in htmllib.unescape(html)
    assert "<canvas" not in html
    rows = list(csv.reader(io.StringIO(client.get(csv_url(branch_a)).content.decode("utf-8-sig"))))
    assert rows[0] == ["Day"] and len(rows) == 31


def test_every_department_of_the_branch_and_head_office_may_read_it(client, sales_a, readonly_a,
                                                                   head_office_user, branch_a, branch_b):
    for user, branches in ((sales_a, [branch_a]), (readonly_a, [branch_a]), (head_office_user, [branch_a, branch_b])):
        client.force_login(user)
        for branch in branches:
            assert client.get(report_url(branch)).status_code == 200
            assert client.get(csv_url(branch)).status_code == 200


def test_another_branchs_report_is_a_404(client, staff_b, branch_a, activity):
    client.force_login(staff_b)
    assert client.get(report_url(branch_a)).status_code == 404
    assert client.get(csv_url(branch_a)).status_code == 404


def test_it_sends_anonymous_visitors_to_log_in(client, branch_a):
    for url in (report_url(branch_a), csv_url(branch_a)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"


def test_staff_without_a_role_are_refused(client, branch_a):
    client.force_login(UserFactory(branch=branch_a, department=""))
    assert client.get(report_url(branch_a)).status_code == 403
    assert client.get(csv_url(branch_a)).status_code == 403


def test_the_report_is_get_only(client, manager_a, branch_a):
    client.force_login(manager_a)
    assert client.post(report_url(branch_a)).status_code == 405
    assert client.post(csv_url(branch_a)).status_code == 405


@pytest.mark.parametrize("per_day", [1, 6])
def test_the_report_takes_a_fixed_number_of_queries(client, manager_a, branch_a, per_day,
                                                    django_assert_num_queries):
    today = local_today(branch_a)
    customers = [CustomerFactory(branch=branch_a) for _ in range(3)]
    kinds = ["call", "sms", "visit", "email", "service_visit", "note"]
    for day in range(0, 30, 3):
        for i in range(per_day):
            log(customers[i % 3], kinds[i], at_local(branch_a, today - dt.timedelta(days=day), 9, i))
    forget_creation_notes()
    client.force_login(manager_a)
    # 1 session, 2 the user with its branch, 3-4 the user's and its role's permissions,
    # 5 the branch, 6 the one aggregate of interactions by day and kind.
    with django_assert_num_queries(6):
        response = client.get(report_url(branch_a))
    assert len(response.context["chart"].series) == per_day
    with django_assert_num_queries(6):  # the CSV: the same six
        assert client.get(csv_url(branch_a)).status_code == 200
