"""The public site's URLs, under /p/: every installed app's ``public_urls`` module.

crm names no department app: an app puts its pages for customers in ``<app>/public_urls.py``
(with its own ``app_name``, and routes under its own short prefix, e.g. marketing's
``s/<code>``), and taking the app out of INSTALLED_APPS takes its public pages away.
Every view there is written with crm/public.py: ``public_render``, a ``rate_limit`` and,
for forms, ``HoneypotMixin``.
"""

from django.apps import apps
from django.urls import include, path
from django.utils.module_loading import module_has_submodule

# crm's own public pages, when it has some, go here; then every other app's.
urlpatterns = [
    path("", include(f"{config.name}.public_urls"))
    for config in apps.get_app_configs()
    if config.name != "crm" and module_has_submodule(config.module, "public_urls")
]
