"""Back office for the customer record, sized for a million customers."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property

from .models import Asset, ContactPerson, Customer, Interaction, Tag, branch_scope

AUDIT_FIELDS = ("public_id", "created_at", "updated_at")


class LargeTablePaginator(Paginator):
    """An unfiltered changelist of a big table shows PostgreSQL's row estimate instead of
    running COUNT(*) over millions of rows on every page; filtered lists count for real."""

    @cached_property
    def count(self):
        if not self.object_list.query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                               [self.object_list.model._meta.db_table])
                estimate = cursor.fetchone()[0]
            if estimate > 100_000:  # -1 (never analysed) or small: just count
                return estimate
        return super().count


class NulSafeSearchAdmin(admin.ModelAdmin):
    """PostgreSQL refuses NUL characters in text: drop them from admin searches (and the
    autocomplete, which searches through here) instead of answering 500."""

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))


class BranchScopedAdmin(NulSafeSearchAdmin):
    """Branch staff with admin access see only their branch's rows, as in the staff UI."""

    customer_path = "customer__"
    paginator = LargeTablePaginator
    show_full_result_count = False

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
    search_fields = ("name",)  # shows the search box; get_search_results does the searching
    list_select_related = ("branch", "owner")
    raw_id_fields = ("owner",)
    autocomplete_fields = ("tags",)
    readonly_fields = AUDIT_FIELDS + ("search_text",)
    inlines = [ContactPersonInline, AssetInline]
    ordering = ("-id",)

    def get_search_results(self, request, queryset, search_term):
        # The staff UI's search (trigram-indexed search text), never "name" icontains,
        # which would scan a million rows.
        from .selectors import clean_search_query, customer_search

        return customer_search(queryset=queryset, query=clean_search_query(search_term)), False

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


@admin.register(Asset)
class AssetAdmin(BranchScopedAdmin):
    list_display = ("plate_number", "make", "model", "year", "customer", "next_service_due", "warranty_end")
    list_filter = ("make",)
    search_fields = ("=plate_number", "=vin")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    readonly_fields = AUDIT_FIELDS


@admin.register(Interaction)
class InteractionAdmin(BranchScopedAdmin):
    list_display = ("occurred_at", "customer", "kind", "channel", "direction", "department", "staff")
    list_filter = ("kind", "channel", "direction", "department")
    list_select_related = ("customer", "staff")
    raw_id_fields = ("customer", "staff")
    readonly_fields = AUDIT_FIELDS + ("source_type", "source_id")
    ordering = ("-id",)


@admin.register(Tag)
class TagAdmin(NulSafeSearchAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")
