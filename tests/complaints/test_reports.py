"""Reports: complaints per week by category, department, branch; the SLA met; CSVs."""

import csv
import datetime as dt
import io

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import reports
from complaints.models import Category, Complaint
from tests.factories import CustomerFactory

from .factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def planted(helpdesk, branch_a, branch_b):
    """This week: 2 deliveries and 1 repair at branch A; one at B. Two weeks ago: 1 order at A."""
    now = timezone.now()
    made = [ComplaintFactory(customer=CustomerFactory(branch=branch_a), category=c)
            for c in (Category.DELIVERY, Category.DELIVERY, Category.VEHICLE_REPAIR)]
    ComplaintFactory(customer=CustomerFactory(branch=branch_b), category=Category.DELIVERY)
    old = ComplaintFactory(customer=CustomerFactory(branch=branch_a), category=Category.ORDER_STATUS,
                           now=now - dt.timedelta(weeks=2))
    return made, old


def _table(chart):
    return {name: values for name, values in chart.series}


def test_it_counts_complaints_per_week_by_category_department_and_branch(planted, head_office_user, manager_a):
    charts = reports.report(head_office_user, weeks=4)
    category = _table(charts["category"])
    assert category["Order not delivered"][-1] == 3 and category["Vehicle under repair"][-1] == 1
    assert category["Order status not followed up"][-3] == 1 and sum(category["Order status not followed up"]) == 1
    assert _table(charts["department"])["Shipment"][-1] == 3
    branch = _table(reports.report(manager_a, weeks=4)["branch"])  # branch A's manager sees only A
    assert list(branch) == [manager_a.branch.name] and branch[manager_a.branch.name][-1] == 3


def test_it_computes_the_share_that_met_the_sla(planted, head_office_user):
    made, old = planted
    now = timezone.now()
    # This week: one answered on time, one answered late; the rest not yet due.
    Complaint.objects.filter(pk=made[0].pk).update(first_response_at=made[0].first_response_due - dt.timedelta(minutes=1))
    Complaint.objects.filter(pk=made[1].pk).update(first_response_due=now - dt.timedelta(hours=2),
                                                   first_response_at=now - dt.timedelta(hours=1))
    sla = _table(reports.report(head_office_user, weeks=4)["sla"])
    assert sla["First response on time"][-1] == 50.0


def test_the_report_page_and_its_csvs(planted, head_office_user, django_assert_num_queries):
    client = as_user(head_office_user)
    url = reverse("complaints:reports")
    client.get(url)
    # session, user, the user's and groups' permissions, the figures of the four charts (one query)
    with django_assert_num_queries(5):
        page = client.get(url)
    assert page.status_code == 200 and "Complaints per week by category" in page.content.decode()
    response = client.get(reverse("complaints:report_csv", args=["category"]), {"weeks": "4"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Week of" and len(rows) == 5
    for _ in range(5):
        ComplaintFactory(customer=CustomerFactory(branch=head_office_user.branch or planted[1].customer.branch),
                         category=Category.OTHER)
    with django_assert_num_queries(5):  # more complaints: the same queries
        client.get(url)
    assert client.get(reverse("complaints:report_csv", args=["nonsense"])).status_code == 404
    assert client.get(url, {"weeks": "abc"}).status_code == 200


def test_the_reports_refuse_anonymous_and_staff_without_a_role(branch_a):
    from tests.factories import UserFactory

    url = reverse("complaints:reports")
    assert Client().get(url)["Location"].startswith(reverse("login"))
    nobody = UserFactory(email="nobody@relasi.test", branch=branch_a, department="")
    assert as_user(nobody).get(url).status_code == 403
    assert as_user(nobody).get(reverse("complaints:report_csv", args=["sla"])).status_code == 403
    assert as_user(nobody).post(url).status_code in (403, 405)
