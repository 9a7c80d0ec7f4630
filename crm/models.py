"""The shared customer record: customers, their contact persons and assets, and the
contact history (interactions) that every department writes to."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F
from django.db.models.functions import ExtractDay, ExtractMonth, Replace, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# branch_scope is re-exported for code that still imports it from here; new code imports
# it from accounts.access, where the rule lives.
from accounts.access import BranchScopedQuerySet, branch_scope  # noqa: F401
from accounts.models import Branch, Department, TimeStampedModel

from . import sync


class CustomerQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)  # Customer.objects.visible_to(user): the customer's own branch


class CustomerChildQuerySet(BranchScopedQuerySet):
    """Rows that hang off a customer (contact persons, assets, interactions): the customer's branch."""

    branch_paths = ("customer__branch",)


@sync.register  # deletions leave a Tombstone; branch sync (issue 16) carries it
class Tag(TimeStampedModel):
    # Tags sync too (crm.sync); db_default gives existing and raw-inserted rows their own id.
    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class Channel(models.TextChoices):
    """The consent channels: the one list of what a customer consents to, each with its
    ``<channel>_consent``, ``<channel>_consent_at`` and ``<channel>_consent_source`` fields on
    Customer. Code that loops over consents, or names one, reads it from here."""

    SMS = "sms", _("SMS")
    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")


@sync.register(merge={"last_contact_at": sync.GREATEST, "search_text": sync.DERIVED})
class Customer(TimeStampedModel):
    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices, default=Kind.PERSON)
    name = models.CharField(_("name"), max_length=200)
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, help_text=_("Stored as +62…"))
    phone_alt = models.CharField(_("other phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)
    address = models.TextField(_("address"), blank=True)
    city = models.CharField(_("city"), max_length=80, blank=True)
    province = models.CharField(_("province"), max_length=80, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="customers")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_customers",
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="customers")

    # Consent per channel, with when and how it was given or withdrawn (UU PDP).
    sms_consent = models.BooleanField(_("SMS consent"), default=False)
    sms_consent_at = models.DateTimeField(_("SMS consent changed"), null=True, blank=True)
    sms_consent_source = models.CharField(_("SMS consent source"), max_length=60, blank=True)
    email_consent = models.BooleanField(_("email consent"), default=False)
    email_consent_at = models.DateTimeField(_("email consent changed"), null=True, blank=True)
    email_consent_source = models.CharField(_("email consent source"), max_length=60, blank=True)
    phone_consent = models.BooleanField(_("phone consent"), default=False)
    phone_consent_at = models.DateTimeField(_("phone consent changed"), null=True, blank=True)
    phone_consent_source = models.CharField(_("phone consent source"), max_length=60, blank=True)
    # When a person last touched the customer (a call, visit, SMS, email, note... — not a
    # campaign or a system record); kept by crm.services.interaction_record, for "customers
    # I have not called for longest" without aggregating millions of interactions.
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True, editable=False)
    # The language the customer is written to in (SMS, email): Indonesian unless they asked otherwise.
    language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="id", db_default="id"
    )

    # Lower-cased name, email, phone keys and plate numbers, kept by crm.services so that
    # one trigram index answers the search box (see customer_search_text).
    search_text = models.TextField(editable=False, default="")

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        indexes = [
            # List pages are "newest first", optionally filtered: each filter gets an
            # index that also serves the ORDER BY id DESC LIMIT.
            models.Index(fields=["branch", "-id"], name="customer_branch_id_idx"),
            models.Index(Upper("city"), F("id").desc(), name="customer_city_upper_id_idx"),
            models.Index(fields=["owner", "-id"], name="customer_owner_id_idx"),
            # The home page's "my customers, least recently touched first".
            models.Index(F("owner"), F("last_contact_at").asc(nulls_first=True), F("id"),
                         name="customer_owner_contact_idx"),
            models.Index(fields=["phone"], name="customer_phone_idx"),
            models.Index(fields=["phone_alt"], name="customer_phone_alt_idx"),
            models.Index(fields=["email"], name="customer_email_idx"),
            # Birthday reminders: one day's birthdays of a branch (marketing.reminders), no scan.
            models.Index(ExtractMonth("birth_date"), ExtractDay("birth_date"), F("branch"),
                         name="customer_birth_md_idx"),
            # The search box (crm.selectors.customer_search): trigrams of the search text,
            # with the branch inside the same index (btree_gin), so "matches in my branch"
            # is answered by the index alone, however many match in other branches.
            GinIndex(fields=["branch", "search_text"], name="customer_branch_search_idx",
                     opclasses=["int8_ops", "gin_trgm_ops"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("crm:customer_detail", args=[self.public_id])


@sync.register
class ContactPerson(TimeStampedModel):
    """Someone to talk to at a company customer."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_persons")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    email = models.EmailField(_("email"), blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("contact person")
        verbose_name_plural = _("contact persons")

    def __str__(self):
        return self.name


@sync.register
class Asset(TimeStampedModel):
    """What the customer owns; for the reference dealer a vehicle."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="assets")
    make = models.CharField(_("make"), max_length=60)
    model = models.CharField(_("model"), max_length=80)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    vin = models.CharField(_("VIN"), max_length=17, blank=True)
    plate_number = models.CharField(_("plate number"), max_length=16, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    warranty_end = models.DateField(_("warranty ends"), null=True, blank=True)
    odometer_km = models.PositiveIntegerField(_("odometer (km)"), null=True, blank=True)
    next_service_due = models.DateField(_("next service due"), null=True, blank=True)
    # Dates the reminder rules need (marketing.reminders): the yearly STNK tax (PKB) and insurance.
    stnk_due = models.DateField(_("STNK tax due"), null=True, blank=True)
    insurance_end = models.DateField(_("insurance ends"), null=True, blank=True)
    # The factory's production batch, for recalls (complaints' QC: a recall segment by batch).
    production_batch = models.CharField(_("production batch"), max_length=40, blank=True, db_default="")

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        ordering = ["-purchase_date", "id"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        indexes = [
            # The back office finds a plate typed with any spacing, or a VIN, by its start
            # (crm.admin.AssetAdmin.get_search_results: the same expressions).
            models.Index(OpClass(Upper(Replace("plate_number", models.Value(" "), models.Value(""))),
                                 name="text_pattern_ops"), name="asset_plate_key_idx"),
            models.Index(OpClass(Upper("vin"), name="text_pattern_ops"), name="asset_vin_upper_idx"),
            # A recall's VIN range (complaints.segments: upper(vin) BETWEEN from AND to); the
            # text_pattern_ops index above serves prefixes only, not < and >.
            models.Index(Upper("vin"), name="asset_vin_upper_range_idx"),
            # A recall by production batch (complaints.segments); most vehicles have none.
            models.Index(fields=["production_batch"], condition=~models.Q(production_batch=""),
                         name="asset_production_batch_idx"),
            # The make filter's options (a skip scan, crm.admin.MakeFilter) and its lists.
            models.Index(fields=["make", "-id"], name="asset_make_id_idx"),
            models.Index(fields=["next_service_due"], name="asset_next_service_idx"),
            # Reminder rules select one day's due dates (marketing.reminders).
            models.Index(fields=["stnk_due"], name="asset_stnk_due_idx"),
            models.Index(fields=["insurance_end"], name="asset_insurance_end_idx"),
            models.Index(fields=["warranty_end"], name="asset_warranty_end_idx"),
        ]

    def __str__(self):
        label = f"{self.make} {self.model}"
        return f"{label} ({self.plate_number})" if self.plate_number else label


@sync.register(append_only=True, generic=[("source_type", "source_id")])
class Interaction(TimeStampedModel):
    """One touch in the contact history. Create only through crm.services.interaction_record.

    (The one exception is seed_demo's bulk COPY of demo history, which writes the same
    columns directly: a million save() calls would take hours.)
    """

    class Kind(models.TextChoices):
        CALL = "call", _("Call")
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")
        VISIT = "visit", _("Visit")
        WEB_FORM = "web_form", _("Web form")
        COMPLAINT = "complaint", _("Complaint")
        SERVICE_VISIT = "service_visit", _("Service visit")
        QUOTATION = "quotation", _("Quotation")
        ORDER = "order", _("Order")
        CAMPAIGN_MESSAGE = "campaign_message", _("Campaign message")
        NOTE = "note", _("Note")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        SMS = "sms", _("SMS")
        EMAIL = "email", _("Email")
        IN_PERSON = "in_person", _("In person")
        WEB = "web", _("Web")
        SYSTEM = "system", _("System")

    class Direction(models.TextChoices):
        INBOUND = "in", _("Inbound")
        OUTBOUND = "out", _("Outbound")
        INTERNAL = "internal", _("Internal")

    # What a person does (the quick-log form offers only these); the rest are written by the
    # apps that own the record (an order, a complaint, a campaign). A person's touch moves
    # the customer's last_contact_at.
    PERSON_KINDS = (Kind.CALL, Kind.VISIT, Kind.EMAIL, Kind.SMS, Kind.NOTE, Kind.WEB_FORM)

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="interactions")
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=8, choices=Direction.choices)
    department = models.CharField(_("department"), max_length=16, choices=Department.choices)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="interactions",
    )
    occurred_at = models.DateTimeField(_("time"))
    # The customer's branch when it happened (kept if the customer later moves): the branch's
    # activity report reads one index range of it instead of every customer's timeline.
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", db_index=False)
    summary = models.TextField(_("summary"))
    # The record this touch came from (a quotation, a complaint, a message...), if any.
    source_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, null=True, blank=True)
    source_id = models.PositiveBigIntegerField(null=True, blank=True)
    source = GenericForeignKey("source_type", "source_id")
    # A correction by the author (crm.services.interaction_correct) keeps what was first written.
    original_summary = models.TextField(_("original summary"), blank=True, db_default="")
    corrected_at = models.DateTimeField(_("corrected"), null=True, blank=True)

    objects = CustomerChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        indexes = [
            # The customer's timeline: newest first, paged.
            models.Index(fields=["customer", "-occurred_at", "-id"], name="interaction_timeline_idx"),
            # The home page's "what I logged last".
            models.Index(fields=["staff", "-occurred_at", "-id"], name="interaction_staff_recent_idx"),
            models.Index(fields=["source_type", "source_id"], name="interaction_source_idx"),
            # The branch activity report: a day range of one branch, counted by kind.
            models.Index(fields=["branch", "occurred_at"], include=["kind"], name="interaction_branch_day_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.customer_id} · {self.occurred_at:%Y-%m-%d}"


class Tombstone(models.Model):
    """A deleted row of a synced model (crm.sync): written in the deleting transaction, so
    that branch sync can carry the deletion to the other side. Append-only."""

    model_label = models.CharField(_("model"), max_length=100)  # e.g. "crm.customer" (Model._meta.label_lower)
    public_id = models.UUIDField(_("public id"))
    # The branch the row belonged to when it was deleted, when it had one (tags have none).
    branch = models.ForeignKey(
        Branch, verbose_name=_("branch"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    deleted_at = models.DateTimeField(_("deleted"), default=timezone.now)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        indexes = [
            # Sync reads "what was deleted at this branch since …"; the admin lists newest first.
            models.Index(fields=["branch", "deleted_at", "id"], name="tombstone_branch_deleted_idx"),
            models.Index(fields=["deleted_at", "id"], name="tombstone_deleted_idx"),
            models.Index(fields=["model_label", "public_id"], name="tombstone_row_idx"),
        ]

    def __str__(self):
        return f"{self.model_label} {self.public_id}"
