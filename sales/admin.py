from django.contrib import admin

from .models import AssignmentRule, Lead, Opportunity, Stage


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    list_display = ["name", "order", "probability", "is_won", "is_lost", "is_active"]
    list_editable = ["order", "probability", "is_active"]
    ordering = ["order", "id"]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["branch", "method", "last_assigned", "assigned_count"]
    list_select_related = ["branch", "last_assigned"]


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "phone", "status", "source", "branch", "owner", "created_at"]
    list_filter = ["status", "source"]
    list_select_related = ["branch", "owner"]
    raw_id_fields = ["customer", "owner", "branch"]
    search_fields = ["=phone", "=email"]
    show_full_result_count = False


@admin.register(Opportunity)
class OpportunityAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "stage", "amount", "branch", "owner", "expected_close"]
    list_filter = ["stage"]
    list_select_related = ["customer", "stage", "branch", "owner"]
    raw_id_fields = ["customer", "lead", "owner", "branch"]
    show_full_result_count = False


# === Activities, scoring and targets (issue 10) — insert above this line ===


# === Catalogue, quotations, orders, payments, shipments (issue 11) — insert above this line ===
