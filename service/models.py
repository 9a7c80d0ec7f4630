"""The workshop (bengkel): bays and service types per branch, and bookings.

Capacity is kept by PostgreSQL, not by a read-then-write in Python: an exclusion constraint
(btree_gist) refuses two live bookings of one bay whose time ranges overlap, so two people
taking the last free slot at the same moment get one booking and one "that slot was just
taken" (service.services.booking_create), whatever the number of web workers.
"""

import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, DateTimeRangeField, RangeOperators
from django.contrib.postgres.functions import RandomUUID
from django.db import models
from django.db.models import F, Func, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import BranchScopedQuerySet
from accounts.models import Branch, TimeStampedModel
from crm import sync
from crm.models import Asset, Customer


class BayKind(models.TextChoices):
    GENERAL = "general", _("General repair")
    BODY_PAINT = "body_paint", _("Body and paint")
    QUICK = "quick", _("Quick service")


class Workshop(TimeStampedModel):
    """A branch's workshop settings. A branch without a row books in 30-minute steps."""

    DEFAULT_SLOT_MINUTES = 30

    branch = models.OneToOneField(Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="workshop")
    slot_minutes = models.PositiveSmallIntegerField(
        _("slot length (minutes)"), default=DEFAULT_SLOT_MINUTES,
        help_text=_("Bookings start on these steps from each opening time."))

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gte=5, slot_minutes__lte=240),
                                   name="workshop_slot_minutes_range"),
        ]

    def __str__(self):
        return str(self.branch)


@sync.register
class Bay(TimeStampedModel):
    """One place in the workshop where one vehicle is worked on at a time."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="bays")
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("bay type"), max_length=20, choices=BayKind.choices, default=BayKind.GENERAL)
    is_active = models.BooleanField(_("in use"), default=True)

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        ordering = ["branch", "kind", "name"]
        verbose_name = _("bay")
        verbose_name_plural = _("bays")
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="bay_unique_name_per_branch")]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"

    def get_absolute_url(self):
        return reverse("service:setup", args=[self.branch.public_id])


@sync.register(owner=sync.HQ)
class ServiceType(TimeStampedModel):
    """What a customer books: how long it takes and the bay it needs (the same for every branch)."""

    class Kind(models.TextChoices):
        PERIODIC = "periodic", _("Periodic service")
        REPAIR = "repair", _("Repair")
        WARRANTY = "warranty", _("Warranty claim")
        BODY_PAINT = "body_paint", _("Body and paint")
        RECALL = "recall", _("Recall campaign")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=80, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.PERIODIC)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"))
    bay_kind = models.CharField(_("bay type needed"), max_length=20, choices=BayKind.choices,
                                default=BayKind.GENERAL)
    interval_km = models.PositiveIntegerField(_("next service after (km)"), null=True, blank=True)
    interval_months = models.PositiveSmallIntegerField(_("next service after (months)"), null=True, blank=True)
    is_active = models.BooleanField(_("bookable"), default=True)
    bookable_online = models.BooleanField(_("bookable on the website"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gte=5, duration_minutes__lte=600),
                                   name="service_type_duration_range"),
        ]

    def __str__(self):
        return self.name


# The tank at check-in, in eighths as the gauge shows it.
FUEL_CHOICES = [(0, _("Empty")), (1, "1/8"), (2, "1/4"), (3, "3/8"), (4, "1/2"), (5, "5/8"), (6, "3/4"),
                (7, "7/8"), (8, _("Full"))]


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


@sync.register
class Technician(TimeStampedModel):
    """A mechanic of a branch's workshop: what work they can do and the days they work.

    Not necessarily a user of the CRM (most mechanics never log in); ``user`` links the
    ones who do. A job line is assigned only to a technician who works on the visit's day
    and has the skills it needs (service.services.job_line_add)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.CASCADE,
                               related_name="technicians")
    name = models.CharField(_("name"), max_length=80)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user account"), on_delete=models.SET_NULL,
                             null=True, blank=True, related_name="+")
    bay_kinds = ArrayField(models.CharField(max_length=20, choices=BayKind.choices), verbose_name=_("bay types"),
                           default=list, blank=True)
    service_kinds = ArrayField(models.CharField(max_length=20, choices=ServiceType.Kind.choices),
                               verbose_name=_("kinds of work"), default=list, blank=True)
    working_days = ArrayField(models.PositiveSmallIntegerField(choices=Weekday.choices),
                              verbose_name=_("working days"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        ordering = ["branch", "name"]
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="technician_unique_name_per_branch")]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("service:technician_edit", args=[self.public_id])

    def works_on(self, day) -> bool:
        return day.weekday() in self.working_days

    def can_do(self, bay_kind: str, service_kind: str) -> bool:
        return bay_kind in self.bay_kinds and service_kind in self.service_kinds

    @property
    def bay_labels(self) -> list[str]:
        return [str(BayKind(k).label) for k in self.bay_kinds if k in BayKind.values]

    @property
    def work_labels(self) -> list[str]:
        return [str(ServiceType.Kind(k).label) for k in self.service_kinds if k in ServiceType.Kind.values]

    def get_working_days_display(self) -> str:
        return ", ".join(str(Weekday(d).label) for d in sorted(self.working_days))


class BookingQuerySet(BranchScopedQuerySet):
    branch_paths = ("branch",)

    def live(self):
        return self.exclude(status__in=Booking.FREE_STATUSES)


class TsTzRange(Func):
    """``tstzrange(starts_at, ends_at)``: half-open, so 09:00–10:00 and 10:00–11:00 do not overlap."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


@sync.register
class Booking(TimeStampedModel):
    """A service appointment: a vehicle in a bay for a time, and its way through the workshop."""

    class Status(models.TextChoices):
        BOOKED = "booked", _("Booked")
        ARRIVED = "arrived", _("Checked in")
        IN_PROGRESS = "in_progress", _("In progress")
        WAITING_PARTS = "waiting_parts", _("Waiting for parts")
        WAITING_APPROVAL = "waiting_approval", _("Waiting for the customer's approval")
        READY = "ready", _("Ready for collection")
        COLLECTED = "collected", _("Collected")
        NO_SHOW = "no_show", _("No-show")
        CANCELLED = "cancelled", _("Cancelled")

    class Source(models.TextChoices):
        STAFF = "staff", _("Staff")
        WEB = "web", _("Website")

    # Bookings in these states no longer hold their bay (the constraint ignores them).
    FREE_STATUSES = (Status.CANCELLED, Status.NO_SHOW)
    # The vehicle is at the workshop.
    IN_WORKSHOP_STATUSES = (Status.ARRIVED, Status.IN_PROGRESS, Status.WAITING_PARTS, Status.WAITING_APPROVAL,
                            Status.READY)
    # Allowed moves; anything else is refused by service.services.booking_status_change.
    TRANSITIONS = {
        Status.BOOKED: (Status.ARRIVED, Status.NO_SHOW, Status.CANCELLED),
        Status.ARRIVED: (Status.IN_PROGRESS, Status.READY),
        Status.IN_PROGRESS: (Status.WAITING_PARTS, Status.READY),
        Status.WAITING_PARTS: (Status.IN_PROGRESS, Status.READY),
        # Left by the customer's answer (service.services.estimate_decide), or by staff after a call.
        Status.WAITING_APPROVAL: (Status.IN_PROGRESS,),
        Status.READY: (Status.COLLECTED,),
        Status.COLLECTED: (),
        Status.NO_SHOW: (),
        Status.CANCELLED: (),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(_("booking code"), max_length=16, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.PROTECT, related_name="bookings")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="service_bookings")
    asset = models.ForeignKey(Asset, verbose_name=_("vehicle"), on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="service_bookings")
    plate_number = models.CharField(_("plate number"), max_length=16)
    plate_key = models.CharField(max_length=16, editable=False, db_index=True)  # upper case, no spaces
    service_type = models.ForeignKey(ServiceType, verbose_name=_("service type"), on_delete=models.PROTECT,
                                     related_name="bookings")
    bay = models.ForeignKey(Bay, verbose_name=_("bay"), on_delete=models.PROTECT, related_name="bookings")
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.BOOKED)
    source = models.CharField(_("booked through"), max_length=8, choices=Source.choices, default=Source.STAFF)
    advisor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("service advisor"),
                                on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    complaint = models.TextField(_("customer's complaint"), blank=True)
    odometer_km = models.PositiveIntegerField(_("odometer at check-in (km)"), null=True, blank=True)
    # Check-in: the tank in eighths (0 empty … 8 full) and what the customer left in the car.
    fuel_level = models.PositiveSmallIntegerField(_("fuel level"), null=True, blank=True, choices=FUEL_CHOICES)
    items_left = models.TextField(_("items left in the car"), blank=True, db_default="")
    expected_ready_at = models.DateTimeField(_("expected ready"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed"), null=True, blank=True)
    # The day-before reminder: claimed (set) before the SMS is queued, so it goes once.
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True)
    # After collection: the link of the satisfaction SMS, and the customer's answer.
    feedback_code = models.CharField(max_length=16, unique=True, null=True, blank=True, editable=False)
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    rating_comment = models.TextField(_("comment"), blank=True)
    rated_at = models.DateTimeField(_("rated"), null=True, blank=True)
    # Extra work found during the visit: an estimate the customer approves (or not) by SMS link
    # before it starts. One open estimate at a time; the decision is kept.
    estimate_amount = models.DecimalField(_("estimate (Rp)"), max_digits=14, decimal_places=0, null=True,
                                          blank=True)
    estimate_note = models.TextField(_("extra work proposed"), blank=True)
    estimate_code = models.CharField(max_length=16, unique=True, null=True, blank=True, editable=False)
    estimate_approved = models.BooleanField(_("estimate approved"), null=True, blank=True)
    estimate_decided_at = models.DateTimeField(_("estimate decided"), null=True, blank=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("service booking")
        verbose_name_plural = _("service bookings")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"),
            models.CheckConstraint(condition=Q(fuel_level__isnull=True) | Q(fuel_level__lte=8),
                                   name="booking_fuel_level_eighths"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                                   name="booking_rating_1_to_5"),
            # The capacity rule itself: one live booking per bay at any moment.
            ExclusionConstraint(
                name="booking_no_double_booking",
                expressions=[("bay", RangeOperators.EQUAL),
                             (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS)],
                condition=~Q(status__in=["cancelled", "no_show"]),
            ),
        ]
        indexes = [
            # Free slots and the day's arrivals: a branch's bookings in a time window.
            models.Index(fields=["branch", "starts_at"], name="booking_branch_start_idx"),
            models.Index(fields=["customer", "-starts_at"], name="booking_customer_idx"),
        ]

    def __str__(self):
        return f"{self.plate_number} · {self.service_type} ({self.code})"

    @property
    def lines_total(self):
        return sum((line.total for line in self.lines.all()), Decimal(0))

    def get_absolute_url(self):
        return reverse("service:booking_detail", args=[self.public_id])

    @property
    def next_statuses(self):
        """(status, what the button says) for each move the flow allows from here."""
        return [(s, ACTION_LABELS[s]) for s in self.TRANSITIONS[self.Status(self.status)]]

    @property
    def in_workshop(self) -> bool:
        return self.status in self.IN_WORKSHOP_STATUSES


# What the job card's buttons say: the action, not the state it leads to.
ACTION_LABELS = {
    Booking.Status.ARRIVED: _("Check in"),
    Booking.Status.IN_PROGRESS: _("Start work"),
    Booking.Status.WAITING_PARTS: _("Waiting for parts"),
    Booking.Status.WAITING_APPROVAL: _("Waiting for approval"),
    Booking.Status.READY: _("Ready for collection"),
    Booking.Status.COLLECTED: _("Collected by the customer"),
    Booking.Status.NO_SHOW: _("Did not come"),
    Booking.Status.CANCELLED: _("Cancel the booking"),
}


@sync.register(branch="booking__branch", append_only=True)
class BookingEvent(models.Model):
    """Each status change, timed and attributed (the job card's history)."""

    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    status = models.CharField(_("status"), max_length=16, choices=Booking.Status.choices)
    at = models.DateTimeField(_("time"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.SET_NULL,
                           null=True, blank=True, related_name="+")
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("booking status change")
        verbose_name_plural = _("booking status changes")

    def __str__(self):
        return f"{self.get_status_display()} {self.at:%Y-%m-%d %H:%M}"


@sync.register(branch="booking__branch")
class JobLine(TimeStampedModel):
    """A line of the job card: a task (who, how long) or a part, each with its price; their
    sum is the visit's invoice total.

    A part may be picked from the sales catalogue (when the sales app is installed): the line
    then keeps a snapshot of it (SKU, name, the branch's price and the PPN rate of that day,
    and the PPN in whole rupiah from sales.quotations.line_amounts), so a later price or
    rate change never alters an old job card. Free-text lines carry no PPN."""

    class Kind(models.TextChoices):
        TASK = "task", _("Task")
        PART = "part", _("Part")

    public_id = models.UUIDField(default=uuid.uuid4, db_default=RandomUUID(), unique=True, editable=False)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.TASK)
    description = models.CharField(_("description"), max_length=200)
    technician = models.ForeignKey(Technician, verbose_name=_("technician"), on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="job_lines")
    minutes = models.PositiveIntegerField(_("time spent (minutes)"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=9, decimal_places=2, default=Decimal(1))
    unit_price = models.DecimalField(_("unit price (Rp)"), max_digits=14, decimal_places=0, default=Decimal(0))
    # The catalogue snapshot (empty on a free-text line). The product by its public id, not a
    # foreign key: the workshop works without the sales app.
    product_public_id = models.UUIDField(_("catalogue product"), null=True, blank=True, editable=False)
    sku = models.CharField(_("SKU"), max_length=40, blank=True, default="", editable=False)
    tax_rate = models.DecimalField(_("PPN (%)"), max_digits=5, decimal_places=2, null=True, blank=True,
                                   editable=False)
    tax = models.DecimalField(_("PPN (Rp)"), max_digits=14, decimal_places=0, default=Decimal(0), editable=False)

    class Meta:
        ordering = ["id"]
        verbose_name = _("job card line")
        verbose_name_plural = _("job card lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="job_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="job_line_price_not_negative"),
        ]

    def __str__(self):
        return self.description

    @property
    def amount(self) -> Decimal:
        """Before PPN."""
        return (self.quantity * self.unit_price).quantize(Decimal(1))

    @property
    def total(self) -> Decimal:
        return self.amount + self.tax

    @property
    def from_catalogue(self) -> bool:
        return self.product_public_id is not None


class BookingPhotoQuerySet(BranchScopedQuerySet):
    branch_paths = ("booking__branch",)


def _photo_storage():
    from .photos import photo_storage

    return photo_storage()


class BookingPhoto(models.Model):
    """A photo taken at check-in (scratches, the dashboard), kept outside the web root
    (SERVICE_FILES_ROOT) and served only by service.views.photo_download to staff who may
    see the booking. Images only, checked by content (complaints.attachments.sniff)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(storage=_photo_storage, upload_to="service/%Y/%m/", max_length=200)
    # A small JPEG made once on upload (service.photos.thumbnail_make), next to the photo.
    thumbnail = models.FileField(storage=_photo_storage, upload_to="service/%Y/%m/", max_length=200, blank=True,
                                 default="")
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                                    related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    objects = BookingPhotoQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("check-in photo")
        verbose_name_plural = _("check-in photos")

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("service:photo_download", args=[self.booking.public_id, self.public_id])

    def get_thumbnail_url(self):
        return reverse("service:photo_thumbnail", args=[self.booking.public_id, self.public_id])
