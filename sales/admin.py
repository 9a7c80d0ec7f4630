from django.contrib import admin

from .models import Activity, AssignmentRule, Lead, Opportunity, SalesTarget, Stage


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


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["subject", "kind", "due_at", "assignee", "branch", "done_at", "reminded_at"]
    list_filter = ["kind"]
    list_select_related = ["assignee", "branch"]
    raw_id_fields = ["branch", "assignee", "customer", "lead", "opportunity"]
    show_full_result_count = False


@admin.register(SalesTarget)
class SalesTargetAdmin(admin.ModelAdmin):
    list_display = ["rep", "month", "target_amount", "target_leads", "branch"]
    list_select_related = ["rep", "branch"]
    raw_id_fields = ["branch", "rep"]


from .models import (BranchPrice, OrderEvent, OrderVehicle, Payment, PaymentDue, Product, Quotation, QuotationLine,  # noqa: E402
                     SalesOrder, Shipment, TaxRate)


@admin.register(TaxRate)
class TaxRateAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_class", "rate", "valid_from", "note"]
    list_filter = ["tax_class"]
    ordering = ["tax_class", "-valid_from"]


class BranchPriceInline(admin.TabularInline):
    model = BranchPrice
    extra = 0
    raw_id_fields = ["branch"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category", "unit_price", "warranty_months", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["=sku", "name"]
    inlines = [BranchPriceInline]
    show_full_result_count = False


class QuotationLineInline(admin.TabularInline):
    model = QuotationLine
    extra = 0
    raw_id_fields = ["product"]
    readonly_fields = ["tax_rate", "gross", "discount", "net", "tax", "total"]


@admin.register(Quotation)
class QuotationAdmin(admin.ModelAdmin):
    # Read mostly: totals are computed by sales.quotations, never typed in.
    list_display = ["number", "revision", "customer", "status", "total", "quote_date", "valid_until", "branch"]
    list_filter = ["status"]
    list_select_related = ["customer", "branch"]
    raw_id_fields = ["opportunity", "customer", "created_by", "vehicle", "branch"]
    readonly_fields = ["number", "revision", "subtotal", "discount_total", "tax_total", "total"]
    search_fields = ["=number"]
    inlines = [QuotationLineInline]
    show_full_result_count = False


class OrderEventInline(admin.TabularInline):
    model = OrderEvent
    extra = 0
    raw_id_fields = ["by"]
    readonly_fields = ["from_status", "to_status", "at", "by", "note"]


class PaymentDueInline(admin.TabularInline):
    model = PaymentDue
    extra = 0


class OrderVehicleInline(admin.TabularInline):
    """Allocations are made on the order page (sales.orders checks the VIN against other orders
    and the customers' vehicles); here they are read."""
    model = OrderVehicle
    extra = 0
    can_delete = False
    fields = readonly_fields = ["line", "unit", "vin", "allocated_at", "allocated_by", "released_at", "asset"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SalesOrder)
class SalesOrderAdmin(admin.ModelAdmin):
    list_display = ["number", "customer", "status", "total", "branch", "owner", "status_changed_at"]
    list_filter = ["status"]
    list_select_related = ["customer", "branch", "owner"]
    raw_id_fields = ["customer", "quotation", "owner", "branch"]
    readonly_fields = ["number", "status", "status_changed_at"]
    search_fields = ["=number", "=vin"]
    inlines = [OrderVehicleInline, PaymentDueInline, OrderEventInline]
    show_full_result_count = False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["order", "amount", "paid_on", "method", "reference"]
    list_select_related = ["order"]
    raw_id_fields = ["order", "due", "recorded_by"]
    show_full_result_count = False


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["order", "method", "carrier", "tracking_number", "promised_date", "status", "delivered_at"]
    list_filter = ["status", "method"]
    list_select_related = ["order"]
    raw_id_fields = ["order"]
    search_fields = ["=tracking_number"]
    show_full_result_count = False
