from django.urls import path

from . import reminder_views, views

app_name = "marketing"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("reminders/", reminder_views.reminder_rules, name="reminder_rules"),
    path("reminders/new/", reminder_views.reminder_rule_create, name="reminder_rule_create"),
    path("reminders/<uuid:reminder_rule_id>/", reminder_views.reminder_rule_preview, name="reminder_preview"),
    path("reminders/<uuid:reminder_rule_id>/edit/", reminder_views.reminder_rule_edit, name="reminder_rule_edit"),
    path("reminders/<uuid:reminder_rule_id>/toggle/", reminder_views.reminder_rule_toggle,
         name="reminder_rule_toggle"),
    path("customers/<uuid:customer_id>/sms/", views.customer_sms_send, name="customer_sms_send"),
    path("webhooks/twilio/status/", views.twilio_status, name="twilio_status"),
    path("webhooks/twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
]
