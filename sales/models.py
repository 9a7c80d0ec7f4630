"""Sales force automation: leads, their assignment, opportunities on a stage pipeline.

A lead is someone who may buy (from the showroom, the phone, the public "contact us / test
drive" page...). It belongs to a branch and is assigned to one of the branch's sales staff
by the branch's ``AssignmentRule`` (sales.services.lead_assign). A qualified lead converts
in one step into a customer and an ``Opportunity`` that moves through ``Stage`` rows.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import BranchScopedQuerySet
from accounts.models import Branch, TimeStampedModel
from crm import sync
from crm.models import Customer


class LeadQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)

    def open(self):
        return self.filter(status__in=Lead.OPEN_STATUSES)


@sync.register
class Lead(TimeStampedModel):
    class Source(models.TextChoices):
        WALK_IN = "walk_in", _("Showroom walk-in")
        PHONE = "phone", _("Phone call")
        WEB = "web", _("Website form")
        REFERRAL = "referral", _("Referral")
        EVENT = "event", _("Event or exhibition")
        SOCIAL = "social", _("Social media")
        IMPORT = "import", _("Imported list")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        DISQUALIFIED = "disqualified", _("Disqualified")
        CONVERTED = "converted", _("Converted")

    class ContactTime(models.TextChoices):
        ANY = "any", _("Any time")
        MORNING = "morning", _("Morning (08–12)")
        AFTERNOON = "afternoon", _("Afternoon (12–16)")
        EVENING = "evening", _("Evening (16–20)")

    OPEN_STATUSES = (Status.NEW, Status.CONTACTED, Status.QUALIFIED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="leads")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="sales_leads")
    # Set when the lead is (or turns out to be) an existing customer, and on conversion.
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.SET_NULL, null=True,
                                 blank=True, related_name="leads")
    source = models.CharField(_("source"), max_length=12, choices=Source.choices, default=Source.WALK_IN)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.NEW)
    disqualify_reason = models.CharField(_("reason for disqualifying"), max_length=200, blank=True)
    # The prospect, until they are a customer.
    name = models.CharField(_("name"), max_length=200)
    company = models.CharField(
        _("company"), max_length=200, blank=True,
        help_text=_("Fill in when the buyer is a company; the name above is the contact person."))
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, help_text=_("Stored as +62…"))
    email = models.EmailField(_("email"), blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    model_of_interest = models.CharField(_("model of interest"), max_length=120, blank=True)
    budget = models.DecimalField(_("budget (Rp)"), max_digits=14, decimal_places=0, null=True, blank=True)
    preferred_contact_time = models.CharField(_("preferred contact time"), max_length=12,
                                              choices=ContactTime.choices, default=ContactTime.ANY)
    wants_test_drive = models.BooleanField(_("wants a test drive"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    first_contacted_at = models.DateTimeField(_("first contacted"), null=True, blank=True)
    converted_at = models.DateTimeField(_("converted"), null=True, blank=True)
    # Set once, when nobody had contacted the lead within the branch's business hours
    # (sales.services.leads_escalate): the conditional UPDATE that sets it is the claim.
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True, editable=False)

    objects = LeadQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        indexes = [
            models.Index(fields=["branch", "-id"], name="lead_branch_id_idx"),
            models.Index(fields=["owner", "status", "-id"], name="lead_owner_status_idx"),
            models.Index(fields=["status", "-id"], name="lead_status_id_idx"),
            # The duplicate check looks up open leads by phone and email.
            models.Index(fields=["phone"], name="lead_phone_idx", condition=~Q(phone="")),
            models.Index(fields=["email"], name="lead_email_idx", condition=~Q(email="")),
            # The list's search by name or company (icontains) through trigrams.
            GinIndex(fields=["name"], name="lead_name_trgm_idx", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["company"], name="lead_company_trgm_idx", opclasses=["gin_trgm_ops"]),
            # The escalation sweep: new leads nobody contacted, not yet escalated (a few rows).
            models.Index(fields=["created_at"], name="lead_untouched_idx",
                         condition=Q(status="new", first_contacted_at__isnull=True, escalated_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="disqualified") | ~Q(disqualify_reason=""),
                                   name="lead_disqualified_has_reason"),
        ]

    def __str__(self):
        return f"{self.name} ({self.company})" if self.company else self.name

    def get_absolute_url(self):
        return reverse("sales:lead_detail", args=[self.public_id])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class LeadEvent(models.Model):
    """A step of a lead before it is a customer (created, assigned, contacted...). A lead
    with a customer writes to the customer's timeline directly; on conversion these steps
    are copied there, with their own times (sales.services.lead_convert)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    occurred_at = models.DateTimeField(_("time"))
    staff = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    summary = models.TextField(_("summary"))

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["lead", "occurred_at"], name="leadevent_lead_idx")]


class AssignmentRuleQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)


class AssignmentRule(TimeStampedModel):
    """How a branch hands out new leads, and the cursor of its round robin.

    Every assignment locks this row (SELECT ... FOR UPDATE), so two leads arriving at the
    same moment are handed out one after the other: never both to one rep, never a rep
    skipped."""

    class Method(models.TextChoices):
        ROUND_ROBIN = "round_robin", _("Round robin among active sales staff")
        LEAST_OPEN = "least_open", _("Whoever has the fewest open leads")
        MANUAL = "manual", _("Nobody: the manager assigns by hand")

    branch = models.OneToOneField(Branch, verbose_name=_("branch"), on_delete=models.CASCADE,
                                  related_name="lead_assignment_rule")
    method = models.CharField(_("how new leads are assigned"), max_length=12, choices=Method.choices,
                              default=Method.ROUND_ROBIN)
    escalate_after_hours = models.PositiveSmallIntegerField(
        _("escalate untouched leads after (business hours)"), default=4, validators=[MaxValueValidator(200)],
        help_text=_("A new lead nobody has contacted within this many business hours of the branch is escalated "
                    "to the branch manager, once. 0 turns escalation off."))
    last_assigned = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+", editable=False)
    assigned_count = models.PositiveIntegerField(default=0, editable=False)

    objects = AssignmentRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("lead assignment rule")
        verbose_name_plural = _("lead assignment rules")

    def __str__(self):
        return f"{self.branch}: {self.get_method_display()}"


class Stage(TimeStampedModel):
    """A step of the pipeline: data, edited in the back office."""

    name = models.CharField(_("name"), max_length=60, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    probability = models.PositiveSmallIntegerField(_("default probability (%)"), default=10,
                                                   validators=[MaxValueValidator(100)])
    is_won = models.BooleanField(_("won"), default=False)
    is_lost = models.BooleanField(_("lost"), default=False)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_max_100"),
            models.CheckConstraint(condition=~(Q(is_won=True) & Q(is_lost=True)), name="stage_not_won_and_lost"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.is_won or self.is_lost


class OpportunityQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)

    def open(self):
        return self.filter(closed_at__isnull=True)


@sync.register
class Opportunity(TimeStampedModel):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="opportunities")
    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.SET_NULL, null=True, blank=True,
                             related_name="opportunities")
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT,
                               related_name="opportunities")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="sales_opportunities")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities")
    title = models.CharField(_("title"), max_length=200)
    amount = models.DecimalField(_("amount (Rp)"), max_digits=14, decimal_places=0, default=0)
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=10,
                                                   validators=[MaxValueValidator(100)])
    expected_close = models.DateField(_("expected close"), null=True, blank=True)
    model_of_interest = models.CharField(_("vehicle models of interest"), max_length=200, blank=True)
    trade_in = models.CharField(_("trade-in vehicle"), max_length=200, blank=True)
    competitor = models.CharField(_("competitor"), max_length=120, blank=True)
    next_step = models.CharField(_("next step"), max_length=200, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    close_reason = models.CharField(_("reason won or lost"), max_length=200, blank=True)

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        indexes = [
            # The board: one column per stage, newest first, in a branch or for an owner.
            models.Index(fields=["stage", "branch", "-id"], name="opp_stage_branch_idx"),
            models.Index(fields=["stage", "owner", "-id"], name="opp_stage_owner_idx"),
            models.Index(fields=["customer", "-id"], name="opp_customer_idx"),
            models.Index(fields=["branch", "-id"], name="opp_branch_id_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="opp_probability_max_100"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="opp_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.number} · {self.title}"

    def get_absolute_url(self):
        return reverse("sales:opportunity_detail", args=[self.public_id])

    @property
    def number(self) -> str:
        """What staff say and type in the search box: "OPP-000123" (from the row's id)."""
        return f"OPP-{self.pk:06d}" if self.pk else "OPP-?"

    @property
    def weighted_amount(self):
        return self.amount * self.probability / 100


class StageChange(models.Model):
    """Who moved an opportunity from which stage to which, when: kept for funnel analysis."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+")
    changed_at = models.DateTimeField(_("changed"))

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "changed_at"], name="stagechange_opp_idx"),
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_to_idx"),
        ]


# === Activities, scoring and targets (issue 10) — insert above this line ===


# === Catalogue, quotations, orders, payments, shipments (issue 11) — insert above this line ===
