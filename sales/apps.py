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
        notification_kind_register(services.LEAD_ASKED_AGAIN, _("A lead of yours asked again"))
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
        from crm.registry import reminder_kinds

        from .reminders import KINDS

        for kind in KINDS:
            reminder_kinds.register(kind)

        from crm.registry import NavLink, nav_links

        menu = {"menu": "sales", "menu_label": _("Sales")}
        for order, (key, label, url_name, permission) in enumerate([
            ("sales", _("Leads"), "sales:lead_list", "sales.view_lead"),
            ("pipeline", _("Pipeline"), "sales:opportunity_board", "sales.view_opportunity"),
            ("agenda", _("My agenda"), "sales:agenda", "sales.view_activity"),
            ("quotations", _("Quotations"), "sales:quotation_list", "sales.view_quotation"),
            ("orders", _("Orders"), "sales:order_list", "sales.view_salesorder"),
            ("shipments", _("Shipments"), "sales:shipment_queue", "sales.view_shipment"),
            ("forecast", _("Forecast"), "sales:forecast", "sales.view_opportunity"),
            ("performance", _("Performance"), "sales:performance", "sales.view_salestarget"),
            ("catalogue", _("Catalogue"), "sales:product_list", "sales.view_product"),
        ]):
            nav_links.register(NavLink(key, label, url_name, order=20 + order, permission=permission, **menu))
        from . import activity_selectors, activity_services

        notification_kind_register(activity_services.ACTIVITY_ASSIGNED, _("Activity assigned to you"))
        notification_kind_register(activity_services.ACTIVITY_DUE, _("Activity due soon"))
        panels.register(Panel(
            key="sales_activities", title=_("Activities"), order=21, template="sales/activities/panel.html",
            selector=activity_selectors.customer_activities_panel, permission="sales.view_activity", queries=1,
            empty_text=_("Nothing planned. Plan a call, visit or task with “New activity”."),
        ))
        home_cards.register(HomeCard(
            key="my_agenda", title=_("My agenda"), order=14, template="sales/cards/my_agenda.html",
            selector=activity_selectors.my_agenda_card, permission="sales.view_activity", link="sales:agenda",
            empty_text=_("Nothing overdue or due today. Plan calls and visits from a lead, an opportunity or a "
                         "customer."),
        ))
        from . import orders as _orders

        notification_kind_register(_orders.SHIPMENT_LATE, _("Shipment late"))
        panels.register(Panel(
            key="sales_orders", title=_("Orders"), order=22, template="sales/panels/orders.html",
            selector=_orders.customer_orders_panel, permission="sales.view_salesorder", queries=2,  # orders, quotations
            empty_text=_("No open order or quotation. Quote from one of the customer's opportunities."),
        ))
        search_providers.register(SearchProvider(
            key="sales_orders", title=_("Quotations and orders"), selector=_orders.number_search, order=22,
            permission="sales.view_quotation",
        ))
        demo_steps.register(DemoStep(key="sales_orders", run=demo.run_orders, order=55))
        from . import segments as _segments

        _segments.register()  # segment criteria and campaign conversions (marketing)
        from crm.registry import AttachmentProvider, attachment_providers

        from . import pdf as _pdf
        from .quotations import QUOTATION_PDF

        # A quotation emailed through the messaging pipeline carries its PDF, made at send time.
        attachment_providers.register(AttachmentProvider(key=QUOTATION_PDF, render=_pdf.quotation_pdf_attachment))
