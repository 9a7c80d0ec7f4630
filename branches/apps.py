from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "branches"
    verbose_name = _("Branches")

    def ready(self):
        from crm.registry import DemoStep, demo_steps

        from . import demo

        # After crm's customers (order 0): hours and closures of the demo branches.
        demo_steps.register(DemoStep(key="branches", run=demo.run, order=50))

        from crm.registry import NavLink, nav_links

        nav_links.register(NavLink("branches", _("Branches"), "branches:branch_list", menu="branches",
                                   menu_label=_("Branches"), order=70, permission="branches.view_openinghours"))
