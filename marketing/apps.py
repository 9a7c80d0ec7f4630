from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "marketing"
    verbose_name = _("Marketing and messaging")

    def ready(self):
        from crm.registry import Panel, panels

        from . import selectors

        panels.register(Panel(
            key="sms", title=_("Send an SMS"), order=40, template="marketing/panels/sms.html",
            selector=selectors.sms_panel, permission="marketing.add_send", queries=0,  # the customer's prefetched vehicles
            empty_text=_("This customer cannot receive SMS."),
        ))

        from crm.registry import NavLink, nav_links

        menu = {"menu": "marketing", "menu_label": _("Marketing")}
        for order, (key, label, url_name, permission) in enumerate([
            ("outbox", _("Outbox"), "marketing:outbox", "marketing.view_message"),
            ("campaigns", _("Campaigns"), "marketing:campaign_list", "marketing.view_campaign"),
            ("segments", _("Segments"), "marketing:segment_list", "marketing.view_segment"),
            ("reminders", _("Reminders"), "marketing:reminder_rules", "marketing.view_reminderrule"),
        ]):
            nav_links.register(NavLink(key, label, url_name, order=40 + order, permission=permission, **menu))

        # Scheduled reminders (marketing.reminders).
        from accounts.notifications import notification_kind_register
        from crm.registry import DemoStep, HomeCard, demo_steps, home_cards

        from . import reminder_demo, reminders

        notification_kind_register(reminders.NOTIFY_CALL, _("Reminder not sent (no consent): please call"))
        notification_kind_register(reminders.NOTIFY_RUN_FAILED, _("Reminder run failed"))
        home_cards.register(HomeCard(
            key="reminders_today", title=_("Birthdays and due dates today"), order=25,
            template="marketing/cards/reminders_today.html", selector=reminders.today_card,
            permission="crm.view_customer", queries=5,  # birthdays, then one per vehicle date kind
            empty_text=_("No birthdays or vehicle due dates in your branch today."),
        ))
        demo_steps.register(DemoStep(key="reminders", run=reminder_demo.run, order=60))

        # Segments and campaigns (issue 12): marketing.segments, marketing.campaigns.
        from . import campaign_demo, campaigns

        notification_kind_register(campaigns.NOTIFY_SUBMITTED, _("Campaign waiting for your approval"))
        notification_kind_register(campaigns.NOTIFY_APPROVED, _("Your campaign was approved"))
        demo_steps.register(DemoStep(key="campaigns", run=campaign_demo.run, order=70))
        home_cards.register(HomeCard(
            key="campaigns_to_approve", title=_("Campaigns waiting for your approval"), order=18,
            template="marketing/campaigns/card_to_approve.html", selector=campaigns.to_approve_card,
            permission="marketing.approve_campaign", link="marketing:campaign_list", queries=1,
            empty_text=_("No campaign is waiting for your approval."),
        ))
