from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers")

    def ready(self):
        # crm's own parts of the shared pages, registered the way every app registers its own.
        from . import segments, selectors

        segments.register()  # the customer's own segment criteria (issue 12)
        from .registry import HomeCard, NavLink, Panel, home_cards, nav_links, panels

        # The top menu: each app adds its links the same way (crm.registry.NavLink).
        menu = {"menu": "customers", "menu_label": _("Customers")}
        nav_links.register(NavLink("customers", _("Customer list"), "crm:customer_list", order=10, **menu))
        nav_links.register(NavLink("customer-new", _("New customer"), "crm:customer_create", order=11,
                                   permission="crm.add_customer", **menu))
        nav_links.register(NavLink("admin", _("Back office"), "admin:index", menu="admin", menu_label=_("Back office"),
                                   order=90, staff_only=True))

        panels.register(Panel(
            key="vehicles", title=_("Vehicles"), order=10, template="crm/panels/vehicles.html",
            selector=selectors.vehicles_panel, permission="crm.view_asset", queries=0,  # prefetched by the view
            empty_text=_("No vehicles recorded. Add the customer's vehicle to book services and send reminders."),
        ))
        panels.register(Panel(
            key="contact_persons", title=_("Contact persons"), order=50, template="crm/panels/contact_persons.html",
            selector=selectors.contact_persons_panel, permission="crm.view_contactperson", queries=0,
            empty_text=_("No contact persons yet. Add who to talk to at this company."),
        ))
        home_cards.register(HomeCard(
            key="stale_customers", title=_("My customers not contacted for longest"), order=20,
            template="crm/cards/stale_customers.html", selector=selectors.stale_customers_card,
            permission="crm.view_customer", link="crm:customer_list",
            empty_text=_("You own no customers yet. Customers you create are yours; your manager can assign more."),
        ))
        home_cards.register(HomeCard(
            key="my_interactions", title=_("What I logged last"), order=30,
            template="crm/cards/my_interactions.html", selector=selectors.my_interactions_card,
            permission="crm.view_interaction",
            empty_text=_("Nothing logged yet. Log a call or visit from a customer's page."),
        ))
        home_cards.register(HomeCard(
            key="notifications", title=_("My unread notifications"), order=10,
            template="crm/cards/notifications.html", selector=selectors.notifications_card,
            link="notifications:list", empty_text=_("No unread notifications. You are up to date."),
        ))
