"""sales's pages on the public site (under /p/, crm/public_urls.py): contact us / test drive."""

from django.urls import path

from . import public_views

app_name = "sales_public"

urlpatterns = [
    path("contact/", public_views.contact_us, name="contact_us"),
    path("contact/thanks/", public_views.contact_thanks, name="contact_thanks"),
]
