"""Writes of the workshop: set-up, bookings, status changes (each on the customer's timeline)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import User
from accounts.services import notification_send
from crm.models import Asset, Customer, Interaction
from crm.formatting import format_rupiah
from crm.public import public_code_new
from crm.services import interaction_record

from . import selectors
from .models import Bay, BayKind, Booking, BookingEvent, BookingPhoto, JobLine, ServiceType, Technician, Workshop
from .plates import plate_key, plate_normalize

NO_DOUBLE_BOOKING = "booking_no_double_booking"


class SlotTaken(ValidationError):
    """Every bay that could take the booking was taken (possibly a moment ago, by someone else)."""

    def __init__(self):
        super().__init__(_("That slot was just taken. Choose another time."), code="slot_taken")


# --- set-up --------------------------------------------------------------------------------
def bay_create(*, branch, name: str, kind: str, by: User | None = None) -> Bay:
    if Bay.objects.filter(branch=branch, name__iexact=name.strip()).exists():
        raise ValidationError({"name": _("This branch already has a bay with this name.")})
    return Bay.objects.create(branch=branch, name=name.strip(), kind=kind)


def bay_set_active(*, bay: Bay, active: bool, by: User | None = None) -> Bay:
    bay.is_active = active
    bay.save(update_fields=["is_active", "updated_at"])
    return bay


def workshop_slot_set(*, branch, slot_minutes: int, by: User | None = None) -> Workshop:
    workshop, _created = Workshop.objects.update_or_create(branch=branch, defaults={"slot_minutes": slot_minutes})
    return workshop


def technician_save(*, branch, name: str, bay_kinds: list[str], service_kinds: list[str], working_days: list[int],
                    technician: Technician | None = None, is_active: bool = True,
                    by: User | None = None) -> Technician:
    """Add a technician to ``branch``'s workshop, or change ``technician``."""
    name = (name or "").strip()
    clash = Technician.objects.filter(branch=branch, name__iexact=name)
    if technician is not None:
        clash = clash.exclude(pk=technician.pk)
    if clash.exists():
        raise ValidationError({"name": _("This branch already has a technician with this name.")})
    if not working_days:
        raise ValidationError({"working_days": _("Choose at least one working day.")})
    technician = technician or Technician(branch=branch)
    technician.name, technician.is_active = name, is_active
    technician.bay_kinds = sorted(set(bay_kinds))
    technician.service_kinds = sorted(set(service_kinds))
    technician.working_days = sorted({int(d) for d in working_days})
    technician.save()
    return technician


# --- booking -------------------------------------------------------------------------------
def _timeline(booking: Booking, summary: str, *, by: User | None, channel=Interaction.Channel.SYSTEM,
              direction=Interaction.Direction.INTERNAL) -> None:
    interaction_record(customer=booking.customer, kind=Interaction.Kind.SERVICE_VISIT, channel=channel,
                       direction=direction, summary=summary, staff=by, source=booking,
                       department="service")


def _event(booking: Booking, status: str, *, by: User | None, at: dt.datetime, note: str = "") -> None:
    BookingEvent.objects.create(booking=booking, status=status, at=at, by=by, note=note[:200])


def _is_double_booking(error: IntegrityError) -> bool:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None) == NO_DOUBLE_BOOKING


def booking_create(*, customer: Customer, service_type: ServiceType, starts_at: dt.datetime, by: User | None,
                   branch=None, asset: Asset | None = None, plate_number: str = "",
                   source: str = Booking.Source.STAFF, complaint: str = "",
                   now: dt.datetime | None = None, notify_customer: bool = True) -> Booking:
    """Book ``service_type`` at ``starts_at`` in the first free bay of the type it needs.

    The time is checked against the branch calendar first (past, closed, across a break);
    then each candidate bay is tried in its own savepoint, and the database's exclusion
    constraint decides: a bay taken by a concurrent booking a moment ago raises, and the
    next bay is tried. When none is left: ``SlotTaken``."""
    branch = branch or customer.branch
    if asset is not None:
        if asset.customer_id != customer.pk:
            raise ValidationError({"asset": _("That vehicle is not this customer's.")})
        if not asset.plate_number:
            raise ValidationError({"asset": _("This vehicle has no plate number. Add it to the vehicle first.")})
        plate_number = asset.plate_number
    plate = plate_normalize(plate_number)
    if not service_type.is_active:
        raise ValidationError({"service_type": _("This service type cannot be booked.")})
    problem = selectors.slot_problem(branch, service_type, starts_at, now=now)
    if problem:
        raise ValidationError({"starts_at": problem})
    ends_at = starts_at + dt.timedelta(minutes=service_type.duration_minutes)
    candidates = selectors.free_bay_ids(branch, service_type, starts_at, ends_at)
    if not candidates:
        raise SlotTaken()
    with transaction.atomic():
        booking = None
        for bay_id in candidates:
            try:
                with transaction.atomic():  # a savepoint: a refused insert leaves the transaction usable
                    booking = Booking.objects.create(
                        code=public_code_new(), branch=branch, customer=customer, asset=asset, plate_number=plate,
                        plate_key=plate_key(plate), service_type=service_type, bay_id=bay_id, starts_at=starts_at,
                        ends_at=ends_at, source=source, advisor=by if by and by.branch_id else None,
                        complaint=complaint, status_changed_at=timezone.now())
                break
            except IntegrityError as error:
                if not _is_double_booking(error):
                    raise
                # Another booking took this bay since we looked: try the next one.
        if booking is None:
            raise SlotTaken()
        _event(booking, Booking.Status.BOOKED, by=by, at=booking.created_at)
        local = timezone.localtime(starts_at, ZoneInfo(branch.time_zone))
        _timeline(booking, _("Service booked: %(service)s for %(plate)s on %(when)s at %(branch)s.") % {
            "service": service_type.name, "plate": plate, "when": local.strftime("%d/%m/%Y %H:%M"),
            "branch": branch.name}, by=by,
            channel=Interaction.Channel.WEB if source == Booking.Source.WEB else Interaction.Channel.SYSTEM,
            direction=Interaction.Direction.INBOUND if source == Booking.Source.WEB else Interaction.Direction.INTERNAL)
        if notify_customer:
            _sms(booking, "confirm", by=by)
    return booking


def status_url(booking: Booking) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('service_public:status')}?code={booking.code}"


def feedback_url(booking: Booking) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('service_public:feedback', args=[booking.feedback_code])}"


def _sms_texts(booking: Booking, what: str) -> tuple[str, str]:
    """The message in Indonesian and English (the customer's language picks one)."""
    local = timezone.localtime(booking.starts_at, ZoneInfo(booking.branch.time_zone))
    values = {"plate": booking.plate_number, "when": local.strftime("%d/%m/%Y %H:%M"),
              "branch": booking.branch.name, "code": booking.code,
              "url": (feedback_url(booking) if what == "feedback" else
                      estimate_url(booking) if what.startswith("estimate") else status_url(booking))}
    texts = []
    for language in ("id", "en"):
        with override(language):
            if what.startswith("confirm"):
                text = _("Service booking %(plate)s on %(when)s at %(branch)s. Code %(code)s. "
                         "View or cancel: %(url)s") % values
            elif what == "reminder":
                text = _("Reminder: service for %(plate)s tomorrow %(when)s at %(branch)s. Code %(code)s. "
                         "To cancel: %(url)s") % values
            elif what.startswith("estimate"):
                text = _("%(plate)s needs extra work: %(amount)s. Please approve or decline: %(url)s") % {
                    **values, "amount": format_rupiah(booking.estimate_amount)}
            elif what == "feedback":
                text = _("Thank you for servicing %(plate)s at %(branch)s. How did we do? "
                         "Rate us from 1 to 5: %(url)s") % values
            else:
                text = _("Your vehicle %(plate)s is ready for collection at %(branch)s. Code %(code)s. "
                         "Status: %(url)s") % values
        texts.append(text)
    return texts[0], texts[1]


def _sms(booking: Booking, what: str, *, by: User | None):
    """Through the messaging pipeline (consent, quiet hours, exactly once per key)."""
    from marketing.models import Send
    from marketing.services import message_send_one

    body, body_en = _sms_texts(booking, what)
    # The texts are sent as they are: braces in a plate or branch name must not become template tags.
    body, body_en = (t.replace("{", "(").replace("}", ")") for t in (body, body_en))
    return message_send_one(customer=booking.customer, channel=Send.Channel.SMS, body=body, body_en=body_en,
                            by=by, key=f"service:{booking.public_id}:{what}", purpose=Send.Purpose.TRANSACTIONAL,
                            asset=booking.asset)


def _status_summary(status: str, plate: str) -> str:
    texts = {
        Booking.Status.ARRIVED: _("Vehicle %(plate)s checked in at the workshop."),
        Booking.Status.IN_PROGRESS: _("Work started on %(plate)s."),
        Booking.Status.WAITING_PARTS: _("%(plate)s is waiting for parts."),
        Booking.Status.READY: _("%(plate)s is ready for collection."),
        Booking.Status.COLLECTED: _("%(plate)s collected from the workshop."),
        Booking.Status.NO_SHOW: _("%(plate)s did not come to the service booking (no-show)."),
        Booking.Status.CANCELLED: _("Service booking for %(plate)s cancelled."),
    }
    return texts[status] % {"plate": plate}


def booking_status_change(*, booking: Booking, to: str, by: User | None, note: str = "",
                          odometer_km: int | None = None, complaint: str | None = None,
                          fuel_level: int | None = None, items_left: str | None = None,
                          expected_ready_at: dt.datetime | None = None, send_sms: bool = True,
                          now: dt.datetime | None = None) -> Booking:
    """Move a booking along its flow (Booking.TRANSITIONS), timed and attributed, on the
    customer's timeline. Two clicks at once move it once: the row is locked and the move
    checked against the stored status. "Ready" tells the service advisor and (``send_sms``)
    texts the customer, once."""
    now = now or timezone.now()
    with transaction.atomic():
        stored = Booking.objects.select_for_update().get(pk=booking.pk)
        if to not in Booking.TRANSITIONS[Booking.Status(stored.status)]:
            raise ValidationError(_("A booking that is %(current)s cannot become %(new)s.") % {
                "current": stored.get_status_display().lower(), "new": Booking.Status(to).label.lower()},
                code="bad_transition")
        fields = ["status", "status_changed_at", "updated_at"]
        booking.status, booking.status_changed_at = to, now
        if to == Booking.Status.ARRIVED:
            if odometer_km is not None:
                booking.odometer_km = odometer_km
                fields.append("odometer_km")
            if complaint is not None:
                booking.complaint = complaint
                fields.append("complaint")
            if fuel_level is not None:
                if not 0 <= fuel_level <= 8:
                    raise ValidationError({"fuel_level": _("Choose the fuel level from empty to full.")})
                booking.fuel_level = fuel_level
                fields.append("fuel_level")
            if items_left is not None:
                booking.items_left = items_left.strip()[:2000]
                fields.append("items_left")
            if booking.advisor_id is None and by is not None:
                booking.advisor = by
                fields.append("advisor")
        if expected_ready_at is not None:
            booking.expected_ready_at = expected_ready_at
            fields.append("expected_ready_at")
        elif to == Booking.Status.ARRIVED and booking.expected_ready_at is None:
            booking.expected_ready_at = max(booking.ends_at, now + (booking.ends_at - booking.starts_at))
            fields.append("expected_ready_at")
        booking.save(update_fields=fields)
        _event(booking, to, by=by, at=now, note=note)
        _timeline(booking, _status_summary(to, booking.plate_number), by=by)
        if to == Booking.Status.READY:
            notification_send(to=booking.advisor, verb="service.vehicle_ready", target=booking, by=by)
            if send_sms:
                _sms(booking, "ready", by=by)
        if to == Booking.Status.COLLECTED:
            if booking.asset_id and booking.odometer_km:
                _asset_after_service(booking, now=now)
            booking.feedback_code = public_code_new()
            booking.save(update_fields=["feedback_code", "updated_at"])
            _sms(booking, "feedback", by=by)
    return booking


def next_service_due(*, service_type: ServiceType, today: dt.date, odometer_km: int,
                     previous: tuple[dt.date, int] | None) -> dt.date | None:
    """When the next service falls due: ``interval_months`` from today, or sooner when the
    car's recent kilometres per day (since ``previous`` (date, odometer), the last reading)
    reach ``interval_km`` first: whichever comes first (DOMAIN.md, servis berkala)."""
    candidates = []
    if service_type.interval_months:
        year, month = divmod(today.month - 1 + service_type.interval_months, 12)
        candidates.append(dt.date(today.year + year, month + 1, min(today.day, 28)))
    if service_type.interval_km and previous is not None:
        since, was_km = previous
        days, km = (today - since).days, odometer_km - was_km
        if days > 0 and km > 0:
            candidates.append(today + dt.timedelta(days=int(service_type.interval_km * days / km)))
    return min(candidates) if candidates else None


def _asset_after_service(booking: Booking, *, now: dt.datetime) -> None:
    """The vehicle's odometer and next service date after a visit (the reminders read it)."""
    today = timezone.localtime(now, ZoneInfo(booking.branch.time_zone)).date()
    last = (Booking.objects.filter(asset_id=booking.asset_id, status=Booking.Status.COLLECTED,
                                   odometer_km__isnull=False).exclude(pk=booking.pk)
            .order_by("-status_changed_at").values_list("status_changed_at", "odometer_km").first())
    previous = (timezone.localtime(last[0], ZoneInfo(booking.branch.time_zone)).date(), last[1]) if last else None
    if previous is None and booking.asset.purchase_date:
        previous = (booking.asset.purchase_date, 0)  # new cars leave the dealer at about 0 km
    fields = {"odometer_km": booking.odometer_km}
    due = next_service_due(service_type=booking.service_type, today=today, odometer_km=booking.odometer_km,
                           previous=previous)
    if due is not None:
        fields["next_service_due"] = due
    Asset.objects.filter(pk=booking.asset_id).update(**fields)


def booking_cancel_by_customer(*, booking: Booking) -> Booking:
    return booking_status_change(booking=booking, to=Booking.Status.CANCELLED, by=None,
                                 note=_("Cancelled by the customer on the website."))


# --- public booking ------------------------------------------------------------------------
def public_booking_create(*, branch, service_type: ServiceType, starts_at: dt.datetime, plate_number: str,
                          name: str, phone: str, complaint: str = "") -> Booking:
    """A booking made on the website: the customer is found by phone at that branch (or
    created, with consent to SMS about this booking), the vehicle by plate among theirs."""
    from crm.phone import normalize_phone
    from crm.services import customer_create

    phone = normalize_phone(phone)
    plate = plate_normalize(plate_number)
    with transaction.atomic():
        customer = (Customer.objects.filter(branch=branch, phone=phone).order_by("id").first()
                    or Customer.objects.filter(phone=phone).order_by("id").first())
        if customer is None:
            customer = customer_create(by=None, branch=branch, name=name.strip() or phone, phone=phone,
                                       consents={"sms": True}, consent_source="web_booking")
        key = plate_key(plate)
        # The same form sent twice (a double tap, a reload): the booking it already made.
        same = Booking.objects.live().filter(branch=branch, customer=customer, plate_key=key,
                                             starts_at=starts_at).first()
        if same is not None:
            return same
        asset = None
        for candidate in customer.assets.all():
            if plate_key(candidate.plate_number) == key:
                asset = candidate
                break
        return booking_create(customer=customer, service_type=service_type, starts_at=starts_at, by=None,
                              branch=branch, asset=asset, plate_number=plate, source=Booking.Source.WEB,
                              complaint=complaint)


# --- the day-before reminder ----------------------------------------------------------------
def booking_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Text every customer booked for tomorrow (in their branch's zone) once.

    Safe to run twice or late (beat runs it hourly): each booking is claimed by a conditional
    UPDATE of ``reminder_sent_at`` before its SMS is queued, and the SMS itself has an
    idempotency key. The pipeline holds messages during quiet hours."""
    now = now or timezone.now()
    candidates = (Booking.objects.filter(status=Booking.Status.BOOKED, reminder_sent_at__isnull=True,
                                         starts_at__gte=now, starts_at__lt=now + dt.timedelta(days=2))
                  .select_related("branch", "customer", "asset", "service_type"))
    sent = 0
    for booking in candidates:
        zone = ZoneInfo(booking.branch.time_zone)
        if booking.starts_at.astimezone(zone).date() != now.astimezone(zone).date() + dt.timedelta(days=1):
            continue
        with transaction.atomic():
            if not Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
                continue  # another run got there first
            _sms(booking, "reminder", by=None)
        sent += 1
    return sent


# --- satisfaction --------------------------------------------------------------------------------
LOW_RATING = 2  # a rating this low or lower opens a complaint (or tells the branch managers)


def booking_rate(*, booking: Booking, rating: int, comment: str = "", now: dt.datetime | None = None) -> Booking:
    """The customer's 1–5 rating of a collected visit, once. 1 or 2 opens a complaint routed to
    Service (complaints app), or, without it, notifies the branch's managers."""
    if not 1 <= rating <= 5:
        raise ValidationError({"rating": _("Choose from 1 to 5.")})
    now = now or timezone.now()
    comment = (comment or "").strip()[:2000]
    with transaction.atomic():
        if not Booking.objects.filter(pk=booking.pk, rated_at__isnull=True, status=Booking.Status.COLLECTED).update(
                rating=rating, rating_comment=comment, rated_at=now, updated_at=now):
            raise ValidationError(_("This visit has already been rated. Thank you!"), code="already_rated")
        booking.rating, booking.rating_comment, booking.rated_at = rating, comment, now
        _timeline(booking, _("Rated the service of %(plate)s %(rating)s/5. %(comment)s") % {
            "plate": booking.plate_number, "rating": rating, "comment": comment}, by=None,
            channel=Interaction.Channel.WEB, direction=Interaction.Direction.INBOUND)
        if rating <= LOW_RATING:
            _low_rating(booking)
    return booking


def _low_rating(booking: Booking) -> None:
    from django.apps import apps

    text = _("Service of %(plate)s (%(code)s) rated %(rating)s/5. %(comment)s") % {
        "plate": booking.plate_number, "code": booking.code, "rating": booking.rating,
        "comment": booking.rating_comment}
    if apps.is_installed("complaints"):
        from complaints.models import Category, ComplaintChannel
        from complaints.services import complaint_create

        complaint_create(customer=booking.customer, channel=ComplaintChannel.WEB, category=Category.VEHICLE_REPAIR,
                         description=text, asset=booking.asset, reference=booking.code)
        return
    managers = User.objects.filter(branch=booking.branch, department="branch_mgmt", is_active=True)
    notification_send(to=list(managers), verb="service.low_rating", target=booking)


# --- job card lines ---------------------------------------------------------------------------------
def job_line_add(*, booking: Booking, by: User | None, product=None, now: dt.datetime | None = None,
                 **fields) -> JobLine:
    """A task or part on the job card. With ``product`` (a catalogue part's public id) the
    line keeps the catalogue's SKU, name, the branch's price and the day's PPN (service.parts);
    the description and price posted are then ignored."""
    if booking.status in (Booking.Status.COLLECTED, Booking.Status.CANCELLED, Booking.Status.NO_SHOW):
        raise ValidationError(_("This visit is closed: its job card can no longer change."))
    technician = fields.get("technician")
    if technician is not None:
        problem = technician_problem(technician, booking)
        if problem:
            raise ValidationError({"technician": problem})
    if product:
        from .parts import part_snapshot

        part = part_snapshot(booking.branch, product, quantity=Decimal(fields.get("quantity") or 1), now=now)
        fields.update(kind=JobLine.Kind.PART, description=part.description, unit_price=part.unit_price,
                      product_public_id=part.product_public_id, sku=part.sku, tax_rate=part.tax_rate, tax=part.tax)
    else:
        fields["description"] = (fields.get("description") or "").strip()
        if not fields["description"]:
            raise ValidationError({"description": _("Describe the work or the part, or pick a part from the "
                                                    "catalogue.")})
    return JobLine.objects.create(booking=booking, **fields)


def technician_problem(technician: Technician, booking: Booking) -> str | None:
    """Why ``technician`` cannot work on ``booking`` (a sentence for the field), or None."""
    if technician.branch_id != booking.branch_id or not technician.is_active:
        return _("Choose a technician of this branch's workshop.")
    day = timezone.localtime(booking.starts_at, ZoneInfo(booking.branch.time_zone)).date()
    if not technician.works_on(day):
        return _("%(name)s does not work on %(day)s.") % {"name": technician.name, "day": day.strftime("%d/%m/%Y")}
    if not technician.can_do(booking.bay.kind, booking.service_type.kind):
        return _("%(name)s does not do this kind of work (%(work)s in a %(bay)s bay).") % {
            "name": technician.name, "work": booking.service_type.get_kind_display().lower(),
            "bay": booking.bay.get_kind_display().lower()}
    return None


# --- check-in photos ----------------------------------------------------------------------------
@transaction.atomic
def booking_photo_add(*, booking: Booking, upload, by: User | None) -> BookingPhoto:
    """Keep a check-in photo with the booking (an image by its content: service.photos)."""
    import os
    import uuid

    from django.core.files.base import ContentFile

    from .photos import image_check, photo_sniff, thumbnail_make, thumbnail_name

    content_type = photo_sniff(upload)
    image_check(upload)
    name = os.path.basename(upload.name or "photo")[:200]
    photo = BookingPhoto(booking=booking, original_name=name, content_type=content_type, size=upload.size,
                         uploaded_by=by)
    thumbnail = thumbnail_make(upload)  # once, here: the job card never resizes
    # Stored under a random name: the uploaded file's name never becomes a path.
    photo.file.save(f"{uuid.uuid4().hex}{os.path.splitext(name)[1].lower()}", upload, save=False)
    # Next to it, under the same private storage (the storage may rename it if taken).
    photo.thumbnail.save(os.path.basename(thumbnail_name(photo.file.name)), ContentFile(thumbnail), save=False)
    photo.save()
    _timeline(booking, _("Check-in photo of %(plate)s added: %(name)s") % {"plate": booking.plate_number,
                                                                          "name": name}, by=by)
    return photo


# --- estimates ----------------------------------------------------------------------------------------
def estimate_url(booking: Booking) -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('service_public:estimate', args=[booking.estimate_code])}"


def estimate_request(*, booking: Booking, amount: Decimal, note: str, by: User | None,
                     now: dt.datetime | None = None) -> Booking:
    """Extra work found: ask the customer to approve ``amount`` (IDR) by SMS link before it
    starts. The car waits for the answer (status "waiting for approval")."""
    if amount is None or amount <= 0:
        raise ValidationError({"amount": _("Enter the estimate in rupiah.")})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Say what the extra work is.")})
    now = now or timezone.now()
    with transaction.atomic():
        stored = Booking.objects.select_for_update().get(pk=booking.pk)
        if stored.status not in (Booking.Status.ARRIVED, Booking.Status.IN_PROGRESS, Booking.Status.WAITING_PARTS):
            raise ValidationError(_("An estimate can be sent only while the vehicle is being worked on."))
        booking.status, booking.status_changed_at = Booking.Status.WAITING_APPROVAL, now
        booking.estimate_amount, booking.estimate_note = amount, note[:2000]
        booking.estimate_code, booking.estimate_approved, booking.estimate_decided_at = public_code_new(), None, None
        booking.save(update_fields=["status", "status_changed_at", "estimate_amount", "estimate_note",
                                    "estimate_code", "estimate_approved", "estimate_decided_at", "updated_at"])
        _event(booking, Booking.Status.WAITING_APPROVAL, by=by, at=now, note=note)
        _timeline(booking, _("Estimate of %(amount)s sent for approval: %(note)s") % {
            "amount": format_rupiah(amount), "note": note}, by=by)
        _sms(booking, f"estimate-{booking.estimate_code}", by=by)
    return booking


def estimate_decide(*, booking: Booking, approve: bool, now: dt.datetime | None = None) -> Booking:
    """The customer's answer from the SMS link, once: the work goes on (with or without the
    extra), the advisor is told, the answer goes on the timeline."""
    now = now or timezone.now()
    with transaction.atomic():
        if not Booking.objects.filter(pk=booking.pk, status=Booking.Status.WAITING_APPROVAL,
                                      estimate_code=booking.estimate_code, estimate_decided_at__isnull=True).update(
                estimate_approved=approve, estimate_decided_at=now, status=Booking.Status.IN_PROGRESS,
                status_changed_at=now, updated_at=now):
            raise ValidationError(_("This estimate has already been answered."), code="already_decided")
        booking.refresh_from_db()
        text = (_("Customer approved the estimate of %(amount)s.") if approve
                else _("Customer declined the estimate of %(amount)s.")) % {
            "amount": format_rupiah(booking.estimate_amount)}
        _event(booking, Booking.Status.IN_PROGRESS, by=None, at=now, note=text)
        _timeline(booking, text, by=None, channel=Interaction.Channel.WEB, direction=Interaction.Direction.INBOUND)
        notification_send(to=booking.advisor, verb="service.estimate_decided", target=booking)
    return booking


# --- rescheduling ----------------------------------------------------------------------------------
def booking_reschedule(*, booking: Booking, starts_at: dt.datetime, by: User | None, bay: Bay | None = None,
                       now: dt.datetime | None = None) -> Booking:
    """Move a booked visit to another free time: into ``bay`` (dragged there on the
    calendar), else any free bay of the type it needs. The same rules as a new booking, and
    the same database check: a slot taken a moment ago is ``SlotTaken`` and the booking
    stays where it was. The customer is texted the new time."""
    problem = selectors.slot_problem(booking.branch, booking.service_type, starts_at, now=now)
    if problem:
        raise ValidationError({"starts_at": problem})
    if bay is not None and (bay.branch_id != booking.branch_id or not bay.is_active):
        raise ValidationError({"bay": _("Choose a bay in use at this branch.")})
    if bay is not None and bay.kind != booking.service_type.bay_kind:
        raise ValidationError({"bay": _("%(service)s needs a %(kind)s bay.") % {
            "service": booking.service_type.name,
            "kind": BayKind(booking.service_type.bay_kind).label.lower()}})
    ends_at = starts_at + dt.timedelta(minutes=booking.service_type.duration_minutes)
    with transaction.atomic():
        stored = Booking.objects.select_for_update().get(pk=booking.pk)
        if stored.status != Booking.Status.BOOKED:
            raise ValidationError(_("Only a booking that has not started can be moved."), code="not_booked")
        candidates = selectors.free_bay_ids(booking.branch, booking.service_type, starts_at, ends_at,
                                            exclude_pk=booking.pk)
        if bay is not None:
            # The bay it was dropped on, even if our read says taken: the constraint decides.
            candidates = [bay.pk]
        moved = False
        for bay_id in candidates:
            try:
                with transaction.atomic():
                    Booking.objects.filter(pk=booking.pk).update(starts_at=starts_at, ends_at=ends_at, bay_id=bay_id,
                                                                 reminder_sent_at=None, updated_at=timezone.now())
                moved = True
                break
            except IntegrityError as error:
                if not _is_double_booking(error):
                    raise
        if not moved:
            raise SlotTaken()
        booking.refresh_from_db()
        local = timezone.localtime(starts_at, ZoneInfo(booking.branch.time_zone))
        _event(booking, Booking.Status.BOOKED, by=by, at=timezone.now(),
               note=_("Moved to %(when)s") % {"when": local.strftime("%d/%m/%Y %H:%M")})
        _timeline(booking, _("Service booking for %(plate)s moved to %(when)s.") % {
            "plate": booking.plate_number, "when": local.strftime("%d/%m/%Y %H:%M")}, by=by)
        # A new confirmation for the new time (its own key: one per time booked).
        _sms(booking, f"confirm-{starts_at:%Y%m%d%H%M}", by=by)
    return booking
