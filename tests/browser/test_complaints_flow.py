"""End to end in Chromium: a customer complains on the public form about a late delivery;
it is routed to Shipment; the shipment clerk replies by SMS and resolves it; the customer's
timeline shows every step and the public status page says "Resolved"."""

import pytest
from django.urls import reverse

from accounts.models import Department
from complaints.models import Complaint
from crm.services import customer_update
from marketing.models import Send
from tests.browser.conftest import log_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_late_delivery_complaint_from_the_public_form_to_resolved(browser, page, live_server, settings, sales_a,
                                                                    customer_a, branch_a, password, shot,
                                                                    assets_problems):
    settings.SMS_BACKEND = "marketing.backends.DevelopmentBackend"
    settings.SMS_QUIET_HOURS, settings.SMS_RATE_PER_SECOND = "0-0", 0
    shipment = UserFactory(email="kirim.a@relasi.test", branch=branch_a, department=Department.SHIPMENT,
                           first_name="Dewi")
    customer_update(customer=customer_a, by=sales_a, consents={"sms": True})

    # The customer, on the public site.
    page.goto(live_server.url + reverse("complaints_public:complaint_form"))
    page.fill("#id_name", "Budi Santoso")
    page.fill("#id_phone", "0812 3456 7890")
    page.select_option("#id_branch", str(branch_a.pk))
    page.select_option("#id_category", "delivery")
    page.fill("#id_description", "Mobil yang saya pesan bulan lalu belum juga dikirim.")
    shot(page, "complaints-public-form")
    page.click("#public-complaint-form button[type=submit]")
    code = page.inner_text("#complaint-code").strip()
    shot(page, "complaints-public-done")
    complaint = Complaint.objects.get(code=code)
    assert (complaint.customer, complaint.department, complaint.assignee) == (customer_a, "shipment", shipment)

    # The shipment clerk finds it in "mine", replies by SMS, resolves it.
    log_in(page, live_server, shipment, password)
    page.goto(live_server.url + reverse("complaints:queue"))
    shot(page, "complaints-queue")
    page.click(f"#complaint-table a:has-text('{code}')")
    page.fill("#note-form textarea[name=body]", "Mobil Anda dikirim besok pagi dari gudang Bandung.")
    page.check("#note-form input[name=reply]")
    page.click("#note-form button[type=submit]")
    assert "dikirim besok pagi" in page.inner_text("#complaint-notes")
    page.select_option("#status-form select[name=status]", "resolved")
    page.click("#status-form button[type=submit]")
    assert page.inner_text("#complaint-status").strip() == "Resolved"
    shot(page, "complaints-detail")
    assert Send.objects.filter(created_by=shipment, recipients=1).exists()  # the reply went to the pipeline

    # Every step on the customer's timeline.
    page.goto(live_server.url + customer_a.get_absolute_url())
    timeline = page.inner_text("body")
    for text in (f"Complaint {code}", "passed to Shipment", "Reply on complaint", "is now: Resolved"):
        assert text in timeline, text
    shot(page, "complaints-customer-360")

    # The customer follows it with code + phone.
    other = browser.new_context(locale="en-US")
    mobile = other.new_page()
    mobile.goto(live_server.url + reverse("complaints_public:complaint_status") + f"?code={code}")
    mobile.fill("#id_phone", "0812-3456-7890")
    mobile.click("#public-status-form button[type=submit]")
    assert mobile.inner_text("#public-complaint-status").strip() == "Resolved"
    assert "dikirim besok pagi" in mobile.inner_text("#public-complaint")
    mobile.screenshot(path="test-artifacts/complaints-public-status.png", full_page=True)
    other.close()
    assert assets_problems == []
