from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'accounts'
    verbose_name = _("Staff and branches")

    def ready(self):
        # The kinds of notification accounts sends, declared the way every app declares its own.
        from .notifications import CUSTOMER_ASSIGNED, notification_kind_register

        notification_kind_register(CUSTOMER_ASSIGNED, _("Customer assigned to you"))
