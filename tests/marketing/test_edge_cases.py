"""Messaging edge cases: empty and wrong audiences, email with no known outcome, pausing
and resuming atomically, and every skipped customer counted (and shown) by its real reason."""

import datetime as dt
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from crm.models import Customer, Interaction
from marketing import services
from marketing.models import Message, Send
from marketing.tasks import send_dispatch_task
from tests.crm.pages import flash_messages
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _send(customers, by, key="k", channel="sms", **kwargs):
    return services.send_create(idempotency_key=key, channel=channel, name="Promo", body="Halo {{ first_name }}",
                                customers=customers, by=by, **kwargs)


# --- 1. an empty audience ---------------------------------------------------------------------
@pytest.mark.parametrize("audience", [
    lambda user: Customer.objects.none(),
    lambda user: Customer.objects.filter(pk__in=[]),
    lambda user: [],
    lambda user: Customer.objects.visible_to(user),  # staff without a branch see no one
])
def test_it_finishes_a_send_to_an_empty_audience_at_once(gateway, branch_a, audience,
                                                          django_capture_on_commit_callbacks):
    CustomerFactory(branch=branch_a, consents={"sms": True})  # someone exists, just not in the audience
    nobody = UserFactory(branch=None, department=Department.MARKETING)
    with django_capture_on_commit_callbacks() as callbacks:
        send = _send(audience(nobody), nobody)
    assert (send.status, send.recipients, send.skipped) == (Send.Status.DONE, 0, {})
    assert Send.objects.get().status == Send.Status.DONE  # as stored, not only as returned
    assert not Message.objects.exists()
    assert callbacks == []  # no dispatch task for nothing to do


def test_it_finishes_a_send_whose_whole_audience_is_skipped(gateway, branch_a, sales_a,
                                                            django_capture_on_commit_callbacks):
    people = [CustomerFactory(branch=branch_a, consents={"sms": False}) for _ in range(2)]
    with django_capture_on_commit_callbacks() as callbacks:
        send = _send([p.pk for p in people], sales_a)
    assert (send.status, send.recipients, send.skipped) == (Send.Status.DONE, 0, {"no_consent": 2})
    assert callbacks == []


# --- 2. only customers --------------------------------------------------------------------------
def test_it_refuses_an_audience_that_is_not_customers(gateway, branch_a, sales_a, customer_a):
    other = CustomerFactory(branch=branch_a, consents={"sms": True})
    # Interaction ids are not customer ids: this once messaged whichever customers had those ids.
    touches = Interaction.objects.filter(customer=customer_a)
    with pytest.raises(TypeError, match="not a Interaction queryset"):
        _send(touches, sales_a)
    with pytest.raises(TypeError, match="customer ids as ints"):
        _send([other], sales_a)  # customers instead of their ids
    with pytest.raises(TypeError, match="customer ids as ints"):
        _send([str(other.pk)], sales_a)
    with pytest.raises(TypeError, match="not str"):
        _send(str(other.pk), sales_a)  # a string is iterable, but not a list of ids
    with pytest.raises(TypeError, match="not NoneType"):
        _send(None, sales_a)
    assert not Send.objects.exists() and not Message.objects.exists()
    # What it accepts: Customer querysets (values_list ones too) and ids.
    assert _send(Customer.objects.filter(pk=other.pk).values_list("id", flat=True), sales_a, key="a").recipients == 1
    assert _send((pk for pk in [other.pk]), sales_a, key="b").recipients == 1


# --- 3. email with no known outcome -----------------------------------------------------------
class DroppedConnectionBackend:
    """An SMTP server that takes the message and drops the connection before answering."""

    def __init__(self, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionResetError("Connection reset by peer")


def test_it_ends_an_email_stuck_without_an_answer_and_lets_staff_retry_it(
        gateway, branch_a, sales_a, settings, client, mailoutbox, django_capture_on_commit_callbacks):
    ayu = CustomerFactory(name="Ayu Lestari", email="ayu@contoh.id", branch=branch_a, consents={"email": True})
    send = services.send_create(idempotency_key="mail", channel="email", name="Newsletter", subject="Halo",
                                body="Halo {{ first_name }}!", customers=[ayu.pk], by=sales_a)
    settings.EMAIL_BACKEND = f"{__name__}.DroppedConnectionBackend"
    with pytest.raises(ConnectionResetError):  # the dispatch task dies mid-request
        services.send_process_chunk(send_id=send.pk)
    row = Message.objects.get(send=send)
    assert row.status == Message.Status.SENDING and row.request_started_at

    services.sweep_once()  # the request may still be in flight: left alone
    assert Message.objects.get(pk=row.pk).status == Message.Status.SENDING
    long_ago = timezone.now() - dt.timedelta(seconds=services._in_flight_cutoff_seconds() + 1)
    Message.objects.filter(pk=row.pk).update(request_started_at=long_ago)
    services.sweep_once()
    row.refresh_from_db()
    send.refresh_from_db()
    assert row.status == Message.Status.UNRESOLVED and send.status == Send.Status.DONE
    assert row.get_status_display() == "Outcome unknown (not retried)"
    client.force_login(sales_a)
    outbox = client.get(reverse("marketing:outbox"), {"status": "unresolved"}).content.decode()
    assert "ayu@contoh.id" in outbox and "Outcome unknown (not retried)" in outbox
    services.sweep_once()  # not resent by itself
    assert Message.objects.get(pk=row.pk).status == Message.Status.UNRESOLVED and mailoutbox == []

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks() as callbacks:
        retried = services.message_retry(message=row, by=sales_a)
    assert retried.status == Message.Status.QUEUED and len(callbacks) == 1  # its send is woken
    assert Send.objects.get(pk=send.pk).status == Send.Status.RUNNING
    send_dispatch_task.run(send.pk)
    row.refresh_from_db()
    send.refresh_from_db()
    assert [m.to for m in mailoutbox] == [["ayu@contoh.id"]]
    assert row.status == Message.Status.DELIVERED and send.status == Send.Status.DONE
    with pytest.raises(ValidationError, match="Only a message whose outcome is unknown"):
        services.message_retry(message=row, by=sales_a)  # delivered: nothing to retry


def test_it_leaves_a_stuck_sms_to_reconciliation(gateway, customer_a, sales_a):
    customer_a.sms_consent = True
    customer_a.save()
    send = _send([customer_a.pk], sales_a)
    long_ago = timezone.now() - dt.timedelta(hours=1)
    Message.objects.filter(send=send).update(status="unknown", request_started_at=long_ago, claimed_at=long_ago)
    assert services.messages_email_unresolved() == 0
    assert Message.objects.get(send=send).status == Message.Status.UNKNOWN  # the provider will be asked


def test_it_does_not_retry_a_message_of_a_cancelled_send(gateway, branch_a, sales_a):
    ayu = CustomerFactory(email="ayu@contoh.id", branch=branch_a, consents={"email": True})
    send = _send([ayu.pk], sales_a, channel="email")
    Message.objects.filter(send=send).update(status=Message.Status.UNRESOLVED)
    services.send_cancel(send=send)
    with pytest.raises(ValidationError, match="cancelled"):
        services.message_retry(message=Message.objects.get(send=send), by=sales_a)
    assert Message.objects.get(send=send).status == Message.Status.UNRESOLVED


# --- 4. pause and resume are all or nothing ------------------------------------------------------
def test_it_keeps_a_send_paused_when_resuming_fails_halfway(gateway, customer_a, sales_a):
    customer_a.sms_consent = True
    customer_a.save()
    send = _send([customer_a.pk], sales_a)
    services.send_pause(send=send)
    with mock.patch.object(services, "_dispatch_on_commit", side_effect=RuntimeError("broken")), \
            pytest.raises(RuntimeError):
        services.send_resume(send=send)
    # Not "Sending" with no task to send it: still paused, to be resumed again.
    assert Send.objects.get(pk=send.pk).status == Send.Status.PAUSED


def test_it_enqueues_the_resumed_dispatch_only_when_the_resume_commits(gateway, customer_a, sales_a,
                                                                      django_capture_on_commit_callbacks):
    customer_a.sms_consent = True
    customer_a.save()
    send = _send([customer_a.pk], sales_a)
    services.send_pause(send=send)
    with mock.patch("marketing.tasks.send_dispatch_task.delay") as delay:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.send_resume(send=send)
            assert not delay.called  # not before the commit
        assert len(callbacks) == 1 and delay.call_args.args == (send.pk,)
    assert Send.objects.get(pk=send.pk).status == Send.Status.RUNNING


def test_it_keeps_a_send_running_when_pausing_fails_halfway(gateway, customer_a, sales_a):
    customer_a.sms_consent = True
    customer_a.save()
    send = _send([customer_a.pk], sales_a)
    with mock.patch.object(services, "_unsent_claims", side_effect=RuntimeError("broken")), \
            pytest.raises(RuntimeError):
        services.send_pause(send=send)
    assert Send.objects.get(pk=send.pk).status == Send.Status.RUNNING


# --- 5./6. who can take an SMS, and why someone was skipped -------------------------------------
def test_it_sends_to_every_mobile_and_counts_each_skipped_customer_by_reason(gateway, branch_a, sales_a):
    def person(name, phone, consent=True):
        return CustomerFactory(name=name, phone=phone, branch=branch_a, consents={"sms": consent})

    person("Budi", "+6281234567890")  # Indonesian mobile
    person("Lim", "+6591234567")  # a Singapore mobile can take SMS too
    person("Kantor", "+62215551234")  # a Jakarta landline saved as mobile (before the form refused it)
    person("Bali", "+62361234567")  # a Denpasar landline
    person("Bebas Pulsa", "+62800123456")  # toll-free
    person("Tanpa Nomor", "")
    person("Tanpa Izin", "+6281200000001", consent=False)
    stopped = person("Berhenti", "+6281200000002")
    services.sms_inbound(from_number=stopped.phone, body="STOP")
    unsubscribed = person("Operator", "+6281200000003")
    gateway.configure(numbers={unsubscribed.phone: 21610})  # the carrier says the number unsubscribed
    first = _send(Customer.objects.filter(name="Operator"), sales_a, key="first")
    send_dispatch_task.run(first.pk)

    send = _send(Customer.objects.filter(branch=branch_a), sales_a)
    assert sorted(send.messages.values_list("to", flat=True)) == ["+6281234567890", "+6591234567"]
    assert send.skipped == {"no_consent": 1, "opted_out": 2, "not_mobile": 4}
    send_dispatch_task.run(send.pk)
    assert gateway.stats()["accepted"] == {"+6281234567890": 1, "+6591234567": 1}


def test_it_counts_a_customer_without_an_email_address_as_such(gateway, branch_a, sales_a):
    CustomerFactory(email="", branch=branch_a, consents={"email": True})
    send = _send(Customer.objects.filter(branch=branch_a), sales_a, channel="email")
    assert (send.recipients, send.skipped, send.status) == (0, {"no_email": 1}, Send.Status.DONE)


@pytest.mark.parametrize("setup,flash", [
    (dict(consents={"sms": False}), "Not sent: Budi Santoso has not given SMS consent."),
    (dict(consents={"sms": True}, stop=True), "Not sent: Budi Santoso has withdrawn SMS consent."),
    (dict(consents={"sms": True}, phone="+62215551234"),
     "Not sent: Budi Santoso has no mobile number (a landline cannot receive SMS)."),
    (dict(consents={"sms": True}, phone=""),
     "Not sent: Budi Santoso has no mobile number (a landline cannot receive SMS)."),
    (dict(consents={"sms": True}), "SMS queued."),
])
def test_it_names_the_real_reason_an_sms_from_the_360_page_was_not_sent(gateway, client, branch_a, sales_a,
                                                                         setup, flash):
    budi = CustomerFactory(name="Budi Santoso", phone=setup.get("phone", "+6281234567890"), branch=branch_a,
                           consents=setup["consents"])
    if setup.get("stop"):
        services.sms_inbound(from_number=budi.phone, body="Stop")
    client.force_login(sales_a)
    url = reverse("marketing:customer_sms_send", args=[budi.public_id])
    response = client.post(url, {"body": "Mobil Anda siap", "key": "0b7f4c1e-2a57-4c4f-9a55-8d1a3c1f0e11"},
                           follow=True)
    assert flash_messages(response) == [flash]
