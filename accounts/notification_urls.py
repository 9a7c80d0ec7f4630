"""Staff notifications (namespace ``notifications``), under /notifications/ (crm/urls.py)."""

from django.urls import path

from . import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("bell/", views.notification_bell, name="bell"),
    path("read/", views.notification_mark_all_read, name="mark_all_read"),
    path("settings/", views.notification_settings, name="settings"),
    path("<uuid:notification_id>/read/", views.notification_mark_read, name="mark_read"),
]
