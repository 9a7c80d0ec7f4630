"""The day-before reminder (once), the job card's lines and total, the satisfaction rating."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from crm.models import Interaction
from marketing.models import Send
from service import services
from service.models import JobLine
from tests.factories import AssetFactory
from tests.service.factories import TechnicianFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(vehicle_a, bay_a, oil_change, now, service_a):
    return services.booking_create(customer=vehicle_a.customer, asset=vehicle_a, service_type=oil_change,
                                   starts_at=at(MONDAY, 9), by=service_a, now=now, notify_customer=False)


# --- reminder ---------------------------------------------------------------------------------
def test_it_reminds_tomorrows_bookings_once(booking, customer_a, oil_change):
    today_booking = services.booking_create(customer=customer_a, asset=AssetFactory(customer=customer_a,
                                                                                      plate_number="D 2 T"),
                                            service_type=oil_change, starts_at=at(MONDAY + dt.timedelta(days=1), 9),
                                            by=None, now=at(MONDAY, 7), notify_customer=False)
    sunday_evening = at(MONDAY - dt.timedelta(days=1), 18)
    assert services.booking_reminders_send(now=sunday_evening) == 1  # Monday's, not Tuesday's
    assert services.booking_reminders_send(now=sunday_evening + dt.timedelta(hours=1)) == 0  # beat again
    booking.refresh_from_db()
    today_booking.refresh_from_db()
    assert booking.reminder_sent_at == sunday_evening and today_booking.reminder_sent_at is None
    send = Send.objects.get(idempotency_key=f"service:{booking.public_id}:reminder")
    assert "tomorrow" in send.body_en and booking.code in send.body_en


def test_a_cancelled_booking_gets_no_reminder(booking):
    services.booking_status_change(booking=booking, to="cancelled", by=None)
    assert services.booking_reminders_send(now=at(MONDAY - dt.timedelta(days=1), 18)) == 0


# --- job card ---------------------------------------------------------------------------------
def test_the_job_card_adds_up_tasks_and_parts_in_rupiah(booking, service_a, client):
    mechanic = TechnicianFactory(branch=booking.branch)
    services.booking_status_change(booking=booking, to="arrived", by=service_a)
    client.force_login(service_a)
    url = reverse("service:job_line_add", args=[booking.public_id])
    client.post(url, {"kind": "task", "description": "Ganti oli mesin", "technician": mechanic.pk, "minutes": "30",
                      "quantity": "1", "unit_price": "75000"})
    client.post(url, {"kind": "part", "description": "Oli 4 liter", "quantity": "4", "unit_price": "62500"})
    assert JobLine.objects.filter(booking=booking).count() == 2
    page = client.get(booking.get_absolute_url()).content.decode()
    assert "Rp 325,000" in page  # 75,000 + 4 × 62,500
    bad = client.post(url, {"kind": "part", "description": "Oli", "quantity": "0", "unit_price": "-1"})
    assert bad.status_code == 400 and JobLine.objects.count() == 2


def test_a_job_line_needs_change_permission_and_the_branch(booking, readonly_a, service_b, client):
    url = reverse("service:job_line_add", args=[booking.public_id])
    data = {"kind": "task", "description": "X", "quantity": "1", "unit_price": "0"}
    assert client.post(url, data)["Location"].startswith(reverse("login"))
    client.force_login(readonly_a)
    assert client.post(url, data).status_code == 403
    assert client.get(url).status_code == 405
    client.force_login(service_b)
    assert client.post(url, data).status_code == 404
    assert not JobLine.objects.exists()


def test_a_closed_visit_takes_no_more_lines(booking, service_a):
    services.booking_status_change(booking=booking, to="cancelled", by=service_a)
    with pytest.raises(ValidationError, match="closed"):
        services.job_line_add(booking=booking, by=service_a, kind="task", description="X")


# --- rating -------------------------------------------------------------------------------------
def _collect(booking, by):
    for step in ("arrived", "ready", "collected"):
        services.booking_status_change(booking=booking, to=step, by=by, send_sms=False)
    booking.refresh_from_db()
    return booking


def test_collection_texts_a_rating_link_once(booking, service_a):
    booking = _collect(booking, service_a)
    send = Send.objects.get(idempotency_key=f"service:{booking.public_id}:feedback")
    assert f"/p/bengkel/nilai/{booking.feedback_code}" in send.body_en


def test_a_good_rating_is_recorded_once_on_the_timeline(booking, service_a):
    booking = _collect(booking, service_a)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("service_public:feedback", args=[booking.feedback_code])
    assert client.get(url).status_code == 200
    response = client.post(url, {"rating": "5", "comment": "Cepat dan rapi"})
    assert "Thank you for your rating" in response.content.decode()
    booking.refresh_from_db()
    assert booking.rating == 5 and booking.rating_comment == "Cepat dan rapi"
    assert Interaction.objects.filter(customer=booking.customer, summary__contains="5/5").exists()
    client.post(url, {"rating": "1"})  # a second answer changes nothing
    booking.refresh_from_db()
    assert booking.rating == 5


def test_a_rating_of_2_opens_a_complaint(booking, service_a):
    from complaints.models import Complaint

    booking = _collect(booking, service_a)
    Client().post(reverse("service_public:feedback", args=[booking.feedback_code]),
                  {"rating": "2", "comment": "Mobil kotor"})
    complaint = Complaint.objects.get(customer=booking.customer)
    assert complaint.reference == booking.code and "Mobil kotor" in complaint.description
    assert complaint.asset == booking.asset


def test_a_low_rating_without_the_complaints_app_notifies_the_branch_managers(booking, service_a, manager_a,
                                                                            settings):
    from django.apps import apps

    booking = _collect(booking, service_a)
    real = apps.is_installed
    try:
        apps.is_installed = lambda name: False if name == "complaints" else real(name)
        services.booking_rate(booking=booking, rating=1, comment="Lama")
    finally:
        apps.is_installed = real
    assert Notification.objects.get(verb="service.low_rating").recipient == manager_a


@pytest.mark.parametrize("data", [{"rating": "9"}, {"rating": ""}, {"rating": "x"}])
def test_a_bad_rating_is_said_at_the_field(booking, service_a, data):
    booking = _collect(booking, service_a)
    response = Client().post(reverse("service_public:feedback", args=[booking.feedback_code]), data)
    assert response.status_code == 400 and response.context["form"].errors["rating"]
    booking.refresh_from_db()
    assert booking.rated_at is None


def test_a_guessed_feedback_link_is_a_404(client):
    assert client.get("/p/bengkel/nilai/AAAAAAAAAAAA").status_code == 404
    assert client.get("/p/bengkel/nilai/x").status_code == 404


# --- estimate approval -------------------------------------------------------------------------------
def test_an_estimate_is_texted_and_approved_once_by_the_customer(booking, service_a):
    services.booking_status_change(booking=booking, to="arrived", by=service_a)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(service_a)
    response = client.post(reverse("service:estimate_request", args=[booking.public_id]),
                           {"amount": "450000", "note": "Kampas rem depan tipis, perlu ganti"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "waiting_approval" and booking.estimate_amount == 450000
    send = Send.objects.get(idempotency_key=f"service:{booking.public_id}:estimate-{booking.estimate_code}")
    assert f"/p/bengkel/estimasi/{booking.estimate_code}" in send.body_en and "450,000" in send.body_en
    public = Client(HTTP_ACCEPT_LANGUAGE="en")
    url = reverse("service_public:estimate", args=[booking.estimate_code])
    assert "Rp 450,000" in public.get(url).content.decode()
    booking.refresh_from_db()
    assert booking.estimate_decided_at is None  # a link preview (GET) decides nothing
    page = public.post(url, {"answer": "approve"}).content.decode()
    assert "You approved this work" in page
    public.post(url, {"answer": "decline"})  # a second answer changes nothing
    booking.refresh_from_db()
    assert booking.estimate_approved is True and booking.status == "in_progress"
    assert Notification.objects.get(verb="service.estimate_decided").recipient == service_a
    assert Interaction.objects.filter(summary__startswith="Customer approved the estimate").count() == 1


def test_an_estimate_needs_an_amount_and_a_vehicle_being_worked_on(booking, service_a, client):
    client.force_login(service_a)
    url = reverse("service:estimate_request", args=[booking.public_id])
    bad = client.post(url, {"amount": "-5", "note": "x"})
    assert bad.status_code == 400 and bad.context["estimate_form"].errors["amount"]
    not_yet = client.post(url, {"amount": "100000", "note": "Ganti aki"})  # still only booked
    assert not_yet.status_code == 400 and "being worked on" in not_yet.content.decode()
    assert client.get(url).status_code == 405
    booking.refresh_from_db()
    assert booking.estimate_amount is None


def test_the_estimate_honeypot_and_a_guessed_link_decide_nothing(booking, service_a):
    services.booking_status_change(booking=booking, to="arrived", by=service_a)
    services.estimate_request(booking=booking, amount=Decimal(100_000), note="Ganti aki", by=service_a)
    public = Client()
    public.post(reverse("service_public:estimate", args=[booking.estimate_code]),
                {"answer": "approve", "website": "spam"})
    booking.refresh_from_db()
    assert booking.estimate_decided_at is None
    assert public.post("/p/bengkel/estimasi/AAAAAAAAAAAA", {"answer": "approve"}).status_code == 404
