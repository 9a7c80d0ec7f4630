"""Complaints and the helpdesk: a customer's complaint, the rules that route it to a
department and a person, the SLA targets it is held to, and its routing history and notes.

A complaint belongs to its customer's branch and, once escalated to another branch (head
office, say), to that branch too: ``ComplaintQuerySet.branch_paths``.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import BranchScopedQuerySet
from accounts.models import Branch, Department, TimeStampedModel
from accounts.timestamps import TimeStampedQuerySet
from crm import sync
from crm.models import Asset, Customer


class Category(models.TextChoices):
    # The seeds' four cases, plus branch data and anything else.
    ORDER_STATUS = "order_status", _("Order status not followed up")
    VEHICLE_REPAIR = "vehicle_repair", _("Vehicle under repair")
    PRODUCTION_DEFECT = "production_defect", _("Production defect")
    DELIVERY = "delivery", _("Order not delivered")
    BRANCH_DATA = "branch_data", _("Branch data")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class ComplaintChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    IN_PERSON = "in_person", _("In person")
    WEB = "web", _("Web form")


class ComplaintQuerySet(BranchScopedQuerySet):
    # Seen by its branch (the customer's, copied at intake) and by the branch it was escalated
    # to. On the row itself, not through the customer: the queues and the QC page filter and
    # sort a branch's complaints on one table's indexes, with no join per row (0004).
    branch_paths = ("branch", "escalated_to")

    def open(self):
        return self.exclude(status__in=Complaint.CLOSED_STATUSES)


@sync.register(generic=[("related_type", "related_id")])
class Complaint(TimeStampedModel):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        ASSIGNED = "assigned", _("Assigned")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING_CUSTOMER = "waiting_customer", _("Waiting for customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    CLOSED_STATUSES = (Status.RESOLVED, Status.CLOSED)
    # Which status may follow which (complaint_status_set); reopening goes back to in progress.
    TRANSITIONS = {
        Status.NEW: {Status.ASSIGNED, Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.RESOLVED},
        Status.ASSIGNED: {Status.IN_PROGRESS, Status.WAITING_CUSTOMER, Status.RESOLVED},
        Status.IN_PROGRESS: {Status.WAITING_CUSTOMER, Status.RESOLVED},
        Status.WAITING_CUSTOMER: {Status.IN_PROGRESS, Status.RESOLVED},
        Status.RESOLVED: {Status.CLOSED, Status.IN_PROGRESS},
        Status.CLOSED: {Status.IN_PROGRESS},
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # What the customer types on the public status page (crm.public.public_code_new).
    code = models.CharField(_("tracking code"), max_length=16, unique=True, editable=False)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="complaints")
    # The customer's branch when the complaint was taken (complaints.services.complaint_create).
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="complaints")
    asset = models.ForeignKey(Asset, verbose_name=_("vehicle"), on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="complaints")
    # The order, shipment or appointment it is about, once those apps exist (a generic link:
    # complaints imports neither sales nor service); a typed reference until then.
    related_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    related_id = models.PositiveBigIntegerField(null=True, blank=True)
    reference = models.CharField(_("order / appointment number"), max_length=60, blank=True)
    channel = models.CharField(_("channel"), max_length=12, choices=ComplaintChannel.choices)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    department = models.CharField(_("department"), max_length=16, choices=Department.choices, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="complaints_assigned")
    escalated_to = models.ForeignKey(Branch, verbose_name=_("escalated to"), on_delete=models.SET_NULL, null=True,
                                     blank=True, related_name="complaints_escalated")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("taken by"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    # A production defect (Quality Control): what failed, on which model, year, VIN and batch.
    defect_component = models.CharField(_("component"), max_length=80, blank=True, db_default="")
    defect_part_number = models.CharField(_("part number"), max_length=40, blank=True, db_default="")
    defect_model = models.CharField(_("model"), max_length=80, blank=True, db_default="")
    defect_model_year = models.PositiveSmallIntegerField(_("model year"), null=True, blank=True)
    defect_vin = models.CharField(_("VIN"), max_length=17, blank=True, db_default="")
    defect_batch = models.CharField(_("production batch"), max_length=40, blank=True, db_default="")

    # SLA clock, in the branch's business hours (complaints.services.sla_dues).
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    waiting_since = models.DateTimeField(_("waiting for customer since"), null=True, blank=True)
    # Set once each by the sweep's conditional UPDATE: the claim that makes escalation happen once.
    response_escalated_at = models.DateTimeField(_("first response escalated"), null=True, blank=True)
    resolution_escalated_at = models.DateTimeField(_("resolution escalated"), null=True, blank=True)
    # The assignee was warned that the resolution time is near (once; the sweep claims it too).
    resolution_warned_at = models.DateTimeField(_("resolution warning sent"), null=True, blank=True)
    # How many times it was reopened after being resolved or closed (the reports' reopen rate).
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0, db_default=0, editable=False)
    # A complaint taken from an email (complaints.email_intake): its Message-ID, so that a
    # message read twice (a retried job) makes one complaint.
    email_message_id = models.CharField(max_length=250, blank=True, db_default="", editable=False)

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        permissions = [("make_recall_segment", _("Can make a recall segment from a defect group"))]
        constraints = [models.UniqueConstraint(fields=["email_message_id"], condition=~Q(email_message_id=""),
                                               name="complaint_email_message_unique")]
        indexes = [
            # "My cases" (and the home card): an assignee's open complaints, newest first.
            models.Index(fields=["assignee", "-created_at"], condition=~Q(status__in=["resolved", "closed"]),
                         name="complaint_mine_open_idx"),
            # The department queue: open complaints of a department, newest first.
            models.Index(fields=["department", "-created_at"], condition=~Q(status__in=["resolved", "closed"]),
                         name="complaint_dept_open_idx"),
            # The SLA sweep: open complaints not yet escalated, by due time.
            models.Index(fields=["first_response_due"],
                         condition=Q(first_response_at__isnull=True, response_escalated_at__isnull=True),
                         name="complaint_response_sweep_idx"),
            models.Index(fields=["resolution_due"],
                         condition=Q(resolved_at__isnull=True, resolution_escalated_at__isnull=True,
                                     waiting_since__isnull=True),
                         name="complaint_resolution_sweep_idx"),
            models.Index(fields=["customer", "-created_at"], name="complaint_customer_idx"),
            # A branch's queues: its open complaints newest first, all or of one department.
            models.Index(fields=["branch", "-created_at"], condition=~Q(status__in=["resolved", "closed"]),
                         name="complaint_branch_open_idx"),
            models.Index(fields=["branch", "department", "-created_at"],
                         condition=~Q(status__in=["resolved", "closed"]), name="complaint_branch_dept_open_idx"),
            # Head office's "all": every open complaint, newest first.
            models.Index(fields=["-created_at"], condition=~Q(status__in=["resolved", "closed"]),
                         name="complaint_open_idx"),
            # A branch's QC page: its defect complaints of the last 12 months, with the
            # grouping columns in the index (an index-only scan).
            models.Index(fields=["branch", "created_at"], condition=Q(category="production_defect"),
                         include=["defect_component", "defect_model", "defect_batch"],
                         name="complaint_branch_defect_idx"),
            # The reports (complaints.reports): every complaint of the last months with the
            # columns the figures read, so both report queries are index-only scans of this
            # (a tenth of the table's size at 500,000 complaints).
            models.Index(fields=["created_at"],
                         include=["branch", "escalated_to", "category", "department", "first_response_at",
                                  "first_response_due", "resolved_at", "resolution_due", "reopen_count"],
                         name="complaint_report_idx"),
            # The QC page: defect complaints of the last 12 months.
            models.Index(fields=["created_at"], condition=Q(category="production_defect"),
                         name="complaint_defect_idx"),
        ]

    def __str__(self):
        return f"{self.code} · {self.get_category_display()}"

    def get_absolute_url(self):
        return reverse("complaints:complaint_detail", args=[self.public_id])

    @property
    def is_open(self) -> bool:
        return self.status not in self.CLOSED_STATUSES

    def is_breached(self, now) -> bool:
        if not self.is_open:
            return False
        if self.first_response_at is None and self.first_response_due and self.first_response_due <= now:
            return True
        return bool(self.waiting_since is None and self.resolution_due and self.resolution_due <= now)


class Strategy(models.TextChoices):
    ROUND_ROBIN = "round_robin", _("Round-robin among the department's staff")
    LEAST_LOADED = "least_loaded", _("Least open complaints among the department's staff")
    QUEUE = "queue", _("Department queue (someone takes it)")


class RoutingRule(TimeStampedModel):
    """Category (and optionally branch, priority) → department, then how to pick the person.

    The most specific active rule wins: a branch rule before an every-branch rule, a
    priority rule before an any-priority rule, then the lowest ``position``."""

    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    branch = models.ForeignKey(Branch, verbose_name=_("only for branch"), on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+")
    priority = models.CharField(_("only for priority"), max_length=8, choices=Priority.choices, blank=True)
    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    strategy = models.CharField(_("assign"), max_length=16, choices=Strategy.choices, default=Strategy.ROUND_ROBIN)
    position = models.PositiveSmallIntegerField(_("position"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TimeStampedQuerySet.as_manager()

    class Meta:
        ordering = ["category", "position", "id"]
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")

    def __str__(self):
        return f"{self.get_category_display()} → {self.get_department_display()}"


class RoutingCursor(models.Model):
    """Round-robin: who in a branch's department got the last complaint (locked while routing)."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    department = models.CharField(max_length=16, choices=Department.choices)
    last_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["branch", "department"], name="routing_cursor_unique")]


class SlaPolicy(TimeStampedModel):
    """Business minutes to the first response and to the resolution, per priority (and
    optionally per category, which wins over the priority's general policy)."""

    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices)
    category = models.CharField(_("only for category"), max_length=20, choices=Category.choices, blank=True)
    first_response_minutes = models.PositiveIntegerField(_("first response (business minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution (business minutes)"))

    objects = TimeStampedQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "category"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [models.UniqueConstraint(fields=["priority", "category"], name="sla_policy_unique")]

    def __str__(self):
        return f"{self.get_priority_display()} {self.get_category_display() if self.category else ''}".strip()


class RoutingEventQuerySet(BranchScopedQuerySet):
    branch_paths = ("complaint__branch", "complaint__escalated_to")


class RoutingEvent(models.Model):
    """One step of a complaint's routing history: where it went, to whom, why, by which rule."""

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="routing_events")
    from_department = models.CharField(_("from department"), max_length=16, choices=Department.choices, blank=True)
    to_department = models.CharField(_("to department"), max_length=16, choices=Department.choices, blank=True)
    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    to_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    rule = models.ForeignKey(RoutingRule, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = RoutingEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]


class ComplaintNoteQuerySet(BranchScopedQuerySet):
    branch_paths = ("complaint__branch", "complaint__escalated_to")


@sync.register(branch="complaint__branch", append_only=True)
class ComplaintNote(models.Model):
    """An internal note, or a reply sent to the customer (by SMS through the pipeline)."""

    class Kind(models.TextChoices):
        INTERNAL = "internal", _("Internal note")
        REPLY = "reply", _("Reply to the customer")

    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="notes")
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices)
    body = models.TextField(_("text"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    send = models.ForeignKey("marketing.Send", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = ComplaintNoteQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]


class ComplaintAttachmentQuerySet(BranchScopedQuerySet):
    branch_paths = ("complaint__branch", "complaint__escalated_to")


def _private_storage():
    from .attachments import private_storage

    return private_storage()


class ComplaintAttachment(models.Model):
    """A photo or PDF the customer sent, kept outside the web root (COMPLAINT_FILES_ROOT)
    and served only through complaints.views.attachment_download, to staff who may see the
    complaint. The type is what the content is (complaints.attachments), not the name."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(storage=_private_storage, upload_to="complaints/%Y/%m/", max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = ComplaintAttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("complaints:attachment_download", args=[self.complaint.public_id, self.public_id])
