"""Staff pages of the branches (namespace ``branches``), under /branches/."""

from django.urls import path

from . import views

app_name = "branches"

urlpatterns = [
    path("", views.branch_list, name="branch_list"),
    path("sync/", views.sync_status, name="sync_status"),
    path("sync/now/", views.sync_now, name="sync_now"),
    path("sync/progress/", views.sync_progress, name="sync_progress"),
    path("sync/conflicts/", views.conflict_list, name="conflict_list"),
    path("sync/conflicts/<uuid:conflict_id>/resolve/", views.conflict_resolve, name="conflict_resolve"),
    path("<uuid:branch_id>/calendar/", views.calendar, name="calendar"),
    path("<uuid:branch_id>/calendar/hours/", views.hours_edit, name="hours_edit"),
    path("<uuid:branch_id>/calendar/closures/", views.closure_create, name="closure_create"),
    path("<uuid:branch_id>/calendar/closures/<uuid:closure_id>/delete/", views.closure_delete, name="closure_delete"),
    path("<uuid:branch_id>/report/", views.report, name="report"),
    path("<uuid:branch_id>/report/csv/", views.report_csv, name="report_csv"),
]
