"""The messaging pipeline's outbox: a send (batch) and one message row per recipient.

The database is the source of truth for "was this sent": a message moves
QUEUED → SENDING (claimed by one worker) → SENT (provider accepted it, SID stored) →
DELIVERED / UNDELIVERED / FAILED (status callbacks), and never backwards.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, TimeStampedModel
from crm.models import Asset, Customer


class Send(TimeStampedModel):
    """One template sent to one or many customers: what the caller gets back at once."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")

    class Purpose(models.TextChoices):
        MARKETING = "marketing", _("Marketing")
        TRANSACTIONAL = "transactional", _("Service / transactional")

    class Status(models.TextChoices):
        PREPARING = "preparing", _("Preparing")
        RUNNING = "running", _("Sending")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")
        DONE = "done", _("Done")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Same key twice (a double click, two requests at once) = the same send.
    idempotency_key = models.CharField(max_length=100, unique=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices, default=Purpose.MARKETING)
    name = models.CharField(_("name"), max_length=200)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("message"))
    department = models.CharField(_("department"), max_length=16)
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, null=True, blank=True, related_name="sends")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PREPARING)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    skipped = models.JSONField(_("skipped, by reason"), default=dict, blank=True)
    # A send to one customer may name the vehicle its vehicle placeholders speak of; without
    # it (and for a customer it is not theirs) they speak of the customer's first vehicle.
    asset = models.ForeignKey(Asset, verbose_name=_("vehicle"), on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")

    class Meta:
        ordering = ["-id"]
        verbose_name = _("send")
        verbose_name_plural = _("sends")

    def __str__(self):
        return self.name


class Message(TimeStampedModel):
    """One message to one customer. Unique per (send, customer): exactly once."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        UNKNOWN = "unknown", _("Outcome unknown, reconciling")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        UNDELIVERED = "undelivered", _("Undelivered")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")
        # An email request that never answered: email backends keep no record to ask, so
        # it is not resent by itself (it may have gone out); staff may retry it.
        UNRESOLVED = "unresolved", _("Outcome unknown (not retried)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="messages")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=8, choices=Send.Channel.choices)
    to = models.CharField(_("to"), max_length=254)
    body = models.TextField(_("text as sent"), blank=True)
    segments = models.PositiveSmallIntegerField(_("SMS segments"), default=0)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.QUEUED)
    provider_sid = models.CharField(_("provider id"), max_length=64, null=True, blank=True, unique=True)
    # Requests actually made to the provider (a claim that was taken back is not one).
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A claim is usable only by its owner: every later write compares this token. The
    # lease bounds how long an unsent claim is held; the sweeper may take it back after.
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # Stamped (and committed) right before the provider is called: from here on the
    # outcome can only be learnt from the provider, never by resending.
    request_started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(_("error code"), max_length=16, blank=True)
    error_message = models.CharField(_("error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["send", "customer"], name="message_once_per_send_customer"),
        ]
        indexes = [
            # Workers claim the due rows of a send in id order.
            models.Index(fields=["send", "status", "id"], name="message_claim_idx"),
            # The sweeper: unsent claims past their lease, requests with no known outcome,
            # and messages that stay "sent" with no final status.
            models.Index(fields=["lease_until"], name="message_lease_idx",
                         condition=models.Q(status="sending", request_started_at__isnull=True)),
            models.Index(fields=["request_started_at"], name="message_open_request_idx",
                         condition=models.Q(status__in=["sending", "unknown"], request_started_at__isnull=False)),
            models.Index(fields=["sent_at"], name="message_sent_unfinal_idx", condition=models.Q(status="sent")),
            models.Index(fields=["customer", "-id"], name="message_customer_idx"),
        ]

    def __str__(self):
        return f"{self.channel} to {self.to} ({self.status})"


class EarlyStatus(models.Model):
    """A status callback that arrived before its message's SID was saved.

    The provider may call back while our worker is still waiting for (or has lost) the
    create answer. The callback is kept here and applied when the SID is recorded.
    """

    sid = models.CharField(max_length=64, db_index=True)
    status = models.CharField(max_length=16)
    error_code = models.CharField(max_length=16, blank=True)
    received_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("early status callback")
        verbose_name_plural = _("early status callbacks")

    def __str__(self):
        return f"{self.sid} {self.status}"
