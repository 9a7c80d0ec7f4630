"""Thin Celery tasks of the sales department; exactly-once lives in the database."""

from celery import shared_task

from .services import leads_escalate


@shared_task
def leads_escalate_task() -> int:
    """Every few minutes (beat, crm/settings.py): escalate leads nobody contacted in time."""
    return leads_escalate()


@shared_task
def activity_reminders_send_task() -> int:
    """Every minute (beat, crm/settings.py): remind assignees of activities about to be due."""
    from .activity_services import activity_reminders_send

    return activity_reminders_send()


@shared_task
def leads_score_age_task() -> int:
    """Nightly (beat, crm/settings.py): scores of leads whose last contact left the window."""
    from .activity_services import leads_score_age

    return leads_score_age()


@shared_task
def quotations_expire_task() -> int:
    """Daily (beat): open quotations past their validity become expired, once each."""
    from .quotations import quotations_expire

    return quotations_expire()


@shared_task
def shipments_notify_late_task() -> int:
    """Hourly (beat): shipments past their promised date notify staff, once each."""
    from .orders import shipments_notify_late

    return shipments_notify_late()
