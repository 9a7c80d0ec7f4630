"""The workshop's pages on the public site (under /p/, crm/public_urls.py)."""

from django.urls import path

from . import public_views

app_name = "service_public"

urlpatterns = [
    path("bengkel/", public_views.book, name="book"),
    path("bengkel/status/", public_views.status, name="status"),
    # The satisfaction SMS's link: short, it is paid for in every message.
    path("bengkel/nilai/<str:code>", public_views.feedback, name="feedback"),
    path("bengkel/estimasi/<str:code>", public_views.estimate, name="estimate"),
]
