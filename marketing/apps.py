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
