"""Who may manage reminder rules, and the beat entry that runs the reminder job.

The schedule lives in django-celery-beat's tables (created here, not in CELERY_BEAT_SCHEDULE,
which beat would copy over any edit at start): staff change the interval in the admin
(Periodic tasks → reminders-tick) without a deploy."""

from django.db import migrations

from accounts.roles import grant_role_permissions

VIEW = ["marketing.view_reminderrule", "marketing.view_reminderrun"]
MANAGE = VIEW + ["marketing.add_reminderrule", "marketing.change_reminderrule"]
# Everyone who talks to customers may read the rules and preview who gets what; the run log
# and changes are for marketing, head office (and the branch manager reads the log).
READ = ["marketing.view_reminderrule"]
ROLES = {"Marketing": MANAGE, "Head Office": MANAGE, "Branch Management": VIEW, "Sales": READ, "Service": READ}

TASK_NAME = "reminders-tick"
EVERY_MINUTES = 5


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every, _ = IntervalSchedule.objects.get_or_create(every=EVERY_MINUTES, period="minutes")
    # A tick not started within its interval is dropped: after an outage the queued copies
    # do not all run (the next one catches up anyway).
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={"task": "marketing.tasks.reminders_tick_task", "interval": every,
                  "expire_seconds": EVERY_MINUTES * 60, "enabled": True,
                  "description": "Scheduled reminders (birthday, service, STNK, warranty, insurance)."})
    # Tell running beats the schedule changed (what PeriodicTasks.changed() does).
    from django.utils import timezone
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("marketing", "0008_reminders"), ("django_celery_beat", "0019_alter_periodictasks_options"),
                    ("crm", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop),
                  migrations.RunPython(schedule, unschedule)]
