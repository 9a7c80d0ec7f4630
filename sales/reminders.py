"""Reminder kinds sales owns (issue 13): a payment falling due and a quotation about to expire.

Registered in crm.registry.reminder_kinds from SalesConfig.ready(); marketing's reminder job
sends them exactly once per (rule, customer, record, date) like its own kinds, each message
carrying what it says about its record (the order number and amount, the quotation's).
"""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from crm.formatting import format_rupiah
from crm.registry import ReminderKind

from .models import PaymentDue, Quotation, SalesOrder

PAYMENT_DUE, QUOTATION_EXPIRING = "payment_due", "quotation_expiring"


def _date(day, language: str) -> str:
    with translation.override(language or settings.LANGUAGE_CODE):
        return date_format(day)


def payment_candidates(branch_id: int, occasion):
    """Unpaid instalments due on ``occasion`` of the branch's orders that still stand."""
    return (PaymentDue.objects.filter(due_date=occasion, paid_at__isnull=True, order__branch_id=branch_id)
            .exclude(order__status=SalesOrder.Status.CANCELLED)
            .values_list("order__customer_id", "id"))


def payment_values(ids: list[int], language: str) -> dict[int, dict[str, str]]:
    dues = PaymentDue.objects.filter(pk__in=ids).select_related("order").only(
        "amount", "paid_amount", "due_date", "order__number")
    return {due.pk: {"order_number": due.order.number,
                     "amount_due": format_rupiah(due.amount - due.paid_amount, language=language),
                     "payment_due_date": _date(due.due_date, language)} for due in dues}


def quotation_candidates(branch_id: int, occasion):
    """Quotations sent to the customer (not drafts) whose validity ends on ``occasion``."""
    return (Quotation.objects.filter(valid_until=occasion, status=Quotation.Status.SENT, branch_id=branch_id)
            .values_list("customer_id", "id"))


def quotation_values(ids: list[int], language: str) -> dict[int, dict[str, str]]:
    quotations = Quotation.objects.filter(pk__in=ids).only("number", "revision", "total", "valid_until")
    return {q.pk: {"quotation_number": q.display_number,
                   "quotation_total": format_rupiah(q.total, language=language),
                   "quotation_valid_until": _date(q.valid_until, language)} for q in quotations}


KINDS = [
    ReminderKind(key=PAYMENT_DUE, label=_("Payment due"), candidates=payment_candidates, values=payment_values,
                 placeholders={"order_number": "JKS/SO/2026/000123", "amount_due": "Rp 5.000.000",
                               "payment_due_date": "25 Nov 2026"}, order=60),
    ReminderKind(key=QUOTATION_EXPIRING, label=_("Quotation expiring"), candidates=quotation_candidates,
                 values=quotation_values, placeholders={"quotation_number": "JKS/QUO/2026/000123",
                                                        "quotation_total": "Rp 325.000.000",
                                                        "quotation_valid_until": "30 Nov 2026"}, order=70),
]
