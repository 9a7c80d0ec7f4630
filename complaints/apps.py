"""Complaints and helpdesk: routing to Sales, Service, Quality Control or Shipment and follow-up."""
from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "complaints"
    verbose_name = _("Complaints")

    def ready(self):
        from accounts.notifications import notification_kind_register
        from crm.registry import DemoStep, HomeCard, Panel, SearchProvider, demo_steps, home_cards, panels, \
            search_providers

        from . import demo, selectors, services

        notification_kind_register(services.ASSIGNED, _("Complaint assigned to you"))
        notification_kind_register(services.QUEUED, _("New complaint in your department's queue"))
        notification_kind_register(services.ESCALATED, _("Complaint escalated (SLA breached)"))
        notification_kind_register(services.WARNING, _("Complaint nearly past its resolution time"))
        panels.register(Panel(
            key="complaints", title=_("Open complaints"), order=30, template="complaints/panels/open.html",
            selector=selectors.open_complaints_panel, permission="complaints.view_complaint",
            empty_text=_("No open complaints. Take one with “New complaint” when the customer reports a problem."),
        ))
        home_cards.register(HomeCard(
            key="my_complaints", title=_("My open complaints"), order=15, template="complaints/cards/mine.html",
            selector=selectors.my_complaints_card, permission="complaints.view_complaint",
            link="complaints:queue",
            empty_text=_("No complaints assigned to you. Your department's queue is on the Complaints page."),
        ))
        search_providers.register(SearchProvider(
            key="complaints", title=_("Complaints"), selector=selectors.complaint_search,
            permission="complaints.view_complaint", order=40,
        ))
        demo_steps.register(DemoStep(key="complaints", run=demo.run, order=60))

        from crm.registry import NavLink, nav_links

        menu = {"menu": "complaints", "menu_label": _("Complaints")}
        nav_links.register(NavLink("complaints", _("Complaint queue"), "complaints:queue", order=60,
                                   permission="complaints.view_complaint", **menu))
        nav_links.register(NavLink("complaint-reports", _("Reports"), "complaints:reports", order=61,
                                   permission="complaints.view_complaint", **menu))
        nav_links.register(NavLink("qc", _("QC defects"), "complaints:qc_report", order=62,
                                   permission="complaints.view_complaint", **menu))
        from . import segments as _segments

        _segments.register()  # segment criteria and campaign conversions (marketing)
