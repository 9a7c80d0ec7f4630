"""Thin Celery tasks of the sales department; exactly-once lives in the database."""

from celery import shared_task

from .services import leads_escalate


@shared_task
def leads_escalate_task() -> int:
    """Every few minutes (beat, crm/settings.py): escalate leads nobody contacted in time."""
    return leads_escalate()


# === Activities, scoring and targets (issue 10) — insert above this line ===


# === Catalogue, quotations, orders, payments, shipments (issue 11) — insert above this line ===
