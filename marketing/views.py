"""Outbox page, sending an SMS from the 360 page, and Twilio's webhooks."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from twilio.request_validator import RequestValidator

from accounts.access import customer_get_for_user, staff_view
from crm import selectors as crm_selectors
from crm.models import branch_scope

from . import services
from .forms import SmsForm
from .models import Message, Send


@require_GET
@staff_view("marketing.view_message")
def outbox(request):
    """Messages to the customers this user may see, newest first."""
    qs = Message.objects.filter(branch_scope(request.user, "customer__")) \
        .select_related("customer", "send").order_by("-id")
    status = request.GET.get("status", "")
    if status in Message.Status.values:
        qs = qs.filter(status=status)
    page = crm_selectors.page_of(qs, crm_selectors.parse_page(request.GET.get("page")), 50)
    return render(request, "marketing/outbox.html", {"page": page, "status": status,
                                                     "statuses": Message.Status.choices})


@require_POST
@staff_view("marketing.add_send")
def customer_sms_send(request, customer_id):
    customer = customer_get_for_user(request.user, customer_id)
    form = SmsForm(request.POST, customer=customer)
    if form.is_valid():
        try:
            # The key is the form's (a double click sends once), scoped to this customer.
            send = services.message_send_one(customer=customer, channel=Send.Channel.SMS,
                                             body=form.cleaned_data["body"], body_en=form.cleaned_data["body_en"],
                                             by=request.user,
                                             key=f"sms:{customer.pk}:{form.cleaned_data['key']}",
                                             asset=form.cleaned_data["vehicle"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if send.recipients:
                messages.success(request, _("SMS queued."))
            else:
                messages.warning(request, _sms_not_sent(send, customer))
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return redirect(customer)


def _sms_not_sent(send: Send, customer) -> str:
    """Why a one-customer SMS went to no one, in the words of the reason counted on the send."""
    reasons = {
        services.Skipped.OPTED_OUT: _("Not sent: %(name)s has withdrawn SMS consent."),
        services.Skipped.NO_CONSENT: _("Not sent: %(name)s has not given SMS consent."),
        services.Skipped.NOT_MOBILE: _("Not sent: %(name)s has no mobile number (a landline cannot receive SMS)."),
    }
    reason = next((reasons[key] for key in reasons if send.skipped.get(key)),
                  _("Not sent: %(name)s cannot receive SMS."))
    return reason % {"name": customer.name}


def _signature_ok(request) -> bool:
    url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    return bool(settings.TWILIO_AUTH_TOKEN) and validator.validate(
        url, request.POST.dict(), request.headers.get("X-Twilio-Signature", ""))


@csrf_exempt  # Twilio cannot send a CSRF token; its signature takes that role.
@require_POST
def twilio_status(request):
    if not _signature_ok(request):
        return HttpResponseForbidden("Invalid signature")
    sid = request.POST.get("MessageSid", "")[:64]
    if sid:
        services.message_status_update(sid=sid, provider_status=request.POST.get("MessageStatus", ""),
                                       error_code=request.POST.get("ErrorCode", ""))
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request):
    if not _signature_ok(request):
        return HttpResponseForbidden("Invalid signature")
    services.sms_inbound(from_number=request.POST.get("From", "")[:20], body=request.POST.get("Body", "")[:1600])
    return HttpResponse('<?xml version="1.0" encoding="UTF-8"?><Response></Response>', content_type="text/xml")
