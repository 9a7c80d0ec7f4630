"""Sales force automation: leads, their assignment, opportunities on a stage pipeline.

A lead is someone who may buy (from the showroom, the phone, the public "contact us / test
drive" page...). It belongs to a branch and is assigned to one of the branch's sales staff
by the branch's ``AssignmentRule`` (sales.services.lead_assign). A qualified lead converts
in one step into a customer and an ``Opportunity`` that moves through ``Stage`` rows.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
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
    # 0–100, how likely the lead is to buy: kept up to date by the services that change what
    # it is computed from (sales.activity_services: the weights, lead_score, leads_score_refresh).
    score = models.PositiveSmallIntegerField(_("score"), default=0, editable=False,
                                             validators=[MaxValueValidator(100)])

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
            # The list's search by name or company through trigrams: on UPPER(), since that is
            # what Django's icontains compares (UPPER(name) LIKE UPPER('%q%')); an index on the
            # bare column is never used by it (sales.selectors.lead_search).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="lead_name_upper_trgm_idx"),
            GinIndex(OpClass(Upper("company"), name="gin_trgm_ops"), name="lead_company_upper_trgm_idx"),
            # The list sorted by score (issue 10: "shown on the list and used to sort it").
            models.Index(fields=["branch", "-score", "-id"], name="lead_branch_score_idx"),
            models.Index(fields=["-score", "-id"], name="lead_score_idx"),
            # Each rep's month on the performance page: the leads assigned in it.
            models.Index(fields=["branch", "assigned_at"], name="lead_branch_assigned_idx"),
            # The home card "my leads": my open ones, never contacted first (a rep may own
            # tens of thousands: read in order, not sorted).
            models.Index(F("owner"), F("first_contacted_at").asc(nulls_first=True), F("id"),
                         name="lead_owner_first_contact_idx",
                         condition=Q(status__in=["new", "contacted", "qualified"])),
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


@sync.register(branch="lead__branch", append_only=True)
class LeadEvent(models.Model):
    """A step of a lead before it is a customer (created, assigned, contacted...). A lead
    with a customer writes to the customer's timeline directly; on conversion these steps
    are copied there, with their own times (sales.services.lead_convert)."""

    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
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


@sync.register(owner=sync.HQ)
class Stage(TimeStampedModel):
    """A step of the pipeline: data, edited in the back office."""

    # Shared with the branch instances (issue 16); the stages migration 0002 made get a UUID
    # derived from their name (migration 0012), the same on every instance.
    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
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
    # The furthest open or won stage the stage history ever reached (the highest order), for
    # the forecast's funnel. Kept by the database from sales_stagechange (the triggers of
    # migration 0008): whatever writes the history (services, bulk loads, the admin) keeps
    # it right, and a save of the opportunity cannot overwrite it.
    furthest_stage = models.ForeignKey(Stage, verbose_name=_("furthest stage reached"), on_delete=models.PROTECT,
                                       null=True, blank=True, editable=False, db_index=False, related_name="+")

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
            # The board for head office (every branch): a column's newest cards.
            models.Index(fields=["stage", "-id"], name="opp_stage_id_idx"),
            # The forecast: open ones by expected close, closed ones by date closed (index-only).
            models.Index(fields=["expected_close"], include=["branch", "owner", "amount", "probability"],
                         condition=Q(closed_at__isnull=True), name="opp_open_close_idx"),
            models.Index(fields=["closed_at"], include=["branch", "owner", "stage", "amount"],
                         condition=Q(closed_at__isnull=False), name="opp_closed_idx"),
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


@sync.register(branch="opportunity__branch", append_only=True)
class StageChange(models.Model):
    """Who moved an opportunity from which stage to which, when: kept for funnel analysis."""

    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                           related_name="+")
    changed_at = models.DateTimeField(_("changed"))
    # When the opportunity left ``to_stage`` (the next change's ``changed_at``), for the
    # funnel's median days in stage. Kept by the database (migration 0008's triggers).
    left_at = models.DateTimeField(_("left the stage"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["changed_at", "id"]
        indexes = [
            models.Index(fields=["opportunity", "changed_at"], name="stagechange_opp_idx"),
            models.Index(fields=["to_stage", "changed_at"], name="stagechange_to_idx"),
            # The funnel's medians read only the changes that were left (a few per cent).
            models.Index(fields=["opportunity"], include=["to_stage", "changed_at", "left_at"],
                         condition=Q(left_at__isnull=False), name="stagechange_left_idx"),
        ]


class PipelineTotal(models.Model):
    """How many opportunities, and what amount, per stage, furthest stage reached, branch, owner
    and (open ones) month of expected close.

    Kept by the database from sales_opportunity (migration 0008's triggers add the deltas of
    every statement that inserts, changes or deletes opportunities), so the board's column
    totals, the funnel's reached counts and the forecast's pipeline sum a few hundred of these
    rows instead of every opportunity (250,000 at a million customers). sales.selectors reads it when the page's
    filters are ones it can answer (branch, owner); others (the close month) sum the
    opportunities themselves. No foreign keys: the rows follow the opportunities."""

    stage = models.ForeignKey(Stage, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                              related_name="+")
    furthest_stage = models.ForeignKey(Stage, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                                       null=True, related_name="+")
    branch = models.ForeignKey(Branch, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                               related_name="+")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False,
                              db_index=False, null=True, related_name="+")
    # The month of the expected close of open opportunities (the forecast's pipeline chart);
    # None for closed ones.
    close_month = models.DateField(null=True)
    n = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=20, decimal_places=0, default=0)
    weighted = models.DecimalField(max_digits=24, decimal_places=2, default=0)  # Σ amount × probability / 100

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["stage", "furthest_stage", "branch", "owner", "close_month"],
                                    nulls_distinct=False, name="pipelinetotal_key_uniq"),
        ]


class ActivityQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)

    def open(self):
        return self.filter(done_at__isnull=True)


@sync.register
class Activity(TimeStampedModel):
    """A call, visit or meeting, task or email someone of the branch is to do by ``due_at``,
    about a customer, a lead or an opportunity (at least one). Done, it goes on the
    customer's timeline (or the lead's history) and counts as contact for a lead
    (sales.activity_services.activity_complete). ``reminded_at`` is the claim of the one
    reminder (sales.activity_services.activity_reminders_send)."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        VISIT = "visit", _("Visit or meeting")
        TASK = "task", _("Task")
        EMAIL = "email", _("Email")

    # What counts as contacting a lead (a task, like "prepare a quotation", does not).
    CONTACT_KINDS = (Kind.CALL, Kind.VISIT, Kind.EMAIL)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="activities")
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices, default=Kind.CALL)
    subject = models.CharField(_("subject"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    due_at = models.DateTimeField(_("due"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), on_delete=models.PROTECT,
                                 related_name="sales_activities")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, null=True,
                                 blank=True, related_name="sales_activities")
    lead = models.ForeignKey(Lead, verbose_name=_("lead"), on_delete=models.CASCADE, null=True, blank=True,
                             related_name="activities")
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE,
                                    null=True, blank=True, related_name="activities")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+", editable=False)
    done_at = models.DateTimeField(_("done"), null=True, blank=True, editable=False)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", editable=False)
    outcome = models.TextField(_("outcome"), blank=True)
    # Set once, by the conditional UPDATE that claims the reminder: two beats, one notification.
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True, editable=False)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            # My agenda: my open activities by due time (overdue, today, upcoming).
            models.Index(fields=["assignee", "due_at"], name="activity_agenda_idx", condition=Q(done_at__isnull=True)),
            # The reminder sweep: open activities not reminded yet, by due time (a few rows).
            models.Index(fields=["due_at"], name="activity_to_remind_idx",
                         condition=Q(done_at__isnull=True, reminded_at__isnull=True)),
            models.Index(fields=["customer", "-due_at"], name="activity_customer_idx",
                         condition=Q(customer__isnull=False)),
            models.Index(fields=["lead", "-due_at"], name="activity_lead_idx", condition=Q(lead__isnull=False)),
            models.Index(fields=["opportunity", "-due_at"], name="activity_opp_idx",
                         condition=Q(opportunity__isnull=False)),
            # "Recent activity" of the lead score, and the performance page: done, by when.
            models.Index(fields=["done_at"], name="activity_done_idx", condition=Q(done_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(customer__isnull=False) | Q(lead__isnull=False) | Q(opportunity__isnull=False),
                name="activity_has_a_subject"),
        ]

    def __str__(self):
        # Also the text of its notifications ("due soon"): the due time in the branch's zone.
        if self.due_at is None or self.branch_id is None:
            return f"{self.get_kind_display()}: {self.subject}"
        return f"{self.get_kind_display()}: {self.subject} · {self.due_local}"

    @property
    def due_local(self) -> str:
        """The due time as the branch reads it: "24 Nov 14:30 WITA"."""
        from zoneinfo import ZoneInfo

        from django.utils import formats

        from accounts.templatetags.relasi_time import zone_abbreviation

        zone = ZoneInfo(self.branch.time_zone)
        local = self.due_at.astimezone(zone)
        return f"{formats.date_format(local, 'j M H:i')} {zone_abbreviation(zone, local)}"

    def get_absolute_url(self):
        return reverse("sales:activity_detail", args=[self.public_id])

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class SalesTargetQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)


class SalesTarget(TimeStampedModel):
    """What the sales manager expects of a rep in a month: an amount won and leads handled."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT,
                               related_name="sales_targets")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sales rep"), on_delete=models.CASCADE,
                            related_name="sales_targets")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    target_amount = models.DecimalField(_("target amount (Rp)"), max_digits=14, decimal_places=0, default=0)
    target_leads = models.PositiveIntegerField(_("target leads handled"), default=0)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+", editable=False)

    objects = SalesTargetQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales target")
        verbose_name_plural = _("sales targets")
        indexes = [models.Index(fields=["branch", "month"], name="salestarget_branch_month_idx")]
        constraints = [
            models.UniqueConstraint(fields=["rep", "month"], name="salestarget_one_per_rep_month"),
            models.CheckConstraint(condition=Q(month__day=1), name="salestarget_month_first_day"),
            models.CheckConstraint(condition=Q(target_amount__gte=0), name="salestarget_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.rep} · {self.month:%Y-%m}"


# --- Catalogue, quotations, orders, payments, shipments (issue 11) ------------------------------
# Services and selectors: sales/catalogue.py, sales/quotations.py, sales/orders.py.


class TaxClass(models.TextChoices):
    # PMK 131/2024: from 2025 only luxury goods subject to PPnBM (motor vehicles) pay 12% on the
    # full price; every other good or service pays 12% on 11/12 of it (11% in effect).
    LUXURY = "luxury", _("Vehicle (luxury goods, PPnBM)")
    STANDARD = "standard", _("Other goods and services")


class TaxRate(TimeStampedModel):
    """A PPN rate for one tax class from a date on: data, never a constant in code. The rate
    kept is the one applied to the price (12% × 11/12 is kept as 11%)."""

    name = models.CharField(_("name"), max_length=60, default="PPN")
    tax_class = models.CharField(_("tax class"), max_length=10, choices=TaxClass.choices)
    rate = models.DecimalField(_("rate (%)"), max_digits=5, decimal_places=2)
    valid_from = models.DateField(_("valid from"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["tax_class", "-valid_from"]
        verbose_name = _("tax rate")
        verbose_name_plural = _("tax rates")
        constraints = [
            models.UniqueConstraint(fields=["tax_class", "valid_from"], name="taxrate_class_from_uniq"),
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lte=100), name="taxrate_rate_range"),
        ]

    def __str__(self):
        return f"{self.name} {self.rate}% ({self.get_tax_class_display()}, {self.valid_from:%d/%m/%Y})"


@sync.register(owner=sync.HQ)
class Product(TimeStampedModel):
    class Category(models.TextChoices):
        VEHICLE = "vehicle", _("Vehicle")
        ACCESSORY = "accessory", _("Accessory")
        SERVICE_PACKAGE = "service_package", _("Service package")
        SPARE_PART = "spare_part", _("Spare part")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.CharField(_("category"), max_length=16, choices=Category.choices)
    unit_price = models.DecimalField(_("list price (Rp)"), max_digits=14, decimal_places=0)
    # A vehicle delivered becomes the customer's asset with these.
    make = models.CharField(_("make"), max_length=60, blank=True)
    model_name = models.CharField(_("model"), max_length=80, blank=True)
    warranty_months = models.PositiveSmallIntegerField(_("warranty (months)"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["category", "name"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [models.CheckConstraint(condition=Q(unit_price__gte=0), name="product_price_not_negative")]

    def __str__(self):
        return f"{self.sku} · {self.name}"

    @property
    def tax_class(self) -> str:
        return TaxClass.LUXURY if self.category == self.Category.VEHICLE else TaxClass.STANDARD


class BranchPriceQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)


@sync.register(owner=sync.HQ)  # head office sets every branch's prices
class BranchPrice(TimeStampedModel):
    """A branch's own price for a product, instead of the list price."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE,
                                related_name="branch_prices")
    price = models.DecimalField(_("price (Rp)"), max_digits=14, decimal_places=0)

    objects = BranchPriceQuerySet.as_manager()

    class Meta:
        verbose_name = _("branch price")
        verbose_name_plural = _("branch prices")
        constraints = [
            models.UniqueConstraint(fields=["branch", "product"], name="branchprice_branch_product_uniq"),
            models.CheckConstraint(condition=Q(price__gte=0), name="branchprice_not_negative"),
        ]

    def __str__(self):
        return f"{self.branch}: {self.product}"


class DocumentCounter(models.Model):
    """The last number given to a kind of document in a branch and year. Incremented by an
    upsert in the transaction that creates the document (sales.quotations.document_number):
    the row stays locked until commit, and a rollback gives the number back, so numbers
    come without gaps or duplicates."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["branch", "kind", "year"], name="doccounter_uniq")]


class QuotationQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)


@sync.register
class Quotation(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired")
        SUPERSEDED = "superseded", _("Replaced by a revision")

    class PriceBasis(models.TextChoices):
        ON_THE_ROAD = "otr", _("On the road (registration included)")
        OFF_THE_ROAD = "off", _("Off the road")

    OPEN_STATUSES = (Status.DRAFT, Status.SENT)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="quotations")
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("opportunity"), on_delete=models.PROTECT,
                                    related_name="quotations")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="quotations")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("prepared by"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    # "BDG/QUO/2026/000123"; a revision keeps the number and shows "-R2".
    number = models.CharField(_("number"), max_length=40)
    revision = models.PositiveSmallIntegerField(_("revision"), default=1)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT)
    vehicle = models.ForeignKey(Product, verbose_name=_("vehicle"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", limit_choices_to={"category": "vehicle"})
    price_basis = models.CharField(_("price basis"), max_length=4, choices=PriceBasis.choices,
                                   default=PriceBasis.ON_THE_ROAD)
    quote_date = models.DateField(_("quotation date"))
    valid_until = models.DateField(_("valid until"))
    notes = models.TextField(_("notes"), blank=True)
    # Totals as sales.quotations.quotation_totals computed them (the page and the PDF show these).
    subtotal = models.DecimalField(_("subtotal"), max_digits=14, decimal_places=0, default=0)
    discount_total = models.DecimalField(_("discount"), max_digits=14, decimal_places=0, default=0)
    tax_total = models.DecimalField(_("PPN"), max_digits=14, decimal_places=0, default=0)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=0, default=0)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reject_reason = models.CharField(_("reason for rejecting"), max_length=200, blank=True)

    objects = QuotationQuerySet.as_manager()

    class Meta:
        verbose_name = _("quotation")
        verbose_name_plural = _("quotations")
        indexes = [
            models.Index(fields=["branch", "-id"], name="quo_branch_id_idx"),
            models.Index(fields=["opportunity", "-id"], name="quo_opp_idx"),
            models.Index(fields=["customer", "-id"], name="quo_customer_idx"),
            # The expiry sweep: open quotations by validity.
            models.Index(fields=["valid_until"], name="quo_open_valid_idx", condition=Q(status__in=["draft", "sent"])),
        ]
        constraints = [
            models.UniqueConstraint(fields=["number", "revision"], name="quo_number_revision_uniq"),
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reject_reason=""),
                                   name="quo_rejected_has_reason"),
        ]

    def __str__(self):
        return self.display_number

    def get_absolute_url(self):
        return reverse("sales:quotation_detail", args=[self.public_id])

    @property
    def display_number(self) -> str:
        return f"{self.number}-R{self.revision}" if self.revision > 1 else self.number

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


@sync.register(branch="quotation__branch")
class QuotationLine(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    quotation = models.ForeignKey(Quotation, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(default=0)
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+")
    description = models.CharField(_("description"), max_length=200)
    tax_class = models.CharField(_("tax class"), max_length=10, choices=TaxClass.choices, default=TaxClass.STANDARD)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=0)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2, default=0)
    discount_amount = models.DecimalField(_("discount (Rp)"), max_digits=14, decimal_places=0, default=0)
    tax_rate = models.DecimalField(_("PPN (%)"), max_digits=5, decimal_places=2)
    # Whole rupiah per line (sales.quotations.line_amounts).
    gross = models.DecimalField(max_digits=14, decimal_places=0)
    discount = models.DecimalField(max_digits=14, decimal_places=0)
    net = models.DecimalField(max_digits=14, decimal_places=0)
    tax = models.DecimalField(max_digits=14, decimal_places=0)
    total = models.DecimalField(max_digits=14, decimal_places=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="quoline_quantity_positive"),
            models.CheckConstraint(condition=Q(net__gte=0), name="quoline_net_not_negative"),
        ]


class SalesOrderQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)

    def open(self):
        return self.exclude(status__in=SalesOrder.FINAL_STATUSES)


@sync.register
class SalesOrder(TimeStampedModel):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        ALLOCATED = "allocated", _("Allocated")
        INVOICED = "invoiced", _("Invoiced")
        SHIPPED = "shipped", _("Shipped")
        DELIVERED = "delivered", _("Delivered")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    FINAL_STATUSES = (Status.CLOSED, Status.CANCELLED)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="sales_orders")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="sales_orders")
    # One order per quotation: the unique key is what makes a second accept change nothing.
    quotation = models.OneToOneField(Quotation, verbose_name=_("quotation"), on_delete=models.PROTECT,
                                     related_name="order")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="sales_orders")
    number = models.CharField(_("number"), max_length=40, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.CONFIRMED)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=0)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"))

    objects = SalesOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("sales order")
        verbose_name_plural = _("sales orders")
        indexes = [
            models.Index(fields=["branch", "-id"], name="so_branch_id_idx"),
            models.Index(fields=["customer", "-id"], name="so_customer_idx"),
            models.Index(fields=["status", "branch", "-id"], name="so_status_branch_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="cancelled") | ~Q(cancel_reason=""),
                                   name="so_cancelled_has_reason"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("sales:order_detail", args=[self.public_id])

    @property
    def is_open(self) -> bool:
        return self.status not in self.FINAL_STATUSES


@sync.register(branch="order__branch", append_only=True)
class OrderEvent(models.Model):
    """Every status change of an order: when, by whom, from what to what."""

    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="orderevent_order_idx")]


@sync.register(branch="order__branch")
class OrderVehicle(models.Model):
    """One vehicle unit of an order, allocated by its VIN: a vehicle line of quantity 2 has
    two. The VIN is held while the order is open: no other allocation holding it may exist
    (the partial unique index), so two orders cannot be given the same car, even at once.
    Cancelling the order releases it; on delivery it becomes the customer's asset (and is
    released: the asset itself then stands in the way of a second sale)."""

    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="vehicles")
    line = models.ForeignKey(QuotationLine, on_delete=models.PROTECT, related_name="+")
    unit = models.PositiveSmallIntegerField(_("unit"), default=1)  # 1 … the line's quantity
    vin = models.CharField(_("VIN"), max_length=17)
    allocated_at = models.DateTimeField(_("allocated"))
    allocated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    released_at = models.DateTimeField(_("released"), null=True, blank=True)
    asset = models.ForeignKey("crm.Asset", verbose_name=_("vehicle"), on_delete=models.SET_NULL, null=True,
                              blank=True, related_name="+")

    class Meta:
        ordering = ["line__position", "line_id", "unit", "id"]
        verbose_name = _("allocated vehicle")
        verbose_name_plural = _("allocated vehicles")
        constraints = [
            models.UniqueConstraint(fields=["vin"], condition=Q(released_at__isnull=True),
                                    name="ordervehicle_vin_held_uniq"),
            models.UniqueConstraint(fields=["order", "line", "unit"], condition=Q(released_at__isnull=True),
                                    name="ordervehicle_unit_held_uniq"),
        ]

    def __str__(self):
        return self.vin


@sync.register(branch="order__branch")
class PaymentDue(TimeStampedModel):
    """One line of an order's payment schedule: a down payment, an instalment, the leasing
    company's payment. Overdue when its date has passed and it is not fully paid."""

    class Kind(models.TextChoices):
        DOWN_PAYMENT = "down_payment", _("Down payment (DP)")
        INSTALMENT = "instalment", _("Instalment")
        LEASING = "leasing", _("Leasing company payment")
        FULL = "full", _("Full payment")

    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="payment_dues")
    kind = models.CharField(_("type"), max_length=14, choices=Kind.choices)
    leasing_company = models.CharField(_("leasing company"), max_length=120, blank=True)
    due_date = models.DateField(_("due date"))
    amount = models.DecimalField(_("amount (Rp)"), max_digits=14, decimal_places=0)
    paid_amount = models.DecimalField(_("paid (Rp)"), max_digits=14, decimal_places=0, default=0)
    paid_at = models.DateTimeField(_("paid in full"), null=True, blank=True)

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("payment due")
        verbose_name_plural = _("payments due")
        indexes = [
            models.Index(fields=["order", "due_date"], name="paydue_order_idx"),
            # "Payment due" reminders and the overdue list: unpaid rows by date.
            models.Index(fields=["due_date"], name="paydue_unpaid_idx", condition=Q(paid_at__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="paydue_amount_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=models.F("amount")),
                                   name="paydue_paid_within_amount"),
        ]

    @property
    def outstanding(self):
        return self.amount - self.paid_amount

    def is_overdue(self, today) -> bool:
        return self.paid_at is None and self.due_date < today


@sync.register(branch="order__branch")
class Payment(TimeStampedModel):
    class Method(models.TextChoices):
        TRANSFER = "transfer", _("Bank transfer")
        CASH = "cash", _("Cash")
        CARD = "card", _("Card")
        LEASING = "leasing", _("From the leasing company")

    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    order = models.ForeignKey(SalesOrder, on_delete=models.CASCADE, related_name="payments")
    due = models.ForeignKey(PaymentDue, verbose_name=_("for"), on_delete=models.PROTECT, related_name="payments")
    amount = models.DecimalField(_("amount (Rp)"), max_digits=14, decimal_places=0)
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.TRANSFER)
    reference = models.CharField(_("reference"), max_length=80, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    class Meta:
        ordering = ["paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]


class ShipmentQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)


def _proof_storage():
    """Hand-over photos under SALES_FILES_ROOT (default .run/private/sales), outside the web
    root, read from the settings at each use (complaints.attachments.PrivateStorage)."""
    from pathlib import Path

    from complaints.attachments import PrivateStorage

    return PrivateStorage(root=lambda: Path(getattr(settings, "SALES_FILES_ROOT",
                                                    settings.BASE_DIR / ".run" / "private" / "sales")),
                          directory_permissions_mode=0o750, file_permissions_mode=0o640)


@sync.register
class Shipment(TimeStampedModel):
    class Method(models.TextChoices):
        OWN_DRIVER = "own_driver", _("Our own driver")
        CARRIER = "carrier", _("Carrier")
        PICKUP = "pickup", _("Customer picks up")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_TRANSIT = "in_transit", _("In transit")
        DELIVERED = "delivered", _("Delivered")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    order = models.OneToOneField(SalesOrder, verbose_name=_("order"), on_delete=models.CASCADE,
                                 related_name="shipment")
    # The order's branch, copied (sales.orders.shipment_create sets it): the queue of a branch
    # reads its open shipments by promised date on one index, without walking every branch's.
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, null=True,
                               related_name="shipments", editable=False)
    method = models.CharField(_("delivered by"), max_length=12, choices=Method.choices, default=Method.OWN_DRIVER)
    carrier = models.CharField(_("carrier or driver"), max_length=120, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=60, blank=True)
    promised_date = models.DateField(_("promised for"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    receiver_name = models.CharField(_("received by"), max_length=120, blank=True)
    # A photo of the hand-over (optional), kept outside the web root and served only by
    # sales.order_views.shipment_proof to staff who may see the shipment.
    proof_photo = models.FileField(_("photo of the hand-over"), storage=_proof_storage, upload_to="proof/%Y/%m/",
                                   max_length=200, blank=True)
    proof_content_type = models.CharField(max_length=40, blank=True, editable=False)
    # Set once, by the conditional UPDATE that claims the late notice (sales.orders.shipments_notify_late).
    late_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ShipmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        indexes = [
            # The queue and the late sweep read only shipments not yet delivered.
            models.Index(fields=["promised_date"], name="ship_open_promised_idx",
                         condition=Q(status__in=["planned", "in_transit"])),
            models.Index(fields=["branch", "promised_date"], name="ship_open_branch_promised_idx",
                         condition=Q(status__in=["planned", "in_transit"])),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(status="delivered") | ~Q(receiver_name=""),
                                   name="ship_delivered_has_receiver"),
        ]

    def __str__(self):
        return _("Shipment of %(order)s") % {"order": self.order.number}

    def get_absolute_url(self):
        return reverse("sales:order_detail", args=[self.order.public_id]) + "#shipment"

    def is_late(self, today) -> bool:
        return self.status != self.Status.DELIVERED and self.promised_date < today
