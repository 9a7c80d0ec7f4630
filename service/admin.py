from django.contrib import admin

from .models import Bay, Booking, BookingEvent, BookingPhoto, JobLine, ServiceType, Technician, Workshop


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin):
    list_display = ["branch", "slot_minutes"]
    list_select_related = ["branch"]


@admin.register(Bay)
class BayAdmin(admin.ModelAdmin):
    list_display = ["name", "branch", "kind", "is_active"]
    list_filter = ["kind", "is_active", "branch"]
    list_select_related = ["branch"]
    search_fields = ["name"]


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["name", "branch", "is_active"]
    list_filter = ["is_active", "branch"]
    list_select_related = ["branch"]
    raw_id_fields = ["user"]
    search_fields = ["name"]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "duration_minutes", "bay_kind", "interval_km", "interval_months", "is_active",
                    "bookable_online"]
    list_filter = ["kind", "bay_kind", "is_active"]
    search_fields = ["name"]


class BookingEventInline(admin.TabularInline):
    model = BookingEvent
    extra = 0
    raw_id_fields = ["by"]
    readonly_fields = ["status", "at", "by", "note"]
    can_delete = False


class JobLineInline(admin.TabularInline):
    model = JobLine
    extra = 0
    raw_id_fields = ["technician"]
    fields = ["kind", "sku", "description", "technician", "minutes", "quantity", "unit_price", "tax_rate", "tax"]
    readonly_fields = fields
    can_delete = False


class BookingPhotoInline(admin.TabularInline):
    # The file itself is served only by service.views.photo_download (who may see the booking).
    model = BookingPhoto
    extra = 0
    fields = ["original_name", "content_type", "size", "uploaded_by", "created_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(Booking)
class BookingAdmin(admin.ModelAdmin):
    # Bookings are made and moved through service.services (the capacity check, the timeline,
    # the SMS): the back office reads them.
    list_display = ["code", "plate_number", "branch", "service_type", "bay", "starts_at", "status"]
    list_filter = ["status", "branch"]
    list_select_related = ["branch", "service_type", "bay"]
    search_fields = ["=code", "=plate_key"]
    raw_id_fields = ["customer", "asset", "advisor"]
    show_full_result_count = False
    inlines = [JobLineInline, BookingEventInline, BookingPhotoInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
