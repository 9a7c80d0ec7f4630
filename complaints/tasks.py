"""Thin tasks: the SLA sweep (beat, see crm/settings.py "complaints-sla-sweep")."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def complaints_sla_sweep_task() -> int:
    # Safe to run twice at once or again after a crash: each escalation is claimed by a
    # conditional UPDATE (services._claim) before anyone is told.
    return services.complaints_escalate_breached()
