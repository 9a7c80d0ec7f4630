"""In Chromium: an inbound SMS on the customer's timeline is marked as a complaint (routed to
Service by its category), then the helpdesk reports and the QC page with its recall button."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from complaints.models import Category, Complaint
from marketing.services import sms_inbound
from tests.browser.conftest import log_in
from tests.complaints.factories import ComplaintFactory
from tests.factories import AssetFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_inbound_sms_marked_as_a_complaint_and_the_reports(page, live_server, sales_a, customer_a, branch_a,
                                                              head_office_user, password, shot, assets_problems):
    mechanic_desk = UserFactory(email="bengkel.a@relasi.test", branch=branch_a, department=Department.SERVICE,
                                first_name="Sari")
    sms_inbound(from_number=customer_a.phone, body="Mobil saya sudah 3 hari di bengkel, kapan selesai?")

    log_in(page, live_server, sales_a, password)
    page.goto(live_server.url + customer_a.get_absolute_url())
    page.click("a.mark-complaint")
    shot(page, "complaints-from-sms")
    page.select_option("#id_category", Category.VEHICLE_REPAIR)
    page.click("#from-sms-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    shot(page, "complaints-from-sms-taken")
    complaint = Complaint.objects.get()
    assert (complaint.channel, complaint.department, complaint.assignee) == ("sms", "service", mechanic_desk)
    assert page.url.endswith(complaint.get_absolute_url())

    # Reports and the QC page, as head office (every branch), with some history to show.
    now = timezone.now()
    for n in range(6):
        owner = CustomerFactory(branch=branch_a, phone=f"+6281200009{n:02d}")
        car = AssetFactory(customer=owner, model="Avanza", year=2022, plate_number=f"D {n} RP")
        ComplaintFactory(customer=owner, category=Category.PRODUCTION_DEFECT, asset=car,
                         now=now - dt.timedelta(days=3 + 9 * n),
                         defect={"component": "Door lock", "batch": "B-2025-07"})
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", head_office_user.email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(live_server.url + reverse("complaints:reports"))
    page.wait_for_selector("#chart-complaints-category canvas")
    shot(page, "complaints-reports")
    page.goto(live_server.url + reverse("complaints:qc_report"))
    shot(page, "complaints-qc-recall")
    page.click(".recall-form button")
    page.wait_for_selector(".alert-success")
    assert "6 customers" in page.inner_text(".alert-success")
    assert assets_problems == []
