from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.admin import AUDIT_FIELDS, BranchScopedAdmin, NulSafeSearchAdmin

from . import services
from .models import EarlyStatus, Message, ReminderOccurrence, ReminderRule, ReminderRun, Send


@admin.register(Send)
class SendAdmin(BranchScopedAdmin):
    """Branch staff see their branch's sends (a send is filed under its creator's branch)."""

    customer_path = ""  # a send carries its own branch
    list_display = ("name", "channel", "purpose", "status", "recipients", "branch", "created_by", "created_at")
    list_filter = ("channel", "purpose", "status")
    search_fields = ("name", "=idempotency_key")
    list_select_related = ("branch", "created_by")
    raw_id_fields = ("created_by", "branch")
    readonly_fields = AUDIT_FIELDS + ("idempotency_key", "recipients", "skipped", "status")
    actions = ["pause", "resume", "cancel"]

    @admin.action(description=_("Pause the selected sends"))
    def pause(self, request, queryset):
        for send in queryset:
            services.send_pause(send=send)

    @admin.action(description=_("Resume the selected sends"))
    def resume(self, request, queryset):
        for send in queryset:
            services.send_resume(send=send)

    @admin.action(description=_("Cancel the selected sends"))
    def cancel(self, request, queryset):
        for send in queryset:
            services.send_cancel(send=send)


@admin.register(Message)
class MessageAdmin(BranchScopedAdmin):
    list_display = ("created_at", "to", "customer", "status", "segments", "error_code", "send")
    list_filter = ("status", "channel")
    search_fields = ("=to", "=provider_sid")
    list_select_related = ("customer", "send")
    raw_id_fields = ("customer", "send")
    readonly_fields = AUDIT_FIELDS + ("provider_sid", "attempts", "claim_token", "claimed_at", "lease_until",
                                      "request_started_at", "sent_at", "status_checked_at", "status")


@admin.register(EarlyStatus)
class EarlyStatusAdmin(NulSafeSearchAdmin):
    """Status callbacks waiting for their SID to be recorded: read-only evidence."""

    list_display = ("received_at", "sid", "status", "error_code")
    search_fields = ("=sid",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Scheduled reminders --------------------------------------------------------------------------
@admin.register(ReminderRule)
class ReminderRuleAdmin(NulSafeSearchAdmin):
    """The same rules as the staff page (marketing:reminder_rules); saved through the service."""

    list_display = ("name", "kind", "lead_days", "send_time", "channel", "branch", "no_consent", "active")
    list_filter = ("kind", "channel", "active")
    search_fields = ("name",)
    list_select_related = ("branch",)
    raw_id_fields = ("created_by",)
    readonly_fields = AUDIT_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    def save_model(self, request, obj, form, change):
        from .reminders import reminder_rule_save

        reminder_rule_save(rule=obj, by=request.user)


@admin.register(ReminderRun)
class ReminderRunAdmin(NulSafeSearchAdmin):
    """The run log: read-only."""

    list_display = ("started_at", "finished_at", "status", "selected", "sent", "skipped", "failed")
    list_filter = ("status",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReminderOccurrence)
class ReminderOccurrenceAdmin(BranchScopedAdmin):
    """What each rule did for whom: the exactly-once record. Read-only."""

    list_display = ("occasion", "rule", "customer", "asset", "outcome", "send", "created_at")
    list_filter = ("outcome", "rule")
    list_select_related = ("rule", "customer", "asset", "send")
    raw_id_fields = ("customer", "asset", "send", "run", "rule")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# --- Segments and campaigns (issue 12): read in the back office; written in the staff pages,
# where approval and the pipeline's rules apply (marketing.campaigns).
from .models import Campaign, Segment  # noqa: E402


@admin.register(Segment)
class SegmentAdmin(BranchScopedAdmin):
    customer_path = ""  # a segment carries its own branch
    list_display = ("name", "kind", "branch", "created_by", "updated_at")
    list_filter = ("kind",)
    search_fields = ("name",)
    list_select_related = ("branch", "created_by")
    raw_id_fields = ("branch", "created_by")
    readonly_fields = AUDIT_FIELDS + ("kind", "definition", "import_report")

    def has_add_permission(self, request):
        return False


@admin.register(Campaign)
class CampaignAdmin(BranchScopedAdmin):
    customer_path = ""
    list_display = ("name", "channel", "status", "segment", "branch", "created_by", "approved_by", "started_at")
    list_filter = ("status", "channel")
    search_fields = ("name",)
    list_select_related = ("segment", "branch", "created_by", "approved_by")
    raw_id_fields = ("segment", "branch", "created_by", "approved_by")
    readonly_fields = AUDIT_FIELDS + ("status", "approved_by", "approved_at", "submitted_at", "started_at",
                                      "finished_at", "stats", "stats_final")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
