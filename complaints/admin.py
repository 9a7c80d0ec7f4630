"""Back office: the routing rules and SLA policies are edited here (editable business rules)."""

from django.contrib import admin

from .models import Complaint, RoutingRule, SlaPolicy


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "branch", "priority", "department", "strategy", "position", "is_active")
    list_filter = ("category", "department", "strategy", "is_active")
    list_editable = ("department", "strategy", "position", "is_active")
    list_select_related = ("branch",)


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("priority", "category", "first_response_minutes", "resolution_minutes")
    list_editable = ("first_response_minutes", "resolution_minutes")


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ("code", "customer", "branch", "category", "priority", "status", "department", "assignee",
                    "created_at")
    list_filter = ("status", "category", "department", "priority")
    list_select_related = ("customer", "branch", "assignee")
    raw_id_fields = ("customer", "branch", "asset", "assignee", "created_by", "escalated_to")
    readonly_fields = ("code",)
    search_fields = ("=code",)
    show_full_result_count = False
