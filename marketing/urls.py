from django.urls import path

from . import views

app_name = "marketing"

urlpatterns = [
    path("outbox/", views.outbox, name="outbox"),
    path("customers/<uuid:customer_id>/sms/", views.customer_sms_send, name="customer_sms_send"),
    path("webhooks/twilio/status/", views.twilio_status, name="twilio_status"),
    path("webhooks/twilio/inbound/", views.twilio_inbound, name="twilio_inbound"),
]
