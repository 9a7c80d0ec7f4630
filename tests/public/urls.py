"""The project's URLs plus test-only public views that use crm/public.py as later public pages
will (a code-and-phone lookup), for @pytest.mark.urls("tests.public.urls")."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from crm.public import CodeAndPhoneForm, posted_phone, rate_limit
from crm.urls import urlpatterns as project_urlpatterns
from marketing.models import Message

LOOKUP_RATE_PER_IP = "4/m"
LOOKUP_RATE_PER_PHONE = "2/m"


def _lookup(request):
    form = CodeAndPhoneForm(request.POST, queryset=Message.objects.all(), code_field="optout_code",
                            phone_fields=("customer__phone", "customer__phone_alt"))
    if form.caught_by_honeypot():
        return HttpResponse("thanks")
    if form.is_valid():
        return HttpResponse(f"found {form.found.public_id}")
    # Only the errors, never the values typed: the body must not differ by what was typed.
    return HttpResponse(form.errors.as_json(), status=404)


@require_POST
def lookup(request):
    return _lookup(request)


@require_POST
@rate_limit("test-lookup-ip", LOOKUP_RATE_PER_IP)
@rate_limit("test-lookup-phone", LOOKUP_RATE_PER_PHONE, key=posted_phone())
def limited_lookup(request):
    return _lookup(request)


urlpatterns = [
    *project_urlpatterns,
    path("test-public/lookup/", lookup),
    path("test-public/limited-lookup/", limited_lookup),
]
