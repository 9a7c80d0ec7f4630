"""Complaints by email (issue 15, intake, optional): a message sent to the complaints address
becomes a complaint of the customer whose email it came from.

The mail server delivers the address's mail into a Maildir; ``manage.py complaints_read_mail
<maildir>`` (cron or a beat job, every few minutes) hands each message to
``complaint_from_email`` and then removes it, or moves it to the Maildir's ``.unknown``
folder when no customer has the sender's address (staff look there). A message read twice
(a job that died before removing it) makes one complaint: the Message-ID is kept on the
complaint under a unique constraint.

The sender's address is a claim, not a proof (email is easy to forge): the complaint is taken
and routed like a phone call, and the helpdesk answers through the customer's own phone
(the replies go by SMS).
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from crm.models import Customer

from . import services
from .attachments import sniff
from .models import Category, Complaint, ComplaintChannel

MAX_TEXT = 5000
MAX_ATTACHMENTS = 10


@dataclass
class EmailResult:
    complaint: Complaint | None
    status: str  # "created", "duplicate", "unknown_sender", "no_sender"
    refused: list[str] = field(default_factory=list)  # attachments not kept, with why


def _message_id(message, raw: bytes) -> str:
    value = (message.get("Message-ID") or "").strip()
    return value[:250] if value else "sha256:" + hashlib.sha256(raw).hexdigest()


def _sender(message) -> str:
    return email.utils.parseaddr(str(message.get("From") or ""))[1].strip()


def _customer_for(address: str) -> Customer | None:
    # On the column itself (customer_email_idx), as typed and in lower case; the most
    # recently changed customer when two share an address.
    spellings = {address, address.lower()}
    return Customer.objects.filter(email__in=spellings).select_related("branch").order_by("-updated_at").first()


def _text(message) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    try:
        content = body.get_content()
    except (LookupError, UnicodeDecodeError):  # an unknown or lying charset
        content = body.get_payload(decode=True).decode("utf-8", "replace")
    if body.get_content_type() == "text/html":
        content = strip_tags(content)
    return "\n".join(line.rstrip() for line in content.strip().splitlines())


def _attachments(message) -> tuple[list[SimpleUploadedFile], list[str]]:
    kept, refused = [], []
    for n, part in enumerate(message.iter_attachments()):
        name = part.get_filename() or f"attachment-{n + 1}"
        if len(kept) >= MAX_ATTACHMENTS:
            refused.append(_("%(name)s: at most %(n)s files are kept.") % {"name": name, "n": MAX_ATTACHMENTS})
            continue
        data = part.get_payload(decode=True) or b""
        upload = SimpleUploadedFile(name, data, content_type=part.get_content_type())
        try:
            sniff(upload)
        except ValidationError as error:
            refused.append(f"{name}: {' '.join(error.messages)}")
        else:
            kept.append(upload)
    return kept, refused


def complaint_from_email(*, raw: bytes, now: dt.datetime | None = None) -> EmailResult:
    """One email → one complaint (channel email, routed by the "other" rules, on the
    customer's timeline, with its photos and PDFs). None when the sender is no customer."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    message_id = _message_id(message, raw)
    existing = Complaint.objects.filter(email_message_id=message_id).first()
    if existing is not None:
        return EmailResult(existing, "duplicate")
    address = _sender(message)
    if not address:
        return EmailResult(None, "no_sender")
    customer = _customer_for(address)
    if customer is None:
        return EmailResult(None, "unknown_sender")
    subject = " ".join(str(message.get("Subject") or "").split())
    text = _text(message)
    kept, refused = _attachments(message)
    description = "\n\n".join(p for p in (subject, text) if p)[:MAX_TEXT] or _("(An email without text.)")
    if refused:
        description += "\n\n" + _("Attachments not kept:") + "\n" + "\n".join(f"- {r}" for r in refused)
    try:
        with transaction.atomic():
            complaint = services.complaint_create(customer=customer, channel=ComplaintChannel.EMAIL,
                                                  category=Category.OTHER, description=description, now=now)
            Complaint.objects.filter(pk=complaint.pk).update(email_message_id=message_id)
            complaint.email_message_id = message_id
            for upload in kept:
                services.complaint_attachment_add(complaint=complaint, upload=upload, by=None)
    except IntegrityError:
        # The same message, read at the same moment by another run: that run's complaint stands.
        return EmailResult(Complaint.objects.get(email_message_id=message_id), "duplicate")
    return EmailResult(complaint, "created", refused)
