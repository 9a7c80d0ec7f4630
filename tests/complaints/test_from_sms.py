"""An inbound SMS that staff mark as a complaint: the text, channel SMS, routed by the rules,
linked to the message, once."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from complaints import selectors, services
from complaints.models import Category, Complaint, ComplaintChannel
from crm.models import Interaction
from marketing.services import sms_inbound

pytestmark = pytest.mark.django_db

TEXT = "Mobil saya sudah 3 hari di bengkel, belum ada kabar sama sekali."


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def inbound(customer_a):
    assert sms_inbound(from_number=customer_a.phone, body=TEXT) == "logged"
    return Interaction.objects.get(customer=customer_a, kind="sms", direction="in")


def test_the_timeline_offers_mark_as_complaint_on_an_inbound_sms_only(inbound, customer_a, sales_a, manager_a):
    url = reverse("complaints:complaint_from_message", args=[inbound.public_id])
    page = as_user(sales_a).get(customer_a.get_absolute_url()).content.decode()
    assert page.count(url) == 1 and "Mark as complaint" in page


def test_marking_an_inbound_sms_takes_a_routed_complaint(inbound, customer_a, helpdesk, sales_a):
    client = as_user(sales_a)
    url = reverse("complaints:complaint_from_message", args=[inbound.public_id])
    page = client.get(url)
    assert page.status_code == 200 and TEXT in page.content.decode()
    response = client.post(url, {"category": Category.VEHICLE_REPAIR, "priority": "high"})
    complaint = Complaint.objects.get()
    assert response["Location"] == complaint.get_absolute_url()
    assert (complaint.description, complaint.channel, complaint.priority) == (TEXT, ComplaintChannel.SMS, "high")
    assert complaint.department == Department.SERVICE and complaint.assignee == helpdesk[Department.SERVICE]
    assert selectors.complaint_for_message(inbound) == complaint
    assert customer_a.interactions.filter(kind="complaint", summary__contains=complaint.code).exists()
    # Marked again (a second click, a colleague): the same complaint, not a second one.
    again = client.post(url, {"category": Category.OTHER})
    assert again["Location"] == complaint.get_absolute_url() and Complaint.objects.count() == 1
    assert client.get(url)["Location"] == complaint.get_absolute_url()


def test_a_missing_category_is_said_at_the_field(inbound, sales_a):
    response = as_user(sales_a).post(reverse("complaints:complaint_from_message", args=[inbound.public_id]),
                                     {"category": "nonsense"})
    assert response.status_code == 400 and response.context["form"].errors["category"]
    assert not Complaint.objects.exists()


def test_only_an_inbound_sms_can_be_marked(customer_a, sales_a):
    outbound = Interaction.objects.create(customer=customer_a, kind="sms", channel="sms", direction="out",
                                          summary="Servis Anda sudah siap.", occurred_at=timezone.now())
    call = Interaction.objects.create(customer=customer_a, kind="call", channel="phone", direction="in",
                                      summary="Menanyakan pesanan.", occurred_at=timezone.now())
    client = as_user(sales_a)
    for interaction in (outbound, call):
        url = reverse("complaints:complaint_from_message", args=[interaction.public_id])
        page = client.get(url)
        assert page.status_code == 200 and 'id="not-inbound-sms"' in page.content.decode()
        assert 'id="from-sms-form"' not in page.content.decode()
        assert client.post(url, {"category": Category.OTHER}).status_code == 400
    with pytest.raises(ValidationError):
        services.complaint_from_message(interaction=outbound, category=Category.OTHER, by=sales_a)
    assert not Complaint.objects.exists()


def test_marking_refuses_anonymous_other_branches_and_staff_without_the_permission(inbound, staff_b, branch_a):
    from tests.factories import UserFactory

    url = reverse("complaints:complaint_from_message", args=[inbound.public_id])
    data = {"category": Category.OTHER}
    assert Client().post(url, data)["Location"].startswith(reverse("login"))
    assert as_user(staff_b).post(url, data).status_code == 404
    nobody = UserFactory(email="nobody@relasi.test", branch=branch_a, department="")
    assert as_user(nobody).post(url, data).status_code == 403
    assert not Complaint.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_staff_marking_the_same_sms_at_once_make_one_complaint(customer_a, helpdesk, sales_a, monkeypatch):
    sms_inbound(from_number=customer_a.phone, body=TEXT)
    inbound = Interaction.objects.get(customer=customer_a, kind="sms", direction="in")
    barrier = threading.Barrier(2, timeout=30)
    from django.contrib.contenttypes.models import ContentType

    real = ContentType.objects.get_for_model
    waited = set()

    def get_then_wait(*args, **kwargs):
        found = real(*args, **kwargs)
        me = threading.get_ident()
        if threading.current_thread() is not threading.main_thread() and me not in waited:
            waited.add(me)
            barrier.wait()  # both are about to look for an existing complaint
        return found

    monkeypatch.setattr(ContentType.objects, "get_for_model", get_then_wait)
    outcomes = []

    def mark():
        try:
            complaint, created = services.complaint_from_message(interaction=inbound, category=Category.OTHER,
                                                                 by=sales_a)
            outcomes.append((complaint.pk, created))
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=mark) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert Complaint.objects.count() == 1
    assert sorted(created for _pk, created in outcomes) == [False, True]
    assert len({pk for pk, _created in outcomes}) == 1
