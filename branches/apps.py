from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BranchesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "branches"
    verbose_name = _("Branches")

    def ready(self):
        from django.db.models.signals import post_migrate, pre_migrate

        from . import capture

        # The sync triggers follow the crm.sync declarations: (re)made after every migrate.
        pre_migrate.connect(capture.on_pre_migrate, sender=self, dispatch_uid="branches.capture.pre")
        post_migrate.connect(capture.on_post_migrate, sender=self, dispatch_uid="branches.capture")

        from accounts.notifications import notification_kind_register

        notification_kind_register("branches.sync_silent", _("A branch has not synchronised"))
        notification_kind_register("branches.sync_refused", _("A branch's sync request was refused"))
        from crm.registry import DemoStep, demo_steps

        from . import demo

        # After crm's customers (order 0): hours and closures of the demo branches.
        demo_steps.register(DemoStep(key="branches", run=demo.run, order=50))

        from crm.registry import NavLink, nav_links

        nav_links.register(NavLink("branches", _("Branches"), "branches:branch_list", menu="branches",
                                   menu_label=_("Branches"), order=70, permission="branches.view_openinghours"))
        nav_links.register(NavLink("sync", _("Synchronisation"), "branches:sync_status", menu="branches",
                                   menu_label=_("Branches"), order=71, permission="branches.view_syncstate"))
