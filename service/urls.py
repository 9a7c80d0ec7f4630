from django.urls import path

from . import views

app_name = "service"

urlpatterns = [
    path("", views.today, name="today"),
    path("branches/<uuid:branch_id>/week/", views.week, name="week"),
    path("branches/<uuid:branch_id>/setup/", views.setup, name="setup"),
    path("branches/<uuid:branch_id>/bays/add/", views.bay_add, name="bay_add"),
    path("branches/<uuid:branch_id>/slot-length/", views.slot_length, name="slot_length"),
    path("bays/<uuid:bay_id>/toggle/", views.bay_toggle, name="bay_toggle"),
    path("branches/<uuid:branch_id>/day/", views.day_board, name="day_board"),
    path("branches/<uuid:branch_id>/technicians/add/", views.technician_add, name="technician_add"),
    path("technicians/<uuid:technician_id>/", views.technician_edit, name="technician_edit"),
    path("vehicles/<uuid:asset_id>/", views.vehicle_history, name="vehicle_history"),
    path("customers/<uuid:customer_id>/book/", views.book, name="book"),
    path("bookings/<uuid:booking_id>/", views.booking_detail, name="booking_detail"),
    path("bookings/<uuid:booking_id>/status/", views.booking_status, name="booking_status"),
    path("bookings/<uuid:booking_id>/lines/add/", views.job_line_add, name="job_line_add"),
    path("bookings/<uuid:booking_id>/estimate/", views.estimate_request, name="estimate_request"),
    path("bookings/<uuid:booking_id>/move/", views.booking_reschedule, name="booking_reschedule"),
    path("bookings/<uuid:booking_id>/drop/", views.booking_move, name="booking_move"),
    path("bookings/<uuid:booking_id>/photos/", views.photo_upload, name="photo_upload"),
    path("bookings/<uuid:booking_id>/photos/<uuid:booking_photo_id>/", views.photo_download, name="photo_download"),
    path("bookings/<uuid:booking_id>/photos/<uuid:booking_photo_id>/thumbnail/", views.photo_download,
         {"thumbnail": True}, name="photo_thumbnail"),
    path("bookings/<uuid:booking_id>/parts/", views.part_search, name="part_search"),
]
