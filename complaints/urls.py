from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("new/", views.complaint_create, name="complaint_create"),
    path("qc/", views.qc_report, name="qc_report"),
    path("qc/defects.csv", views.qc_report_csv, name="qc_report_csv"),
    path("qc/recall-segment/", views.qc_recall_segment, name="qc_recall_segment"),
    path("customer/<uuid:customer_id>/new/", views.customer_complaint_create, name="customer_complaint_create"),
    path("from-sms/<uuid:interaction_id>/", views.complaint_from_message, name="complaint_from_message"),
    path("reports/", views.reports, name="reports"),
    path("reports/<slug:chart>.csv", views.report_csv, name="report_csv"),
    path("<uuid:complaint_id>/", views.complaint_detail, name="complaint_detail"),
    path("<uuid:complaint_id>/status/", views.complaint_status, name="complaint_status"),
    path("<uuid:complaint_id>/notes/", views.complaint_note, name="complaint_note"),
    path("<uuid:complaint_id>/reroute/", views.complaint_reroute, name="complaint_reroute"),
    path("<uuid:complaint_id>/take/", views.complaint_take, name="complaint_take"),
    path("<uuid:complaint_id>/escalate/", views.complaint_escalate, name="complaint_escalate"),
    path("<uuid:complaint_id>/attachments/", views.attachment_upload, name="attachment_upload"),
    path("<uuid:complaint_id>/attachments/<uuid:complaint_attachment_id>/", views.attachment_download,
         name="attachment_download"),
]
