"""The branch activity report in Chromium: the chart is drawn (pixels on the canvas) from the
figures the table under it shows, and the CSV link downloads that same table."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from crm import services
from crm.models import Interaction
from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_report_draws_its_table_and_downloads_it(page, live_server, manager_a, branch_a, customer_a, password,
                                                     assets_problems, shot):
    zone = ZoneInfo(branch_a.time_zone)
    today = timezone.now().astimezone(zone).date()
    Interaction.objects.filter(customer=customer_a).delete()  # the "created" note: only the figures below
    for days_ago, kind, count in ((0, "call", 3), (0, "visit", 1), (4, "sms", 2), (12, "call", 5)):
        for i in range(count):
            services.interaction_record(customer=customer_a, kind=kind, channel="phone", direction="out",
                                        summary="x", occurred_at=dt.datetime.combine(
                                            today - dt.timedelta(days=days_ago), dt.time(10, i), tzinfo=zone))
    log_in(page, live_server, manager_a, password)
    page.goto(live_server.url + reverse("branches:report", args=[branch_a.public_id]))
    canvas = page.locator("canvas[data-chart]")
    page.wait_for_selector("canvas[data-chart-drawn]")

    # Drawn: the canvas has a size and coloured pixels (bars), not just a blank bitmap.
    painted = canvas.evaluate("""c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) n++; } return n; }""")
    assert canvas.bounding_box()["width"] > 300 and painted > 1000

    # The chart's figures are the table's.
    drawn = canvas.evaluate("c => c.chart.data.datasets.map(s => [s.label, s.data])")
    header = page.locator("table.chart-table thead th").all_inner_texts()
    cells = [row.locator("[data-value]").evaluate_all("cs => cs.map(c => c.dataset.value)")
             for row in page.locator("table.chart-table tbody tr").all()]
    assert header == ["Day", "Call", "SMS", "Visit"]
    assert drawn == [[name, [int(row[i + 1]) for row in cells]] for i, name in enumerate(header[1:])]
    assert cells[-1] == [today.isoformat(), "3", "0", "1"]
    assert sum(int(v) for row in cells for v in row[1:]) == 11
    shot(page, "branch-report")

    with page.expect_download() as info:
        page.click("a.chart-csv")
    download = info.value
    assert download.suggested_filename == f"{branch_a.code}-activity-{today:%Y-%m-%d}.csv"
    rows = list(csv.reader(io.StringIO(open(download.path(), encoding="utf-8-sig").read())))
    assert rows == [header, *cells]
    assert assets_problems == []


def test_the_calendar_page_loads_without_errors(page, live_server, manager_a, branch_a, password, assets_problems,
                                               shot):
    log_in(page, live_server, manager_a, password)
    page.goto(live_server.url + reverse("branches:branch_list"))
    page.click("text=Calendar")
    page.wait_for_selector("#regular-hours")
    assert page.locator("#next-days tr").count() == 7
    page.fill("#id_starts_on", "2027-01-04")
    page.fill("#id_ends_on", "2027-01-02")
    page.fill("#id_reason", "Audit stok")
    page.click("text=Add the closure")
    assert page.locator("#id_ends_on_error").inner_text() == "The last day closed is before the first day."
    page.fill("#id_ends_on", "2027-01-05")
    page.click("text=Add the closure")
    assert page.locator("#closures", has_text="Audit stok").is_visible()
    shot(page, "branch-calendar")
    # The form with an error answers 400 (and Chromium logs that); nothing else went wrong.
    closures_url = reverse("branches:closure_create", args=[branch_a.public_id])
    assert [p for p in assets_problems if closures_url not in p] == []
