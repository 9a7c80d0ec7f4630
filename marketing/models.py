"""The messaging pipeline's outbox: a send (batch) and one message row per recipient.

The database is the source of truth for "was this sent": a message moves
QUEUED → SENDING (claimed by one worker) → SENT (provider accepted it, SID stored) →
DELIVERED / UNDELIVERED / FAILED (status callbacks), and never backwards.
"""

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import BranchScopedQuerySet
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
    # The same message in English, for customers whose language is English (Customer.language).
    # Empty: everyone gets the text above, which is Indonesian.
    subject_en = models.CharField(_("subject in English"), max_length=200, blank=True, default="", db_default="")
    body_en = models.TextField(_("message in English"), blank=True, default="", db_default="")
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
    # More placeholder values, by language ({"id": {"amount_due": "Rp 5.000.000"}, "en": {...}}):
    # what a reminder of a registered kind says about its record (a payment due, a quotation).
    extra_values = models.JSONField(_("more placeholder values"), default=dict, blank=True)

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
    # The code in this message's opt-out link ({PUBLIC_BASE_URL}/p/s/<code>): marketing SMS
    # only, made with the row by the INSERT ... SELECT that creates it (crm.public.PUBLIC_CODE_SQL:
    # 72 random bits). Rows from before the link existed have none.
    optout_code = models.CharField(_("opt-out code"), max_length=16, null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        constraints = [
            models.UniqueConstraint(fields=["send", "customer"], name="message_once_per_send_customer"),
            # A partial unique index: the many rows without a code take no room in it.
            models.UniqueConstraint(fields=["optout_code"], name="message_optout_code_unique",
                                    condition=models.Q(optout_code__isnull=False)),
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


# --- Scheduled reminders (marketing.reminders): automated messages through the same pipeline ---
class ReminderRuleQuerySet(BranchScopedQuerySet):
    def visible_to(self, user):
        """Head office sees every rule; a branch sees its own rules and those for all branches."""
        if user.is_authenticated and user.sees_all_branches:
            return self
        if not user.is_authenticated or user.branch_id is None:
            return self.none()
        return self.filter(models.Q(branch__isnull=True) | models.Q(branch_id=user.branch_id))


def reminder_kind_choices():
    """Marketing's own occasions, then those other apps register (crm.registry.reminder_kinds:
    a payment due, a quotation expiring)."""
    from crm.registry import reminder_kinds

    return [*ReminderRule.Kind.choices, *((kind.key, kind.label) for kind in reminder_kinds)]


class ReminderRule(TimeStampedModel):
    """"Send this text N days before (or after) this date of each customer or vehicle"."""

    class Kind(models.TextChoices):
        BIRTHDAY = "birthday", _("Birthday")
        SERVICE_DUE = "service_due", _("Service due")
        WARRANTY_END = "warranty_end", _("Warranty ends")
        INSURANCE_END = "insurance_end", _("Insurance ends")
        STNK_DUE = "stnk_due", _("STNK tax due")

    class NoConsent(models.TextChoices):
        SKIP = "skip", _("Skip the customer")
        CALL = "call", _("Ask the owner to call (a task on the timeline)")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("occasion"), max_length=20, choices=reminder_kind_choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Send.Channel.choices, default=Send.Channel.SMS)
    subject = models.CharField(_("email subject"), max_length=200, blank=True)
    body = models.TextField(_("message (Indonesian)"))
    subject_en = models.CharField(_("email subject in English"), max_length=200, blank=True)
    body_en = models.TextField(_("message in English"), blank=True,
                               help_text=_("Optional: customers whose language is English get this text."))
    # Positive: that many days before the date; 0: on the day; negative: days after it.
    lead_days = models.SmallIntegerField(_("days before the date"), default=0,
                                         help_text=_("7 = a week before, 0 = on the day, -1 = the day after."))
    send_time = models.TimeField(_("send at (branch local time)"), default=dt.time(9, 0))
    active = models.BooleanField(_("active"), default=True)
    # None: every branch, each at its own local time.
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, null=True, blank=True,
                               related_name="reminder_rules", help_text=_("Empty: all branches."))
    no_consent = models.CharField(_("customers without consent"), max_length=8, choices=NoConsent.choices,
                                  default=NoConsent.SKIP)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    objects = ReminderRuleQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "lead_days", "id"]
        verbose_name = _("reminder rule")
        verbose_name_plural = _("reminder rules")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:reminder_preview", args=[self.public_id])

    @property
    def is_vehicle_kind(self) -> bool:
        return self.kind in self.Kind.values and self.kind != self.Kind.BIRTHDAY


class ReminderRun(TimeStampedModel):
    """One run of the reminder job: the run log staff read."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    selected = models.PositiveIntegerField(_("selected"), default=0)
    sent = models.PositiveIntegerField(_("queued to send"), default=0)
    skipped = models.JSONField(_("skipped, by reason"), default=dict, blank=True)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("reminder run")
        verbose_name_plural = _("reminder runs")
        indexes = [models.Index(fields=["status", "started_at"], name="reminderrun_status_idx")]

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} {self.status}"

    def get_absolute_url(self):
        return reverse("marketing:reminder_rules") + "#runs"


class ReminderOccurrence(models.Model):
    """One (rule, customer, vehicle, occasion date) handled: the exactly-once record.

    The job inserts these with INSERT ... ON CONFLICT DO NOTHING and acts only on the rows it
    inserted, in the same transaction as the send it creates for them: a second tick (or a
    second beat, a retried task) inserts nothing and so sends nothing; a killed run rolls
    back, and the next tick does the work."""

    class Outcome(models.TextChoices):
        QUEUED = "queued", _("Sent to the message pipeline")
        NO_CONSENT = "no_consent", _("Skipped: no consent")
        OPTED_OUT = "opted_out", _("Skipped: opted out")
        CALL_TASK = "call_task", _("No consent: call task for the owner")
        STALE = "stale", _("Skipped: too late to be meaningful")

    rule = models.ForeignKey(ReminderRule, on_delete=models.CASCADE, related_name="occurrences")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="reminder_occurrences")
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    # The record of a registered kind (a payment due, a quotation) the reminder speaks of.
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    occasion = models.DateField(_("occasion date"))
    due_on = models.DateField(_("due to be sent on"))
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices)
    run = models.ForeignKey(ReminderRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="occurrences")
    send = models.ForeignKey(Send, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder occurrence")
        verbose_name_plural = _("reminder occurrences")
        constraints = [
            # NULLS NOT DISTINCT: a birthday (no vehicle) is once per customer too.
            models.UniqueConstraint(fields=["rule", "customer", "asset", "subject_id", "occasion"],
                                    nulls_distinct=False, name="reminder_once_per_occasion"),
        ]
        indexes = [models.Index(fields=["run", "rule"], name="reminderocc_run_idx")]

    def __str__(self):
        return f"{self.rule_id}/{self.customer_id}/{self.asset_id} {self.occasion} {self.outcome}"


# --- Segments and campaigns (issue 12; marketing.segments, marketing.campaigns) -----------------
class SegmentQuerySet(BranchScopedQuerySet):
    """A branch's segments are its own; a segment with no branch (head office's, for every
    branch) is seen by head office only."""

    branch_paths = ("branch",)


class Segment(TimeStampedModel):
    """Who a campaign goes to: criteria compiled to one query (rules), or an uploaded list (static)."""

    class Kind(models.TextChoices):
        RULES = "rules", _("Criteria")
        STATIC = "static", _("Uploaded list")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices, default=Kind.RULES)
    # The customers it may ever reach: this branch's, or every branch's when empty (head office).
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    # {"groups": [[{"key": ..., "value": ...}, ...], ...]}: AND inside a group, OR between groups.
    definition = models.JSONField(_("criteria"), default=dict, blank=True)
    # A static list's import report: lines read, matched, unmatched and junk (samples).
    import_report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    objects = SegmentQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:segment_edit", args=[self.public_id])


class SegmentMember(models.Model):
    """One customer of a static segment."""

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="members")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("segment member")
        verbose_name_plural = _("segment members")
        constraints = [models.UniqueConstraint(fields=["segment", "customer"], name="segment_member_once")]


class CampaignQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)


class Campaign(TimeStampedModel):
    """A message to a segment, approved by a manager, sent through the pipeline (one Send per branch)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        SCHEDULED = "scheduled", _("Scheduled")
        SENDING = "sending", _("Sending")
        PAUSED = "paused", _("Paused")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=120)
    segment = models.ForeignKey(Segment, verbose_name=_("segment"), on_delete=models.PROTECT,
                                related_name="campaigns")
    channel = models.CharField(_("channel"), max_length=8, choices=Send.Channel.choices, default=Send.Channel.SMS)
    subject = models.CharField(_("email subject"), max_length=200, blank=True)
    body = models.TextField(_("message (Indonesian)"))
    subject_en = models.CharField(_("email subject in English"), max_length=200, blank=True)
    body_en = models.TextField(_("message in English"), blank=True,
                               help_text=_("Optional: customers whose language is English get this text."))
    # Empty: sent when someone presses "Send now" after approval. Otherwise this wall-clock
    # time in each branch's own zone (09:00 is 09:00 WIB in Bandung and 09:00 WIT in Jayapura).
    send_at_local = models.DateTimeField(_("send at (each branch's local time)"), null=True, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(
        _("hold-out (%)"), default=0,
        help_text=_("Keep this share of the segment unsent, to compare their conversions with the recipients'."))
    conversion_days = models.PositiveSmallIntegerField(_("conversion window (days)"), default=14)
    cost_idr = models.DecimalField(_("cost (Rp)"), max_digits=14, decimal_places=0, null=True, blank=True,
                                   help_text=_("Optional: what the campaign cost, for the cost per conversion."))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"),
                                    on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # The statistics, aggregated when it finished (and once more when the conversion window closed).
    stats = models.JSONField(default=dict, blank=True)
    stats_final = models.BooleanField(default=False)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        permissions = [("approve_campaign", _("Can approve campaigns"))]
        indexes = [models.Index(fields=["status"], name="campaign_status_idx",
                                condition=models.Q(status__in=["scheduled", "sending", "done"]))]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("marketing:campaign_detail", args=[self.public_id])

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.SUBMITTED)


class CampaignBranch(models.Model):
    """The campaign in one branch: due at the campaign's local time in that branch's zone,
    and the pipeline's Send once started (created by the beat task, exactly once)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="branch_runs")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)
    send = models.OneToOneField(Send, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaign_run")
    holdout = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("campaign branch run")
        verbose_name_plural = _("campaign branch runs")
        constraints = [models.UniqueConstraint(fields=["campaign", "branch"], name="campaign_branch_once")]
        indexes = [models.Index(fields=["due_at"], name="campaignbranch_due_idx",
                                condition=models.Q(send__isnull=True, due_at__isnull=False))]


class CampaignHoldout(models.Model):
    """A customer of the segment kept out of the campaign (the hold-out group), recorded when
    the branch's send starts: the segment is live, so a recomputation later would drift."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="holdouts")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("hold-out customer")
        verbose_name_plural = _("hold-out customers")
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_holdout_once")]


class SendCounter(models.Model):
    """How many messages of a send are in each status: kept by database triggers on
    marketing_message (migration 0010), one upsert per statement, so a progress bar reads a
    few rows instead of counting a million messages."""

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="counters", db_constraint=False)
    status = models.CharField(max_length=24)  # a Message status, or "code:<error code>" of failed ones
    n = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("send counter")
        verbose_name_plural = _("send counters")
        constraints = [models.UniqueConstraint(fields=["send", "status"], name="sendcounter_once")]
