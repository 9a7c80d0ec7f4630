"""The reminder before an activity is due: sent to the assignee once, in its window — also
with two sweeps running at the same moment on their own database connections (two beats)
and with a sweep run again (a retried task)."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Notification
from sales import activity_services
from sales.models import Activity
from sales.tasks import activity_reminders_send_task

from .factories_agenda import ActivityFactory

MINUTES = 30


@pytest.fixture(autouse=True)
def _reminder_minutes(settings):
    settings.SALES_ACTIVITY_REMINDER_MINUTES = MINUTES


def reminders(user):
    return Notification.objects.filter(recipient=user, verb=activity_services.ACTIVITY_DUE)


@pytest.mark.django_db
def test_it_reminds_the_assignee_once_within_the_window(branch_a, sales_a, customer_a):
    now = timezone.now()
    activity = ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, subject="Call Budi",
                               due_at=now + dt.timedelta(minutes=MINUTES + 5))
    assert activity_services.activity_reminders_send(now=now) == 0  # not yet: 35 minutes ahead
    later = now + dt.timedelta(minutes=5)
    assert activity_services.activity_reminders_send(now=later) == 1
    note = reminders(sales_a).get()
    # The due time in the assignee's branch zone (Bandung: WIB).
    due = timezone.localtime(activity.due_at, ZoneInfo("Asia/Jakarta"))
    assert note.target_id == activity.pk and note.text == f"Call: Call Budi · {due:%-d %b %H:%M} WIB"
    assert note.target_url == activity.get_absolute_url()
    activity.refresh_from_db()
    assert activity.reminded_at == later
    # The next beats, and a retried task, find nothing left to send.
    assert activity_services.activity_reminders_send(now=later + dt.timedelta(minutes=1)) == 0
    assert activity_reminders_send_task.apply().get() == 0
    assert reminders(sales_a).count() == 1


@pytest.mark.django_db
def test_it_leaves_done_and_long_overdue_activities_alone(branch_a, sales_a, customer_a):
    now = timezone.now()
    done = ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, due_at=now + dt.timedelta(10))
    activity_services.activity_complete(activity=done, by=sales_a)
    Activity.objects.filter(pk=done.pk).update(due_at=now + dt.timedelta(minutes=10))
    ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, due_at=now - dt.timedelta(hours=3))
    assert activity_services.activity_reminders_send(now=now) == 0
    assert not reminders(sales_a).exists()


@pytest.mark.django_db
def test_a_rescheduled_activity_is_reminded_again_for_its_new_time(branch_a, sales_a, customer_a):
    now = timezone.now()
    activity = ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a,
                               due_at=now + dt.timedelta(minutes=10))
    assert activity_services.activity_reminders_send(now=now) == 1
    activity_services.activity_update(activity=activity, by=None, due_at=now + dt.timedelta(days=1))
    assert activity_services.activity_reminders_send(now=now) == 0
    assert activity_services.activity_reminders_send(now=now + dt.timedelta(days=1, minutes=-10)) == 1
    assert reminders(sales_a).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_send_each_reminder_once(branch_a, sales_a, customer_a):
    now = timezone.now()
    activities = [ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a,
                                  due_at=now + dt.timedelta(minutes=i % 20)) for i in range(30)]
    sweeps, barrier, results, errors = 4, threading.Barrier(4), [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(activity_services.activity_reminders_send(now=now))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()  # each thread had its own connection

    threads = [threading.Thread(target=sweep) for _ in range(sweeps)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert sum(results) == len(activities)  # each claimed by exactly one of the sweeps
    per_activity = {}
    for target_id in reminders(sales_a).values_list("target_id", flat=True):
        per_activity[target_id] = per_activity.get(target_id, 0) + 1
    assert per_activity == {a.pk: 1 for a in activities}
    assert not Activity.objects.filter(reminded_at__isnull=True).exists()


@pytest.mark.django_db
def test_the_reminder_says_the_due_time_in_the_assignees_branch_zone(branch_b, staff_b, customer_b):
    branch_b.time_zone = "Asia/Makassar"  # WITA, UTC+8
    branch_b.save()
    due = dt.datetime(2026, 11, 24, 6, 30, tzinfo=dt.UTC)  # 14:30 in Makassar
    ActivityFactory(branch=branch_b, assignee=staff_b, customer=customer_b, subject="Visit PT Maju", kind="visit",
                    due_at=due)
    assert activity_services.activity_reminders_send(now=due - dt.timedelta(minutes=10)) == 1
    assert reminders(staff_b).get().text == "Visit or meeting: Visit PT Maju · 24 Nov 14:30 WITA"
