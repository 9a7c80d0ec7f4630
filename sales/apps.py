from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sales"
    verbose_name = _("Sales")

    def ready(self):
        from accounts.notifications import notification_kind_register
        from crm.registry import DemoStep, HomeCard, Panel, SearchProvider, demo_steps, home_cards, panels, \
            search_providers

        from . import demo, selectors, services

        notification_kind_register(services.LEAD_ASSIGNED, _("Lead assigned to you"))
        notification_kind_register(services.OPPORTUNITY_WON, _("Opportunity won"))
        notification_kind_register(services.LEAD_ESCALATED, _("Lead not contacted in time"))
        panels.register(Panel(
            key="sales", title=_("Leads and opportunities"), order=20, template="sales/panels/sales.html",
            selector=selectors.customer_sales_panel, permission="sales.view_opportunity", queries=2,  # opportunities, leads
            empty_text=_("No open lead or opportunity. Convert a qualified lead to open one."),
        ))
        home_cards.register(HomeCard(
            key="my_leads", title=_("My open leads"), order=15, template="sales/cards/my_leads.html",
            selector=selectors.my_leads_card, permission="sales.view_lead", link="sales:lead_list",
            empty_text=_("No open leads assigned to you. New leads are handed out by your branch's rule."),
        ))
        search_providers.register(SearchProvider(
            key="sales", title=_("Leads and opportunities"), selector=selectors.search_hits, order=20,
            permission="sales.view_lead",
        ))
        demo_steps.register(DemoStep(key="sales", run=demo.run, order=50))
        # === Activities, scoring and targets (issue 10) — insert above this line ===
        # === Catalogue, quotations, orders, payments, shipments (issue 11) — insert above this line ===
        # === Segment criteria and conversions (issue 12) — insert above this line ===
