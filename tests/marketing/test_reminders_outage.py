"""Reminders when Redis (the broker) is down: the tick records its occasions and creates the
sends in the database, but cannot enqueue their dispatch. Nothing may be lost: once Redis is
back, the production worker and its two beats deliver every reminder, each exactly once."""

import datetime as dt
import time

import pytest
from django.utils import timezone

from marketing import reminders
from marketing.models import Message, ReminderOccurrence, ReminderRun, Send

from .factories import ReminderRuleFactory
from .test_reminders_worker import _duplicates, _people, _schedule_every_second
from .workers import (accepted_total, production, redis_server, wait_until, worker_env,  # noqa: F401 (fixtures)
                      )

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_a_tick_while_redis_is_down_loses_nothing_once_it_is_back(gateway, production, redis_server, worker_env,
                                                                  branch_a):
    worker_env.update(REMINDER_CATCH_UP_DAYS="0")
    today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=7))).date()  # Bandung (WIB)
    birthday = today.replace(year=1990) if not (today.month == 2 and today.day == 29) else dt.date(1992, 2, 29)
    ReminderRuleFactory(name="Ulang tahun", send_time=dt.time(0, 0), body="Selamat ulang tahun {{ first_name }}!")
    _people(branch_a, 60, "Redis", numbers="+628154", birth_date=birthday)

    redis_server.stop()
    started = time.monotonic()
    run = reminders.reminders_tick()  # what the beat's task runs; its dispatch cannot be enqueued
    took = time.monotonic() - started
    assert run.status == ReminderRun.Status.DONE and run.sent == 60
    assert ReminderOccurrence.objects.filter(outcome="queued").count() == 60
    assert Message.objects.filter(status="queued").count() == 60 and accepted_total(gateway) == 0
    assert Send.objects.get().status == Send.Status.RUNNING
    assert took < 30, f"the tick waited {took:.0f} s on the dead broker"

    redis_server.start()
    _schedule_every_second()
    production.start()  # the sweeper wakes the saved send; the beats' ticks find the day done
    wait_until(lambda: accepted_total(gateway) >= 60, timeout=120, interval=0.5, procs=[production.worker],
               what=lambda: f"60 accepted, have {accepted_total(gateway)}")
    runs_before = ReminderRun.objects.count()
    wait_until(lambda: ReminderRun.objects.count() >= runs_before + 3, timeout=60, interval=0.5,
               procs=[production.worker], what="more ticks after the outage")
    time.sleep(2)

    assert accepted_total(gateway) == 60 and _duplicates(gateway) == {}
    assert ReminderOccurrence.objects.count() == 60 and Message.objects.count() == 60
    assert not ReminderRun.objects.filter(status="failed").exists()
