"""Head office's sync endpoints (namespace ``sync``), under /sync/: called by branch instances."""

from django.urls import path

from . import endpoints

app_name = "sync"

urlpatterns = [
    path("push/", endpoints.push, name="push"),
    path("pull/", endpoints.pull, name="pull"),
    path("snapshot/", endpoints.snapshot, name="snapshot"),
]
