"""The workshop's day board in Chromium: an advisor drags a booked visit to another time in
another bay (it moves, the customer gets an SMS), then onto a cell that is taken ("that slot
was just taken", the visit stays). Plus screenshots of the other workshop pages."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketing.models import Send
from service import selectors, services
from service.models import Bay, BayKind, Booking, ServiceType
from tests.factories import AssetFactory
from tests.service.factories import PNG, TechnicianFactory

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workshop(branch_a):
    Bay.objects.create(branch=branch_a, name="Stall 1", kind=BayKind.QUICK)
    Bay.objects.create(branch=branch_a, name="Stall 2", kind=BayKind.QUICK)
    return ServiceType.objects.create(name="Ganti oli", duration_minutes=60, bay_kind=BayKind.QUICK,
                                      kind=ServiceType.Kind.PERIODIC, interval_months=6, interval_km=5000)


def test_dragging_a_booking_to_another_slot_and_bay(page, live_server, workshop, branch_a, customer_a, password,
                                                    shot, assets_problems, settings, tmp_path):
    from accounts.models import Department
    from tests.factories import UserFactory

    settings.SERVICE_FILES_ROOT = tmp_path / "service-files"
    advisor = UserFactory(email="advisor.a@relasi.test", branch=branch_a, department=Department.SERVICE)
    zone = selectors.ZoneInfo(branch_a.time_zone)
    by_day = {}
    for slot in selectors.free_slots(branch_a, workshop):
        by_day.setdefault(slot.starts_at.astimezone(zone).date(), []).append(slot)
    # The first day with room to move (today may have an hour or two left, whatever the clock).
    day_slots = next(day for day in by_day.values() if len(day) >= 6)
    first = day_slots[0]
    car = AssetFactory(customer=customer_a, plate_number="D 1234 ABC", model="Avanza")
    booking = services.booking_create(customer=customer_a, asset=car, service_type=workshop,
                                      starts_at=first.starts_at, by=advisor, notify_customer=False)
    blocker = services.booking_create(customer=customer_a, asset=AssetFactory(customer=customer_a, plate_number="D 9 ZZ"),
                                      service_type=workshop, starts_at=day_slots[-1].starts_at, by=advisor,
                                      notify_customer=False)
    assert booking.bay.name == "Stall 1"
    TechnicianFactory(branch=branch_a, name="Budi")

    log_in(page, live_server, advisor, password)
    day = first.starts_at.astimezone(zone).date()
    page.goto(f"{live_server.url}/service/branches/{branch_a.public_id}/day/?day={day:%Y-%m-%d}")
    shot(page, "service-day-board")

    # Drag the visit to Stall 2, two slots later.
    target = day_slots[2].starts_at.astimezone(selectors.ZoneInfo(branch_a.time_zone)).isoformat()
    stall2 = Bay.objects.get(name="Stall 2")
    card = page.locator(f".board-booking[data-booking='{booking.public_id}']")
    cell = page.locator(f"td[data-starts-at='{target}'][data-bay-id='{stall2.public_id}']")
    with page.expect_navigation():
        card.drag_to(cell)
    page.wait_for_selector(".alert-success")
    shot(page, "service-day-board-moved")
    booking.refresh_from_db()
    assert booking.bay == stall2 and booking.starts_at == day_slots[2].starts_at
    assert Send.objects.filter(idempotency_key__startswith=f"service:{booking.public_id}:confirm-").count() == 1
    assert page.locator(f"td[data-bay-id='{stall2.public_id}'] .board-booking[data-booking='{booking.public_id}']"
                        ).count() == 1

    # Onto the blocker's cell: refused, the message says so, the visit stays.
    blocked = page.locator(f"td[data-starts-at='{blocker.starts_at.astimezone(selectors.ZoneInfo(branch_a.time_zone)).isoformat()}']"
                           f"[data-bay-id='{blocker.bay.public_id}']")
    page.locator(f".board-booking[data-booking='{booking.public_id}']").drag_to(blocked)
    page.wait_for_selector("#board-message:not(.d-none)")
    assert "just taken" in page.locator("#board-message").inner_text()
    shot(page, "service-day-board-taken")
    booking.refresh_from_db()
    assert booking.starts_at == day_slots[2].starts_at

    # On the week view: drag it to another day of the same week, same bay, same time of day.
    moved_at = booking.starts_at.astimezone(zone)
    monday = day - dt.timedelta(days=day.weekday())
    other_days = [d for d, found in by_day.items() if d != day and monday <= d < monday + dt.timedelta(days=7)
                  and any(s.starts_at == moved_at.replace(year=d.year, month=d.month, day=d.day) for s in found)]
    page.goto(f"{live_server.url}/service/branches/{branch_a.public_id}/week/?day={day:%Y-%m-%d}")
    shot(page, "service-week")
    if other_days:  # (a week with no other open day at that time, near a holiday, has nothing to show)
        other = other_days[0]
        with page.expect_navigation():
            page.locator(f"#week .board-booking[data-booking='{booking.public_id}']").drag_to(
                page.locator(f"td[data-day='{other:%Y-%m-%d}'][data-bay-id='{stall2.public_id}']"))
        page.wait_for_selector(".alert-success")
        booking.refresh_from_db()
        assert booking.starts_at.astimezone(zone).date() == other and booking.starts_at.astimezone(zone).time() \
            == moved_at.time()
        shot(page, "service-week-moved")

    # The other workshop pages, for the screenshots (and that they render in a browser).
    page.goto(f"{live_server.url}/service/?branch={branch_a.public_id}&day={day:%Y-%m-%d}")
    shot(page, "service-today-loads")
    services.booking_status_change(booking=booking, to="arrived", by=advisor, odometer_km=40000, fuel_level=3,
                                   items_left="Payung")
    services.booking_photo_add(booking=booking, upload=SimpleUploadedFile("lecet.png", PNG), by=advisor)
    page.goto(live_server.url + booking.get_absolute_url())
    shot(page, "service-job-card-checkin")
    page.goto(f"{live_server.url}/service/vehicles/{car.public_id}/")
    shot(page, "service-vehicle-history")
    manager = UserFactory(email="kepala.a@relasi.test", branch=branch_a, department=Department.BRANCH_MANAGEMENT)
    page.context.clear_cookies()
    log_in(page, live_server, manager, password)
    page.goto(f"{live_server.url}/service/branches/{branch_a.public_id}/setup/")
    page.fill("#technician-form #id_name", "Cahyo")
    page.check("#technician-form input[name=bay_kinds][value=body_paint]")
    page.check("#technician-form input[name=service_kinds][value=body_paint]")
    for day in ("0", "2", "4"):
        page.check(f"#technician-form input[name=working_days][value='{day}']")
    page.click("#technician-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    shot(page, "service-setup-technicians")
    assert "Cahyo" in page.inner_text("#technicians")
    # The expected 409 of the refused drop is not an asset problem.
    assert [p for p in assets_problems if "409" not in p] == []
