"""marketing's public pages (no login): the page behind the opt-out link of a marketing SMS."""

from django.utils import translation
from django.views.decorators.http import require_http_methods

from crm.public import public_render, rate_limit

from . import services
from .forms import SmsOptOutForm

# A person opens their link a few times at most; link scanners and guessers get 429.
OPTOUT_RATE_PER_IP = "30/m"
OPTOUT_RATE_PER_CODE = "10/m"


@require_http_methods(["GET", "POST"])
@rate_limit("sms-optout-ip", OPTOUT_RATE_PER_IP)
@rate_limit("sms-optout-code", OPTOUT_RATE_PER_CODE, key=lambda request, code: code)
def sms_optout(request, code):
    """GET shows one button, POST stops marketing SMS: link scanners and previews only GET.

    A code that no message carries: a "link not valid" page with status 404."""
    message = services.optout_message_get(code)
    if message is None:
        return public_render(request, "public/sms_optout_invalid.html", status=404)
    form = SmsOptOutForm(request.POST if request.method == "POST" else None)
    # A filled honeypot gets the same answer; nothing changes. (Outside the customer's
    # language below: the timeline entry is for staff.)
    if request.method == "POST" and not form.caught_by_honeypot():
        services.sms_opt_out_by_link(message=message)
    context = {"form": form, "phone_end": _phone_end(message.to)}
    # The page speaks the customer's language (the one their SMS are written in).
    with translation.override(message.customer.language):
        if request.method == "POST":
            return public_render(request, "public/sms_optout_done.html", context)
        context["stopped"] = not message.customer.sms_consent
        return public_render(request, "public/sms_optout.html", context)


def _phone_end(e164: str) -> str:
    """The number's last four digits: enough for its owner to recognise it, no more for
    anyone the link was forwarded to."""
    return "".join(ch for ch in e164 if ch.isdigit())[-4:]
