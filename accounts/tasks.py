"""Thin Celery tasks for staff notifications: take ids, call one service."""

import logging

from celery import shared_task

from .services import (
    TRANSIENT_EMAIL_ERRORS,
    notification_email_give_up,
    notification_email_send,
    notification_emails_sweep,
    notifications_prune,
)

log = logging.getLogger(__name__)

EMAIL_MAX_RETRIES = 5


@shared_task(bind=True, acks_late=True, max_retries=EMAIL_MAX_RETRIES)
def notification_email_task(self, notification_id: int) -> bool:
    """The email copy of one notification, through settings.EMAIL_BACKEND. A mail server
    that is down is tried again after 1, 2, 4, 8 and 16 minutes, then given up ("failed")."""
    try:
        return notification_email_send(notification_id=notification_id)
    except TRANSIENT_EMAIL_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            log.error("Giving up the email copy of notification %s: %s", notification_id, exc)
            notification_email_give_up(notification_id=notification_id)
            return False
        raise self.retry(exc=exc, countdown=60 * 2**self.request.retries)


@shared_task
def notifications_prune_task() -> int:
    """Daily (beat): delete notifications older than NOTIFICATION_MAX_AGE_DAYS, in batches."""
    return notifications_prune()


@shared_task
def notification_emails_sweep_task() -> tuple[int, int]:
    """Every 15 minutes (beat): email copies whose task was lost are enqueued again or ended."""
    return notification_emails_sweep()
