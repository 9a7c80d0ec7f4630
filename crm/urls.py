from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("crm.customer_urls")),
    path("accounts/", include("accounts.urls")),
    path("marketing/", include("marketing.urls")),
    path("branches/", include("branches.urls")),
    path("complaints/", include("complaints.urls")),
    path("service/", include("service.urls")),
    path("sales/", include("sales.urls")),
    path("notifications/", include("accounts.notification_urls")),
    # The public site: pages for customers, no login (each app's public_urls; crm/public_urls.py).
    path("p/", include("crm.public_urls")),
    # Head office's sync endpoints for branch instances (a branch credential, not a login).
    path("sync/", include("branches.sync_urls")),
    path("admin/", admin.site.urls),
]
