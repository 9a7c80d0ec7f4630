"""Reminders in Chromium: a marketing manager writes a rule through the form, sees who gets
what in the preview, and the run log after a tick."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from marketing import reminders
from marketing.models import ReminderRule
from tests.browser.conftest import log_in
from tests.factories import AssetFactory, CustomerFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_writes_a_rule_and_previews_it(page, live_server, branch_a, password, assets_problems, shot,
                                                 settings):
    settings.REMINDER_CATCH_UP_DAYS = 0
    manager = UserFactory(email="marketing.a@relasi.test", branch=branch_a, department=Department.MARKETING)
    today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    for n, plate in enumerate(["D 1234 ABC", "D 5678 XYZ"]):
        customer = CustomerFactory(branch=branch_a, name=f"Pelanggan {n}", consents={"sms": n == 0})
        AssetFactory(customer=customer, plate_number=plate, stnk_due=today + dt.timedelta(days=7))

    log_in(page, live_server, manager, password)
    page.goto(live_server.url + reverse("marketing:reminder_rules"))
    shot(page, "reminders_empty")
    page.click("text=New rule")
    page.fill("input[name=name]", "STNK seminggu lagi")
    page.select_option("select[name=kind]", "stnk_due")
    page.fill("input[name=lead_days]", "7")
    page.fill("input[name=send_time]", "22:00")  # inside the quiet hours: refused at the field
    page.fill("textarea[name=body]", "Yth. {{ name }}, pajak STNK {{ vehicle_plate }} jatuh tempo {{ stnk_due }}.")
    page.click("main button[type=submit]")
    assert "quiet hours" in page.locator("#div_id_send_time").inner_text()
    shot(page, "reminders_form_error")
    page.fill("input[name=send_time]", "09:00")
    page.click("main button[type=submit]")

    rule = ReminderRule.objects.get()
    page.wait_for_url(live_server.url + rule.get_absolute_url())
    text = page.inner_text("body")
    assert "Yth. Pelanggan 0, pajak STNK D 1234 ABC jatuh tempo" in text
    assert "Pelanggan 1" in text  # no consent: shown, marked skipped
    shot(page, "reminders_preview")

    reminders.reminders_tick()
    page.goto(live_server.url + reverse("marketing:reminder_rules"))
    assert "Run log" in page.inner_text("body")
    shot(page, "reminders_list")
    # A request the browser dropped because the test moved on to the next page is not a problem.
    assert assets_problems == []
