"""Back office for the customer record, sized for a million customers."""

from django.contrib import admin

from .models import Asset, ContactPerson, Customer, Interaction, Tag, branch_scope

AUDIT_FIELDS = ("public_id", "created_at", "updated_at")


class NulSafeSearchAdmin(admin.ModelAdmin):
    """PostgreSQL refuses NUL characters in text: drop them from admin searches (and the
    autocomplete, which searches through here) instead of answering 500."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))


class BranchScopedAdmin(NulSafeSearchAdmin):
    """Branch staff with admin access see only their branch's rows, as in the staff UI."""

    customer_path = "customer__"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(branch_scope(request.user, self.customer_path))


class ContactPersonInline(admin.TabularInline):
    model = ContactPerson
    extra = 0
    readonly_fields = AUDIT_FIELDS


class AssetInline(admin.TabularInline):
    model = Asset
    extra = 0
    fields = ("make", "model", "year", "plate_number", "vin", "next_service_due", "warranty_end")


@admin.register(Customer)
class CustomerAdmin(BranchScopedAdmin):
    customer_path = ""
    list_display = ("name", "kind", "phone", "email", "city", "branch", "owner", "sms_consent", "created_at")
    list_filter = ("kind", "branch", "sms_consent", "email_consent", "phone_consent", "tags")
    search_fields = ("=phone", "=email", "name")
    list_select_related = ("branch", "owner")
    raw_id_fields = ("owner",)
    autocomplete_fields = ("tags",)
    readonly_fields = AUDIT_FIELDS + ("search_text",)
    show_full_result_count = False
    inlines = [ContactPersonInline, AssetInline]
    ordering = ("-id",)

    def get_search_results(self, request, queryset, search_term):
        # "name" icontains would scan the table; use the trigram-indexed search text instead.
        from .selectors import customer_search_filter

        search_term = search_term.replace("\x00", "")
        condition = customer_search_filter(search_term) if search_term else None
        if condition is None:
            return super().get_search_results(request, queryset, search_term)
        return queryset.filter(condition), False

    def save_model(self, request, obj, form, change):
        from .services import customer_refresh_search_text

        super().save_model(request, obj, form, change)
        customer_refresh_search_text(customer=obj)


@admin.register(ContactPerson)
class ContactPersonAdmin(BranchScopedAdmin):
    list_display = ("name", "role", "phone", "email", "customer")
    search_fields = ("name", "=phone", "=email")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    readonly_fields = AUDIT_FIELDS
    show_full_result_count = False


@admin.register(Asset)
class AssetAdmin(BranchScopedAdmin):
    list_display = ("plate_number", "make", "model", "year", "customer", "next_service_due", "warranty_end")
    list_filter = ("make",)
    search_fields = ("=plate_number", "=vin")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    readonly_fields = AUDIT_FIELDS
    show_full_result_count = False


@admin.register(Interaction)
class InteractionAdmin(BranchScopedAdmin):
    list_display = ("occurred_at", "customer", "kind", "channel", "direction", "department", "staff")
    list_filter = ("kind", "channel", "direction", "department")
    list_select_related = ("customer", "staff")
    raw_id_fields = ("customer", "staff")
    readonly_fields = AUDIT_FIELDS + ("source_type", "source_id")
    show_full_result_count = False
    date_hierarchy = None
    ordering = ("-id",)


@admin.register(Tag)
class TagAdmin(NulSafeSearchAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")
