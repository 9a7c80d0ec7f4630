"""QC: defect details at intake, grouping by component × model × batch, the flag on a spike."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints import qc
from complaints.models import Category, Complaint
from tests.factories import AssetFactory, CustomerFactory

from .factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def _defects(branch, n, *, component, model="Avanza", batch="B-2025-07", days_ago=1):
    now = timezone.now()
    for i in range(n):
        ComplaintFactory(customer=CustomerFactory(branch=branch), category=Category.PRODUCTION_DEFECT,
                         now=now - dt.timedelta(days=days_ago if isinstance(days_ago, int) else days_ago[i]),
                         defect={"component": component, "model": model, "batch": batch})


def test_the_poisson_tail():
    assert qc.poisson_tail(0, 3.0) == 1.0
    assert qc.poisson_tail(1, 2.0) == pytest.approx(1 - 0.1353352832, rel=1e-6)
    assert qc.poisson_tail(40, 25.0) == pytest.approx(0.0034436, rel=1e-4)  # summed upper tail, checked apart


def test_it_flags_a_planted_spike_and_not_a_steady_group(readonly_a, branch_a):
    # Steady: about 2 a month all year, 2 in the last 30 days.
    _defects(branch_a, 24, component="Wiper motor", days_ago=[15 * i + 5 for i in range(24)])
    # A batch of door locks: 1 in the eleven months before, 9 in the last 30 days.
    _defects(branch_a, 1, component="Door lock", days_ago=200)
    _defects(branch_a, 9, component="Door lock", days_ago=3)
    groups = {g.component: g for g in qc.defect_groups(readonly_a)}
    assert groups["Door lock"].flagged and groups["Door lock"].recent == 9
    assert not groups["Wiper motor"].flagged and groups["Wiper motor"].recent == 2
    assert qc.defect_groups(readonly_a)[0].component == "Door lock"  # flagged first


def test_a_first_small_group_is_not_flagged(readonly_a, branch_a):
    _defects(branch_a, 2, component="Mirror")
    assert not qc.defect_groups(readonly_a)[0].flagged


def test_it_takes_defect_details_and_the_vehicle_defaults(helpdesk, customer_a, readonly_a, sales_a):
    asset = AssetFactory(customer=customer_a, model="Rush", year=2024)
    client = Client()
    client.force_login(sales_a)
    url = reverse("complaints:customer_complaint_create", args=[customer_a.public_id])
    data = {"category": "production_defect", "priority": "normal", "channel": "phone", "asset": asset.pk,
            "description": "Cat mengelupas di kap mesin."}
    response = client.post(url, data)
    assert response.status_code == 200 and "Name the component that failed." in response.content.decode()
    client.post(url, {**data, "defect_component": "Paint", "defect_batch": "P-11"})
    complaint = Complaint.objects.get()
    assert (complaint.defect_component, complaint.defect_model, complaint.defect_model_year,
            complaint.defect_batch, complaint.assignee) == ("Paint", "Rush", 2024, "P-11", readonly_a)


def test_the_qc_page_and_its_csv(readonly_a, branch_a, staff_b, django_assert_num_queries):
    _defects(branch_a, 6, component="Door lock", days_ago=2)
    client = Client()
    client.force_login(readonly_a)
    client.get(reverse("complaints:qc_report"))
    # session, user, 2 permission queries, the groups, the monthly counts
    with django_assert_num_queries(6):
        response = client.get(reverse("complaints:qc_report"))
    body = response.content.decode()
    assert response.status_code == 200 and 'data-flagged="1"' in body and "Door lock" in body
    csv = client.get(reverse("complaints:qc_report_csv"))
    assert csv.status_code == 200 and b",6" in csv.content
    other = Client()
    other.force_login(staff_b)  # another branch's defects are not theirs
    assert "Door lock" not in other.get(reverse("complaints:qc_report")).content.decode()
