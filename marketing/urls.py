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

# Segments and campaigns (issue 12): marketing/campaign_views.py.
from . import campaign_views  # noqa: E402

urlpatterns += [
    path("segments/", campaign_views.segment_list, name="segment_list"),
    path("segments/new/", campaign_views.segment_create, name="segment_create"),
    path("segments/upload/", campaign_views.segment_upload, name="segment_upload"),
    path("segments/preview/", campaign_views.segment_preview, name="segment_preview"),
    path("segments/builder/", campaign_views.segment_builder, name="segment_builder"),
    path("segments/<uuid:segment_id>/", campaign_views.segment_edit, name="segment_edit"),
    path("campaigns/", campaign_views.campaign_list, name="campaign_list"),
    path("campaigns/new/", campaign_views.campaign_create, name="campaign_create"),
    path("campaigns/<uuid:campaign_id>/", campaign_views.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:campaign_id>/edit/", campaign_views.campaign_edit, name="campaign_edit"),
    path("campaigns/<uuid:campaign_id>/progress/", campaign_views.campaign_progress, name="campaign_progress"),
    path("campaigns/<uuid:campaign_id>/submit/", campaign_views.campaign_submit, name="campaign_submit"),
    path("campaigns/<uuid:campaign_id>/approve/", campaign_views.campaign_approve, name="campaign_approve"),
    path("campaigns/<uuid:campaign_id>/send/", campaign_views.campaign_send, name="campaign_send"),
    path("campaigns/<uuid:campaign_id>/pause/", campaign_views.campaign_pause, name="campaign_pause"),
    path("campaigns/<uuid:campaign_id>/resume/", campaign_views.campaign_resume, name="campaign_resume"),
    path("campaigns/<uuid:campaign_id>/cancel/", campaign_views.campaign_cancel, name="campaign_cancel"),
    path("campaigns/<uuid:campaign_id>/test/", campaign_views.campaign_test_send, name="campaign_test_send"),
    path("campaigns/<uuid:campaign_id>/recipients.csv", campaign_views.campaign_export, name="campaign_export"),
]
