"""The reminder pages: rules and run log, the rule form, the preview with its dry run."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Department
from marketing import reminders
from marketing.models import ReminderRule, ReminderRun
from tests.factories import AssetFactory, CustomerFactory, UserFactory

from .factories import ReminderRuleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketing_a(branch_a):
    return UserFactory(email="marketing.a@relasi.test", branch=branch_a, department=Department.MARKETING)


@pytest.fixture
def marketing_b(branch_b):
    return UserFactory(email="marketing.b@relasi.test", branch=branch_b, department=Department.MARKETING)


@pytest.fixture
def rule_a(branch_a):
    return ReminderRuleFactory(name="Servis Bandung", kind="service_due", lead_days=7, branch=branch_a,
                               body="Yth. {{ name }}, servis {{ vehicle_plate }} jatuh tempo {{ next_service_due }}.",
                               body_en="Dear {{ name }}, {{ vehicle_plate }} is due for service.")


def form_data(**over):
    data = {"name": "STNK seminggu", "kind": "stnk_due", "channel": "sms", "lead_days": 7, "send_time": "09:00",
            "no_consent": "skip", "active": "on", "body": "STNK {{ vehicle_plate }} jatuh tempo minggu depan.",
            "subject": "", "subject_en": "", "body_en": ""}
    data.update(over)
    return data


# --- list + run log ------------------------------------------------------------------------------
def test_it_lists_the_rules_and_the_run_log(client, marketing_a, rule_a, branch_b, django_assert_num_queries):
    ReminderRuleFactory(name="Semua cabang")
    ReminderRuleFactory(name="Surabaya saja", branch=branch_b)
    for _ in range(5):
        ReminderRun.objects.create(started_at=dt.datetime(2027, 3, 10, 2, tzinfo=dt.timezone.utc), selected=3,
                                   sent=2, skipped={"stale": 1}, status="done")
    client.force_login(marketing_a)
    # session, user, (permissions: groups + user perms), rules with branches, runs
    with django_assert_num_queries(6):
        response = client.get(reverse("marketing:reminder_rules"))
    html = response.content.decode()
    assert "Servis Bandung" in html and "Semua cabang" in html and "Surabaya saja" not in html
    assert "stale: 1" in html


def test_the_list_needs_the_permission_and_a_login(client, readonly_a, sales_a, rule_a):
    url = reverse("marketing:reminder_rules")
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(readonly_a)  # quality control: no reminder rights
    assert client.get(url).status_code == 403
    client.force_login(sales_a)  # sales read the rules, not the run log
    response = client.get(url)
    assert response.status_code == 200 and response.context["runs"] is None


# --- create / edit -------------------------------------------------------------------------------
def test_a_marketing_manager_creates_a_rule_for_their_branch(client, marketing_a, branch_a):
    client.force_login(marketing_a)
    response = client.post(reverse("marketing:reminder_rule_create"), form_data(branch=branch_a.pk))
    rule = ReminderRule.objects.get()
    assert response.status_code == 302 and response["Location"] == rule.get_absolute_url()
    assert (rule.branch, rule.created_by, rule.lead_days, rule.send_time) == (branch_a, marketing_a, 7, dt.time(9))


def test_a_branch_cannot_write_a_rule_for_another_branch_or_for_all(client, marketing_a, branch_b):
    client.force_login(marketing_a)
    for branch in (branch_b.pk, ""):
        response = client.post(reverse("marketing:reminder_rule_create"), form_data(branch=branch))
        assert response.status_code == 200 and "branch" in response.context["form"].errors
    assert not ReminderRule.objects.exists()


def test_head_office_writes_a_rule_for_every_branch(client, head_office_user):
    client.force_login(head_office_user)
    client.post(reverse("marketing:reminder_rule_create"), form_data(branch=""))
    assert ReminderRule.objects.get().branch is None


@pytest.mark.parametrize(("field", "value"), [
    ("body", "Halo {{ nama }}"),            # unknown placeholder
    ("body", "{% if x %}a{% endif %}"),     # template tags
    ("send_time", "22:00"),                 # quiet hours (21-8)
    ("send_time", "9 pagi"),                # not a time
    ("lead_days", "400"),
    ("lead_days", "abc"),
    ("kind", "lebaran"),
])
def test_bad_input_is_a_message_at_the_field(client, marketing_a, branch_a, field, value):
    client.force_login(marketing_a)
    response = client.post(reverse("marketing:reminder_rule_create"), form_data(branch=branch_a.pk, **{field: value}))
    assert response.status_code == 200 and field in response.context["form"].errors


def test_an_email_rule_needs_a_subject(client, marketing_a, branch_a):
    client.force_login(marketing_a)
    response = client.post(reverse("marketing:reminder_rule_create"), form_data(branch=branch_a.pk, channel="email"))
    assert "subject" in response.context["form"].errors


def test_edit_happy_path(client, marketing_a, rule_a, branch_a):
    client.force_login(marketing_a)
    url = reverse("marketing:reminder_rule_edit", args=[rule_a.public_id])
    assert client.get(url).status_code == 200
    client.post(url, form_data(branch=branch_a.pk, name="Servis 3 hari", kind="service_due", lead_days=3))
    rule_a.refresh_from_db()
    assert (rule_a.name, rule_a.lead_days) == ("Servis 3 hari", 3)


def test_edit_is_404_to_another_branch_and_403_without_the_permission(client, rule_a, marketing_b, manager_a):
    url = reverse("marketing:reminder_rule_edit", args=[rule_a.public_id])
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(marketing_b)
    assert client.get(url).status_code == 404
    client.force_login(manager_a)  # Branch Management: may look, not change
    response = client.get(url)
    assert response.status_code == 200 and response.context["read_only"]
    assert client.post(url, form_data(name="Diubah")).status_code == 403
    rule_a.refresh_from_db()
    assert rule_a.name == "Servis Bandung"


def test_a_branch_may_not_edit_a_rule_for_every_branch(client, marketing_a):
    everyone = ReminderRuleFactory()
    client.force_login(marketing_a)
    url = reverse("marketing:reminder_rule_edit", args=[everyone.public_id])
    assert client.get(url).context["read_only"]
    assert client.post(url, form_data()).status_code == 403
    assert client.get(reverse("marketing:reminder_preview", args=[everyone.public_id])).status_code == 200


# --- toggle (POST only) ---------------------------------------------------------------------------
def test_toggle_pauses_and_activates(client, marketing_a, rule_a):
    client.force_login(marketing_a)
    url = reverse("marketing:reminder_rule_toggle", args=[rule_a.public_id])
    assert client.get(url).status_code == 405
    client.post(url)
    rule_a.refresh_from_db()
    assert rule_a.active is False
    client.post(url)
    rule_a.refresh_from_db()
    assert rule_a.active is True


def test_toggle_guards(client, rule_a, marketing_b, manager_a):
    url = reverse("marketing:reminder_rule_toggle", args=[rule_a.public_id])
    assert client.post(url)["Location"].startswith(reverse("login"))
    client.force_login(marketing_b)
    assert client.post(url).status_code == 404
    client.force_login(manager_a)
    assert client.post(url).status_code == 403
    rule_a.refresh_from_db()
    assert rule_a.active is True


# --- preview --------------------------------------------------------------------------------------
def test_the_preview_counts_per_day_and_shows_the_text_each_gets(client, manager_a, rule_a, branch_a,
                                                                   django_assert_num_queries):
    from django.utils import timezone

    today = timezone.localdate()
    for n in range(4):  # service due 7 and 8 days ahead: previewed on day 0 and day 1
        customer = CustomerFactory(branch=branch_a, name=f"Pelanggan {n}", consents={"sms": True},
                                   language="en" if n == 0 else "id")
        AssetFactory(customer=customer, plate_number=f"D {n} XX",
                     next_service_due=today + dt.timedelta(days=7 + n % 2))
    client.force_login(manager_a)
    url = reverse("marketing:reminder_preview", args=[rule_a.public_id])
    response = client.get(url)
    assert response.status_code == 200
    days = response.context["preview"]["days"]
    assert [day["count"] for day in days[:3]] == [2, 2, 0] and len(days) == 14
    html = response.content.decode()
    assert "Dear Pelanggan 0, D 0 XX is due for service." in html
    assert "Yth. Pelanggan 2, servis D 2 XX jatuh tempo" in html

    # The query count does not grow with the recipients: measured, then pinned with more rows.
    before = _preview_queries(client, url)
    for n in range(4, 12):
        AssetFactory(customer=CustomerFactory(branch=branch_a, consents={"sms": True}),
                     next_service_due=today + dt.timedelta(days=7 + n % 2))
    with django_assert_num_queries(before):
        client.get(url)


def _preview_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return len(ctx.captured_queries)


def test_the_preview_guards(client, rule_a, staff_b, readonly_a):
    url = reverse("marketing:reminder_preview", args=[rule_a.public_id])
    assert client.get(url)["Location"].startswith(reverse("login"))
    client.force_login(staff_b)
    assert client.get(url).status_code == 404
    client.force_login(readonly_a)
    assert client.get(url).status_code == 403


def test_the_dry_run_says_what_the_next_tick_would_do(branch_a, manager_a, settings):
    settings.REMINDER_CATCH_UP_DAYS = 0
    rule = ReminderRuleFactory(send_time=dt.time(9, 0), branch=branch_a)
    import zoneinfo
    now = dt.datetime(2027, 3, 10, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Jakarta"))
    CustomerFactory(branch=branch_a, birth_date=dt.date(1990, 3, 10), consents={"sms": True})
    CustomerFactory(branch=branch_a, birth_date=dt.date(1991, 3, 10), consents={"sms": True})
    dry = reminders.rule_preview(rule, manager_a, now=now)["today"]
    assert [(d["selected"], d["recorded"], d["pending"]) for d in dry[0]["days"]] == [(2, 0, 2)]
    reminders.reminders_tick(now=now)
    dry = reminders.rule_preview(rule, manager_a, now=now)["today"]
    assert [(d["selected"], d["recorded"], d["pending"]) for d in dry[0]["days"]] == [(2, 2, 0)]
    early = reminders.rule_preview(rule, manager_a, now=now.replace(hour=8))["today"]
    assert early[0]["before_send_time"] and early[0]["days"] == []
