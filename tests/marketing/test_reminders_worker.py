"""Reminders end to end: a real thread-pool worker, TWO real beats reading the schedule from
the database (as the migration creates it), the local Twilio-compatible gateway; and a solo
worker SIGKILLed in the middle of a tick."""

import datetime as dt
import time
from collections import Counter

import pytest
from django.apps import apps as django_apps
from django.utils import timezone

from crm.models import Asset, Customer
from marketing.models import Message, ReminderOccurrence, ReminderRun
from marketing.tasks import reminders_tick_task

from .factories import ReminderRuleFactory
from .workers import (accepted_total, production, redis_server, wait_until, worker,  # noqa: F401 (fixtures)
                      worker_env)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _schedule_every_second():
    """The beat entry exactly as migration 0009 makes it, then made to fire every second
    (what an admin would do in Periodic tasks, without a deploy)."""
    import importlib

    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    migration = importlib.import_module("marketing.migrations.0009_reminder_roles_and_schedule")
    migration.schedule(django_apps, None)
    task = PeriodicTask.objects.get(name="reminders-tick")
    assert task.task == "marketing.tasks.reminders_tick_task" and task.enabled
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    task.expire_seconds = 5
    task.save()


def _people(branch, n, prefix, *, numbers, **fields):
    """``n`` consenting customers; ``numbers`` ("+628151") starts their distinct mobiles."""
    from crm.services import customer_search_text

    Customer.objects.bulk_create([
        Customer(name=f"{prefix} {i}", phone=f"{numbers}{i:06d}", branch=branch,
                 sms_consent=True, search_text=customer_search_text(name=f"{prefix} {i}"), **fields)
        for i in range(n)])
    return list(Customer.objects.filter(branch=branch, name__startswith=prefix))


def _duplicates(gateway) -> dict:
    return {to: c for to, c in gateway.stats(detail=True)["accepted"].items() if c > 1}


def test_two_beats_and_repeated_ticks_send_each_reminder_once(gateway, production, worker_env, branch_a):
    worker_env.update(REMINDER_CATCH_UP_DAYS="0")
    today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=7))).date()  # Bandung (WIB)
    birthday = today.replace(year=1990) if not (today.month == 2 and today.day == 29) else dt.date(1992, 2, 29)
    ReminderRuleFactory(name="Ulang tahun", send_time=dt.time(0, 0), body="Selamat ulang tahun {{ first_name }}!")
    ReminderRuleFactory(name="Servis", kind="service_due", lead_days=0, send_time=dt.time(0, 0),
                        body="Servis {{ vehicle_plate }} hari ini.")
    _people(branch_a, 120, "Ulang", numbers="+628151", birth_date=birthday)
    owners = _people(branch_a, 40, "Mobil", numbers="+628152")
    Asset.objects.bulk_create([Asset(customer=c, make="Toyota", model="Avanza", plate_number=f"D {i} XY",
                                     next_service_due=today) for i, c in enumerate(owners)])
    _schedule_every_second()
    production.start()  # one worker, TWO beats, each firing the tick every second

    wait_until(lambda: accepted_total(gateway) >= 160, timeout=120, interval=0.5, procs=[production.worker],
               what=lambda: f"160 accepted, have {accepted_total(gateway)}")
    # Let both beats fire the tick many more times.
    runs_before = ReminderRun.objects.count()
    wait_until(lambda: ReminderRun.objects.count() >= runs_before + 5, timeout=60, interval=0.5,
               procs=[production.worker], what="more ticks")
    time.sleep(2)

    assert accepted_total(gateway) == 160
    assert _duplicates(gateway) == {}
    assert ReminderOccurrence.objects.count() == 160
    assert Message.objects.count() == 160
    done = ReminderRun.objects.filter(status="done")
    assert sum(done.values_list("sent", flat=True)) == 160  # the run log adds up
    assert not ReminderRun.objects.filter(status="failed").exists()


def test_a_worker_killed_mid_tick_loses_nothing_and_sends_nothing_twice(gateway, worker, branch_a):
    """The tick holds one transaction per (rule, branch, day): killed inside it, nothing is
    recorded and nothing was enqueued; the next tick does the whole day once."""
    today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=7))).date()
    ReminderRuleFactory(name="STNK", kind="stnk_due", lead_days=0, send_time=dt.time(0, 0),
                        body="Pajak STNK {{ vehicle_plate }} jatuh tempo hari ini.")
    owners = _people(branch_a, 800, "STNK", numbers="+628153")
    # Two cars each, both due: one send per vehicle (1,600 in the tick's one transaction).
    Asset.objects.bulk_create([Asset(customer=c, make="Honda", model="Brio", plate_number=f"B {i}{n} ZZ",
                                     stnk_due=today) for i, c in enumerate(owners) for n in (1, 2)])

    reminders_tick_task.delay()
    wait_until(lambda: ReminderRun.objects.filter(status="running").exists(), timeout=60, procs=[worker],
               what="the tick to start")
    time.sleep(1.0)  # well inside the 1,600 sends of the one transaction
    assert ReminderOccurrence.objects.count() == 0, "the tick finished before the kill: make it bigger"
    worker.kill()
    assert ReminderOccurrence.objects.count() == 0 and Message.objects.count() == 0  # rolled back

    worker.start()
    reminders_tick_task.delay()  # beat's next tick (the killed one is not redelivered for hours)
    wait_until(lambda: accepted_total(gateway) >= 1600, timeout=240, interval=0.5, procs=[worker],
               what=lambda: f"1600 accepted, have {accepted_total(gateway)}")
    reminders_tick_task.delay()  # and another: nothing new
    wait_until(lambda: ReminderRun.objects.filter(status="done").count() >= 2, timeout=60, procs=[worker],
               what="the second tick")
    time.sleep(1)
    accepted = gateway.stats(detail=True)["accepted"]
    assert len(accepted) == 800 and set(accepted.values()) == {2}  # each number: its two cars, once each
    assert Counter(ReminderOccurrence.objects.values_list("outcome", flat=True)) == {"queued": 1600}
    assert Message.objects.count() == 1600
