from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from crm.admin import LargeTablePaginator, NulSafeSearchAdmin

from .models import Branch, Notification, NotificationPreference, User
from .services import staff_sync_role


@admin.register(Branch)
class BranchAdmin(NulSafeSearchAdmin):
    list_display = ("code", "name", "city", "time_zone", "is_head_office")
    list_filter = ("time_zone", "is_head_office")
    search_fields = ("code", "name", "city")
    readonly_fields = ("public_id", "created_at", "updated_at")


@admin.register(User)
class UserAdmin(NulSafeSearchAdmin, DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "branch", "department", "is_active", "is_staff")
    list_filter = ("branch", "department", "is_active", "is_staff", "is_superuser")
    list_select_related = ("branch",)
    autocomplete_fields = ("branch",)
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("last_login", "date_joined", "updated_at")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "phone")}),
        (_("Branch and department"), {"fields": ("branch", "department")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "updated_at")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "branch", "department", "password1", "password2")}),
    )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The department decides the role group; keep them in step after the form's own m2m save.
        staff_sync_role(user=form.instance)


@admin.register(Notification)
class NotificationAdmin(NulSafeSearchAdmin):
    """Read-only: notifications are sent by the apps (accounts.services.notification_send)."""

    list_display = ("created_at", "recipient", "verb", "text", "actor", "read_at", "email_status")
    list_filter = ("email_status", ("read_at", admin.EmptyFieldListFilter))
    list_select_related = ("recipient", "actor")
    search_fields = ("recipient__email",)
    raw_id_fields = ("recipient", "actor")
    show_full_result_count = False
    paginator = LargeTablePaginator
    view_on_site = False  # its page is its recipient's list, not the reader's
    readonly_fields = ("public_id", "recipient", "verb", "actor", "target_type", "target_id", "target_url", "text",
                       "created_at", "read_at", "email_status", "emailed_at")

    def has_add_permission(self, request):
        return False


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(NulSafeSearchAdmin):
    list_display = ("user", "kind", "email")
    list_filter = ("kind", "email")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
