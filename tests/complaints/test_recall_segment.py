"""From a QC defect group, a static campaign segment of the customers who own that model."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints.models import Category
from marketing.models import Segment
from tests.factories import AssetFactory, CustomerFactory

from .factories import ComplaintFactory

pytestmark = pytest.mark.django_db

GROUP = {"component": "Door lock", "model": "Avanza", "batch": "B-2025-07"}


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def group(branch_a, branch_b):
    """Three door-lock complaints on 2022 Avanzas of branch A; owners of Avanzas at A and B."""
    for n in range(3):
        owner = CustomerFactory(branch=branch_a, phone=f"+62812000010{n}")
        car = AssetFactory(customer=owner, model="Avanza", year=2022, plate_number=f"D {n} QC")
        ComplaintFactory(customer=owner, category=Category.PRODUCTION_DEFECT, asset=car,
                         now=timezone.now() - dt.timedelta(days=2), defect={"component": "Door lock",
                                                                              "batch": "B-2025-07"})
    other_year = CustomerFactory(branch=branch_a, phone="+628120000200")
    AssetFactory(customer=other_year, model="Avanza", year=2019, plate_number="D 9 OY")
    same_at_b = CustomerFactory(branch=branch_b, phone="+628120000300")
    AssetFactory(customer=same_at_b, model="avanza", year=2022, plate_number="L 1 QC")
    not_avanza = CustomerFactory(branch=branch_a, phone="+628120000400")
    AssetFactory(customer=not_avanza, model="Xenia", year=2022, plate_number="D 8 XE")
    return {"other_year": other_year, "same_at_b": same_at_b, "not_avanza": not_avanza}


def test_quality_control_makes_a_recall_segment_of_the_owners_of_that_model_and_year(group, readonly_a):
    client = as_user(readonly_a)  # Quality Control of branch A
    page = client.get(reverse("complaints:qc_report")).content.decode()
    assert "Make a recall segment" in page
    response = client.post(reverse("complaints:qc_recall_segment"), GROUP)
    assert response["Location"] == reverse("complaints:qc_report")
    segment = Segment.objects.get()
    members = set(segment.members.values_list("customer_id", flat=True))
    assert len(members) == 3  # the three 2022 Avanza owners of branch A
    assert group["other_year"].pk not in members and group["not_avanza"].pk not in members
    assert group["same_at_b"].pk not in members  # another branch's customer: not this user's to reach
    assert segment.kind == Segment.Kind.STATIC and segment.branch == readonly_a.branch
    assert "Door lock" in segment.name and "Avanza" in segment.name


def test_head_office_reaches_the_owners_at_every_branch(group, head_office_user):
    as_user(head_office_user).post(reverse("complaints:qc_recall_segment"), GROUP)
    segment = Segment.objects.get()
    assert segment.branch is None and segment.members.count() == 4


def test_a_group_that_does_not_exist_is_a_message_not_a_segment(group, readonly_a, branch_b):
    from accounts.models import Department
    from tests.factories import UserFactory

    response = as_user(readonly_a).post(reverse("complaints:qc_recall_segment"), {**GROUP, "batch": "X"}, follow=True)
    assert "There is no such defect group." in response.content.decode()
    # Branch B's QC cannot see branch A's complaints: the group is not theirs.
    qc_b = UserFactory(email="qc.b@relasi.test", branch=branch_b, department=Department.QUALITY_CONTROL)
    response = as_user(qc_b).post(reverse("complaints:qc_recall_segment"), GROUP, follow=True)
    assert "There is no such defect group." in response.content.decode()
    assert not Segment.objects.exists()


def test_the_recall_refuses_anonymous_other_roles_and_gets(group, sales_a, readonly_a):
    url = reverse("complaints:qc_recall_segment")
    assert Client().post(url, GROUP)["Location"].startswith(reverse("login"))
    assert as_user(sales_a).post(url, GROUP).status_code == 403
    assert "Make a recall segment" not in as_user(sales_a).get(reverse("complaints:qc_report")).content.decode()
    assert as_user(readonly_a).get(url).status_code == 405
    assert not Segment.objects.exists()
