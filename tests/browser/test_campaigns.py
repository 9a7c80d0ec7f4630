"""The campaign flow in Chromium: build a segment (live count) → write a campaign → approve it
as the manager → send → the progress bar reaches 100% → delivered count and a conversion shown.

A real Celery worker sends through the local Twilio-compatible gateway, which calls the live
server back with "delivered". Beat is played by the test: it runs the campaigns tick once the
messages are out (the worker runs the tick that "Send now" enqueues)."""

import pytest
from django.urls import reverse

from accounts.models import Department
from crm.models import Customer
from marketing import campaigns
from marketing.models import Campaign, CampaignBranch
from tests.browser.conftest import log_in, wait_for_js
from tests.factories import CustomerFactory, UserFactory
from tests.marketing.conftest import _gateway_server, gateway  # noqa: F401 (fixtures)
from tests.marketing.workers import redis_server, wait_until, worker  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def settled(page):
    """htmx has swapped and bound what it brought (an element used before that has no handler yet)."""
    wait_for_js(page, "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')")


@pytest.fixture
def worker_env(live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url
    return {"TWILIO_STATUS_CALLBACK_URL": live_server.url + reverse("marketing:twilio_status")}


def test_it_builds_a_segment_runs_a_campaign_and_shows_its_results(page, live_server, gateway, worker,  # noqa: F811
                                                                   branch_a, manager_a, password, shot):
    gateway.configure(callbacks=True, delivery_delay_ms=50)
    marketer = UserFactory(email="marketing.a@relasi.test", branch=branch_a, department=Department.MARKETING)
    people = [CustomerFactory(branch=branch_a, city="Bandung", name=f"Warga Bandung {i}") for i in range(6)]
    people += [CustomerFactory(branch=branch_a, city="Garut", name=f"Warga Garut {i}") for i in range(3)]
    Customer.objects.filter(pk__in=[c.pk for c in people]).update(sms_consent=True)

    # 1. The marketer builds a segment; the count follows the typing.
    log_in(page, live_server, marketer, password)
    page.goto(live_server.url + reverse("marketing:segment_create"))
    page.fill("input[name=name]", "Bandung, setuju SMS")
    page.select_option("#id_c-0-0-key", "city")
    page.wait_for_selector("#id_c-0-0-value")
    settled(page)
    page.fill("#id_c-0-0-value", "bandung")
    page.wait_for_selector("#segment-count:has-text('6 customers')")
    page.click("#segment-add-group")
    page.wait_for_selector("#id_c-1-0-key")
    settled(page)
    page.select_option("#id_c-1-0-key", "city")
    page.wait_for_selector("#id_c-1-0-value")
    settled(page)
    page.fill("#id_c-1-0-value", "Garut")
    page.wait_for_selector("#segment-count:has-text('9 customers')")
    shot(page, "campaigns-segment-builder")
    page.fill("#id_c-1-0-value", "Tasikmalaya")
    page.wait_for_selector("#segment-count:has-text('6 customers')")
    page.click("#segment-save")
    page.wait_for_selector("text=Segment saved.")

    # A list uploaded as a CSV: what matched, what did not, and junk lines by number.
    page.goto(live_server.url + reverse("marketing:segment_upload"))
    page.fill("#id_name", "Pengunjung pameran")
    page.set_input_files("#id_file", files=[{"name": "pameran.csv", "mimeType": "text/csv", "buffer": "\n".join(
        ["phone", people[0].phone.replace("+62", "0"), people[7].email, "bukan nomor", "0812 9999 0000"]).encode()}])
    page.click("#upload-read")
    page.wait_for_selector("#upload-report")
    assert page.inner_text("#report-customers") == "2" and page.inner_text("#report-junk") == "1"
    shot(page, "campaigns-upload-preview")
    page.click("#upload-confirm")
    page.wait_for_selector("text=Segment saved.")
    page.goto(live_server.url + reverse("marketing:segment_list"))
    shot(page, "campaigns-segment-list")

    # 2. The campaign: preview, cost, submitted for approval.
    page.goto(live_server.url + reverse("marketing:campaign_create"))
    page.fill("#id_name", "Promo servis Bandung")
    page.select_option("#id_segment", label="Bandung, setuju SMS")
    page.fill("#id_body", "Halo {{ first_name }}, diskon servis 20% di {{ branch_name }}.")
    page.fill("#id_holdout_percent", "0")
    page.click("#campaign-save")
    page.wait_for_selector("text=Campaign saved.")
    assert page.inner_text("#campaign-segment-count") == "6"
    assert "Halo Warga, diskon servis 20% di Cabang Bandung." in page.inner_text("#campaign-preview-text")
    shot(page, "campaigns-draft")
    page.click("#campaign-submit")
    page.wait_for_selector("text=Submitted for approval.")
    assert page.locator("#campaign-approve").count() == 0  # not for its author

    # 3. The manager approves and sends.
    page.context.clear_cookies()
    log_in(page, live_server, manager_a, password)
    campaign = Campaign.objects.get()
    page.goto(live_server.url + campaign.get_absolute_url())
    page.click("#campaign-approve")
    page.wait_for_selector("text=Campaign approved.")
    page.click("#campaign-send")
    page.wait_for_selector("text=Sending started.")

    # 4. The progress bar (htmx polling every 2 s) reaches 100%, every message delivered.
    wait_until(lambda: page.locator("#campaign-progress[data-percent='100']").count() > 0
               and page.inner_text("#progress-delivered") == "6",
               timeout=40, interval=0.5, procs=[worker], what="the progress bar at 100% with 6 delivered")
    shot(page, "campaigns-progress-100")
    assert gateway.stats()["accepted"] and sum(gateway.stats()["accepted"].values()) == 6

    # 5. One recipient becomes a lead; beat's tick finishes the campaign and stores its figures.
    from sales.models import Lead
    from tests.sales.factories import LeadFactory

    run = CampaignBranch.objects.get(campaign=campaign)
    recipient = run.send.messages.order_by("id").first().customer_id
    lead = LeadFactory(branch=branch_a)
    Lead.objects.filter(pk=lead.pk).update(customer_id=recipient)
    campaigns.campaigns_tick()
    page.reload()
    page.wait_for_selector("#campaign-stats")
    assert page.inner_text("#campaign-status") == "Done"
    assert page.inner_text("#stats-delivered") == "6"
    leads_row = page.locator("#stats-conversions tr", has_text="Leads")
    assert leads_row.locator("td").nth(1).inner_text().startswith("1 (16.67%)")
    shot(page, "campaigns-statistics")
    page.goto(live_server.url + reverse("marketing:campaign_list"))
    shot(page, "campaigns-list")
