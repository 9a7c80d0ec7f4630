"""A quotation sent by email with its PDF, through the messaging pipeline (issue 11): the
attachment is made by sales' AttachmentProvider when the email is sent, once per revision."""

import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from crm.formatting import format_rupiah
from crm.models import Interaction
from crm.registry import attachment_providers
from marketing import services as messaging
from marketing.models import Message, Send
from marketing.tasks import send_dispatch_task
from sales import quotations
from sales.models import Quotation
from sales.quotations import LineInput, quotation_email_key
from tests.factories import CustomerFactory
from tests.sales.factories import OpportunityFactory
from tests.sales.factories_orders import QuotationFactory, VehicleFactory, ensure_tax_rates


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def ayu(branch_a, sales_a):
    return CustomerFactory(name="Ayu Lestari", email="ayu@contoh.id", branch=branch_a, owner=sales_a,
                           consents={"email": True})


@pytest.fixture
def quotation(branch_a, sales_a, ayu):
    vehicle = VehicleFactory(name="Toyota Avanza 1.5 G CVT", unit_price=Decimal(250_000_000))
    return QuotationFactory(branch=branch_a, by=sales_a, vehicle=vehicle,
                            opportunity=OpportunityFactory(branch=branch_a, customer=ayu, owner=sales_a),
                            lines=[LineInput(description="Kaca film", quantity=1, unit_price=Decimal(1_126_126))])


def email_it(client, quotation):
    return client.post(reverse("sales:quotation_send", args=[quotation.public_id]), {"how": "email"})


def the_pdf(email) -> tuple[str, bytes]:
    [(filename, content, mimetype)] = email.attachments
    assert mimetype == "application/pdf" and content.startswith(b"%PDF-")
    return filename, content


@pytest.mark.django_db
def test_it_emails_the_quotation_with_its_pdf_through_the_pipeline(
        client, sales_a, quotation, ayu, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(sales_a)
    with django_capture_on_commit_callbacks() as callbacks:  # the dispatch is enqueued on commit
        response = email_it(client, quotation)
    assert response.status_code == 302 and response["Location"] == quotation.get_absolute_url()
    assert len(callbacks) == 1 and mailoutbox == []  # nothing leaves in the request: the worker sends
    send = Send.objects.get(idempotency_key=quotation_email_key(quotation))
    assert (send.channel, send.purpose) == ("email", "transactional")
    assert send.extra_values == {"attachments": [["sales.quotation_pdf", str(quotation.public_id)]]}

    send_dispatch_task.run(send.pk)  # what the Celery worker runs

    [email] = mailoutbox
    assert email.to == ["ayu@contoh.id"] and quotation.display_number in email.subject
    # In the customer's language (Indonesian unless they chose English), their name filled in.
    assert email.body.startswith("Yth. Ayu Lestari,")
    filename, content = the_pdf(email)
    assert filename == quotation.display_number.replace("/", "-") + ".pdf"
    text = pdf_text(content)
    assert quotation.display_number in text and "Ayu Lestari" in text
    assert format_rupiah(quotation.total, language="id") in text  # the stored total, as the PDF prints it
    assert Message.objects.get(send=send).status == Message.Status.DELIVERED
    quotation.refresh_from_db()
    assert quotation.status == Quotation.Status.SENT  # a draft emailed is a quotation the customer has
    timeline = list(Interaction.objects.filter(customer=ayu).order_by("id").values_list("kind", "summary"))
    assert ("quotation", f"Quotation {quotation.display_number} emailed to ayu@contoh.id with its PDF "
                         f"(valid until {quotation.valid_until:%d/%m/%Y}).") in timeline
    assert timeline[-1][0] == "email" and "Yth. Ayu Lestari" in timeline[-1][1]  # the pipeline's own entry
    page = client.get(quotation.get_absolute_url()).content.decode()
    assert "Emailed to ayu@contoh.id with the PDF: delivered." in page
    assert 'id="quotation-email"' not in page  # the button is gone: it went out


@pytest.mark.django_db
def test_a_double_click_sends_one_email(client, sales_a, quotation, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(sales_a)
    with django_capture_on_commit_callbacks(execute=False):
        first = email_it(client, quotation)
        second = email_it(client, quotation)
    assert first.status_code == second.status_code == 302
    messages = [str(m) for m in second.wsgi_request._messages]
    assert messages[-1] == f"Quotation {quotation.display_number} was already emailed."
    [send] = Send.objects.all()
    send_dispatch_task.run(send.pk)
    send_dispatch_task.run(send.pk)
    assert len(mailoutbox) == 1 and Message.objects.filter(send=send).count() == 1
    assert Interaction.objects.filter(customer=quotation.customer, kind="quotation",
                                      summary__contains="emailed").count() == 1


@pytest.mark.django_db
def test_a_retried_email_attaches_the_same_document(quotation, sales_a, settings, mailoutbox):
    """The worker dies mid-request; staff retry the message: the PDF is made again from the
    same (no longer changeable) quotation, and reads the same."""
    send = quotations.quotation_email(quotation=quotation, by=sales_a)
    settings.EMAIL_BACKEND = "tests.marketing.test_edge_cases.DroppedConnectionBackend"
    with pytest.raises(ConnectionResetError):
        messaging.send_process_chunk(send_id=send.pk)
    long_ago = timezone.now() - dt.timedelta(seconds=messaging._in_flight_cutoff_seconds() + 1)
    Message.objects.filter(send=send).update(request_started_at=long_ago)
    messaging.sweep_once()
    row = Message.objects.get(send=send)
    assert row.status == Message.Status.UNRESOLVED
    with pytest.raises(ValidationError, match="Only a draft can be changed"):  # it was sent: frozen
        quotations.quotation_update(quotation=quotation, by=sales_a, lines=[], quote_date=quotation.quote_date,
                                    valid_until=quotation.valid_until, vehicle=None, price_basis="otr", notes="")

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    messaging.message_retry(message=row, by=sales_a)
    send_dispatch_task.run(send.pk)
    [email] = mailoutbox
    filename, content = the_pdf(email)
    direct = attachment_providers.get("sales.quotation_pdf").render(str(quotation.public_id))
    assert filename == direct[0] and pdf_text(content) == pdf_text(direct[1])


@pytest.mark.django_db
def test_an_attachment_that_cannot_be_made_fails_the_message_and_sends_nothing(quotation, sales_a, mailoutbox):
    send = quotations.quotation_email(quotation=quotation, by=sales_a)
    Send.objects.filter(pk=send.pk).update(extra_values={"attachments": [["sales.quotation_pdf",
                                                                          "00000000-0000-0000-0000-000000000000"]]})
    send_dispatch_task.run(send.pk)
    row = Message.objects.get(send=send)
    assert mailoutbox == [] and row.status == Message.Status.FAILED and row.error_code == "attachment"
    assert row.attempts == 0 and row.request_started_at is None  # no request was made
    assert Send.objects.get(pk=send.pk).status == Send.Status.DONE


@pytest.mark.django_db
def test_the_pipeline_refuses_an_unknown_attachment_or_one_on_an_sms(ayu, sales_a):
    with pytest.raises(ValueError, match="No attachment provider"):
        messaging.message_send_one(customer=ayu, channel="email", body="Halo", subject="x", by=sales_a, key="k1",
                                   attachments=[("nope.pdf", "1")])
    with pytest.raises(ValueError, match="Only an email"):
        messaging.message_send_one(customer=ayu, channel="sms", body="Halo", by=sales_a, key="k2",
                                   attachments=[("sales.quotation_pdf", "1")])
    assert not Send.objects.exists()


@pytest.mark.django_db
def test_placeholder_values_by_language_still_work_beside_attachments(ayu, sales_a, mailoutbox):
    send = messaging.send_create(
        idempotency_key="both", channel="email", name="x", subject="Tagihan", body="Sisa {{ amount_due }}",
        customers=[ayu.pk], by=sales_a, purpose="transactional",
        extra_values={"id": {"amount_due": "Rp 5.000.000"},
                      "attachments": [["sales.quotation_pdf", str(QuotationFactory(branch=ayu.branch).public_id)]]})
    send_dispatch_task.run(send.pk)
    [email] = mailoutbox
    assert email.body == "Sisa Rp 5.000.000" and len(email.attachments) == 1


# --- refusals: a clear message, nothing sent ----------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("change, message", [
    ({"email": ""}, "Ayu Lestari has no email address: add one on the customer's page first."),
    ({"email_consent": False}, "Ayu Lestari has not agreed to receive email: record their consent on the "
                               "customer's page first."),
])
def test_it_says_why_it_cannot_email(client, sales_a, quotation, ayu, change, message):
    type(ayu).objects.filter(pk=ayu.pk).update(**change)
    client.force_login(sales_a)
    page = client.get(quotation.get_absolute_url()).content.decode()
    assert 'id="quotation-email-hint"' in page  # said before the click too
    response = email_it(client, quotation)
    assert response.status_code == 400
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert not Send.objects.exists()
    quotation.refresh_from_db()
    assert quotation.status == Quotation.Status.DRAFT


@pytest.mark.django_db
def test_it_does_not_email_a_closed_or_expired_quotation(client, sales_a, quotation):
    client.force_login(sales_a)
    Quotation.objects.filter(pk=quotation.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert "revise it first" in email_it(client, quotation).content.decode()
    quotations.quotation_reject(quotation=quotation, by=sales_a, reason="Terlalu mahal")
    response = email_it(client, quotation)
    assert response.status_code == 400 and "Only an open quotation can be emailed." in response.content.decode()
    assert not Send.objects.exists()


@pytest.mark.django_db
def test_access_to_emailing(client, quotation, staff_b, readonly_a):
    url = reverse("sales:quotation_send", args=[quotation.public_id])
    response = client.post(url, {"how": "email"})
    assert response.status_code == 302 and "/login" in response["Location"]  # anonymous
    client.force_login(staff_b)
    assert client.post(url, {"how": "email"}).status_code == 404  # another branch
    client.force_login(readonly_a)
    assert client.post(url, {"how": "email"}).status_code == 403
    assert client.get(url).status_code == 405
    assert not Send.objects.exists()


# --- two clicks at once, on their own connections ------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_queue_one_email(branch_a, sales_a):
    ensure_tax_rates()
    ayu = CustomerFactory(name="Ayu Lestari", email="ayu@contoh.id", branch=branch_a, consents={"email": True})
    quotation = QuotationFactory(branch=branch_a, by=sales_a,
                                 opportunity=OpportunityFactory(branch=branch_a, customer=ayu))
    barrier, outcomes = threading.Barrier(6), []

    def click():
        try:
            barrier.wait(timeout=30)
            with translation.override("en"):  # a thread starts in the default language (id)
                outcomes.append(quotations.quotation_email(quotation=quotation, by=sales_a).pk)
        except ValidationError as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    sends = list(Send.objects.values_list("pk", flat=True))
    assert len(sends) == 1 and sorted(outcomes, key=str) == sorted([sends[0]] + ["already_emailed"] * 5, key=str)
    assert Message.objects.count() == 1
    assert Interaction.objects.filter(customer=ayu, kind="quotation", summary__contains="emailed").count() == 1
