"""Staff pages of the workshop: the day's arrivals, set-up, booking from the customer's page,
a booking's job card with its status buttons.

Every page is a branch's: another branch's booking, bay or customer is a 404 whatever the
role (loaded through the scoped access helpers before any permission on the change)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import customer_get_for_user, staff_view
from branches.selectors import branch_get_for_user

from . import selectors, services
from .forms import BayForm, BookingForm, EstimateForm, JobLineForm, SlotField, SlotLengthForm, StatusForm
from .models import Bay, Booking, ServiceType, Workshop


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
    zone = ZoneInfo(branch.time_zone)
    day = timezone.now().astimezone(zone).date()
    if request.GET.get("day"):
        try:
            day = dt.date.fromisoformat(request.GET["day"])
        except ValueError:
            messages.error(request, _("That is not a date; showing today."))
    return render(request, "service/today.html", {
        "branch": branch, "day": day, "previous_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
        "bookings": selectors.day_bookings(branch, day), "in_workshop": selectors.in_workshop(branch),
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
    return render(request, "service/week.html", {
        "branch": branch, "days": days, "rows": selectors.week_calendar(branch, monday),
        "previous_week": monday - dt.timedelta(days=7), "next_week": monday + dt.timedelta(days=7),
    })


# --- set-up ----------------------------------------------------------------------------------
def _setup_context(branch, *, bay_form=None, slot_form=None):
    workshop = Workshop.objects.filter(branch=branch).first()
    return {
        "branch": branch,
        "bays": list(Bay.objects.filter(branch=branch).order_by("kind", "name")),
        "service_types": list(ServiceType.objects.order_by("name")),
        "bay_form": bay_form or BayForm(),
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
            _add_errors(form, error)
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
    slots = []
    service_type = None
    if data and data.get("service_type"):
        service_type = ServiceType.objects.filter(is_active=True, pk=data.get("service_type")).first() \
            if str(data.get("service_type")).isdigit() else None
        if service_type is not None:
            slots = selectors.free_slots(branch, service_type)
    form = BookingForm(data, customer=customer, slots=slots, zone=zone)
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
                form = _refresh_slots(form, customer, branch, data["service_type"], zone)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Booked: code %(code)s.") % {"code": booking.code})
                return redirect("service:booking_detail", booking.public_id)
        status = 400
    return render(request, "service/book.html", {
        "customer": customer, "branch": branch, "form": form, "slots": slots, "service_type": service_type,
        "has_assets": customer.assets.exists(),
    }, status=status)


def _refresh_slots(form, customer, branch, service_type, zone):
    """After "just taken": the same form, its errors kept, with the slots as they are now."""
    fresh = BookingForm(form.data, customer=customer, slots=selectors.free_slots(branch, service_type), zone=zone)
    fresh._errors = form._errors
    fresh.cleaned_data = getattr(form, "cleaned_data", {})
    return fresh


def _add_errors(form, error: ValidationError):
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _detail_context(request, booking, **extra):
    lines = selectors.job_lines(booking)
    can_change = request.user.has_perm("service.change_booking")
    zone = ZoneInfo(booking.branch.time_zone)
    # Booked and changeable: the free times it could move to (the slot query, only then).
    move_to = ([(s.value, f"{s.starts_at.astimezone(zone):%a %d/%m %H:%M}")
                for s in selectors.free_slots(booking.branch, booking.service_type)]
               if can_change and booking.status == Booking.Status.BOOKED else [])
    return {
        "move_to": move_to,
        "booking": booking, "events": selectors.booking_events(booking), "lines": lines,
        "total": sum((line.amount for line in lines), 0),
        "can_change": request.user.has_perm("service.change_booking"),
        "line_form": JobLineForm(branch=booking.branch),
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
    try:
        starts_at = field.clean(request.POST.get("starts_at"))
        services.booking_reschedule(booking=booking, starts_at=starts_at, by=request.user)
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
                _add_errors(form, error)
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
    form = JobLineForm(request.POST, branch=booking.branch)
    if form.is_valid():
        try:
            services.job_line_add(booking=booking, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Line added to the job card."))
            return redirect("service:booking_detail", booking.public_id)
    return render(request, "service/booking_detail.html", _detail_context(request, booking, line_form=form),
                  status=400)


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
