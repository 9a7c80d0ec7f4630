"""Back office for the customer record, sized for a million customers.

The back office is no side door: every write goes through ``crm.services`` with the staff
UI's form cleaning, so a phone number, a plate or a consent lands exactly as the staff UI
stores it, with its history. Audit fields, consent stamps and the contact history itself
are read-only here.
"""

from django import forms
from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import Value
from django.db.models.functions import Replace, Upper
from django.db.models.lookups import StartsWith
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, User

from . import services, sync
from .forms import AssetForm, ContactPersonForm, CustomerForm
from .models import Asset, ContactPerson, Customer, Interaction, Tag, Tombstone, branch_scope
from .selectors import (
    MIN_SEARCH_LENGTH,
    SEARCH_CANDIDATES,
    clean_search_query,
    customer_duplicates,
    customer_search_filter,
    customer_search_ids,
    customer_search_matches,
)

AUDIT_FIELDS = ("public_id", "created_at", "updated_at")
# Consent is changed by ticking the flag; when and how are stamped by the service.
CONSENT_FLAGS = tuple(f"{channel}_consent" for channel in services.CONSENT_CHANNELS)
CONSENT_STAMPS = tuple(f"{channel}_consent_{suffix}" for channel in services.CONSENT_CHANNELS
                       for suffix in ("at", "source"))
ADMIN_CONSENT_SOURCE = "admin"
# Set on the request by a search that found more matches than it counts (see get_paginator).
SEARCH_MATCHES_MORE_THAN = "_relasi_search_matches_more_than"


def _model_values(form, *, exclude=()) -> dict:
    """The cleaned values of the form's model fields, as keyword arguments for a service."""
    opts = form._meta.model._meta
    names = {f.name for f in opts.concrete_fields if f.editable and not f.primary_key}
    names |= {f.name for f in opts.many_to_many}
    return {name: value for name, value in form.cleaned_data.items() if name in names and name not in exclude}


def _adopt(obj, saved) -> None:
    """Make the admin's unsaved instance the row the service created (the admin goes on
    to save inlines against it, log it and redirect to it)."""
    obj.pk = saved.pk
    obj.refresh_from_db()
    obj._state.adding = False


class LargeTablePaginator(Paginator):
    """Big tables are never counted in full for a list page. An unfiltered list shows
    PostgreSQL's row estimate ("about 5,500,000"); a filtered or searched one counts up to
    COUNT_LIMIT matching rows and then says "more than 1,000" (templates/admin/pagination.html,
    search_form.html), so the last pages of a huge result are reached by narrowing it, not
    by paging. A real COUNT of the interactions of one kind (130,000-1,500,000 of 5,500,000)
    took 0.4-1.1 s; counting to 1,001 stops after some thousands of rows."""

    COUNT_LIMIT = 1000
    ESTIMATE_FROM = 100_000  # a smaller table (or -1: never analysed) is counted
    count_is_estimate = False
    count_is_capped = False

    def __init__(self, *args, known_more_than: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # The search already found more rows than this (crm.selectors.customer_search_matches):
        # counting them again would walk the table as far as COUNT_LIMIT matches reach.
        self.known_more_than = known_more_than

    @cached_property
    def count(self):
        if self.known_more_than is not None and self.known_more_than >= self.COUNT_LIMIT:
            self.count_is_capped = True
            return self.COUNT_LIMIT
        if not self.object_list.query.where:
            with connection.cursor() as cursor:
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                               [self.object_list.model._meta.db_table])
                estimate = cursor.fetchone()[0]
            if estimate > self.ESTIMATE_FROM:
                self.count_is_estimate = True
                return estimate
        counted = self.object_list[: self.COUNT_LIMIT + 1].count()
        if counted > self.COUNT_LIMIT:
            self.count_is_capped = True
            return self.COUNT_LIMIT
        return counted


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
    # "Show counts" next to the filters would COUNT every option over millions of rows.
    show_facets = admin.ShowFacets.NEVER
    # Rendering a row costs the admin ~0.4 ms (a cell at a time, in Python): 50 rows keep a
    # page near 30 ms where 100 took 60 ms. Nobody reads 100 rows of a million; they search.
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).filter(branch_scope(request.user, self.customer_path))

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        # get_search_results runs first (ChangeList.get_queryset) and may have learnt that
        # more rows match than the paginator would count.
        return self.paginator(queryset, per_page, orphans, allow_empty_first_page,
                              known_more_than=getattr(request, SEARCH_MATCHES_MORE_THAN, None))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Writes are scoped like reads: an id typed into a raw-id box cannot attach a row
        # to another branch's customer or move it to another branch.
        if db_field.related_model is Customer:
            kwargs["queryset"] = Customer.objects.visible_to(request.user)
        elif db_field.related_model is Branch and not request.user.sees_all_branches:
            kwargs["queryset"] = Branch.objects.filter(pk=request.user.branch_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class CustomerAdminForm(forms.ModelForm):
    """The customer form of the back office, cleaned exactly as the staff form cleans."""

    confirm_duplicate = forms.BooleanField(
        label=_("This is a different customer: save anyway"), required=False, widget=forms.HiddenInput,
    )

    class Meta:
        model = Customer
        fields = "__all__"

    # The staff form's own cleaning: phones parsed to E.164 (crm/phone.py), name and email
    # tidied, impossible birth dates refused, with the staff UI's messages.
    clean_name = CustomerForm.clean_name
    clean_phone = CustomerForm.clean_phone
    clean_phone_alt = CustomerForm.clean_phone_alt
    clean_email = CustomerForm.clean_email
    clean_birth_date = CustomerForm.clean_birth_date

    def clean(self):
        cleaned = super().clean()
        # As in the staff UI: a phone or email another customer has is saved only once confirmed.
        phones = [cleaned.get("phone", ""), cleaned.get("phone_alt", "")]
        email = cleaned.get("email", "")
        duplicates = customer_duplicates(phones=phones, email=email, exclude_pk=self.instance.pk)
        if duplicates and not cleaned.get("confirm_duplicate"):
            for dup in duplicates:
                field = "email" if email and dup.email == email else "phone"
                if field == "phone" and cleaned.get("phone") not in (dup.phone, dup.phone_alt):
                    field = "phone_alt"
                self.add_error(field if field in self.fields else None, gettext(
                    "Already used by %(name)s (%(branch)s). Check it is not the same customer."
                ) % {"name": dup.name, "branch": dup.branch.name})
            self.fields["confirm_duplicate"].widget = forms.CheckboxInput()
        return cleaned


class ContactPersonInline(admin.TabularInline):
    model = ContactPerson
    form = ContactPersonForm
    fields = ("name", "role", "phone", "email")
    extra = 0


class AssetInline(admin.TabularInline):
    model = Asset
    form = AssetForm
    extra = 0
    fields = ("make", "model", "year", "plate_number", "vin", "next_service_due", "warranty_end")


class ChildWritesThroughServices:
    """Vehicles and contact persons, inline or on their own page, are written by the
    services, which refresh the owner's search text and write the history."""

    @staticmethod
    def _create(model, *, customer, by, values):
        if model is Asset:
            return services.asset_create(customer=customer, by=by, **values)
        return services.contact_person_create(customer=customer, by=by, **values)

    @staticmethod
    def _update(obj, *, by, values):
        if isinstance(obj, Asset):
            return services.asset_update(asset=obj, by=by, **values)
        return services.contact_person_update(person=obj, by=by, **values)

    @staticmethod
    def _delete(obj, *, by):
        if isinstance(obj, Asset):
            return services.asset_delete(asset=obj, by=by)
        return services.contact_person_delete(person=obj, by=by)

    def save_formset(self, request, form, formset, change):
        if formset.model not in (Asset, ContactPerson):
            return super().save_formset(request, form, formset, change)
        # commit=False fills new/changed/deleted_objects (the admin's change message reads
        # them) without writing anything: the services write.
        formset.save(commit=False)
        fk_name = formset.fk.name
        for obj in formset.deleted_objects:
            self._delete(obj, by=request.user)
        forms_by_obj = {id(f.instance): f for f in formset.forms}
        for obj, _changed in formset.changed_objects:
            self._update(obj, by=request.user, values=_model_values(forms_by_obj[id(obj)], exclude=(fk_name,)))
        for obj in formset.new_objects:
            values = _model_values(forms_by_obj[id(obj)], exclude=(fk_name,))
            obj.pk = self._create(formset.model, customer=formset.instance, by=request.user, values=values).pk


@admin.register(Customer)
class CustomerAdmin(ChildWritesThroughServices, BranchScopedAdmin):
    customer_path = ""
    form = CustomerAdminForm
    list_display = ("name", "kind", "phone", "email", "city", "branch", "owner", "sms_consent", "created_at")
    list_filter = ("kind", "branch", "sms_consent", "email_consent", "phone_consent", "tags")
    search_fields = ("name",)  # shows the search box; get_search_results does the searching
    list_select_related = ("branch", "owner")
    raw_id_fields = ("owner",)
    autocomplete_fields = ("tags",)
    fieldsets = (
        (None, {"fields": ("kind", "name", "phone", "phone_alt", "email", "birth_date", "address", "city",
                           "province", "confirm_duplicate")}),
        (_("Ownership"), {"fields": ("branch", "owner", "tags")}),
        (_("Consent"), {
            "fields": (CONSENT_FLAGS,) + tuple(CONSENT_STAMPS[i:i + 2] for i in range(0, len(CONSENT_STAMPS), 2)),
            "description": _("Ticking or clearing a consent stamps it with the time and the source “admin” "
                             "and writes it to the customer's history."),
        }),
        (_("Record"), {"fields": AUDIT_FIELDS + ("search_text",)}),
    )
    readonly_fields = AUDIT_FIELDS + ("search_text",) + CONSENT_STAMPS
    inlines = [ContactPersonInline, AssetInline]
    ordering = ("-id",)

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if not request.user.sees_all_branches:
            # As in the staff UI, branch staff keep customers in their own branch.
            readonly = tuple(readonly) + ("branch",)
        return readonly

    def has_add_permission(self, request):
        # A branch must own every customer: staff saved without one cannot add any.
        if not request.user.sees_all_branches and request.user.branch_id is None:
            return False
        return super().has_add_permission(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        user = request.user
        if db_field.name == "owner":
            # The owners the staff form offers: active staff with a department, of the branch.
            owners = User.objects.filter(is_active=True).exclude(department="")
            kwargs["queryset"] = owners if user.sees_all_branches else owners.filter(branch_id=user.branch_id)
        elif db_field.name == "branch" and user.sees_all_branches:
            kwargs["queryset"] = Branch.objects.filter(is_head_office=False)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_search_results(self, request, queryset, search_term):
        # The staff UI's search (trigram-indexed search text), never "name" icontains,
        # which would scan a million rows.
        matches, many = customer_search_matches(queryset=queryset, query=clean_search_query(search_term))
        if many:
            setattr(request, SEARCH_MATCHES_MORE_THAN, SEARCH_CANDIDATES)
        return matches, False

    def save_model(self, request, obj, form, change):
        values = _model_values(form, exclude=("tags",) + CONSENT_FLAGS)
        consents = {channel: form.cleaned_data[f"{channel}_consent"] for channel in services.CONSENT_CHANNELS
                    if f"{channel}_consent" in form.cleaned_data}
        tags = form.cleaned_data.get("tags")
        if change:
            services.customer_update(customer=obj, by=request.user, tags=tags, consents=consents,
                                     consent_source=ADMIN_CONSENT_SOURCE, **values)
        else:
            branch = values.pop("branch", None) or request.user.branch
            saved = services.customer_create(by=request.user, branch=branch, tags=tags or (), consents=consents,
                                             consent_source=ADMIN_CONSENT_SOURCE, **values)
            _adopt(obj, saved)

    def save_related(self, request, form, formsets, change):
        # The tags were set by the service in save_model; vehicles and contact persons go
        # through theirs (save_formset), after the customer, so the search text ends up
        # with the plates as saved.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


class MakeFilter(admin.SimpleListFilter):
    """The makes to filter vehicles by, without a DISTINCT over a million rows: a skip scan
    of the (make, id) index, one probe per make (asset_make_id_idx)."""

    title = _("make")
    parameter_name = "make"

    def lookups(self, request, model_admin):
        with connection.cursor() as cursor:
            cursor.execute(
                """WITH RECURSIVE makes(make) AS (
                       SELECT min(make) FROM crm_asset
                       UNION ALL
                       SELECT (SELECT min(make) FROM crm_asset WHERE make > makes.make) FROM makes
                       WHERE makes.make IS NOT NULL)
                   SELECT make FROM makes WHERE make IS NOT NULL"""
            )
            return [(make, make or gettext("(none)")) for (make,) in cursor.fetchall()]

    def queryset(self, request, queryset):
        return queryset if self.value() is None else queryset.filter(make=self.value())


class ChildAdmin(ChildWritesThroughServices, BranchScopedAdmin):
    """A vehicle's or contact person's own page: the same services as the inline."""

    def save_model(self, request, obj, form, change):
        values = _model_values(form)
        if change:
            self._update(obj, by=request.user, values=values)
        else:
            customer = values.pop("customer")
            _adopt(obj, self._create(self.model, customer=customer, by=request.user, values=values))

    def delete_model(self, request, obj):
        self._delete(obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("customer"):
            self._delete(obj, by=request.user)


@admin.register(ContactPerson)
class ContactPersonAdmin(ChildAdmin):
    form = ContactPersonForm
    fields = ("customer", "name", "role", "phone", "email") + AUDIT_FIELDS
    list_display = ("name", "role", "phone", "email", "customer")
    search_fields = ("name", "=phone", "=email")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    readonly_fields = AUDIT_FIELDS


@admin.register(Asset)
class AssetAdmin(ChildAdmin):
    form = AssetForm
    fields = ("customer",) + tuple(AssetForm.Meta.fields) + AUDIT_FIELDS
    list_display = ("plate_number", "make", "model", "year", "customer", "next_service_due", "warranty_end")
    list_filter = (MakeFilter,)
    search_fields = ("plate_number",)  # shows the search box; get_search_results does the searching
    search_help_text = _("A plate, typed with or without spaces (“B 7762 SWR”, “b7762swr”, “B 7762”), or a VIN.")
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    readonly_fields = AUDIT_FIELDS
    ordering = ("-id",)  # the model's "-purchase_date" would sort a million rows for every page

    def get_search_results(self, request, queryset, search_term):
        # Django would split "B 7762 SWR" into three words and look each up on its own.
        # The whole input, without spaces and upper-cased, is the start of a plate or a VIN;
        # both comparisons have an index (Asset.Meta.indexes: the same expressions).
        key = "".join(search_term.replace("\x00", "").split()).upper()
        if not key:
            return queryset, False
        return queryset.filter(StartsWith(plate_key(), key) | StartsWith(Upper("vin"), key)), False


def plate_key():
    """A plate as the index asset_plate_key_idx holds it: upper-cased, without spaces."""
    return Upper(Replace("plate_number", Value(" "), Value("")))


@admin.register(Interaction)
class InteractionAdmin(BranchScopedAdmin):
    """The contact history is written only by the services: here it can be read, not written."""

    list_display = ("occurred_at", "customer", "kind", "channel", "direction", "department", "staff")
    list_filter = ("kind", "channel", "direction", "department")
    search_fields = ("customer__name",)  # shows the search box; get_search_results does the searching
    search_help_text = _("The customer's name, phone number, email or plate, as in the customer search.")
    list_select_related = ("customer", "staff")
    raw_id_fields = ("customer", "staff")
    readonly_fields = AUDIT_FIELDS + ("source_type", "source_id")
    ordering = ("-id",)
    # More customers than this matching a search: too broad to list their history.
    SEARCH_CUSTOMER_LIMIT = 2000

    def get_search_results(self, request, queryset, search_term):
        # The history of the customers the customer search finds (its trigram index), read
        # through the timeline index; a search matching too many customers says so instead
        # of walking millions of interactions.
        query = clean_search_query(search_term)
        if not query:
            return queryset, False
        if customer_search_filter(query) is None:
            messages.warning(request, gettext("Type at least %(n)d characters to search.") % {"n": MIN_SEARCH_LENGTH})
            return queryset.none(), False
        ids = customer_search_ids(queryset=Customer.objects.visible_to(request.user), query=query,
                                  limit=self.SEARCH_CUSTOMER_LIMIT)
        if ids is None:
            messages.warning(request, gettext(
                "More than %(n)d customers match “%(query)s”: type more of the name, or the phone number."
            ) % {"n": self.SEARCH_CUSTOMER_LIMIT, "query": query})
            return queryset.none(), False
        return queryset.filter(customer_id__in=ids), False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Tag)
class TagAdmin(NulSafeSearchAdmin):
    list_display = ("name", "created_at")
    search_fields = ("name",)
    readonly_fields = ("created_at", "updated_at")


class SyncedModelFilter(admin.SimpleListFilter):
    """The synced models as choices, from the registry (no DISTINCT over the tombstones)."""

    title = _("model")
    parameter_name = "model_label"

    def lookups(self, request, model_admin):
        return [(m._meta.label_lower, m._meta.verbose_name) for m in sync.synced_models()]

    def queryset(self, request, queryset):
        return queryset.filter(model_label=self.value()) if self.value() else queryset


@admin.register(Tombstone)
class TombstoneAdmin(BranchScopedAdmin):
    """Deleted rows of synced models (crm.sync), for reading only: written by the deletes
    themselves, never by hand. A tombstone with no branch (a tag) is head office's."""

    customer_path = ""  # the tombstone's own branch
    list_display = ("deleted_at", "model_label", "public_id", "branch", "deleted_by")
    list_filter = (SyncedModelFilter,)
    list_select_related = ("branch", "deleted_by")
    ordering = ("-deleted_at", "-id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
