"""The workshop's public pages (no login, under /p/): book a service, and "is my car ready?".

Both are rate-limited per address (and the status lookup per phone number typed), carry a
honeypot, and find a booking only by its code *and* the customer's phone (crm.public), with
the same answer whichever was wrong."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.views.decorators.http import require_http_methods

from crm.public import CodeAndPhoneForm, posted_phone, public_render, rate_limit

from . import selectors, services
from .forms import PublicBookingForm, PublicChooseForm, SlotField, bootstrap_widgets, slot_choices
from .models import Booking

BOOK_RATE_PER_IP = "20/m"
STATUS_RATE_PER_IP = "20/m"
STATUS_RATE_PER_PHONE = "10/m"


@require_http_methods(["GET", "POST"])
@rate_limit("service-book-ip", BOOK_RATE_PER_IP)
def book(request):
    """Step one (GET): workshop and service. Step two: a free slot, the plate, name and phone (POST)."""
    choose = PublicChooseForm(request.GET or None)
    if not choose.is_valid():
        return public_render(request, "service/public/book_choose.html", {"choose": choose},
                             status=400 if request.GET else 200)
    branch, service_type = choose.cleaned_data["branch"], choose.cleaned_data["service_type"]
    zone = ZoneInfo(branch.time_zone)
    slots = selectors.free_slots(branch, service_type)
    form = PublicBookingForm(request.POST if request.method == "POST" else None, slots=slots, zone=zone)
    context = {"choose": choose, "branch": branch, "service_type": service_type, "form": form, "slots": slots}
    if request.method == "POST":
        if form.caught_by_honeypot():
            return public_render(request, "service/public/book_done.html", {"booking": None})
        if form.is_valid():
            data = form.cleaned_data
            try:
                booking = services.public_booking_create(
                    branch=branch, service_type=service_type, starts_at=data["starts_at"],
                    plate_number=data["plate_number"], name=data["name"], phone=data["phone"],
                    complaint=data["complaint"])
            except ValidationError as error:
                errors = error.error_dict if hasattr(error, "error_dict") else {"starts_at": error.error_list}
                for field, messages in errors.items():
                    form.add_error(field if field in form.fields else "starts_at", messages)
                # The slots as they are now (one may have gone a moment ago).
                form.fields["starts_at"].widget.choices = [("", "—")] + slot_choices(
                    selectors.free_slots(branch, service_type), zone)
            else:
                return public_render(request, "service/public/book_done.html", {"booking": booking})
        return public_render(request, "service/public/book.html", context, status=400)
    return public_render(request, "service/public/book.html", context)


def _status_queryset():
    return Booking.objects.select_related("branch", "service_type", "customer")


@require_http_methods(["GET", "POST"])
@rate_limit("service-status-ip", STATUS_RATE_PER_IP)
@rate_limit("service-status-phone", STATUS_RATE_PER_PHONE, key=posted_phone())
def status(request):
    """Code + phone → the booking's status and expected ready time; a booked one can be cancelled."""
    if request.method == "GET":
        form = CodeAndPhoneForm(initial={"code": request.GET.get("code", "")}, queryset=_status_queryset(),
                                code_field="code")
        bootstrap_widgets(form)
        return public_render(request, "service/public/status.html", {"form": form})
    form = CodeAndPhoneForm(request.POST, queryset=_status_queryset(), code_field="code")
    bootstrap_widgets(form)
    if form.caught_by_honeypot():
        return public_render(request, "service/public/status.html", {"form": form, "booking": None})
    if not form.is_valid():
        return public_render(request, "service/public/status.html", {"form": form}, status=400)
    booking = form.found
    zone = ZoneInfo(booking.branch.time_zone)
    cancelled_now = moved_now = False
    move_error = ""
    if request.POST.get("cancel") and booking.status == Booking.Status.BOOKED:
        booking = services.booking_cancel_by_customer(booking=booking)
        cancelled_now = True
    elif request.POST.get("move") and booking.status == Booking.Status.BOOKED:
        try:
            starts_at = SlotField(required=True).clean(request.POST.get("starts_at"))
            booking = services.booking_reschedule(booking=booking, starts_at=starts_at, by=None)
            moved_now = True
        except ValidationError as error:
            move_error = " ".join(error.messages)
    can_change = booking.status == Booking.Status.BOOKED
    move_to = slot_choices(selectors.free_slots(booking.branch, booking.service_type) if can_change else [], zone)
    return public_render(request, "service/public/status.html", {
        "form": form, "booking": booking, "cancelled_now": cancelled_now, "moved_now": moved_now,
        "move_error": move_error, "zone": zone, "can_cancel": can_change, "move_to": move_to,
    }, status=400 if move_error else 200)


FEEDBACK_RATE_PER_IP = "30/m"
FEEDBACK_RATE_PER_CODE = "10/m"


@require_http_methods(["GET", "POST"])
@rate_limit("service-feedback-ip", FEEDBACK_RATE_PER_IP)
@rate_limit("service-feedback-code", FEEDBACK_RATE_PER_CODE, key=lambda request, code: code)
def feedback(request, code):
    """The link of the satisfaction SMS: a 1–5 rating and a comment, once per visit."""
    from crm.public import is_public_code

    from .forms import FeedbackForm

    booking = (Booking.objects.select_related("branch", "customer", "asset").filter(feedback_code=code).first()
               if is_public_code(code) else None)
    if booking is None:
        return public_render(request, "service/public/feedback_invalid.html", status=404)
    form = FeedbackForm(request.POST if request.method == "POST" else None)
    bootstrap_widgets(form)
    if booking.rated_at is not None:
        return public_render(request, "service/public/feedback_done.html", {"booking": booking})
    if request.method == "POST":
        if form.caught_by_honeypot():
            return public_render(request, "service/public/feedback_done.html", {"booking": booking})
        if form.is_valid():
            try:
                services.booking_rate(booking=booking, rating=int(form.cleaned_data["rating"]),
                                      comment=form.cleaned_data["comment"])
            except ValidationError:
                pass  # rated a moment ago in another tab: the same thank-you
            return public_render(request, "service/public/feedback_done.html", {"booking": booking})
        return public_render(request, "service/public/feedback.html", {"booking": booking, "form": form}, status=400)
    return public_render(request, "service/public/feedback.html", {"booking": booking, "form": form})


ESTIMATE_RATE_PER_IP = "30/m"
ESTIMATE_RATE_PER_CODE = "10/m"


@require_http_methods(["GET", "POST"])
@rate_limit("service-estimate-ip", ESTIMATE_RATE_PER_IP)
@rate_limit("service-estimate-code", ESTIMATE_RATE_PER_CODE, key=lambda request, code: code)
def estimate(request, code):
    """The link of the estimate SMS: the extra work and its price, approve or decline (POST only:
    link previews GET it)."""
    from crm.public import is_public_code

    booking = (Booking.objects.select_related("branch", "advisor").filter(estimate_code=code).first()
               if is_public_code(code) else None)
    if booking is None:
        return public_render(request, "service/public/feedback_invalid.html", status=404)
    if request.method == "POST" and booking.estimate_decided_at is None and request.POST.get("website", "") == "":
        answer = request.POST.get("answer")
        if answer in ("approve", "decline"):
            try:
                booking = services.estimate_decide(booking=booking, approve=answer == "approve")
            except ValidationError:
                booking.refresh_from_db()  # answered a moment ago in another tab
    return public_render(request, "service/public/estimate.html", {"booking": booking})
