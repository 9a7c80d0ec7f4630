"""The workshop's main flow in Chromium: a customer books on the website, the confirmation SMS
is on the Outbox, the advisor checks the car in and marks it ready (a second SMS), the
customer's status page says ready, the car is collected, a rating of 2 opens a complaint."""

import pytest

from service.models import Bay, BayKind, Booking, ServiceType
from tests.factories import AssetFactory

from .conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def workshop(branch_a):
    Bay.objects.create(branch=branch_a, name="Stall 1", kind=BayKind.QUICK)
    return ServiceType.objects.create(name="Ganti oli", duration_minutes=60, bay_kind=BayKind.QUICK,
                                      interval_months=6)


def test_public_booking_to_collection(page, live_server, workshop, branch_a, customer_a, sales_a, password, shot,
                                      assets_problems):
    from accounts.models import Department
    from tests.factories import UserFactory

    advisor = UserFactory(email="advisor.a@relasi.test", branch=branch_a, department=Department.SERVICE)
    customer_a.sms_consent = True
    customer_a.save()
    AssetFactory(customer=customer_a, plate_number="D 1234 ABC")

    # The customer books on the website.
    page.goto(f"{live_server.url}/p/bengkel/")
    page.select_option("#id_branch", label=branch_a.name)
    page.select_option("#id_service_type", label="Ganti oli")
    shot(page, "service-public-choose")
    page.click("#choose-submit")
    options = page.locator("#id_starts_at option")
    assert options.count() > 1
    page.select_option("#id_starts_at", index=1)
    page.fill("#id_plate_number", "d1234abc")
    page.fill("#id_name", "Budi Santoso")
    page.fill("#id_phone", "0812-3456-7890")
    shot(page, "service-public-book")
    page.click("#book-submit")
    code = page.locator("#booking-code").inner_text().strip()
    shot(page, "service-public-booked")
    booking = Booking.objects.get(code=code)
    assert booking.customer == customer_a and booking.asset.plate_number == "D 1234 ABC"

    # The advisor sees the confirmation SMS on the Outbox.
    log_in(page, live_server, advisor, password)
    page.goto(f"{live_server.url}/marketing/outbox/")
    assert page.locator("td.cell-message", has_text=code).count() == 1
    shot(page, "service-outbox-confirm")

    # From the customer's page (the workshop panel) to the job card: check in, then ready.
    page.goto(live_server.url + customer_a.get_absolute_url())
    shot(page, "service-360-panel")
    page.click("#service-panel a:has-text('D 1234 ABC')")
    page.fill("#id_odometer_km", "41250")
    page.fill("#id_checkin_complaint", "Oli rembes")
    shot(page, "service-job-card-booked")
    page.click("button[data-status=arrived]")
    assert page.locator("#booking-status").inner_text() == "Checked in"
    # Extra work found: an estimate the customer approves from the SMS link.
    page.fill("#id_amount", "450000")
    page.fill("#id_note", "Kampas rem depan tipis, perlu ganti")
    page.click("#estimate-form button[type=submit]")
    assert page.locator("#booking-status").inner_text() == "Waiting for the customer's approval"
    booking.refresh_from_db()
    job_card = page.url
    page.goto(f"{live_server.url}/p/bengkel/estimasi/{booking.estimate_code}")
    shot(page, "service-public-estimate")
    page.click("#estimate-approve")
    assert "You approved this work" in page.locator("#estimate-answer").inner_text()
    page.goto(job_card)
    assert page.locator("#booking-status").inner_text() == "In progress"
    assert "Approved by the customer" in page.locator("#booking-estimate").inner_text()
    page.click("button[data-status=ready]")
    assert page.locator("#booking-status").inner_text() == "Ready for collection"
    shot(page, "service-job-card-ready")
    page.goto(f"{live_server.url}/marketing/outbox/")
    # The confirmation and the ready message, in the customer's language, each once.
    assert page.locator("td.cell-message", has_text=code).count() == 2
    shot(page, "service-outbox-ready")

    # The customer asks "is my car ready?".
    page.goto(f"{live_server.url}/p/bengkel/status/?code={code}")
    page.fill("#id_phone", "081234567890")
    page.click("#status-submit")
    assert page.locator("#public-status").inner_text() == "Ready for collection"
    shot(page, "service-public-status-ready")

    # Collected.
    page.goto(live_server.url + booking.get_absolute_url())
    page.click("button[data-status=collected]")
    assert page.locator("#booking-status").inner_text() == "Collected"
    page.goto(f"{live_server.url}/service/?day={booking.starts_at.date():%Y-%m-%d}")
    shot(page, "service-today")
    page.click("text=Week per bay")
    assert page.locator("#week a", has_text="D 1234 ABC").count() == 1
    shot(page, "service-week")
    booking.refresh_from_db()
    assert booking.status == "collected" and booking.asset.odometer_km == 41250

    # The satisfaction SMS's link: a 2 opens a complaint routed to Service.
    from complaints.models import Complaint

    page.goto(f"{live_server.url}/p/bengkel/nilai/{booking.feedback_code}")
    page.check("input[name=rating][value='2']")
    page.fill("#id_comment", "Mobil dikembalikan kotor")
    shot(page, "service-public-feedback")
    page.click("#feedback-submit")
    assert page.locator("#feedback-thanks").count() == 1
    complaint = Complaint.objects.get(customer=customer_a)
    assert complaint.reference == code and "Mobil dikembalikan kotor" in complaint.description
    assert assets_problems == []
