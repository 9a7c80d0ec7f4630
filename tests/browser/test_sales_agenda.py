"""Activities in a real browser: a rep plans a call on a lead → it is on the home card and on
My agenda → they complete it with an outcome → it is on the customer's timeline, and the lead
counts as contacted. Screenshots go to test-artifacts/."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from crm.models import Interaction
from sales.models import Activity, Lead
from tests.browser.conftest import log_in
from tests.sales.conftest import stages  # noqa: F401 - the pipeline's stages after the flush
from tests.sales.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_call_planned_on_a_lead_ends_on_the_timeline(page, live_server, sales_a, branch_a, customer_a, password,
                                                       shot, assets_problems, stages):  # noqa: F811
    lead = LeadFactory(branch=branch_a, owner=sales_a, customer=customer_a, name="Budi Santoso",
                       model_of_interest="Fortuner", budget=550_000_000, wants_test_drive=True)
    log_in(page, live_server, sales_a, password)

    # Plan it from the lead's page: the form comes filled in (a call, by me, in the next hour).
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    shot(page, "sales-agenda-lead-before")
    page.click("#activity-new")
    page.wait_for_selector("#activity-form")
    assert page.is_checked("input[name=kind][value=call]")
    page.fill("#id_subject", "Offer a Fortuner test drive")
    # Due today in the branch's zone (WIB), so it is on the home card whenever the test runs.
    local = timezone.localtime(timezone.now(), ZoneInfo("Asia/Jakarta"))
    due = local + dt.timedelta(minutes=30) if local.hour < 23 else local - dt.timedelta(minutes=5)
    page.fill("#id_due_at", due.strftime("%d/%m/%Y %H.%M"))
    page.fill("#id_notes", "He asked for Saturday morning.")
    shot(page, "sales-agenda-activity-form")
    page.click("#activity-form button[type=submit]")
    page.wait_for_selector("#record-activities a:has-text('Offer a Fortuner test drive')")
    activity = Activity.objects.get()
    assert (activity.lead, activity.customer, activity.assignee) == (lead, customer_a, sales_a)

    # It is on the home card and on My agenda.
    page.goto(f"{live_server.url}/")
    page.wait_for_selector("#card-my_agenda a:has-text('Offer a Fortuner test drive')")
    shot(page, "sales-agenda-home-card")
    page.click("#card-my_agenda .card-header a")  # "All": the full agenda
    page.wait_for_selector("#agenda-today a:has-text('Offer a Fortuner test drive'), "
                           "#agenda-overdue a:has-text('Offer a Fortuner test drive')")
    shot(page, "sales-agenda-page")

    # Done, with what happened.
    page.click("a:has-text('Offer a Fortuner test drive')")
    page.wait_for_selector("#activity-complete-form")
    page.fill("#id_outcome", "Test drive booked for Saturday 09:00.")
    shot(page, "sales-agenda-activity-detail")
    page.click("#activity-complete")
    page.wait_for_selector("#activity-status:has-text('Done')")
    shot(page, "sales-agenda-activity-done")

    # On the customer's timeline; the lead was contacted.
    page.click("#activity-customer")
    entry = page.locator("#timeline", has_text="Call done: Offer a Fortuner test drive.")
    entry.wait_for()
    assert "Test drive booked for Saturday 09:00." in entry.inner_text()
    shot(page, "sales-agenda-customer-timeline")
    interaction = Interaction.objects.get(source_type=ContentType.objects.get_for_model(Activity),
                                          source_id=activity.pk)
    assert (interaction.kind, interaction.staff) == (Interaction.Kind.CALL, sales_a)
    lead.refresh_from_db()
    assert lead.status == Lead.Status.CONTACTED and lead.first_contacted_at is not None
    assert assets_problems == []


def test_the_manager_sets_targets_and_reads_the_months_performance(page, live_server, manager_a, sales_a, branch_a,
                                                                   password, shot, assets_problems,
                                                                   stages):  # noqa: F811
    from sales import services

    from tests.sales.factories import OpportunityFactory

    lead = LeadFactory(branch=branch_a, owner=sales_a)
    services.lead_status_set(lead=lead, status=Lead.Status.CONTACTED, by=sales_a)
    opp = OpportunityFactory(branch=branch_a, owner=sales_a, amount=350_000_000)
    services.opportunity_move(opportunity=opp, stage=[s for s in stages if s.is_won][0], by=sales_a)

    log_in(page, live_server, manager_a, password)
    page.goto(f"{live_server.url}/sales/performance/")
    page.wait_for_selector("#performance-table")
    page.click("#targets-set")
    page.wait_for_selector("#targets-form")
    page.fill(f"#id_amount_{sales_a.pk}", "700000000")
    page.fill(f"#id_leads_{sales_a.pk}", "10")
    shot(page, "sales-performance-targets")
    page.click("#targets-form button[type=submit]")
    row = page.locator(f"#performance-table tr[data-rep='{sales_a.pk}']")
    row.wait_for()
    text = row.inner_text()
    assert "Rp 350,000,000" in text and "Rp 700,000,000" in text and "50%" in text
    page.wait_for_selector("#chart-sales-performance-won canvas")
    shot(page, "sales-performance")
    assert assets_problems == []
