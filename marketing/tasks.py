"""Thin Celery tasks: load by id, call a service. Exactly-once lives in the database."""

from celery import shared_task

from .models import Message, Send
from .services import messages_reconcile_stuck, send_process_chunk


@shared_task(acks_late=True)
def send_dispatch_task(send_id: int) -> int:
    """Work through a send chunk by chunk until nothing is due now."""
    total = 0
    while True:
        claimed = send_process_chunk(send_id=send_id)
        if not claimed:
            return total
        total += claimed


@shared_task
def sends_sweep_task() -> int:
    """Every minute (beat): reconcile stuck rows and wake sends with due rows.

    A lost Redis message or a killed worker can delay a send, never lose it.
    """
    messages_reconcile_stuck()
    due = Send.objects.filter(status=Send.Status.RUNNING, messages__status=Message.Status.QUEUED).distinct()
    woken = 0
    for send_id in due.values_list("pk", flat=True):
        send_dispatch_task.delay(send_id)
        woken += 1
    return woken
