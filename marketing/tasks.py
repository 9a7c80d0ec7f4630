"""Thin Celery tasks: load by id, call a service. Exactly-once lives in the database."""

import logging
import time

from celery import shared_task
from django.conf import settings

from .services import send_process_chunk, sweep_once

log = logging.getLogger(__name__)


@shared_task(acks_late=True)
def send_dispatch_task(send_id: int) -> int:
    """Work through a send batch by batch until nothing is due now.

    After SMS_DISPATCH_SLICE_SECONDS it hands over to a fresh copy of itself at the back
    of the queue, so a long send never holds every pool thread and starves the sweeper
    (whose beat entry expires if it waits too long).
    """
    deadline = time.monotonic() + settings.SMS_DISPATCH_SLICE_SECONDS
    total = 0
    while True:
        claimed = send_process_chunk(send_id=send_id)
        if not claimed:
            return total
        total += claimed
        if time.monotonic() > deadline:
            try:
                send_dispatch_task.delay(send_id)
            except Exception:  # broker down: the sweeper wakes the send when it is back
                log.warning("Could not hand send %s over to a new dispatch task", send_id)
            return total


@shared_task
def sends_sweep_task() -> dict | None:
    """Every SMS_SWEEP_SECONDS (beat): release lapsed claims, reconcile unknown outcomes,
    fetch missing final statuses, wake sends with due rows. One at a time (an advisory
    lock); the beat entry expires, so sweeps queued during an outage are dropped.

    A lost Redis message or a killed worker can delay a send, never lose it.
    """
    return sweep_once()


@shared_task
def reminders_tick_task() -> int | None:
    """Every few minutes (the "reminders-tick" beat entry, stored in the database): record and
    send the reminders whose local send time has passed. Safe to run twice at once, or again
    after a crash: exactly-once is the occurrence table's unique constraint."""
    from .reminders import reminders_tick

    run = reminders_tick()
    return run.pk if run else None


@shared_task
def campaigns_tick_task() -> dict:
    """Every CAMPAIGNS_TICK_SECONDS (beat), and at once when a campaign is sent: start the
    campaigns due in each branch's zone, finish those whose sends are done (statistics
    stored). Safe to run twice at once (marketing.campaigns.campaigns_tick)."""
    from .campaigns import campaigns_tick

    return campaigns_tick(fan_out=True)


@shared_task(acks_late=True)
def campaign_branch_start_task(run_id: int) -> int | None:
    """One branch's send of a campaign (hold-out recorded, rows queued): exactly once, by a
    row lock and the send's idempotency key, however often it is delivered."""
    from .campaigns import branch_run_start

    send = branch_run_start(run_id=run_id)
    return send.pk if send else None
