from django.urls import path

from . import views

app_name = "sales"

urlpatterns = [
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/new/", views.lead_create, name="lead_create"),
    path("leads/import/", views.lead_import, name="lead_import"),
    path("leads/assignment/", views.assignment_rule, name="assignment_rule"),
    path("leads/<uuid:lead_id>/", views.lead_detail, name="lead_detail"),
    path("leads/<uuid:lead_id>/status/", views.lead_status, name="lead_status"),
    path("leads/<uuid:lead_id>/assign/", views.lead_reassign, name="lead_reassign"),
    path("leads/<uuid:lead_id>/convert/", views.lead_convert, name="lead_convert"),
    path("pipeline/", views.opportunity_board, name="opportunity_board"),
    path("forecast/", views.forecast, name="forecast"),
    path("forecast/csv/", views.forecast_csv, name="forecast_csv"),
    path("opportunities/", views.opportunity_list, name="opportunity_list"),
    path("opportunities/<uuid:opportunity_id>/", views.opportunity_detail, name="opportunity_detail"),
    path("opportunities/<uuid:opportunity_id>/edit/", views.opportunity_edit, name="opportunity_edit"),
    path("opportunities/<uuid:opportunity_id>/move/", views.opportunity_move, name="opportunity_move"),
    # === Activities, scoring and targets (issue 10) — insert above this line ===
    # === Catalogue, quotations, orders, payments, shipments (issue 11) — insert above this line ===
]
