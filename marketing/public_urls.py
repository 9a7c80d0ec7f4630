"""marketing's pages on the public site (under /p/, crm/public_urls.py): the SMS opt-out link."""

from django.urls import path

from . import public_views

app_name = "marketing_public"

urlpatterns = [
    # No trailing slash: every character of the link costs room in each marketing SMS.
    path("s/<str:code>", public_views.sms_optout, name="sms_optout"),
]
