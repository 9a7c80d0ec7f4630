"""Workshop service: appointments, vehicle check-in and repair status for customers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "service"
    verbose_name = _("Workshop service")

    def ready(self):
        from accounts.notifications import notification_kind_register
        from crm.registry import DemoStep, HomeCard, Panel, SearchProvider, demo_steps, home_cards, panels, \
            search_providers

        from . import demo, selectors

        notification_kind_register("service.vehicle_ready", _("Vehicle ready for collection"))
        notification_kind_register("service.low_rating", _("Low rating of a workshop visit"))
        notification_kind_register("service.estimate_decided", _("Customer answered a workshop estimate"))
        panels.register(Panel(
            key="service", title=_("Workshop"), order=15, template="service/panels/service.html",
            selector=selectors.service_panel, permission="service.view_booking", column="side",
            empty_text=_("No upcoming service and no vehicle at the workshop. Book a service from here."),
        ))
        home_cards.register(HomeCard(
            key="service_today", title=_("Workshop bookings today"), order=25,
            template="service/cards/today.html", selector=selectors.today_card,
            permission="service.view_booking", link="service:today",
            empty_text=_("No workshop bookings today at your branch."),
        ))
        search_providers.register(SearchProvider(
            key="service", title=_("Workshop bookings"), selector=selectors.search_bookings, order=30,
            permission="service.view_booking",
        ))
        # After the branches' opening hours (50): bookings fall within them.
        demo_steps.register(DemoStep(key="service", run=demo.run, order=60))

        from crm.registry import NavLink, nav_links

        nav_links.register(NavLink("workshop", _("Workshop"), "service:today", menu="service",
                                   menu_label=_("Workshop"), order=50, permission="service.view_booking",
                                   needs_branch=True))
        from . import segments as _segments

        _segments.register()  # segment criteria and campaign conversions (marketing)
