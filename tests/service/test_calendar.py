"""The day board (drag a booking to another slot or bay), today's arrivals with "did not
come", and a vehicle's service history with its next service due."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from marketing.models import Send
from service import selectors, services
from service.models import Bay, Booking
from tests.factories import AssetFactory

from .conftest import MONDAY, at

WIB = ZoneInfo("Asia/Jakarta")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _book(customer, service_type, starts_at, plate, **kwargs):
    return services.booking_create(customer=customer, asset=AssetFactory(customer=customer, plate_number=plate),
                                   service_type=service_type, starts_at=starts_at, by=None, notify_customer=False,
                                   **kwargs)


@pytest.fixture
def slots(bay_a, oil_change):
    """The free one-hour slots from now on (real time: the pages work on the real clock)."""
    return selectors.free_slots(bay_a.branch, oil_change)


@pytest.fixture
def booking(customer_a, oil_change, slots):
    return _book(customer_a, oil_change, slots[0].starts_at, "D 1 AA")


def _drop(client, booking, starts_at, bay):
    return client.post(reverse("service:booking_move", args=[booking.public_id]),
                       {"starts_at": starts_at.isoformat(), "bay_id": str(bay.public_id)})


# --- the day board ---------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_day_board_places_each_booking_in_its_slot_and_bay(client, booking, service_a, bay_a, customer_a,
                                                               oil_change, django_assert_num_queries):
    day = booking.starts_at.astimezone(WIB).date()
    url = reverse("service:day_board", args=[bay_a.branch.public_id]) + f"?day={day:%Y-%m-%d}"
    client.force_login(service_a)
    client.get(url)
    # session, user, permissions (user, groups), the branch, slot length, bays, opening hours,
    # closures, the day's bookings
    with django_assert_num_queries(10):
        page = client.get(url)
    cell = next(c for row in page.context["rows"] for c in row.cells if c.bookings)
    assert cell.bookings[0] == booking and cell.starts_at == booking.starts_at and cell.bay == bay_a
    html = page.content.decode()
    assert 'draggable="true"' in html and reverse("service:booking_move", args=[booking.public_id]) in html
    assert "<script>" not in html.split("service_calendar.js")[0].split("</nav>")[-1]  # no inline script
    for n in range(4):
        bay = Bay.objects.create(branch=bay_a.branch, name=f"Stall {n + 2}", kind="quick")
        _book(customer_a, oil_change, booking.starts_at, f"D {n} BB")
    assert Booking.objects.filter(starts_at=booking.starts_at).count() == 5
    with django_assert_num_queries(10):
        client.get(url)


@pytest.mark.django_db
def test_the_day_board_refuses_anonymous_other_branches_and_staff_without_a_role(client, bay_a, service_b,
                                                                                 no_role_a, readonly_a):
    url = reverse("service:day_board", args=[bay_a.branch.public_id])
    assert client.get(url)["Location"].startswith(reverse("login"))
    assert _client(service_b).get(url).status_code == 404
    assert _client(no_role_a).get(url).status_code == 403
    page = _client(readonly_a).get(url)  # reads it, cannot drag
    assert page.status_code == 200 and 'draggable="true"' not in page.content.decode()


# --- the drop ---------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_dropping_a_booking_on_another_slot_and_bay_moves_it_and_texts_the_customer(booking, service_a, bay_a,
                                                                                     slots):
    second_bay = Bay.objects.create(branch=bay_a.branch, name="Stall 2", kind="quick")
    target = slots[3].starts_at
    response = _drop(_client(service_a), booking, target, second_bay)
    assert response.status_code == 200 and response.json() == {"ok": True}
    booking.refresh_from_db()
    assert (booking.starts_at, booking.bay) == (target, second_bay)
    assert booking.ends_at == target + dt.timedelta(hours=1)
    send = Send.objects.get(idempotency_key=f"service:{booking.public_id}:confirm-{target:%Y%m%d%H%M}")
    assert booking.code in send.body_en
    assert booking.events.filter(note__startswith="Moved to").exists()
    assert booking.customer.interactions.filter(summary__contains="moved to").exists()


@pytest.mark.django_db
def test_dropping_on_a_taken_cell_says_the_slot_was_just_taken(booking, service_a, customer_a, oil_change, bay_a,
                                                                slots):
    other = _book(customer_a, oil_change, slots[2].starts_at, "D 2 BB")
    response = _drop(_client(service_a), booking, other.starts_at, bay_a)
    assert response.status_code == 409 and "just taken" in response.json()["error"]
    booking.refresh_from_db()
    assert booking.starts_at == slots[0].starts_at and booking.bay == bay_a


@pytest.mark.django_db
def test_a_drop_the_rules_refuse_is_a_message(booking, service_a, bay_a, slots):
    client = _client(service_a)
    paint = Bay.objects.create(branch=bay_a.branch, name="Booth", kind="body_paint")
    response = _drop(client, booking, slots[1].starts_at, paint)
    assert response.status_code == 400 and "needs a quick service bay" in response.json()["error"]
    past = timezone.now().replace(microsecond=0) - dt.timedelta(days=1)
    response = _drop(client, booking, past, bay_a)
    assert response.status_code == 400 and "already passed" in response.json()["error"]
    bad = client.post(reverse("service:booking_move", args=[booking.public_id]), {"starts_at": "besok", "bay_id": str(bay_a.public_id)})
    assert bad.status_code == 400 and bad.json()["error"]
    booking.refresh_from_db()
    assert booking.starts_at == slots[0].starts_at


@pytest.mark.django_db
def test_the_drop_refuses_anonymous_other_branches_readers_gets_and_another_branchs_bay(
        client, booking, service_a, service_b, readonly_a, bay_b, slots):
    url = reverse("service:booking_move", args=[booking.public_id])
    data = {"starts_at": slots[2].starts_at.isoformat()}
    assert client.post(url, data)["Location"].startswith(reverse("login"))
    assert _client(service_b).post(url, data).status_code == 404
    assert _client(readonly_a).post(url, data).status_code == 403
    assert _client(service_a).get(url).status_code == 405
    assert _drop(_client(service_a), booking, slots[2].starts_at, bay_b).status_code == 404
    booking.refresh_from_db()
    assert booking.starts_at == slots[0].starts_at


@pytest.mark.django_db(transaction=True)
def test_two_drops_on_the_same_cell_at_once_move_one_booking(customer_a, bay_a, oil_change, service_a, now,
                                                            monkeypatch):
    """Two advisors drag two visits into the same free cell at the same moment: both pass the
    calendar rules, both update; the exclusion constraint lets one through."""
    first = _book(customer_a, oil_change, at(MONDAY, 9), "D 1 CC", now=now)
    second = _book(customer_a, oil_change, at(MONDAY, 10), "D 2 CC", now=now)
    barrier = threading.Barrier(2, timeout=30)
    real_problem = selectors.slot_problem

    def problem_then_wait(*args, **kwargs):
        found = real_problem(*args, **kwargs)
        barrier.wait()  # both have been told "14:00 is fine"
        return found

    monkeypatch.setattr(selectors, "slot_problem", problem_then_wait)
    outcomes = []

    def move(booking):
        try:
            services.booking_reschedule(booking=booking, starts_at=at(MONDAY, 14), bay=bay_a, by=service_a, now=now)
            outcomes.append("moved")
        except services.SlotTaken as error:
            outcomes.append(error.code)
        except Exception as error:
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=move, args=(b,)) for b in (first, second)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(outcomes) == ["moved", "slot_taken"]
    assert Booking.objects.filter(starts_at=at(MONDAY, 14)).count() == 1


# --- today's arrivals: did not come ---------------------------------------------------------------------
@pytest.mark.django_db
def test_todays_arrivals_offer_did_not_come_once_the_time_has_passed(client, customer_a, oil_change, bay_a,
                                                                     service_a, readonly_a):
    late = _book(customer_a, oil_change, at(MONDAY, 9), "D 9 LT", now=at(MONDAY, 7))
    # Booked for today at the first minute (always past, always today in Bandung, whatever the clock).
    midnight = dt.datetime.combine(timezone.now().astimezone(WIB).date(), dt.time(), tzinfo=WIB)
    Booking.objects.filter(pk=late.pk).update(starts_at=midnight, ends_at=midnight + dt.timedelta(hours=1))
    url = reverse("service:today")
    page = _client(service_a).get(url).content.decode()
    assert "Did not come" in page and "no-show-form" in page
    assert "no-show-form" not in _client(readonly_a).get(url).content.decode()
    response = _client(service_a).post(reverse("service:booking_status", args=[late.public_id]), {"to": "no_show"})
    assert response.status_code == 302
    late.refresh_from_db()
    assert late.status == Booking.Status.NO_SHOW
    assert late.customer.interactions.filter(summary__contains="no-show").exists()


# --- a vehicle's service history ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_vehicle_history_lists_visits_and_the_next_service(client, customer_a, vehicle_a, oil_change, bay_a,
                                                               service_a, django_assert_num_queries):
    visit = services.booking_create(customer=customer_a, asset=vehicle_a, service_type=oil_change,
                                    starts_at=at(MONDAY, 9), by=None, now=at(MONDAY, 7), notify_customer=False)
    for step, extra in (("arrived", {"odometer_km": 40000}), ("ready", {}), ("collected", {})):
        services.booking_status_change(booking=visit, to=step, by=service_a, now=at(MONDAY, 12), send_sms=False,
                                       **extra)
    tuesday = MONDAY + dt.timedelta(days=1)
    url = reverse("service:vehicle_history", args=[vehicle_a.public_id])
    client.force_login(service_a)
    client.get(url)
    # session, user, permissions (user, groups), the vehicle with its customer, the visits with their totals
    with django_assert_num_queries(6):
        page = client.get(url)
    vehicle_a.refresh_from_db()
    assert page.context["visits"] == [visit]
    assert page.context["next_km"] == 45000  # 40,000 + the oil change's 5,000
    assert page.context["next_due"] == vehicle_a.next_service_due is not None
    html = page.content.decode()
    assert "45000 km" in html and "Ganti oli" in html
    for n, hour in enumerate((8, 9, 10, 13, 14)):
        _book(customer_a, oil_change, at(tuesday, hour), f"D {n} HX", now=at(MONDAY, 7))
    Booking.objects.filter(asset__plate_number__endswith="HX").update(asset=vehicle_a)
    with django_assert_num_queries(6):
        assert len(client.get(url).context["visits"]) == 6


@pytest.mark.django_db
def test_the_vehicle_history_refuses_anonymous_other_branches_and_staff_without_a_role(client, vehicle_a, staff_b,
                                                                                      no_role_a, readonly_a):
    url = reverse("service:vehicle_history", args=[vehicle_a.public_id])
    assert client.get(url)["Location"].startswith(reverse("login"))
    assert _client(staff_b).get(url).status_code == 404
    assert _client(no_role_a).get(url).status_code == 403
    page = _client(readonly_a).get(url)
    assert page.status_code == 200 and "No workshop visit yet" in page.content.decode()


@pytest.mark.django_db
def test_the_360_page_links_each_vehicle_to_its_history(client, customer_a, vehicle_a, service_a):
    page = _client(service_a).get(customer_a.get_absolute_url()).content.decode()
    assert reverse("service:vehicle_history", args=[vehicle_a.public_id]) in page


@pytest.mark.django_db
def test_the_move_form_of_the_job_card_takes_a_bay_too(booking, service_a, bay_a, slots, staff_b, bay_b):
    second = Bay.objects.create(branch=bay_a.branch, name="Stall 2", kind="quick")
    client = _client(service_a)
    page = client.get(booking.get_absolute_url()).content.decode()
    assert 'name="bay_id"' in page and str(second.public_id) in page
    url = reverse("service:booking_reschedule", args=[booking.public_id])
    response = client.post(url, {"starts_at": slots[4].value, "bay_id": str(second.public_id)})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert (booking.starts_at, booking.bay) == (slots[4].starts_at, second)
    # Another branch's bay: not found, the booking stays.
    assert client.post(url, {"starts_at": slots[5].value, "bay_id": str(bay_b.public_id)}).status_code == 404
    booking.refresh_from_db()
    assert booking.starts_at == slots[4].starts_at


@pytest.mark.django_db
def test_dropping_on_another_day_of_the_week_keeps_the_time_of_day(booking, service_a, readonly_a, bay_a, slots):
    zone = WIB
    start = booking.starts_at.astimezone(zone)
    later = next(s.starts_at.astimezone(zone) for s in slots
                 if s.starts_at.astimezone(zone).date() > start.date() and s.starts_at.astimezone(zone).time() == start.time())
    week = _client(service_a).get(reverse("service:week", args=[bay_a.branch.public_id]), {"day": f"{start:%Y-%m-%d}"})
    html = week.content.decode()
    assert 'draggable="true"' in html and f'data-day="{start:%Y-%m-%d}" data-bay-id="{bay_a.public_id}"' in html
    assert 'draggable="true"' not in _client(readonly_a).get(
        reverse("service:week", args=[bay_a.branch.public_id]), {"day": f"{start:%Y-%m-%d}"}).content.decode()
    url = reverse("service:booking_move", args=[booking.public_id])
    response = _client(service_a).post(url, {"day": f"{later:%Y-%m-%d}", "bay_id": str(bay_a.public_id)})
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.starts_at == later
    bad = _client(service_a).post(url, {"day": "senin", "bay_id": str(bay_a.public_id)})
    assert bad.status_code == 400 and "Choose a day" in bad.json()["error"]
