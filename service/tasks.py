"""Workshop background work: thin tasks over service.services."""

from celery import shared_task

from . import services


@shared_task
def booking_reminders_send_task() -> int:
    """Hourly (crm/settings.py CELERY_BEAT_SCHEDULE): the day-before SMS, once per booking."""
    return services.booking_reminders_send()
