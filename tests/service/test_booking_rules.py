"""Booking rules: the branch calendar (hours, breaks, closing, holidays, 14 days) and capacity."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from branches.models import Closure
from crm.models import Interaction
from service import selectors, services
from service.models import Bay, BayKind, Booking
from tests.factories import AssetFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


def book(vehicle, service_type, starts_at, now, **kwargs):
    return services.booking_create(customer=vehicle.customer, asset=vehicle, service_type=service_type,
                                   starts_at=starts_at, by=kwargs.pop("by", None), now=now, **kwargs)


def starts(slots, day=MONDAY):
    return [s.starts_at.astimezone(at(day, 0).tzinfo).strftime("%H:%M") for s in slots
            if s.starts_at.astimezone(at(day, 0).tzinfo).date() == day]


def test_it_offers_slots_within_opening_hours_never_across_lunch_or_closing(bay_a, oil_change, now):
    slots = selectors.free_slots(bay_a.branch, oil_change, now=now)
    assert starts(slots) == ["08:00", "08:30", "09:00", "09:30", "10:00", "10:30", "11:00",
                             "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00"]
    # Saturday: mornings only; Sunday: closed.
    assert starts(slots, MONDAY + dt.timedelta(days=5))[-1] == "11:00"
    assert starts(slots, MONDAY + dt.timedelta(days=6)) == []
    # Fourteen days, today included, nothing after.
    last_day = max(s.starts_at.astimezone(now.tzinfo).date() for s in slots)
    assert last_day == MONDAY + dt.timedelta(days=12)  # the 14th day is a Sunday


def test_it_leaves_out_slots_that_have_passed(bay_a, oil_change):
    slots = selectors.free_slots(bay_a.branch, oil_change, now=at(MONDAY, 10, 10))
    assert starts(slots)[:2] == ["10:30", "11:00"]


def test_it_leaves_out_holidays_and_closures(bay_a, oil_change):
    # 1 January is a public holiday; 3 January the branch is closed.
    Closure.objects.create(branch=bay_a.branch, starts_on=dt.date(2030, 1, 3), ends_on=dt.date(2030, 1, 3),
                           reason="Renovasi")
    now = at(dt.date(2029, 12, 31), 7)
    slots = selectors.free_slots(bay_a.branch, oil_change, now=now)
    assert starts(slots, dt.date(2030, 1, 1)) == []
    assert starts(slots, dt.date(2030, 1, 3)) == []
    assert starts(slots, dt.date(2030, 1, 2))[0] == "08:00"


def test_it_takes_a_booked_slot_out_of_the_list(vehicle_a, bay_a, oil_change, now):
    book(vehicle_a, oil_change, at(MONDAY, 9), now)
    # 08:30 would run into the 09:00 booking, 09:00 and 09:30 overlap it; 08:00 and 10:00 are free.
    assert starts(selectors.free_slots(bay_a.branch, oil_change, now=now))[:3] == ["08:00", "10:00", "10:30"]


@pytest.mark.parametrize(("starts_at", "message"), [
    (at(MONDAY, 6), "already passed"),
    (at(MONDAY, 7, 30), "not open at that time"),
    (at(MONDAY, 12, 15), "not open at that time"),
    (at(MONDAY, 11, 30), "run past the break or closing time at 12:00"),
    (at(MONDAY, 16, 30), "run past the break or closing time at 17:00"),
    (at(MONDAY + dt.timedelta(days=6), 9), "closed on that day"),  # Sunday: no hours at all
    (at(MONDAY + dt.timedelta(days=20), 9), "next 14 days"),
])
def test_it_refuses_times_the_workshop_cannot_take(vehicle_a, bay_a, oil_change, now, starts_at, message):
    with pytest.raises(ValidationError) as error:
        book(vehicle_a, oil_change, starts_at, now)
    assert message in " ".join(error.value.messages)
    assert not Booking.objects.exists()


def test_it_refuses_a_holiday(vehicle_a, bay_a, oil_change):
    with pytest.raises(ValidationError, match="closed on that day"):
        book(vehicle_a, oil_change, at(dt.date(2030, 1, 1), 9), at(dt.date(2029, 12, 31), 7))


def test_it_refuses_a_vehicle_that_is_not_the_customers(vehicle_a, vehicle_b, bay_a, oil_change, now):
    with pytest.raises(ValidationError, match="not this customer's"):
        services.booking_create(customer=vehicle_a.customer, asset=vehicle_b, service_type=oil_change,
                                starts_at=at(MONDAY, 9), by=None, now=now)


def test_it_refuses_a_vehicle_without_a_plate(customer_a, bay_a, oil_change, now):
    no_plate = AssetFactory(customer=customer_a, plate_number="")
    with pytest.raises(ValidationError, match="no plate number"):
        book(no_plate, oil_change, at(MONDAY, 9), now)


def test_it_refuses_a_plate_that_is_no_plate(customer_a, bay_a, oil_change, now):
    with pytest.raises(ValidationError, match="plate number like"):
        services.booking_create(customer=customer_a, service_type=oil_change, plate_number="12345678",
                                starts_at=at(MONDAY, 9), by=None, now=now)


def test_it_says_the_slot_is_taken_when_the_only_bay_is_busy(vehicle_a, customer_a, bay_a, oil_change, now):
    book(vehicle_a, oil_change, at(MONDAY, 9), now)
    other = AssetFactory(customer=customer_a, plate_number="D 55 Z")
    with pytest.raises(services.SlotTaken, match="just taken"):
        book(other, oil_change, at(MONDAY, 9, 30), now)


def test_it_uses_the_next_bay_of_the_right_type(vehicle_a, customer_a, bay_a, oil_change, now):
    second = Bay.objects.create(branch=bay_a.branch, name="Stall 2", kind=BayKind.QUICK)
    Bay.objects.create(branch=bay_a.branch, name="Booth", kind=BayKind.BODY_PAINT)  # never used for oil
    first = book(vehicle_a, oil_change, at(MONDAY, 9), now)
    other = book(AssetFactory(customer=customer_a, plate_number="D 55 Z"), oil_change, at(MONDAY, 9), now)
    assert {first.bay, other.bay} == {bay_a, second}
    with pytest.raises(services.SlotTaken):
        book(AssetFactory(customer=customer_a, plate_number="D 56 Z"), oil_change, at(MONDAY, 9), now)


def test_the_database_refuses_two_live_bookings_of_one_bay_at_once(vehicle_a, bay_a, oil_change, now):
    first = book(vehicle_a, oil_change, at(MONDAY, 9), now)
    with pytest.raises(IntegrityError, match="booking_no_double_booking"):
        Booking.objects.create(code="x" * 12, branch=first.branch, customer=first.customer, plate_number="D 1 A",
                               plate_key="D1A", service_type=oil_change, bay=bay_a, starts_at=at(MONDAY, 9, 59),
                               ends_at=at(MONDAY, 10, 59))


def test_a_cancelled_booking_frees_its_bay(vehicle_a, customer_a, bay_a, oil_change, now):
    first = book(vehicle_a, oil_change, at(MONDAY, 9), now)
    services.booking_status_change(booking=first, to=Booking.Status.CANCELLED, by=None)
    again = book(AssetFactory(customer=customer_a, plate_number="D 55 Z"), oil_change, at(MONDAY, 9), now)
    assert again.bay == bay_a


def test_it_puts_the_booking_on_the_timeline_and_texts_the_customer_once(vehicle_a, bay_a, oil_change, now,
                                                                         service_a):
    from marketing.models import Message, Send

    booking = book(vehicle_a, oil_change, at(MONDAY, 9), now, by=service_a)
    entry = Interaction.objects.get(customer=vehicle_a.customer, kind=Interaction.Kind.SERVICE_VISIT)
    assert entry.source == booking and "Ganti oli" in entry.summary and "D 1234 ABC" in entry.summary
    send = Send.objects.get(idempotency_key=f"service:{booking.public_id}:confirm")
    assert send.purpose == Send.Purpose.TRANSACTIONAL and booking.code in send.body
    services._sms(booking, "confirm", by=service_a)  # a second try: the same send
    assert Send.objects.filter(idempotency_key__startswith=f"service:{booking.public_id}").count() == 1
    assert Message.objects.filter(send=send).count() <= 1


def test_the_four_queries_of_free_slots_do_not_grow_with_bookings(vehicle_a, customer_a, bay_a, oil_change, now,
                                                                  django_assert_num_queries):
    for hour in (8, 9, 10, 13, 14, 15):
        book(AssetFactory(customer=customer_a, plate_number=f"D {hour} Q"), oil_change, at(MONDAY, hour), now,
             notify_customer=False)
    # bays with the slot length, opening hours, closures, the bays' bookings in the window
    with django_assert_num_queries(4):
        slots = selectors.free_slots(bay_a.branch, oil_change, now=now)
    assert starts(slots)[:1] == ["11:00"]


# --- rescheduling -----------------------------------------------------------------------------------
def test_it_moves_a_booking_to_a_free_time_and_texts_the_new_time(vehicle_a, customer_a, bay_a, oil_change, now):
    from marketing.models import Send

    booking = book(vehicle_a, oil_change, at(MONDAY, 9), now)
    services.booking_reschedule(booking=booking, starts_at=at(MONDAY, 9, 30), by=None, now=now)  # overlaps itself
    booking.refresh_from_db()
    assert booking.starts_at == at(MONDAY, 9, 30) and booking.ends_at == at(MONDAY, 10, 30)
    assert Send.objects.filter(idempotency_key__startswith=f"service:{booking.public_id}:confirm").count() == 2
    assert Interaction.objects.filter(summary__contains="moved to 07/01/2030 09:30").exists()


def test_it_keeps_the_booking_where_it_was_when_the_new_time_is_taken(vehicle_a, customer_a, bay_a, oil_change, now):
    booking = book(vehicle_a, oil_change, at(MONDAY, 9), now)
    book(AssetFactory(customer=customer_a, plate_number="D 55 Z"), oil_change, at(MONDAY, 13), now)
    with pytest.raises(services.SlotTaken):
        services.booking_reschedule(booking=booking, starts_at=at(MONDAY, 13, 30), by=None, now=now)
    with pytest.raises(ValidationError, match="run past"):
        services.booking_reschedule(booking=booking, starts_at=at(MONDAY, 16, 30), by=None, now=now)
    booking.refresh_from_db()
    assert booking.starts_at == at(MONDAY, 9)


def test_a_started_visit_cannot_be_moved(vehicle_a, bay_a, oil_change, now):
    booking = book(vehicle_a, oil_change, at(MONDAY, 9), now)
    services.booking_status_change(booking=booking, to="arrived", by=None)
    with pytest.raises(ValidationError, match="not started"):
        services.booking_reschedule(booking=booking, starts_at=at(MONDAY, 13), by=None, now=now)


def test_free_slots_step_by_the_branchs_own_slot_length(bay_a, bay_b, oil_change, now):
    from service.models import Workshop

    Workshop.objects.create(branch=bay_a.branch, slot_minutes=20)
    Workshop.objects.create(branch=bay_b.branch, slot_minutes=45)
    assert starts(selectors.free_slots(bay_a.branch, oil_change, now=now))[:4] == ["08:00", "08:20", "08:40", "09:00"]
    Workshop.objects.filter(branch=bay_a.branch).delete()  # no row: 30-minute steps
    assert starts(selectors.free_slots(bay_a.branch, oil_change, now=now))[:3] == ["08:00", "08:30", "09:00"]
