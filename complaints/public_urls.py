"""complaints' pages on the public site (under /p/): the complaint form and the status page."""

from django.urls import path

from . import public_views

app_name = "complaints_public"

urlpatterns = [
    path("keluhan/", public_views.complaint_form, name="complaint_form"),
    path("keluhan/status/", public_views.complaint_status, name="complaint_status"),
]
