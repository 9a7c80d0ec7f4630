from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("crm.customer_urls")),
    path("accounts/", include("accounts.urls")),
    path("marketing/", include("marketing.urls")),
    path("admin/", admin.site.urls),
]
