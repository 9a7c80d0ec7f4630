"""Staff pages: happy path, anonymous, other branch (404), missing permission (403),
GET on POST-only (405), bad input at the field, pinned query counts."""

import pytest
from django.db.models import prefetch_related_objects
from django.urls import reverse

from crm.registry import cards_for, panels_for, search_hits_for
from service import selectors, services
from service.models import Bay, Booking
from tests.factories import AssetFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(vehicle_a, bay_a, oil_change, service_a):
    slot = selectors.free_slots(bay_a.branch, oil_change)[0]
    return services.booking_create(customer=vehicle_a.customer, asset=vehicle_a, service_type=oil_change,
                                   starts_at=slot.starts_at, by=service_a, notify_customer=False)


def as_user(client, user):
    client.force_login(user)
    return client


# --- booking from the customer's page ---------------------------------------------------------
def test_it_shows_the_free_slots_and_books_one(client, service_a, vehicle_a, bay_a, oil_change):
    as_user(client, service_a)
    url = reverse("service:book", args=[vehicle_a.customer.public_id])
    page = client.get(url, {"asset": vehicle_a.pk, "service_type": oil_change.pk})
    slot = selectors.free_slots(bay_a.branch, oil_change)[0]
    assert page.status_code == 200 and slot.value in page.content.decode()
    response = client.post(url, {"asset": vehicle_a.pk, "service_type": oil_change.pk, "starts_at": slot.value,
                                 "complaint": "Oli bocor", "book": "1"})
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == booking.get_absolute_url()
    assert booking.asset == vehicle_a and booking.advisor == service_a and booking.complaint == "Oli bocor"


def test_a_time_the_workshop_cannot_take_is_said_at_the_field(client, service_a, vehicle_a, bay_a, oil_change):
    as_user(client, service_a)
    response = client.post(reverse("service:book", args=[vehicle_a.customer.public_id]), {
        "asset": vehicle_a.pk, "service_type": oil_change.pk, "starts_at": "2020-01-06T09:00:00+07:00", "book": "1"})
    assert response.status_code == 400
    assert "already passed" in " ".join(response.context["form"].errors["starts_at"])
    assert not Booking.objects.exists()


def test_a_vehicle_of_another_customer_is_refused_at_the_field(client, service_a, vehicle_a, customer_a, bay_a,
                                                               oil_change):
    other = AssetFactory(customer__branch=bay_a.branch, customer__phone="+6281299990000", plate_number="D 9 X")
    as_user(client, service_a)
    slot = selectors.free_slots(bay_a.branch, oil_change)[0]
    response = client.post(reverse("service:book", args=[customer_a.public_id]), {
        "asset": other.pk, "service_type": oil_change.pk, "starts_at": slot.value, "book": "1"})
    assert response.status_code == 400 and response.context["form"].errors["asset"]
    assert not Booking.objects.exists()


def test_booking_says_what_to_do_without_a_vehicle(client, service_a, customer_a):
    response = as_user(client, service_a).get(reverse("service:book", args=[customer_a.public_id]))
    assert "has no vehicle yet" in response.content.decode()


def test_booking_is_refused_to_anonymous_other_branch_and_readers(client, customer_a, vehicle_a, service_b,
                                                                  readonly_a):
    url = reverse("service:book", args=[customer_a.public_id])
    assert client.get(url)["Location"].startswith(reverse("login"))
    assert as_user(client, service_b).get(url).status_code == 404
    assert as_user(client, readonly_a).get(url).status_code == 403


# --- the job card ---------------------------------------------------------------------------
def test_it_checks_a_vehicle_in_from_the_job_card(client, booking, service_a):
    as_user(client, service_a)
    response = client.post(reverse("service:booking_status", args=[booking.public_id]),
                           {"to": "arrived", "odometer_km": "41250", "complaint": "Rem bunyi"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "arrived" and booking.odometer_km == 41250 and booking.complaint == "Rem bunyi"
    page = client.get(booking.get_absolute_url())
    assert "Checked in" in page.content.decode() and "41250 km" in page.content.decode()


def test_a_move_the_flow_does_not_allow_is_a_message_not_a_500(client, booking, service_a):
    as_user(client, service_a)
    response = client.post(reverse("service:booking_status", args=[booking.public_id]), {"to": "collected"})
    assert response.status_code == 400 and "cannot become" in response.content.decode()
    response = client.post(reverse("service:booking_status", args=[booking.public_id]),
                           {"to": "arrived", "odometer_km": "-5"})
    assert response.status_code == 400
    booking.refresh_from_db()
    assert booking.status == "booked"


def test_the_job_card_is_refused_to_anonymous_other_branch_and_readers(client, booking, service_b, readonly_a):
    detail = booking.get_absolute_url()
    status = reverse("service:booking_status", args=[booking.public_id])
    assert client.get(detail)["Location"].startswith(reverse("login"))
    assert as_user(client, service_b).get(detail).status_code == 404
    assert client.post(status, {"to": "arrived"}).status_code == 404
    as_user(client, readonly_a)
    assert client.get(detail).status_code == 200  # QC answering the phone reads it
    assert client.post(status, {"to": "arrived"}).status_code == 403
    assert client.get(status).status_code == 405


def test_the_job_card_costs_the_same_queries_with_a_long_history(client, booking, service_a, manager_a,
                                                                  django_assert_num_queries):
    as_user(client, service_a)
    services.booking_status_change(booking=booking, to="arrived", by=manager_a)
    client.get(booking.get_absolute_url())  # warm the session and the permission cache

    def count(lines):
        for n in range(lines):
            services.job_line_add(booking=booking, by=service_a, kind="part", description=f"Part {n}",
                                  unit_price=1000)
        # session, user, the user's and groups' permissions, the booking with its relations,
        # its job lines (with technicians), its history (with who), its check-in photos, the technician choices
        with django_assert_num_queries(9):
            assert client.get(booking.get_absolute_url()).status_code == 200

    count(1)
    for step in ("in_progress", "waiting_parts", "in_progress"):
        services.booking_status_change(booking=booking, to=step, by=manager_a, send_sms=False)
    count(10)


# --- the day's list ------------------------------------------------------------------------------
def test_todays_list_shows_the_bookings_and_the_vehicles_at_the_workshop(client, booking, service_a, customer_a,
                                                                          oil_change, django_assert_num_queries):
    day = booking.starts_at.astimezone(selectors.ZoneInfo("Asia/Jakarta")).date()
    as_user(client, service_a)
    url = reverse("service:today") + f"?day={day:%Y-%m-%d}"
    client.get(url)
    # session, user, user's and groups' permissions, the day's bookings, the vehicles at the workshop,
    # the technicians' job-line sums, the technicians
    with django_assert_num_queries(8):
        page = client.get(url)
    assert booking.plate_number in page.content.decode()
    # More bookings (the same time, in more bays), some of them at the workshop: the same count.
    for n in range(4):
        Bay.objects.create(branch=booking.branch, name=f"Stall {n + 2}", kind="quick")
        more = services.booking_create(customer=customer_a, asset=AssetFactory(customer=customer_a,
                                                                                 plate_number=f"D {n} M"),
                                       service_type=oil_change, starts_at=booking.starts_at, by=service_a,
                                       notify_customer=False)
        if n % 2:
            services.booking_status_change(booking=more, to="arrived", by=service_a)
    assert Booking.objects.count() == 5
    with django_assert_num_queries(8):
        client.get(url)


def test_todays_list_is_refused_to_anonymous_and_to_staff_without_a_role(client, branch_a):
    assert client.get(reverse("service:today"))["Location"].startswith(reverse("login"))
    nobody = UserFactory(email="x@relasi.test", branch=branch_a, department="")
    assert as_user(client, nobody).get(reverse("service:today")).status_code == 403


def test_todays_list_of_another_branch_is_a_404(client, service_b, branch_a):
    response = as_user(client, service_b).get(reverse("service:today"), {"branch": str(branch_a.public_id)})
    assert response.status_code == 404


def test_a_bad_day_is_a_message_not_a_500(client, service_a):
    response = as_user(client, service_a).get(reverse("service:today"), {"day": "kemarin"})
    assert response.status_code == 200


# --- set-up ------------------------------------------------------------------------------------------
def test_a_branch_manager_adds_a_bay_and_sets_the_slot_length(client, manager_a, branch_a):
    as_user(client, manager_a)
    assert client.get(reverse("service:setup", args=[branch_a.public_id])).status_code == 200
    response = client.post(reverse("service:bay_add", args=[branch_a.public_id]), {"name": "Booth 1",
                                                                                   "kind": "body_paint"})
    assert response.status_code == 302
    assert Bay.objects.filter(branch=branch_a, name="Booth 1", kind="body_paint").exists()
    again = client.post(reverse("service:bay_add", args=[branch_a.public_id]), {"name": "booth 1", "kind": "quick"})
    assert again.status_code == 400 and "already has a bay" in again.content.decode()
    client.post(reverse("service:slot_length", args=[branch_a.public_id]), {"slot_minutes": "15"})
    assert selectors.slot_minutes(branch_a) == 15
    bad = client.post(reverse("service:slot_length", args=[branch_a.public_id]), {"slot_minutes": "1"})
    assert bad.status_code == 400 and selectors.slot_minutes(branch_a) == 15


def test_set_up_is_refused_to_advisors_other_branches_and_gets(client, service_a, service_b, branch_a, bay_a):
    add = reverse("service:bay_add", args=[branch_a.public_id])
    toggle = reverse("service:bay_toggle", args=[bay_a.public_id])
    assert client.post(add, {"name": "X", "kind": "quick"})["Location"].startswith(reverse("login"))
    as_user(client, service_a)
    assert client.get(reverse("service:setup", args=[branch_a.public_id])).status_code == 200
    assert client.post(add, {"name": "X", "kind": "quick"}).status_code == 403
    assert client.post(toggle).status_code == 403
    assert client.get(add).status_code == 405
    as_user(client, service_b)
    assert client.post(add, {"name": "X", "kind": "quick"}).status_code == 404
    assert client.post(toggle).status_code == 404
    assert not Bay.objects.filter(name="X").exists()


def test_a_manager_takes_a_bay_out_of_use(client, manager_a, bay_a):
    as_user(client, manager_a).post(reverse("service:bay_toggle", args=[bay_a.public_id]))
    bay_a.refresh_from_db()
    assert not bay_a.is_active


# --- the shared pages ---------------------------------------------------------------------------------
def test_the_360_panel_shows_the_vehicle_at_the_workshop(booking, service_a, django_assert_num_queries):
    services.booking_status_change(booking=booking, to="arrived", by=service_a)
    service_a.has_perm("service.add_booking")  # the permission cache, filled once per request
    customer = booking.customer
    prefetch_related_objects([customer], "assets")  # as the 360 page does (crm.views)
    with django_assert_num_queries(1):
        data = selectors.service_panel(customer, service_a)
    assert [b.pk for b in data["bookings"]] == [booking.pk] and data["can_book"]
    assert "service" in [p.key for p in panels_for(booking.customer, service_a)]


def test_the_customer_page_shows_the_workshop_panel(client, booking, service_a):
    page = as_user(client, service_a).get(booking.customer.get_absolute_url())
    assert page.status_code == 200 and 'id="service-panel"' in page.content.decode()


def test_the_top_search_finds_a_plate_typed_any_way_and_a_booking_code(booking, service_a, service_b):
    assert search_hits_for(service_a, "d1234abc")[0][1][0].url == booking.get_absolute_url()
    hits = dict((p.key, h) for p, h in search_hits_for(service_a, booking.code))
    assert hits["service"][0].hint.endswith(booking.code)
    assert not [h for p, h in search_hits_for(service_b, booking.code) if p.key == "service"]


def test_the_home_card_lists_todays_bookings_of_my_branch(service_a, service_b):
    keys = [c.key for c in cards_for(service_a)]
    assert "service_today" in keys
    assert selectors.today_card(service_b) == []


# --- the week per bay ------------------------------------------------------------------------------
def test_the_week_shows_each_bays_bookings_in_a_flat_number_of_queries(client, booking, service_a, customer_a,
                                                                      oil_change, django_assert_num_queries):
    day = booking.starts_at.astimezone(selectors.ZoneInfo("Asia/Jakarta")).date()
    url = reverse("service:week", args=[booking.branch.public_id]) + f"?day={day:%Y-%m-%d}"
    as_user(client, service_a)
    client.get(url)
    # session, user, the user's and groups' permissions, the branch, the bays, the week's bookings
    with django_assert_num_queries(7):
        page = client.get(url)
    assert booking.plate_number in page.content.decode()
    for n in range(3):
        Bay.objects.create(branch=booking.branch, name=f"Stall {n + 2}", kind="quick")
        services.booking_create(customer=customer_a, asset=AssetFactory(customer=customer_a, plate_number=f"D {n} W"),
                                service_type=oil_change, starts_at=booking.starts_at, by=service_a,
                                notify_customer=False)
    with django_assert_num_queries(7):
        page = client.get(url)
    assert page.content.decode().count('href="/service/bookings/') == 4


def test_the_week_places_each_visit_by_the_branchs_own_zone(client, bay_a, vehicle_a, oil_change, service_a,
                                                              readonly_a):
    """The week's times and days come from the database in the branch's zone (WIT here)."""
    import datetime as dt

    from .conftest import MONDAY

    branch = bay_a.branch
    branch.time_zone = "Asia/Jayapura"
    branch.save()
    wit = selectors.ZoneInfo("Asia/Jayapura")
    eight = dt.datetime.combine(MONDAY, dt.time(8), tzinfo=wit)  # 23:00 UTC on Sunday
    booking = services.booking_create(customer=vehicle_a.customer, asset=vehicle_a, service_type=oil_change,
                                      starts_at=eight, by=service_a, now=eight - dt.timedelta(days=1),
                                      notify_customer=False)
    gone = services.booking_create(customer=vehicle_a.customer, asset=vehicle_a, service_type=oil_change,
                                   starts_at=eight + dt.timedelta(days=1), by=service_a,
                                   now=eight - dt.timedelta(days=1), notify_customer=False)
    services.booking_status_change(booking=gone, to="cancelled", by=service_a)
    url = reverse("service:week", args=[branch.public_id]) + f"?day={MONDAY:%Y-%m-%d}"
    html = as_user(client, service_a).get(url).content.decode()
    detail = reverse("service:booking_detail", args=[booking.public_id])
    move = reverse("service:booking_move", args=[booking.public_id])
    assert (f'<td class="small" data-day="{MONDAY:%Y-%m-%d}" data-bay-id="{bay_a.public_id}">'
            f'<div class="text-nowrap board-booking" data-booking="{booking.public_id}" draggable="true" '
            f'data-move-url="{move}"><a href="{detail}">08:00 D 1234 ABC</a></div></td>') in html
    assert str(gone.public_id) not in html  # a cancelled visit frees its bay and leaves the week
    # A reader sees the visit, not a handle to drag it.
    html = as_user(client, readonly_a).get(url).content.decode()
    assert f'data-booking="{booking.public_id}"><a href="{detail}">08:00 D 1234 ABC</a>' in html
    assert "draggable" not in html


def test_the_week_is_refused_to_anonymous_other_branch_and_no_role(client, branch_a, service_b):
    url = reverse("service:week", args=[branch_a.public_id])
    assert client.get(url)["Location"].startswith(reverse("login"))
    assert as_user(client, service_b).get(url).status_code == 404
    nobody = UserFactory(email="y@relasi.test", branch=branch_a, department="")
    assert as_user(client, nobody).get(url).status_code == 403
    assert as_user(client, service_b).get(reverse("service:week", args=[service_b.branch.public_id]),
                                          {"day": "x"}).status_code == 200


def test_staff_move_a_booking_from_the_job_card(client, booking, service_a, readonly_a, service_b, bay_a,
                                                 oil_change):
    url = reverse("service:booking_reschedule", args=[booking.public_id])
    later = [s for s in selectors.free_slots(bay_a.branch, oil_change) if s.starts_at >= booking.ends_at][0]
    assert client.post(url, {"starts_at": later.value})["Location"].startswith(reverse("login"))
    assert as_user(client, readonly_a).post(url, {"starts_at": later.value}).status_code == 403
    assert as_user(client, service_b).post(url, {"starts_at": later.value}).status_code == 404
    as_user(client, service_a)
    assert client.get(url).status_code == 405
    page = client.get(booking.get_absolute_url()).content.decode()
    assert later.value in page  # the move form offers the free times
    assert client.post(url, {"starts_at": "bogus"}).status_code == 400
    assert client.post(url, {"starts_at": later.value}).status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == later.starts_at
