"""Staff pages of the workshop: the day's arrivals, set-up, booking from the customer's page,
a booking's job card with its status buttons.

Every page is a branch's: another branch's booking, bay or customer is a 404 whatever the
role (loaded through the scoped access helpers before any permission on the change)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import customer_get_for_user, staff_view
from branches.selectors import branch_get_for_user
from crm.forms import form_add_errors

from . import parts, selectors, services
from .forms import (BayForm, BookingForm, EstimateForm, JobLineForm, PhotoForm, SlotField, SlotLengthForm, StatusForm,
                    TechnicianForm, slot_choices)
from .models import FUEL_CHOICES, Bay, Booking, ServiceType, Workshop


def _user_branch(request):
    """The branch a page is about: ``?branch=<public id>`` (head office picks any), else the user's own."""
    branch_id = request.GET.get("branch")
    if branch_id:
        return branch_get_for_user(request.user, branch_id)
    if request.user.branch is None:
        raise Http404
    return request.user.branch


@require_GET
@staff_view("service.view_booking")
def today(request):
    branch = _user_branch(request)
    day = _day(request, branch)
    now = timezone.now()
    bookings = selectors.day_bookings(branch, day)
    for booking in bookings:
        # A booked visit whose time has come and gone: "did not come" on the arrivals list.
        booking.may_be_no_show = booking.status == Booking.Status.BOOKED and booking.starts_at <= now
    return render(request, "service/today.html", {
        "branch": branch, "day": day, "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1), "bookings": bookings,
        "in_workshop": selectors.in_workshop(branch), "loads": selectors.technician_loads(branch, day),
        "can_change": request.user.has_perm("service.change_booking"),
    })


def _day(request, branch) -> dt.date:
    day = timezone.now().astimezone(ZoneInfo(branch.time_zone)).date()
    if request.GET.get("day"):
        try:
            day = dt.date.fromisoformat(request.GET["day"])
        except ValueError:
            messages.error(request, _("That is not a date; showing today."))
    return day


@require_GET
@staff_view("service.view_booking")
def day_board(request, branch_id):
    """One day per bay and slot; staff who may move bookings drag them to another cell
    (static/js/service_calendar.js posts to booking_move)."""
    branch = branch_get_for_user(request.user, branch_id)
    day = _day(request, branch)
    return render(request, "service/day.html", {
        "branch": branch, "day": day, "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1), **selectors.day_board(branch, day),
        "can_move": request.user.has_perm("service.change_booking"),
    })


@require_GET
@staff_view("service.view_booking")
def week(request, branch_id):
    """The branch's week per bay (Monday to Sunday of ``?day=``, this week without it)."""
    branch = branch_get_for_user(request.user, branch_id)
    day = timezone.now().astimezone(ZoneInfo(branch.time_zone)).date()
    try:
        day = dt.date.fromisoformat(request.GET.get("day", "")) if request.GET.get("day") else day
    except ValueError:
        messages.error(request, _("That is not a date; showing today."))
    monday = day - dt.timedelta(days=day.weekday())
    days = [monday + dt.timedelta(days=n) for n in range(7)]
    can_move = request.user.has_perm("service.change_booking")
    return render(request, "service/week.html", {
        "can_move": can_move,
        "branch": branch, "days": days, "rows": selectors.week_calendar(branch, monday, can_move=can_move),
        "previous_week": monday - dt.timedelta(days=7), "next_week": monday + dt.timedelta(days=7),
    })


# --- set-up ----------------------------------------------------------------------------------
def _setup_context(branch, *, bay_form=None, slot_form=None, technician_form=None):
    workshop = Workshop.objects.filter(branch=branch).first()
    return {
        "branch": branch,
        "bays": list(Bay.objects.filter(branch=branch).order_by("kind", "name")),
        "service_types": list(ServiceType.objects.order_by("name")),
        "bay_form": bay_form or BayForm(),
        "technicians": selectors.technicians(branch),
        "technician_form": technician_form or TechnicianForm(),
        "slot_form": slot_form or SlotLengthForm(instance=workshop or Workshop(branch=branch)),
    }


@require_GET
@staff_view("service.view_bay")
def setup(request, branch_id):
    branch = branch_get_for_user(request.user, branch_id)
    return render(request, "service/setup.html", _setup_context(branch))


@require_POST
@staff_view("service.view_bay")
def bay_add(request, branch_id):
    branch = branch_get_for_user(request.user, branch_id, perm="service.add_bay")
    form = BayForm(request.POST)
    if form.is_valid():
        try:
            services.bay_create(branch=branch, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Bay added."))
            return redirect("service:setup", branch.public_id)
    return render(request, "service/setup.html", _setup_context(branch, bay_form=form), status=400)


@require_POST
@staff_view("service.view_bay")
def bay_toggle(request, bay_id):
    bay = selectors.bay_get_for_user(request.user, bay_id, write=True)
    services.bay_set_active(bay=bay, active=not bay.is_active, by=request.user)
    messages.success(request, _("Bay %(name)s is now in use.") % {"name": bay.name} if bay.is_active
                     else _("Bay %(name)s is now out of use.") % {"name": bay.name})
    return redirect("service:setup", bay.branch.public_id)


@require_POST
@staff_view("service.view_workshop")
def slot_length(request, branch_id):
    branch = branch_get_for_user(request.user, branch_id, perm="service.change_workshop")
    form = SlotLengthForm(request.POST)
    if form.is_valid():
        services.workshop_slot_set(branch=branch, slot_minutes=form.cleaned_data["slot_minutes"], by=request.user)
        messages.success(request, _("Slot length saved."))
        return redirect("service:setup", branch.public_id)
    return render(request, "service/setup.html", _setup_context(branch, slot_form=form), status=400)


@require_POST
@staff_view("service.view_technician")
def technician_add(request, branch_id):
    branch = branch_get_for_user(request.user, branch_id, perm="service.add_technician")
    form = TechnicianForm(request.POST)
    if form.is_valid():
        try:
            services.technician_save(branch=branch, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Technician added."))
            return redirect("service:setup", branch.public_id)
    return render(request, "service/setup.html", _setup_context(branch, technician_form=form), status=400)


@require_http_methods(["GET", "POST"])
@staff_view("service.view_technician")
def technician_edit(request, technician_id):
    # Anyone of the branch who sees the workshop reads it; changing it takes the permission.
    technician = selectors.technician_get_for_user(request.user, technician_id, write=request.method == "POST")
    form = TechnicianForm(request.POST) if request.method == "POST" else TechnicianForm.for_technician(technician)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.technician_save(branch=technician.branch, technician=technician, by=request.user,
                                         **form.cleaned_data)
            except ValidationError as error:
                form_add_errors(form, error)
            else:
                messages.success(request, _("Technician saved."))
                return redirect("service:setup", technician.branch.public_id)
        status = 400
    return render(request, "service/technician_form.html", {
        "technician": technician, "form": form, "can_change": request.user.has_perm("service.change_technician"),
    }, status=status)


# --- booking ---------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@staff_view("service.view_booking")
def book(request, customer_id):
    """Book a service for this customer: pick the vehicle and service, show the free slots, book one."""
    customer = customer_get_for_user(request.user, customer_id)  # another branch's: 404 whatever the role
    if not request.user.has_perm("service.add_booking"):
        raise PermissionDenied
    branch = customer.branch
    zone = ZoneInfo(branch.time_zone)
    data = request.POST if request.method == "POST" else (request.GET or None)
    # Loaded once for the page: the form's selects, its validation and the slot search use them.
    assets = customer.assets.order_by("id")
    service_types = ServiceType.objects.filter(is_active=True).order_by("name")
    slots = []
    service_type = None
    if data and data.get("service_type"):
        service_type = next((t for t in service_types if str(t.pk) == str(data.get("service_type"))), None)
        if service_type is not None:
            slots = selectors.free_slots(branch, service_type)
    form = BookingForm(data, customer=customer, slots=slots, zone=zone, assets=assets, service_types=service_types)
    status = 200
    if request.method == "POST":
        if form.is_valid() and form.cleaned_data["starts_at"] is not None:
            data = form.cleaned_data
            try:
                booking = services.booking_create(customer=customer, service_type=data["service_type"],
                                                  starts_at=data["starts_at"], asset=data["asset"],
                                                  complaint=data["complaint"], by=request.user, branch=branch)
            except services.SlotTaken as error:
                form.add_error("starts_at", error)
                form = _refresh_slots(form, customer, branch, data["service_type"], zone, assets, service_types)
            except ValidationError as error:
                form_add_errors(form, error)
            else:
                messages.success(request, _("Booked: code %(code)s.") % {"code": booking.code})
                return redirect("service:booking_detail", booking.public_id)
        status = 400
    return render(request, "service/book.html", {
        "customer": customer, "branch": branch, "form": form, "slots": slots, "service_type": service_type,
        "has_assets": bool(assets),
    }, status=status)


def _refresh_slots(form, customer, branch, service_type, zone, assets, service_types):
    """After "just taken": the same form, its errors kept, with the slots as they are now."""
    fresh = BookingForm(form.data, customer=customer, slots=selectors.free_slots(branch, service_type), zone=zone,
                        assets=assets, service_types=service_types)
    fresh._errors = form._errors
    fresh.cleaned_data = getattr(form, "cleaned_data", {})
    return fresh


def _detail_context(request, booking, **extra):
    lines = selectors.job_lines(booking)
    can_change = request.user.has_perm("service.change_booking")
    zone = ZoneInfo(booking.branch.time_zone)
    # Booked and changeable: the free times it could move to (the slot query, only then),
    # each naming the branch's zone as |zoned does elsewhere ("Sen 12/01 09.00 WITA").
    slots = (selectors.free_slots(booking.branch, booking.service_type)
             if can_change and booking.status == Booking.Status.BOOKED else [])
    move_to = slot_choices(slots, zone)
    move_bays = ([b for b in Bay.objects.filter(branch=booking.branch, kind=booking.service_type.bay_kind,
                                                 is_active=True).order_by("name")] if move_to else [])
    return {
        "move_to": move_to, "move_bays": move_bays,
        "booking": booking, "events": selectors.booking_events(booking), "lines": lines,
        "subtotal": sum((line.amount for line in lines), Decimal(0)),
        "tax": sum((line.tax for line in lines), Decimal(0)),
        "total": sum((line.total for line in lines), Decimal(0)),
        "can_change": request.user.has_perm("service.change_booking"),
        "line_form": JobLineForm(branch=booking.branch, booking=booking),
        "photos": selectors.booking_photos(booking),
        "photo_form": PhotoForm(),
        "fuel_choices": [("", "—"), *FUEL_CHOICES],
        "estimate_form": EstimateForm(),
        **extra,
    }


@require_GET
@staff_view("service.view_booking")
def booking_detail(request, booking_id):
    booking = selectors.booking_get_for_user(request.user, booking_id)
    return render(request, "service/booking_detail.html", _detail_context(request, booking))


@require_POST
@staff_view("service.view_booking")
def booking_reschedule(request, booking_id):
    booking = selectors.booking_get_for_user(request.user, booking_id, write=True)
    field = SlotField(required=True)
    # A bay picked on the form (else any free bay of the right type); another branch's: 404.
    bay = selectors.bay_get_for_user(request.user, request.POST["bay_id"]) if request.POST.get("bay_id") else None
    try:
        starts_at = field.clean(request.POST.get("starts_at"))
        services.booking_reschedule(booking=booking, starts_at=starts_at, by=request.user, bay=bay)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return render(request, "service/booking_detail.html", _detail_context(request, booking), status=400)
    messages.success(request, _("Booking moved."))
    return redirect("service:booking_detail", booking.public_id)


@require_POST
@staff_view("service.view_booking")
def estimate_request(request, booking_id):
    booking = selectors.booking_get_for_user(request.user, booking_id, write=True)
    form = EstimateForm(request.POST)
    if form.is_valid():
        try:
            services.estimate_request(booking=booking, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form_add_errors(form, error)
            else:  # the booking's state: said on top, the form may not be on the page
                messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Estimate sent to the customer for approval."))
            return redirect("service:booking_detail", booking.public_id)
    return render(request, "service/booking_detail.html", _detail_context(request, booking, estimate_form=form),
                  status=400)


@require_POST
@staff_view("service.view_booking")
def job_line_add(request, booking_id):
    booking = selectors.booking_get_for_user(request.user, booking_id, write=True)
    form = JobLineForm(request.POST, branch=booking.branch, booking=booking)
    if form.is_valid():
        try:
            services.job_line_add(booking=booking, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_add_errors(form, error)
        else:
            messages.success(request, _("Line added to the job card."))
            return redirect("service:booking_detail", booking.public_id)
    return render(request, "service/booking_detail.html", _detail_context(request, booking, line_form=form),
                  status=400)


@require_GET
@staff_view("service.view_booking")
def part_search(request, booking_id):
    """The job card's catalogue search (htmx, ``?q=`` SKU or name): the options of its part
    select, with the branch's prices. A read, like the job card: anyone who may see the
    booking (adding the line takes the change permission)."""
    booking = selectors.booking_get_for_user(request.user, booking_id)
    if not parts.catalogue_installed():
        raise Http404
    query = request.GET.get("q", "")
    return render(request, "service/partials/part_options.html", {
        "parts": parts.part_search(booking.branch, query), "query": " ".join(query.split())})


@require_POST
@staff_view("service.view_booking")
def booking_status(request, booking_id):
    booking = selectors.booking_get_for_user(request.user, booking_id, write=True)
    form = StatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.booking_status_change(booking=booking, to=data["to"], by=request.user, note=data["note"],
                                           odometer_km=data["odometer_km"], complaint=data["complaint"] or None,
                                           fuel_level=data["fuel_level"], items_left=data["items_left"] or None,
                                           send_sms=data["send_sms"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Status: %(status)s.") % {"status": booking.get_status_display()})
            return redirect("service:booking_detail", booking.public_id)
    else:
        messages.error(request, _("That change could not be made: %(errors)s") % {
            "errors": " ".join(str(e) for errors in form.errors.values() for e in errors)})
    return render(request, "service/booking_detail.html", _detail_context(request, booking), status=400)


@require_POST
@staff_view("service.view_booking")
def booking_move(request, booking_id):
    """The calendar's drop: this booking to ``starts_at`` in bay ``bay_id``. Answered in JSON
    for static/js/service_calendar.js: 200 moved, 409 the slot was just taken, 400 a time or
    bay the rules refuse (the message says which)."""
    booking = selectors.booking_get_for_user(request.user, booking_id, write=True)
    bay = selectors.bay_get_for_user(request.user, request.POST.get("bay_id")) if request.POST.get("bay_id") else None
    try:
        if request.POST.get("day") and not request.POST.get("starts_at"):
            # Dropped on another day of the week view: the same time of day, that day.
            starts_at = _same_time_on(booking, request.POST["day"])
        else:
            starts_at = SlotField(required=True).clean(request.POST.get("starts_at"))
        services.booking_reschedule(booking=booking, starts_at=starts_at, by=request.user, bay=bay)
    except services.SlotTaken as error:
        return JsonResponse({"ok": False, "error": " ".join(error.messages)}, status=409)
    except ValidationError as error:
        return JsonResponse({"ok": False, "error": " ".join(error.messages)}, status=400)
    messages.success(request, _("Booking %(plate)s moved; the customer gets an SMS with the new time.") % {
        "plate": booking.plate_number})
    return JsonResponse({"ok": True})


def _same_time_on(booking, day: str) -> dt.datetime:
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise ValidationError(_("Choose a day from the calendar."))
    zone = ZoneInfo(booking.branch.time_zone)
    return dt.datetime.combine(date, booking.starts_at.astimezone(zone).time(), tzinfo=zone)


@require_POST
@staff_view("service.view_booking")
def photo_upload(request, booking_id):
    booking = selectors.booking_get_for_user(request.user, booking_id, write=True)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.booking_photo_add(booking=booking, upload=form.cleaned_data["photo"], by=request.user)
        except ValidationError as error:
            form.add_error("photo", error)
        else:
            messages.success(request, _("Photo added."))
            return redirect("service:booking_detail", booking.public_id)
    return render(request, "service/booking_detail.html", _detail_context(request, booking, photo_form=form),
                  status=400)


@require_GET
@staff_view("service.view_booking")
def photo_download(request, booking_id, booking_photo_id, thumbnail=False):
    """A check-in photo, or its thumbnail (the job card's), to staff who may see the booking
    (404 to anyone else). A photo from before thumbnails were made is served whole."""
    booking = selectors.booking_get_for_user(request.user, booking_id)
    photo = get_object_or_404(booking.photos.all(), public_id=booking_photo_id)
    small = thumbnail and bool(photo.thumbnail)
    try:
        handle = (photo.thumbnail if small else photo.file).open("rb")
    except FileNotFoundError:
        raise Http404
    if small:
        stem = photo.original_name.rsplit(".", 1)[0]
        response = FileResponse(handle, content_type="image/jpeg", filename=f"{stem}-thumbnail.jpg")
    else:
        response = FileResponse(handle, content_type=photo.content_type, filename=photo.original_name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@staff_view("service.view_booking")
def vehicle_history(request, asset_id):
    """A vehicle's workshop visits and when its next service is due (from the 360 page)."""
    asset = selectors.asset_get_for_user(request.user, asset_id)
    return render(request, "service/vehicle_history.html", {"asset": asset, **selectors.vehicle_history(asset)})
