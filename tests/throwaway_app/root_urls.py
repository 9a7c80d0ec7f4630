"""The project's URLs plus the throwaway app's (ROOT_URLCONF while it is installed)."""

from django.urls import include, path

from crm.urls import urlpatterns as project_urlpatterns

urlpatterns = [*project_urlpatterns, path("throwaway/", include("tests.throwaway_app.urls"))]
