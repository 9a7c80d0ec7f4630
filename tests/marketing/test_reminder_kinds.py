"""Reminder kinds another app registers (crm.registry.reminder_kinds): sales' payment due and
quotation expiring. Each goes out once per (rule, customer, record, date), through the same
job and pipeline as a birthday, saying what it is about (the order number, the amount still
owed, the quotation), in the customer's language."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from marketing import reminders
from marketing.forms import ReminderRuleForm
from marketing.models import Message, ReminderOccurrence
from sales.models import PaymentDue, Quotation, SalesOrder
from tests.sales.factories_orders import QuotationFactory, SalesOrderFactory

from .factories import ReminderRuleFactory
from .test_reminders import at, d, rendered

pytestmark = pytest.mark.django_db

PAYMENT_TEXT = "Yth. {{ name }}, pembayaran {{ order_number }} sebesar {{ amount_due }} jatuh tempo {{ payment_due_date }}."
PAYMENT_TEXT_EN = "Dear {{ name }}, {{ amount_due }} for {{ order_number }} is due on {{ payment_due_date }}."


@pytest.fixture(autouse=True)
def _no_catch_up(settings):
    settings.REMINDER_CATCH_UP_DAYS = 0


def order_for(branch, *, language="id"):
    order = SalesOrder.objects.get(pk=SalesOrderFactory(branch=branch).pk)
    customer = order.customer
    customer.sms_consent, customer.language = True, language
    customer.save()
    return order


def due(order, day, amount, *, paid=0, paid_in_full=False):
    return PaymentDue.objects.create(order=order, kind=PaymentDue.Kind.INSTALMENT, due_date=d(day),
                                     amount=Decimal(amount), paid_amount=Decimal(paid),
                                     paid_at=at(day, "10:00") if paid_in_full else None)


def messages_of(rule):
    return list(Message.objects.filter(send_id__in=ReminderOccurrence.objects.filter(rule=rule).values("send_id")))


def test_it_reminds_each_unpaid_payment_once_with_what_is_still_owed(branch_a):
    rule = ReminderRuleFactory(name="Angsuran", kind="payment_due", lead_days=3, send_time=dt.time(9, 0),
                               body=PAYMENT_TEXT)
    order = order_for(branch_a)
    due(order, "2027-03-13", 5_000_000, paid=1_000_000)  # partly paid: 4.000.000 still owed
    due(order, "2027-03-13", 2_000_000, paid=2_000_000, paid_in_full=True)  # paid: nothing to remind
    due(order, "2027-03-20", 5_000_000)  # a week later: not today's
    cancelled = order_for(branch_a)
    SalesOrder.objects.filter(pk=cancelled.pk).update(status=SalesOrder.Status.CANCELLED, cancel_reason="Batal")
    due(cancelled, "2027-03-13", 9_000_000)

    for _ in range(2):  # a repeated tick sends nothing more
        reminders.reminders_tick(now=at("2027-03-10", "09:30"))

    [message] = messages_of(rule)
    assert message.customer_id == order.customer_id
    assert rendered(message) == (f"Yth. {order.customer.name}, pembayaran {order.number} sebesar Rp 4.000.000 "
                                 f"jatuh tempo 13 Mar 2027.")
    assert ReminderOccurrence.objects.filter(rule=rule).count() == 1


def test_two_payments_of_one_customer_due_the_same_day_are_two_reminders(branch_a):
    rule = ReminderRuleFactory(name="Angsuran", kind="payment_due", lead_days=0, body=PAYMENT_TEXT)
    order = order_for(branch_a)
    due(order, "2027-03-10", 1_500_000)
    due(order, "2027-03-10", 2_500_000)
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    texts = sorted(rendered(m) for m in messages_of(rule))
    assert len(texts) == 2 and "Rp 1.500.000" in texts[0] and "Rp 2.500.000" in texts[1]


def test_an_english_speaking_customer_reads_it_in_english(branch_a):
    rule = ReminderRuleFactory(name="Angsuran", kind="payment_due", lead_days=0, body=PAYMENT_TEXT,
                               body_en=PAYMENT_TEXT_EN)
    order = order_for(branch_a, language="en")
    due(order, "2027-08-17", 3_000_000)
    reminders.reminders_tick(now=at("2027-08-17", "09:30"))
    [message] = messages_of(rule)
    assert rendered(message) == f"Dear {order.customer.name}, Rp 3,000,000 for {order.number} is due on 17 Aug 2027."


def test_it_reminds_of_a_sent_quotation_before_it_expires_not_of_a_draft(branch_a):
    rule = ReminderRuleFactory(name="Penawaran", kind="quotation_expiring", lead_days=2,
                               body="Penawaran {{ quotation_number }} ({{ quotation_total }}) berlaku sampai "
                                    "{{ quotation_valid_until }}.")
    sent, draft = QuotationFactory(branch=branch_a), QuotationFactory(branch=branch_a)
    Quotation.objects.filter(pk=sent.pk).update(status=Quotation.Status.SENT, valid_until=d("2027-03-12"))
    Quotation.objects.filter(pk=draft.pk).update(valid_until=d("2027-03-12"))
    for quotation in (sent, draft):
        quotation.customer.sms_consent = True
        quotation.customer.save()
    reminders.reminders_tick(now=at("2027-03-10", "09:30"))
    [message] = messages_of(rule)
    sent.refresh_from_db()
    assert message.customer_id == sent.customer_id
    assert rendered(message) == f"Penawaran {sent.display_number} (Rp 1.110.000) berlaku sampai 12 Mar 2027."


def test_the_rule_form_accepts_a_kinds_placeholders_for_that_kind_only(head_office_user, role_groups):
    data = {"name": "Angsuran", "kind": "payment_due", "channel": "sms", "lead_days": 3, "send_time": "09:00",
            "no_consent": "skip", "active": "on", "body": PAYMENT_TEXT}
    form = ReminderRuleForm(data=data, user=head_office_user)
    assert form.is_valid(), form.errors
    form = ReminderRuleForm(data={**data, "kind": "birthday"}, user=head_office_user)
    assert not form.is_valid() and "Unknown placeholder(s): amount_due, order_number, payment_due_date" in \
        form.errors["body"][0]
    assert ("payment_due", "Payment due") in [(k, str(v)) for k, v in form.fields["kind"].choices]


def test_the_preview_shows_who_gets_which_payment_reminder(client, branch_a, head_office_user, role_groups):
    from django.utils import timezone

    rule = ReminderRuleFactory(name="Angsuran", kind="payment_due", lead_days=0, body=PAYMENT_TEXT)
    order = order_for(branch_a)
    due(order, str(timezone.localdate() + dt.timedelta(days=2)), 7_250_000)
    client.force_login(head_office_user)
    page = client.get(reverse("marketing:reminder_preview", args=[rule.public_id]))
    assert page.status_code == 200
    assert f"pembayaran {order.number} sebesar Rp 7.250.000" in page.content.decode()
