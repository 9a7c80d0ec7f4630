"""Booking on the website, and "is my car ready?" by code + phone."""

import pytest

from crm.models import Customer
from marketing.models import Message, Send
from service import selectors, services
from service.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """A visitor whose browser asks for English (the public site speaks Indonesian by default)."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _slot(bay, service_type):
    return selectors.free_slots(bay.branch, service_type)[0]


def _choose(bay, service_type):
    return f"/p/bengkel/?branch={bay.branch.public_id}&service_type={service_type.public_id}"


def test_it_books_on_the_website_for_a_new_customer_and_texts_the_code(client, bay_a, oil_change):
    slot = _slot(bay_a, oil_change)
    page = client.get(_choose(bay_a, oil_change))
    assert page.status_code == 200 and slot.value in page.content.decode()
    response = client.post(_choose(bay_a, oil_change), {
        "starts_at": slot.value, "plate_number": "d 4321 xy", "name": "Ayu Lestari", "phone": "0812-1111-2222"})
    assert response.status_code == 200
    booking = Booking.objects.get()
    assert booking.code in response.content.decode()
    assert booking.plate_number == "D 4321 XY" and booking.source == "web"
    customer = Customer.objects.get(phone="+6281211112222")
    assert customer.name == "Ayu Lestari" and customer.branch == bay_a.branch and customer.sms_consent
    send = Send.objects.get(idempotency_key=f"service:{booking.public_id}:confirm")
    assert Message.objects.filter(send=send, customer=customer).count() == 1


def test_it_finds_the_customer_and_vehicle_by_phone_and_plate(client, vehicle_a, bay_a, oil_change):
    slot = _slot(bay_a, oil_change)
    client.post(_choose(bay_a, oil_change), {"starts_at": slot.value, "plate_number": "D1234ABC",
                                             "name": "Budi", "phone": "081234567890"})
    booking = Booking.objects.get()
    assert booking.customer == vehicle_a.customer and booking.asset == vehicle_a
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(("field", "value", "message"), [
    ("plate_number", "1234", "plate number like"),
    ("phone", "12", ""),
    ("starts_at", "2020-01-01T09:00:00+07:00", "already passed"),
    ("starts_at", "tomorrow", "Choose a time from the list"),
])
def test_it_says_what_is_wrong_at_the_field(client, bay_a, oil_change, field, value, message):
    data = {"starts_at": _slot(bay_a, oil_change).value, "plate_number": "D 1 A", "name": "Ayu",
            "phone": "081211112222", field: value}
    response = client.post(_choose(bay_a, oil_change), data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert message in response.content.decode()
    assert not Booking.objects.exists()


def test_the_honeypot_books_nothing(client, bay_a, oil_change):
    response = client.post(_choose(bay_a, oil_change), {
        "starts_at": _slot(bay_a, oil_change).value, "plate_number": "D 1 A", "name": "Bot", "phone": "081211112222",
        "website": "http://spam"})
    assert response.status_code == 200 and not Booking.objects.exists()


def test_a_bad_choice_of_branch_or_service_is_a_400_not_a_500(client, bay_a, oil_change):
    response = client.get(f"/p/bengkel/?branch=nonsense&service_type={oil_change.public_id}")
    assert response.status_code == 400


@pytest.fixture
def booking(vehicle_a, bay_a, oil_change, service_a):
    return services.booking_create(customer=vehicle_a.customer, asset=vehicle_a, service_type=oil_change,
                                   starts_at=_slot(bay_a, oil_change).starts_at, by=service_a)


def test_the_status_page_says_ready_with_code_and_phone(client, booking, service_a):
    services.booking_status_change(booking=booking, to="arrived", by=service_a)
    services.booking_status_change(booking=booking, to="ready", by=service_a)
    response = client.post("/p/bengkel/status/", {"code": booking.code, "phone": "0812 3456 7890"})
    assert response.status_code == 200
    assert "Ready for collection" in response.content.decode()


def test_the_status_page_says_the_same_for_a_wrong_code_or_a_wrong_phone(client, booking, customer_b):
    wrong_phone = client.post("/p/bengkel/status/", {"code": booking.code, "phone": customer_b.phone})
    wrong_code = client.post("/p/bengkel/status/", {"code": "A" * 12, "phone": "081234567890"})
    for response in (wrong_phone, wrong_code):
        assert response.status_code == 400
        assert "We found nothing for this code and phone number" in response.content.decode()
        assert booking.plate_number not in response.content.decode()


def test_the_customer_cancels_a_booking_by_code_and_phone(client, booking):
    response = client.post("/p/bengkel/status/", {"code": booking.code, "phone": "081234567890", "cancel": "1"})
    assert response.status_code == 200 and "Your booking is cancelled" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_guessing_codes_is_rate_limited(client, booking):
    statuses = [client.post("/p/bengkel/status/", {"code": f"{n:012d}", "phone": "081234567890"}).status_code
                for n in range(12)]
    assert statuses[:10] == [400] * 10 and statuses[-1] == 429


def test_the_status_link_prefills_the_code(client, booking):
    response = client.get(f"/p/bengkel/status/?code={booking.code}")
    assert response.status_code == 200 and f'value="{booking.code}"' in response.content.decode()


def test_the_status_page_costs_a_fixed_number_of_queries(client, booking, service_a, django_assert_num_queries):
    # A booking not yet started: the lookup (booking + branch + service type + customer in one
    # join), the free times to move to (bays with the slot length, hours, closures, bookings),
    # the footer's branches.
    with django_assert_num_queries(6):
        response = client.post("/p/bengkel/status/", {"code": booking.code, "phone": "081234567890"})
    assert response.status_code == 200
    # At the workshop: the lookup and the footer only.
    services.booking_status_change(booking=booking, to="arrived", by=service_a)
    with django_assert_num_queries(2):
        response = client.post("/p/bengkel/status/", {"code": booking.code, "phone": "081234567890"})
    assert "Checked in" in response.content.decode()


def test_the_same_form_sent_twice_books_once(client, vehicle_a, bay_a, oil_change):
    Bay = type(bay_a)
    Bay.objects.create(branch=bay_a.branch, name="Stall 2", kind=bay_a.kind)
    data = {"starts_at": _slot(bay_a, oil_change).value, "plate_number": "D 1234 ABC", "name": "Budi",
            "phone": "081234567890"}
    client.post(_choose(bay_a, oil_change), data)
    client.post(_choose(bay_a, oil_change), data)
    assert Booking.objects.count() == 1


def test_the_customer_moves_a_booking_by_code_and_phone(client, booking, bay_a, oil_change):
    later = [s for s in selectors.free_slots(bay_a.branch, oil_change) if s.starts_at >= booking.ends_at][0]
    response = client.post("/p/bengkel/status/", {"code": booking.code, "phone": "081234567890", "move": "1",
                                                  "starts_at": later.value})
    assert response.status_code == 200 and 'id="moved-now"' in response.content.decode()
    booking.refresh_from_db()
    assert booking.starts_at == later.starts_at
    bad = client.post("/p/bengkel/status/", {"code": booking.code, "phone": "081234567890", "move": "1",
                                             "starts_at": "2020-01-01T09:00:00+07:00"})
    assert bad.status_code == 400 and "already passed" in bad.content.decode()
