"""URLs of the customer record (namespace ``crm``)."""

from django.urls import path

from . import views

app_name = "crm"

urlpatterns = [
    path("", views.home, name="home"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/<uuid:customer_id>/", views.customer_detail, name="customer_detail"),
    path("customers/<uuid:customer_id>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<uuid:customer_id>/timeline/", views.customer_timeline, name="customer_timeline"),
    path("customers/<uuid:customer_id>/interactions/", views.interaction_create, name="interaction_create"),
    path("customers/<uuid:customer_id>/assets/new/", views.asset_create, name="asset_create"),
    path("customers/<uuid:customer_id>/contacts/new/", views.contact_person_create, name="contact_person_create"),
    path("customers/<uuid:customer_id>/assets/<uuid:asset_id>/edit/", views.asset_edit, name="asset_edit"),
    path("customers/<uuid:customer_id>/contacts/<uuid:contact_person_id>/edit/", views.contact_person_edit,
         name="contact_person_edit"),
    path("customers/<uuid:customer_id>/interactions/<uuid:interaction_id>/correct/", views.interaction_correct,
         name="interaction_correct"),
]
