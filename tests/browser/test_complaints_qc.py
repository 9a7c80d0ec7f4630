"""In Chromium: the QC page draws its chart from the vendored Chart.js and flags a planted spike."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints.models import Category
from tests.browser.conftest import log_in, wait_for_js
from tests.complaints.factories import ComplaintFactory
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_qc_page_shows_the_flagged_group_and_its_chart(page, live_server, readonly_a, branch_a, password, shot,
                                                           assets_problems):
    now = timezone.now()
    for days in (2, 3, 4, 5, 6, 200):
        ComplaintFactory(customer=CustomerFactory(branch=branch_a), category=Category.PRODUCTION_DEFECT,
                         now=now - dt.timedelta(days=days),
                         defect={"component": "Door lock", "model": "Avanza", "batch": "B-07"})
    log_in(page, live_server, readonly_a, password)
    page.goto(live_server.url + reverse("complaints:qc_report"))
    flagged = page.locator("#defect-groups tr[data-flagged='1']")
    assert flagged.count() == 1 and "Door lock" in flagged.inner_text()
    wait_for_js(page, "document.querySelector('#chart-defects canvas').width > 0")
    shot(page, "complaints-qc")
    assert assets_problems == []
