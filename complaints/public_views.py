"""The public complaint form and status page (no login, under /p/keluhan/)."""

from django.db import transaction
from django.views.decorators.http import require_http_methods

from crm.models import Customer
from crm.public import CodeAndPhoneForm, posted_phone, public_code_new, public_render, rate_limit
from crm.services import customer_create

from . import selectors, services
from .forms import PublicComplaintForm, bootstrap_widgets
from .models import Complaint, ComplaintChannel, Priority

# Every request counts (GET too): a person sends a complaint or two and checks it a few
# times; scripts get 429.
FORM_RATE_PER_IP = "20/h"
FORM_RATE_PER_PHONE = "5/h"
STATUS_RATE_PER_IP = "30/h"
STATUS_RATE_PER_PHONE = "10/h"


@require_http_methods(["GET", "POST"])
@rate_limit("complaint-form-ip", FORM_RATE_PER_IP)
def complaint_form(request):
    if request.method == "POST":
        return _form_post(request)
    return public_render(request, "complaints/public/complaint_form.html", {"form": PublicComplaintForm()})


# Per phone only what is posted (a GET carries no phone: counting it under "" would make
# every visitor share one counter).
@rate_limit("complaint-form-phone", FORM_RATE_PER_PHONE, key=posted_phone())
def _form_post(request):
    form = PublicComplaintForm(request.POST)
    if form.caught_by_honeypot():
        # Answered like a success; nothing saved (the code shown exists nowhere).
        return public_render(request, "complaints/public/complaint_done.html", {"code": public_code_new()})
    if form.is_valid():
        complaint = _take(form.cleaned_data)
        return public_render(request, "complaints/public/complaint_done.html", {"code": complaint.code})
    return public_render(request, "complaints/public/complaint_form.html", {"form": form}, status=400)


@transaction.atomic
def _take(data) -> Complaint:
    # The customer of that branch with this mobile number, or a new customer record: a
    # complaint always has a customer, and staff merge duplicates later if needed.
    customer = (Customer.objects.filter(branch=data["branch"], phone=data["phone"]).order_by("id").first()
                or customer_create(by=None, branch=data["branch"], name=data["name"], phone=data["phone"]))
    return services.complaint_create(customer=customer, channel=ComplaintChannel.WEB, category=data["category"],
                                     priority=Priority.NORMAL, description=data["description"],
                                     reference=data.get("reference", ""), by=None)


@require_http_methods(["GET", "POST"])
@rate_limit("complaint-status-ip", STATUS_RATE_PER_IP)
def complaint_status(request):
    """Code + phone → the status and our replies; the same answer whichever of the two was wrong."""
    if request.method == "POST":
        return _status_post(request)
    form = _status_form(None, initial={"code": request.GET.get("code", "")[:32]})
    return public_render(request, "complaints/public/complaint_status.html", {"form": form})


@rate_limit("complaint-status-phone", STATUS_RATE_PER_PHONE, key=posted_phone())
def _status_post(request):
    form = _status_form(request.POST)
    context = {"form": form}
    if form.caught_by_honeypot():
        return public_render(request, "complaints/public/complaint_status.html", context)
    if not form.is_valid():
        return public_render(request, "complaints/public/complaint_status.html", context, status=400)
    context.update(selectors.public_status(form.found))
    return public_render(request, "complaints/public/complaint_status.html", context)


def _status_form(data, **kwargs):
    form = CodeAndPhoneForm(data, code_field="code", queryset=Complaint.objects.select_related("customer"), **kwargs)
    bootstrap_widgets(form)
    return form
