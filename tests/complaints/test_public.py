"""The public complaint form and status page (/p/keluhan/)."""

import pytest
from django.test import Client
from django.urls import reverse

from complaints import services
from complaints.models import Complaint
from complaints.public_views import FORM_RATE_PER_PHONE, STATUS_RATE_PER_IP
from crm.models import Customer

from .factories import ComplaintFactory

pytestmark = pytest.mark.django_db

FORM = reverse("complaints_public:complaint_form")
STATUS = reverse("complaints_public:complaint_status")


@pytest.fixture
def client(db):
    return Client(headers={"Accept-Language": "en"})


def _data(branch, **extra):
    return {"name": "Budi Santoso", "phone": "0812-3456-7890", "branch": branch.pk, "category": "delivery",
            "description": "Mobil yang saya pesan belum dikirim.", **extra}


def test_it_takes_a_complaint_from_an_existing_customer_and_routes_it(client, helpdesk, customer_a, branch_a,
                                                                      shipment_a):
    response = client.post(FORM, _data(branch_a))
    complaint = Complaint.objects.get()
    assert response.status_code == 200 and complaint.code in response.content.decode()
    assert (complaint.customer, complaint.channel, complaint.assignee) == (customer_a, "web", shipment_a)
    assert "mainnav" not in response.content.decode()  # the public layout, no staff menu


def test_it_registers_a_new_customer_when_the_phone_is_unknown(client, helpdesk, branch_a):
    client.post(FORM, _data(branch_a, phone="0857-0000-1111", name="Pelanggan Baru"))
    complaint = Complaint.objects.select_related("customer").get()
    assert (complaint.customer.name, complaint.customer.phone, complaint.customer.branch) == (
        "Pelanggan Baru", "+6285700001111", branch_a)


def test_it_says_what_is_wrong_at_the_field(client, branch_a):
    response = client.post(FORM, _data(branch_a, phone="12", description="rusak"))
    body = response.content.decode()
    assert response.status_code == 400 and not Complaint.objects.exists()
    assert "describe the problem" in body
    assert body.count('class="errorlist') == 2  # the phone and the description, each at its field


def test_the_honeypot_saves_nothing_and_looks_like_success(client, branch_a):
    response = client.post(FORM, _data(branch_a, website="http://spam.example"))
    assert response.status_code == 200 and "Thank you" in response.content.decode()
    assert not Complaint.objects.exists() and not Customer.objects.exists()


def test_it_is_rate_limited_per_phone(client, helpdesk, branch_a):
    limit = int(FORM_RATE_PER_PHONE.split("/")[0])
    for i in range(limit):
        client.post(FORM, _data(branch_a), REMOTE_ADDR=f"192.0.2.{i}")
    assert client.post(FORM, _data(branch_a), REMOTE_ADDR="192.0.2.200").status_code == 429
    assert Complaint.objects.count() == limit


def test_the_status_page_shows_status_and_replies_for_code_and_phone(client, helpdesk, customer_a, shipment_a):
    complaint = ComplaintFactory(customer=customer_a)
    Customer.objects.filter(pk=customer_a.pk).update(sms_consent=True)
    services.complaint_note_add(complaint=complaint, body="Mobil dikirim besok.", reply=True, by=shipment_a)
    services.complaint_note_add(complaint=complaint, body="Internal: supir cuti", reply=False, by=shipment_a)
    response = client.post(STATUS, {"code": complaint.code, "phone": "0812-3456-7890"})
    body = response.content.decode()
    assert "Assigned" in body and "Mobil dikirim besok." in body
    assert "supir cuti" not in body and str(shipment_a) not in body  # no internal notes, no staff names


def test_the_status_page_says_the_same_for_a_wrong_code_or_phone(client, helpdesk, customer_a, customer_b):
    complaint = ComplaintFactory(customer=customer_a)
    wrong_code = client.post(STATUS, {"code": "AAAAAAAAAAAA", "phone": "0812-3456-7890"}).content.decode()
    wrong_phone = client.post(STATUS, {"code": complaint.code, "phone": "0813-9876-5432"}).content.decode()
    for body in (wrong_code, wrong_phone):
        assert "We found nothing for this code and phone number" in body and complaint.description not in body


def test_the_status_page_is_rate_limited(client):
    limit = int(STATUS_RATE_PER_IP.split("/")[0])
    assert {client.get(STATUS).status_code for _ in range(limit)} == {200}
    assert client.get(STATUS).status_code == 429
    # Another visitor is not held back by these GETs (they carry no phone to count).
    assert client.get(STATUS, REMOTE_ADDR="192.0.2.9").status_code == 200
