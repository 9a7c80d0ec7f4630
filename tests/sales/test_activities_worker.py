"""Activity reminders end to end: a real thread-pool worker and TWO real beats (only one
should run; a second one by mistake must not double anything) firing the reminder task every
second from the database schedule: each activity is reminded exactly once."""

import datetime as dt
import os
import time

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Notification
from sales import activity_services
from sales.models import Activity
from tests.marketing.workers import Beat, Worker, redis_server, wait_until  # noqa: F401 (fixture)

from .factories_agenda import ActivityFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _every_second():
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="seconds")
    return PeriodicTask.objects.create(name="sales-activity-reminders-test", interval=every, expire_seconds=5,
                                       task="sales.tasks.activity_reminders_send_task")


def test_two_beats_and_a_worker_remind_each_activity_once(redis_server, branch_a, sales_a, customer_a,  # noqa: F811
                                                          tmp_path):
    now = timezone.now()
    activities = [ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a,
                                  due_at=now + dt.timedelta(minutes=1 + i)) for i in range(20)]
    later = ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, due_at=now + dt.timedelta(days=2))
    _every_second()
    db = connection.settings_dict
    env = {**{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
           "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
           "REDIS_URL": redis_server.url, "CACHE_URL": redis_server.cache_url,
           "SALES_ACTIVITY_REMINDER_MINUTES": "30"}
    procs = [Worker(env, pool="threads", concurrency=8, log_path=tmp_path / "worker.log"),
             Beat(env, log_path=tmp_path / "beat1.log"), Beat(env, log_path=tmp_path / "beat2.log")]
    try:
        for proc in procs:
            proc.start()
        reminded = Activity.objects.filter(reminded_at__isnull=False)
        wait_until(lambda: reminded.count() == len(activities), timeout=90, interval=0.5, procs=procs,
                   what=lambda: f"{len(activities)} reminded, have {reminded.count()}")
        # Let both beats fire the task several more times (each every second).
        time.sleep(6)
        for proc in procs:
            proc.check_alive()
    finally:
        for proc in procs:
            proc.stop()
    notes = list(Notification.objects.filter(verb=activity_services.ACTIVITY_DUE)
                 .values_list("recipient_id", "target_id"))
    assert sorted(notes) == sorted((sales_a.pk, a.pk) for a in activities)
    later.refresh_from_db()
    assert later.reminded_at is None  # not due within the window
