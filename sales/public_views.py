"""sales's public pages (no login): "contact us / book a test drive"."""

from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from crm.public import posted_phone, public_render, rate_limit

from . import services
from .forms import ContactUsForm

# A person sends the form once or twice; a script sending hundreds gets 429.
CONTACT_RATE_PER_IP = "10/h"
CONTACT_RATE_PER_PHONE = "3/h"


@require_http_methods(["GET", "POST"])
@rate_limit("sales-contact-ip", CONTACT_RATE_PER_IP)
@rate_limit("sales-contact-phone", CONTACT_RATE_PER_PHONE, key=posted_phone())
def contact_us(request):
    form = ContactUsForm(request.POST if request.method == "POST" else None,
                         initial={"wants_test_drive": request.GET.get("test_drive") == "1"})
    if request.method == "POST":
        if form.caught_by_honeypot():
            return redirect("sales_public:contact_thanks")  # answered like a success; nothing saved
        if form.is_valid():
            data = form.cleaned_data
            services.lead_from_web(
                branch=data["branch"], name=data["name"], phone=data["phone"], email=data["email"],
                city=data["city"], model_of_interest=data["model_of_interest"],
                wants_test_drive=data["wants_test_drive"], preferred_contact_time=data["preferred_contact_time"],
                notes=data["message"],
            )
            return redirect("sales_public:contact_thanks")
    # GET is counted too: a page is cheap, but a crawler looping on it is not welcome.
    return public_render(request, "public/sales/contact.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def contact_thanks(request):
    return public_render(request, "public/sales/contact_thanks.html")
