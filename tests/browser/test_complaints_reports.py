"""In Chromium: the complaint reports draw their six charts per month and per week; QC makes a
recall segment of a production batch narrowed to a VIN range from the QC page."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from complaints import services
from complaints.models import Category, Complaint
from marketing.models import Segment
from tests.browser.conftest import log_in, wait_for_js
from tests.complaints.factories import ComplaintFactory
from tests.factories import AssetFactory, CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHARTS = ("category", "department", "branch", "times", "sla", "reopen")


def test_the_reports_draw_every_chart_per_month_and_per_week(page, live_server, manager_a, branch_a, password,
                                                             shot, assets_problems):
    cache.clear()
    now = timezone.now()
    for days, category in ((1, Category.DELIVERY), (2, Category.DELIVERY), (40, Category.VEHICLE_REPAIR),
                           (70, Category.ORDER_STATUS)):
        complaint = ComplaintFactory(customer=CustomerFactory(branch=branch_a), category=category,
                                     now=now - dt.timedelta(days=days))
        Complaint.objects.filter(pk=complaint.pk).update(
            first_response_at=complaint.created_at + dt.timedelta(hours=days % 5 + 1))
    services.complaint_status_set(complaint=complaint, status=Complaint.Status.RESOLVED, by=manager_a)
    log_in(page, live_server, manager_a, password)
    page.goto(live_server.url + reverse("complaints:reports"))
    for key in CHARTS:
        wait_for_js(page, f"document.querySelector('#chart-complaints-{key} canvas').width > 0")
    assert "wall-clock" in page.inner_text("body")
    shot(page, "complaints-reports-month")
    page.click("#report-period >> text=Per week")
    page.wait_for_url("**period=week**")
    wait_for_js(page, "document.querySelector('#chart-complaints-times canvas').width > 0")
    shot(page, "complaints-reports-week")
    assert assets_problems == []


def test_qc_makes_a_recall_of_a_batch_inside_a_vin_range(page, live_server, readonly_a, branch_a, password, shot,
                                                         assets_problems):
    owners = []
    for n in range(5):
        owner = CustomerFactory(branch=branch_a, phone=f"+62813555000{n}")
        car = AssetFactory(customer=owner, model="Avanza", year=2023, vin=f"MHKA1BA1JNK00050{n}",
                           production_batch="B-07", plate_number=f"D {n} RC")
        owners.append(owner.pk)
        ComplaintFactory(customer=owner, category=Category.PRODUCTION_DEFECT, asset=car,
                         now=timezone.now() - dt.timedelta(days=n + 1), defect={"component": "Door lock"})
    log_in(page, live_server, readonly_a, password)
    page.goto(live_server.url + reverse("complaints:qc_report"))
    row = page.locator("#defect-groups tbody tr", has_text="Door lock")
    row.locator("summary").click()
    row.locator("input[name=reach][value=batch]").check()
    row.locator("input[name=vin_from]").fill("mhka1ba1jnk000501")
    row.locator("input[name=vin_to]").fill("MHKA1BA1JNK000503")
    shot(page, "complaints-qc-recall-form")
    row.locator("button[type=submit]").click()
    page.wait_for_selector(".alert-success")
    segment = Segment.objects.get()
    assert set(segment.members.values_list("customer_id", flat=True)) == set(owners[1:4])
    shot(page, "complaints-qc-recall-done")
    assert assets_problems == []
