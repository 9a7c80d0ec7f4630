"""Scheduled reminders (marketing.reminders): selection, time zones, exactly once, catch-up,
consent. Time is injected: every tick is given its ``now``."""

import datetime as dt
import threading

import pytest
from django.urls import reverse
from django.db import connection, connections

from accounts.models import Branch
from crm.models import Customer, Interaction
from marketing import reminders
from marketing.models import Message, ReminderOccurrence, ReminderRule, ReminderRun, Send
from tests.factories import AssetFactory, BranchFactory, CustomerFactory

from .factories import ReminderRuleFactory

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
WIB, WITA, WIT = Branch.TimeZone.WIB, Branch.TimeZone.WITA, Branch.TimeZone.WIT


def at(day: str, hhmm: str, tz=WIB) -> dt.datetime:
    """An aware moment: ``at("2027-03-10", "09:30", WITA)``."""
    import zoneinfo

    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=zoneinfo.ZoneInfo(tz))


def d(day: str) -> dt.date:
    return dt.date.fromisoformat(day)


def person(branch, *, birth=None, sms=True, **kw):
    kw.setdefault("consents", {"sms": True} if sms else None)
    return CustomerFactory(branch=branch, birth_date=d(birth) if birth else None, **kw)


@pytest.fixture(autouse=True)
def _no_catch_up_unless_asked(settings):
    """The rules of a test were made "now" (real time), before every tick's injected day, so
    a tick would look back at earlier days too; tests of catch-up ask for it."""
    settings.REMINDER_CATCH_UP_DAYS = 0


def sent_to(rule) -> list[str]:
    """Names of the customers that have a message for ``rule``, sorted (duplicates kept)."""
    sends = ReminderOccurrence.objects.filter(rule=rule).values("send_id")
    return sorted(Message.objects.filter(send_id__in=sends).values_list("customer__name", flat=True))


def rendered(message) -> str:
    """The text ``message`` goes out with, rendered as the pipeline renders it."""
    from marketing.services import SendTexts

    message = Message.objects.select_related("send", "customer__branch").prefetch_related("customer__assets") \
        .get(pk=message.pk)
    return SendTexts(message.send).render(message)[0]


# --- birthdays, 29 February -------------------------------------------------------------------
def test_it_greets_todays_birthdays_once_at_the_send_time(branch_a):
    rule = ReminderRuleFactory(send_time=dt.time(9, 0))
    person(branch_a, birth="1990-03-10", name="Ulang Tahun")
    person(branch_a, birth="1990-03-11", name="Besok")
    person(branch_a, name="Tanpa Tanggal")

    reminders.reminders_tick(now=at("2027-03-10", "08:59"))
    assert sent_to(rule) == []  # not yet 09:00 in Bandung
    run = reminders.reminders_tick(now=at("2027-03-10", "09:01"))
    assert sent_to(rule) == ["Ulang Tahun"]
    assert (run.status, run.selected, run.sent) == ("done", 1, 1)
    send = Send.objects.get()
    assert send.purpose == Send.Purpose.MARKETING and send.department == "marketing"

    again = reminders.reminders_tick(now=at("2027-03-10", "09:06"))  # the next tick, and a repeated one
    reminders.reminders_tick(now=at("2027-03-10", "09:06"))
    assert sent_to(rule) == ["Ulang Tahun"]
    assert (again.selected, again.sent) == (0, 0)


@pytest.mark.parametrize(("today", "greeted"), [
    ("2027-02-28", True),   # not a leap year: 29 February birthdays on the 28th
    ("2028-02-28", False),  # a leap year: they have their own day...
    ("2028-02-29", True),   # ...this one
    ("2027-03-01", False),
])
def test_it_greets_29_february_birthdays_on_28_february_in_other_years(branch_a, today, greeted):
    rule = ReminderRuleFactory()
    person(branch_a, birth="2000-02-29", name="Kabisat")
    reminders.reminders_tick(now=at(today, "10:00"))
    assert sent_to(rule) == (["Kabisat"] if greeted else [])


def test_it_does_not_greet_companies(branch_a):
    rule = ReminderRuleFactory()
    person(branch_a, birth="1990-03-10", name="PT Maju", kind="company")
    reminders.reminders_tick(now=at("2027-03-10", "10:00"))
    assert sent_to(rule) == []


# --- the three zones ----------------------------------------------------------------------------
def test_each_branch_gets_its_message_at_its_own_local_send_time(db):
    rule = ReminderRuleFactory(send_time=dt.time(8, 0))  # every branch
    for code, tz in [("jkt", WIB), ("dps", WITA), ("jyp", WIT)]:
        person(BranchFactory(code=code, time_zone=tz), birth="1985-03-10", name=f"Pelanggan {code}")

    reminders.reminders_tick(now=at("2027-03-10", "07:30", WITA))  # 06:30 WIB, 08:30 WIT
    assert sent_to(rule) == ["Pelanggan jyp"]
    reminders.reminders_tick(now=at("2027-03-10", "08:00", WITA))  # 07:00 WIB
    assert sent_to(rule) == ["Pelanggan dps", "Pelanggan jyp"]
    reminders.reminders_tick(now=at("2027-03-10", "08:00", WIB))
    assert sent_to(rule) == ["Pelanggan dps", "Pelanggan jkt", "Pelanggan jyp"]


def test_today_is_the_branchs_own_day(db):
    """At 23:30 WIB on the 9th it is already the 10th in Jayapura (00:30 WIT; send at 00:00)."""
    rule = ReminderRuleFactory(send_time=dt.time(0, 0))
    person(BranchFactory(code="jkt", time_zone=WIB), birth="1985-03-10", name="Jakarta")
    person(BranchFactory(code="jyp", time_zone=WIT), birth="1985-03-10", name="Jayapura")
    with_quiet_hours_off = {"SMS_QUIET_HOURS": "0-0"}
    from django.test import override_settings
    with override_settings(**with_quiet_hours_off):
        reminders.reminders_tick(now=at("2027-03-09", "23:30", WIB))
    assert sent_to(rule) == ["Jayapura"]


def test_a_send_time_inside_quiet_hours_waits_until_they_end(branch_a, settings):
    settings.SMS_QUIET_HOURS = "21-8"
    settings.REMINDER_CATCH_UP_DAYS = 0
    rule = ReminderRuleFactory(kind="service_due", lead_days=0, send_time=dt.time(6, 0))
    AssetFactory(customer=person(branch_a, name="Pagi"), next_service_due=d("2027-03-10"))
    run = reminders.reminders_tick(now=at("2027-03-10", "07:00"))
    assert sent_to(rule) == [] and run.skipped == {"quiet_hours": 1}
    assert not ReminderOccurrence.objects.exists()  # nothing recorded: it is still to do
    reminders.reminders_tick(now=at("2027-03-10", "08:00"))
    assert sent_to(rule) == ["Pagi"]


# --- vehicle kinds and lead times ----------------------------------------------------------------
@pytest.mark.parametrize(("kind", "field"), list(reminders.ASSET_FIELD.items()))
def test_each_vehicle_kind_reads_its_date_with_the_lead_time(branch_a, kind, field):
    rule = ReminderRuleFactory(kind=kind, lead_days=7, body="{{ vehicle_plate }}: {{ name }}")
    AssetFactory(customer=person(branch_a, name="Tujuh Hari"), plate_number="D 1 AA", **{field: d("2027-03-17")})
    AssetFactory(customer=person(branch_a, name="Enam Hari"), **{field: d("2027-03-16")})
    AssetFactory(customer=person(branch_a, name="Hari Ini"), **{field: d("2027-03-10")})
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert sent_to(rule) == ["Tujuh Hari"]
    send = Send.objects.get()
    assert send.purpose == Send.Purpose.TRANSACTIONAL
    assert rendered(Message.objects.get()) == "D 1 AA: Tujuh Hari"


def test_a_negative_lead_time_is_days_after(branch_a):
    rule = ReminderRuleFactory(kind="warranty_end", lead_days=-1)
    AssetFactory(customer=person(branch_a, name="Kemarin"), warranty_end=d("2027-03-09"))
    AssetFactory(customer=person(branch_a, name="Besok"), warranty_end=d("2027-03-11"))
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert sent_to(rule) == ["Kemarin"]


def test_two_vehicles_due_the_same_day_get_one_message_each(branch_a):
    rule = ReminderRuleFactory(kind="stnk_due", lead_days=0, body="STNK {{ vehicle_plate }}")
    owner = person(branch_a, name="Dua Mobil")
    AssetFactory(customer=owner, plate_number="D 1 AA", stnk_due=d("2027-03-10"))
    AssetFactory(customer=owner, plate_number="D 2 BB", stnk_due=d("2027-03-10"))
    AssetFactory(customer=person(branch_a, name="Satu Mobil"), plate_number="D 3 CC", stnk_due=d("2027-03-10"))
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert sent_to(rule) == ["Dua Mobil", "Dua Mobil", "Satu Mobil"]
    # One send per vehicle of the two-car owner, naming it; one-car owners share a bulk send.
    assert sorted(map(str, Send.objects.values_list("asset__plate_number", flat=True))) == ["D 1 AA", "D 2 BB", "None"]
    assert sorted(rendered(m) for m in Message.objects.all()) == ["STNK D 1 AA", "STNK D 2 BB", "STNK D 3 CC"]


def test_a_rule_for_one_branch_leaves_the_others_alone(branch_a, branch_b):
    rule = ReminderRuleFactory(branch=branch_b)
    person(branch_a, birth="1990-03-10", name="Bandung")
    person(branch_b, birth="1990-03-10", name="Surabaya")
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert sent_to(rule) == ["Surabaya"]


def test_inactive_rules_send_nothing(branch_a):
    rule = ReminderRuleFactory(active=False)
    person(branch_a, birth="1990-03-10")
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert sent_to(rule) == []


# --- catch-up ----------------------------------------------------------------------------------------
def test_after_two_missed_days_it_sends_what_still_matters_and_logs_the_stale(branch_a, settings):
    settings.REMINDER_CATCH_UP_DAYS = 3
    birthday = ReminderRuleFactory()
    service = ReminderRuleFactory(kind="service_due", lead_days=3)  # three days before
    stnk = ReminderRuleFactory(kind="stnk_due", lead_days=1)  # the day before
    for day in ("03-08", "03-09", "03-10"):
        person(branch_a, birth=f"1990-{day}", name=f"Lahir {day}")
    for day in ("03-11", "03-12", "03-13", "03-14"):  # due dates 3 days after the 8th, 9th, 10th, 11th
        AssetFactory(customer=person(branch_a, name=f"Servis {day}"), next_service_due=d(f"2027-{day}"))
    AssetFactory(customer=person(branch_a, name="STNK 03-09"), stnk_due=d("2027-03-09"))  # passed: stale
    AssetFactory(customer=person(branch_a, name="STNK 03-10"), stnk_due=d("2027-03-10"))  # the day before was yesterday: still today

    # The job last ran on the 7th; it is back at 10:00 on the 10th.
    run = reminders.reminders_tick(now=at("2027-03-10", "10:00"))

    assert sent_to(birthday) == ["Lahir 03-10"]  # never a greeting days late
    assert sent_to(service) == ["Servis 03-11", "Servis 03-12", "Servis 03-13"]  # still ahead: sent
    assert sent_to(stnk) == ["STNK 03-10"]
    assert run.skipped == {"stale": 3}  # two birthdays and one STNK, once
    stale = ReminderOccurrence.objects.filter(outcome="stale")
    assert sorted(stale.values_list("customer__name", flat=True)) == ["Lahir 03-08", "Lahir 03-09", "STNK 03-09"]
    # They are recorded: the next tick neither sends nor counts them again.
    again = reminders.reminders_tick(now=at("2027-03-10", "10:05"))
    assert (again.selected, again.skipped) == (0, {})


def test_days_before_the_rule_existed_are_not_caught_up(branch_a):
    rule = ReminderRuleFactory(kind="service_due", lead_days=0)
    ReminderRule.objects.filter(pk=rule.pk).update(created_at=at("2027-03-10", "08:00"))
    AssetFactory(customer=person(branch_a, name="Kemarin"), next_service_due=d("2027-03-09"))
    AssetFactory(customer=person(branch_a, name="Hari Ini"), next_service_due=d("2027-03-10"))
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert sent_to(rule) == ["Hari Ini"]


# --- consent ------------------------------------------------------------------------------------------
def test_no_consent_is_skipped_or_becomes_a_call_task(branch_a, sales_a):
    skip = ReminderRuleFactory(name="Skip")
    call = ReminderRuleFactory(name="Telepon", no_consent=ReminderRule.NoConsent.CALL)
    person(branch_a, birth="1990-03-10", name="Tanpa Izin", sms=False, owner=sales_a)
    run = reminders.reminders_tick(now=at("2027-03-10", "09:30"))

    assert sent_to(skip) == [] and sent_to(call) == []
    outcomes = dict(ReminderOccurrence.objects.values_list("rule__name", "outcome"))
    assert outcomes == {"Skip": "no_consent", "Telepon": "call_task"}
    assert run.skipped == {"call_task": 1, "no_consent": 1}
    note = Interaction.objects.get(kind="note", source_id=ReminderOccurrence.objects.get(rule=call).pk)
    assert "Telepon" in note.summary and "call" in note.summary
    assert sales_a.notifications.filter(verb=reminders.NOTIFY_CALL).count() == 1


def test_an_opted_out_customer_is_never_called_nor_texted(branch_a, sales_a):
    from crm.services import customer_update

    rule = ReminderRuleFactory(no_consent=ReminderRule.NoConsent.CALL)
    customer = person(branch_a, birth="1990-03-10", owner=sales_a)
    customer_update(customer=customer, by=None, consents={"sms": False}, consent_source="link")
    run = reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert sent_to(rule) == [] and run.skipped == {"opted_out": 1}
    assert not sales_a.notifications.filter(verb=reminders.NOTIFY_CALL).exists()


def test_email_rules_use_email_consent(branch_a):
    rule = ReminderRuleFactory(channel="email", subject="Selamat ulang tahun")
    person(branch_a, birth="1990-03-10", name="SMS saja")  # SMS consent only
    person(branch_a, birth="1990-03-10", name="Email", sms=False, consents={"email": True})
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert sent_to(rule) == ["Email"]


# --- exactly once under failure and concurrency ---------------------------------------------------------
def test_a_run_that_dies_midway_leaves_nothing_half_done(branch_a, monkeypatch):
    rule = ReminderRuleFactory()
    person(branch_a, birth="1990-03-10", name="Ulang Tahun")

    def boom(*args, **kwargs):
        raise RuntimeError("worker died")

    monkeypatch.setattr(reminders, "_queue", boom)
    run = reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert run.status == "failed" and run.failed == 1 and "worker died" in run.error
    assert not ReminderOccurrence.objects.exists() and not Send.objects.exists()  # rolled back together
    monkeypatch.undo()
    reminders.reminders_tick(now=at("2027-03-10", "09:35"))
    assert sent_to(rule) == ["Ulang Tahun"]


def test_a_failed_run_notifies_the_admins(branch_a, monkeypatch):
    from tests.factories import UserFactory

    admin = UserFactory(email="admin@relasi.test", is_superuser=True, branch=branch_a)
    ReminderRuleFactory()
    person(branch_a, birth="1990-03-10")
    monkeypatch.setattr(reminders, "_queue", lambda *a, **k: 1 / 0)
    run = reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    assert admin.notifications.filter(verb=reminders.NOTIFY_RUN_FAILED, target_id=run.pk).count() == 1


def test_runs_left_running_by_a_killed_worker_are_closed(db):
    from django.utils import timezone

    old = ReminderRun.objects.create(started_at=timezone.now() - dt.timedelta(hours=3))
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    old.refresh_from_db()
    assert old.status == "failed" and "Interrupted" in old.error


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_send_one_message_each(branch_a):
    """Two beats fire together: both insert the same occurrences in parallel transactions.
    The unique constraint makes one wait and then insert nothing (the tick-level advisory
    lock is bypassed here on purpose: the constraint alone must hold)."""
    rule = ReminderRuleFactory()
    for n in range(30):
        person(branch_a, birth="1990-03-10", name=f"Pelanggan {n:02d}")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def tick():
        try:
            barrier.wait(timeout=10)
            results.append(reminders.rule_tick(rule=ReminderRule.objects.get(pk=rule.pk),
                                               now=at("2027-03-10", "09:30"), run=None))
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(r["sent"] for r in results) == [0, 30]
    assert len(sent_to(rule)) == 30 and len(set(sent_to(rule))) == 30
    assert Send.objects.count() == 1


def test_the_selection_uses_the_indexes_not_a_scan(branch_a):
    """EXPLAIN of one day's selection: the birthday and the due-date indexes."""
    rule = ReminderRuleFactory()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny test table: ask what the planner *can* use
        for kind, index in [("birthday", "customer_birth_md_idx"), ("stnk_due", "asset_stnk_due_idx"),
                            ("insurance_end", "asset_insurance_end_idx"), ("service_due", "asset_next_service_idx")]:
            rule.kind = kind
            sql, params, _ = reminders._candidate_sql(rule, branch_a.pk, d("2027-03-10"))
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            # On a near-empty test table the planner may prefer another index (the branch's) to
            # the one made for this lookup; what must never happen is a scan of the table.
            # (At 1M customers the plan uses `index`: see docs/PERFORMANCE.md.)
            assert "Seq Scan" not in plan and "Index" in plan, (index, plan)
        cursor.execute("SET enable_seqscan = on")


# --- text, home card ---------------------------------------------------------------------------------
def test_the_text_names_the_vehicle_and_its_date_in_the_customers_language(branch_a):
    rule = ReminderRuleFactory(kind="stnk_due", body="Pajak STNK {{ vehicle_plate }} jatuh tempo {{ stnk_due }}.",
                               body_en="The STNK tax of {{ vehicle_plate }} is due on {{ stnk_due }}.")
    bahasa = person(branch_a, name="Budi")
    english = person(branch_a, name="John", language="en")
    a1 = AssetFactory(customer=bahasa, plate_number="D 1 AA", stnk_due=d("2027-08-17"))
    a2 = AssetFactory(customer=english, plate_number="B 2 BB", stnk_due=d("2027-08-17"))
    assert reminders._render_for(rule, bahasa, a1.pk) == ("id", "Pajak STNK D 1 AA jatuh tempo 17 Agu 2027.")
    assert reminders._render_for(rule, english, a2.pk) == ("en", "The STNK tax of B 2 BB is due on 17 Aug 2027.")


def test_the_home_card_lists_todays_birthdays_and_due_dates_of_my_branch(branch_a, branch_b, sales_a):
    now = at("2027-03-10", "07:00")
    person(branch_a, birth="1990-03-10", name="Ulang Tahun")
    person(branch_b, birth="1990-03-10", name="Cabang Lain")
    AssetFactory(customer=person(branch_a, name="Pemilik"), plate_number="D 9 ZZ", insurance_end=d("2027-03-10"))
    AssetFactory(customer=person(branch_a, name="Minggu Depan"), insurance_end=d("2027-03-17"))
    rows = reminders.today_card(sales_a, now=now)
    assert [(r["customer"].name, str(r["what"]), r["asset"] and r["asset"].plate_number) for r in rows] == [
        ("Ulang Tahun", "Birthday", None), ("Pemilik", "Insurance ends", "D 9 ZZ")]


def test_the_home_card_is_on_the_home_page(client, branch_a, sales_a):
    from django.utils import timezone

    today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    AssetFactory(customer=person(branch_a, name="Servis Hari Ini"), next_service_due=today)
    client.force_login(sales_a)
    html = client.get("/").content.decode()
    assert "Birthdays and due dates today" in html and "Servis Hari Ini" in html
    # A service due today links to the workshop's booking page for that customer.
    customer = Customer.objects.get(name="Servis Hari Ini")
    assert f'href="{reverse("service:book", args=[customer.public_id])}" class="reminder-book"' in html
