from django.apps import AppConfig


class ThrowawayAppConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tests.throwaway_app"
    label = "throwaway_app"
