"""The way through the workshop: each change timed, attributed, on the timeline; "ready" tells
the advisor and texts the customer once; collection updates the vehicle."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Notification
from crm.models import Interaction
from marketing.models import Send
from service import services
from service.models import Booking, BookingEvent

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(vehicle_a, bay_a, oil_change, now, service_a):
    return services.booking_create(customer=vehicle_a.customer, asset=vehicle_a, service_type=oil_change,
                                   starts_at=at(MONDAY, 9), by=service_a, now=now)


def test_it_walks_the_whole_flow_with_every_step_on_the_timeline(booking, service_a, manager_a):
    S = Booking.Status
    services.booking_status_change(booking=booking, to=S.ARRIVED, by=manager_a, odometer_km=41_250,
                                   complaint="Bunyi di roda depan", now=at(MONDAY, 8, 55))
    services.booking_status_change(booking=booking, to=S.IN_PROGRESS, by=manager_a, now=at(MONDAY, 9, 5))
    services.booking_status_change(booking=booking, to=S.WAITING_PARTS, by=manager_a, now=at(MONDAY, 9, 30))
    services.booking_status_change(booking=booking, to=S.IN_PROGRESS, by=manager_a, now=at(MONDAY, 13))
    services.booking_status_change(booking=booking, to=S.READY, by=manager_a, now=at(MONDAY, 14))
    services.booking_status_change(booking=booking, to=S.COLLECTED, by=service_a, now=at(MONDAY, 15))
    booking.refresh_from_db()
    assert booking.status == S.COLLECTED and booking.odometer_km == 41_250
    assert booking.complaint == "Bunyi di roda depan"
    events = list(BookingEvent.objects.filter(booking=booking).values_list("status", "by__email"))
    assert [e[0] for e in events] == ["booked", "arrived", "in_progress", "waiting_parts", "in_progress", "ready",
                                      "collected"]
    assert events[1][1] == manager_a.email and events[-1][1] == service_a.email
    summaries = list(Interaction.objects.filter(customer=booking.customer, kind="service_visit", source_id=booking.pk)
                     .order_by("id").values_list("summary", flat=True))
    assert len(summaries) == 7
    assert summaries[1] == "Vehicle D 1234 ABC checked in at the workshop."
    assert summaries[5] == "D 1234 ABC is ready for collection."
    # The vehicle: odometer read at check-in, next periodic service six months on.
    booking.asset.refresh_from_db()
    assert booking.asset.odometer_km == 41_250
    assert booking.asset.next_service_due == dt.date(2030, 7, 7)


def test_ready_notifies_the_advisor_and_texts_the_customer_once(booking, service_a, manager_a):
    S = Booking.Status
    services.booking_status_change(booking=booking, to=S.ARRIVED, by=service_a)
    services.booking_status_change(booking=booking, to=S.READY, by=manager_a)
    note = Notification.objects.get(verb="service.vehicle_ready")
    assert note.recipient == service_a
    send = Send.objects.get(idempotency_key=f"service:{booking.public_id}:ready")
    assert "ready for collection" in send.body_en and booking.code in send.body
    # Asked again (a second worker, a retried request): still one send.
    services._sms(booking, "ready", by=manager_a)
    assert Send.objects.filter(idempotency_key=f"service:{booking.public_id}:ready").count() == 1


def test_ready_without_sms_when_the_advisor_says_so(booking, service_a):
    services.booking_status_change(booking=booking, to=Booking.Status.ARRIVED, by=service_a)
    services.booking_status_change(booking=booking, to=Booking.Status.READY, by=service_a, send_sms=False)
    assert not Send.objects.filter(idempotency_key__endswith=":ready").exists()


@pytest.mark.parametrize(("path", "to"), [
    ([], "ready"), ([], "collected"), (["arrived"], "no_show"), (["cancelled"], "arrived"),
    (["arrived", "ready", "collected"], "ready"),
])
def test_it_refuses_a_move_the_flow_does_not_allow(booking, service_a, path, to):
    for step in path:
        services.booking_status_change(booking=booking, to=step, by=service_a)
    with pytest.raises(ValidationError, match="cannot become"):
        services.booking_status_change(booking=booking, to=to, by=service_a)


def test_a_no_show_is_recorded_and_frees_the_bay(booking, service_a):
    services.booking_status_change(booking=booking, to=Booking.Status.NO_SHOW, by=service_a)
    assert Interaction.objects.filter(summary__contains="no-show").exists()
    assert not Booking.objects.live().exists()


def test_check_in_sets_an_expected_ready_time(booking, service_a):
    services.booking_status_change(booking=booking, to=Booking.Status.ARRIVED, by=service_a,
                                   now=at(MONDAY, 8, 50))
    booking.refresh_from_db()
    assert booking.expected_ready_at == at(MONDAY, 10)  # the booking's end: the work has its hour


# --- next service -------------------------------------------------------------------------------
def test_next_service_is_six_months_on_for_a_car_driven_little(oil_change):
    # 1,000 km in 100 days: 5,000 km would take 500 days; six months come first.
    due = services.next_service_due(service_type=oil_change, today=dt.date(2030, 1, 7), odometer_km=11_000,
                                    previous=(dt.date(2029, 9, 29), 10_000))
    assert due == dt.date(2030, 7, 7)


def test_next_service_comes_sooner_for_a_car_driven_a_lot(oil_change):
    # 100 km a day: the next 5,000 km in 50 days, before the six months.
    due = services.next_service_due(service_type=oil_change, today=dt.date(2030, 1, 7), odometer_km=20_000,
                                    previous=(dt.date(2029, 12, 8), 17_000))  # 3,000 km in 30 days
    assert due == dt.date(2030, 1, 7) + dt.timedelta(days=50)


def test_next_service_without_a_previous_reading_is_by_months_only(oil_change):
    assert services.next_service_due(service_type=oil_change, today=dt.date(2030, 8, 31), odometer_km=5,
                                     previous=None) == dt.date(2031, 2, 28)


def test_collection_uses_the_previous_visits_reading(booking, service_a, customer_a, bay_a, oil_change):
    S = Booking.Status
    for step, extra in ((S.ARRIVED, {"odometer_km": 17_000}), (S.READY, {}), (S.COLLECTED, {})):
        services.booking_status_change(booking=booking, to=step, by=service_a, send_sms=False,
                                       now=at(MONDAY, 8) - dt.timedelta(days=30), **extra)
    later = services.booking_create(customer=customer_a, asset=booking.asset, service_type=oil_change,
                                    starts_at=at(MONDAY, 10), by=service_a, now=at(MONDAY, 7),
                                    notify_customer=False)
    for step, extra in ((S.ARRIVED, {"odometer_km": 20_000}), (S.READY, {}), (S.COLLECTED, {})):
        services.booking_status_change(booking=later, to=step, by=service_a, send_sms=False,
                                       now=at(MONDAY, 12), **extra)
    later.asset.refresh_from_db()
    assert later.asset.odometer_km == 20_000
    assert later.asset.next_service_due == MONDAY + dt.timedelta(days=50)
