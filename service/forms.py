"""Workshop forms: they validate and clean; service.services writes."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch
from crm.public import HoneypotMixin
from crm.phone import normalize_phone

from .models import FUEL_CHOICES, BayKind, Booking, JobLine, ServiceType, Technician, Weekday, Workshop
from .plates import plate_normalize


def slot_labels(times, zone) -> list[str]:
    """Start times as the lists show them: in ``zone``, the day in the active language, naming
    the zone as |zoned does (``Sen 12/01 09:00 WITA``). The day's part is formatted once per
    day, not per slot (a fortnight of slots is a few hundred)."""
    from django.utils.formats import date_format

    from accounts.templatetags.relasi_time import zone_abbreviation

    days: dict = {}
    labels = []
    for when in times:
        local = when.astimezone(zone)
        day = local.date()
        if day not in days:
            days[day] = (date_format(local, "D d/m"), zone_abbreviation(zone, local))
        prefix, abbreviation = days[day]
        labels.append(f"{prefix} {local:%H:%M} {abbreviation}")
    return labels


def slot_choices(slots, zone) -> list[tuple[str, str]]:
    return list(zip([s.value for s in slots], slot_labels([s.starts_at for s in slots], zone)))


class SlotField(forms.ChoiceField):
    """A start time among the free slots offered; a value posted from an old page (a slot
    no longer offered) is still accepted here and judged by the service, which says why."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValidationError(_("Choose a time from the list."), code="invalid")
        if timezone.is_naive(when):
            raise ValidationError(_("Choose a time from the list."), code="invalid")
        return when

    def valid_value(self, value):
        return True


class _LoadedChoiceIterator(forms.models.ModelChoiceIterator):
    """Iterates the field's queryset as a list (its rows loaded once), where Django's opens a
    server-side cursor each time the select is rendered or asked for its first option."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


class LoadedModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField over a short list (a customer's vehicles, the service types): one
    query for the page, whether the form is rendered, validated or both."""

    iterator = _LoadedChoiceIterator

    def _set_queryset(self, queryset):
        # Kept as given (Django's setter clones it with .all(), dropping rows already loaded).
        self._queryset = queryset
        self.widget.choices = self.choices

    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)

    def __deepcopy__(self, memo):
        result = super().__deepcopy__(memo)
        result._queryset = self._queryset  # the form's copy of the field: the same loaded rows
        result.widget.choices = result.choices
        return result

    def to_python(self, value):
        if value in self.empty_values:
            return None
        for obj in self.queryset:  # loaded once, then from the queryset's cache
            if str(obj.pk) == str(value):
                return obj
        raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                              params={"value": value})


class BookingForm(forms.Form):
    """Staff booking from the customer's page: the vehicle is one of theirs."""

    asset = LoadedModelChoiceField(label=_("Vehicle"), queryset=None, empty_label=None)
    service_type = LoadedModelChoiceField(label=_("Service"), queryset=ServiceType.objects.filter(is_active=True))
    starts_at = SlotField(label=_("Time"), required=False)
    complaint = forms.CharField(label=_("What the customer says"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customer, slots=(), zone=None, assets=None, service_types=None, **kwargs):
        """``assets`` and ``service_types``: querysets the view already evaluated (no query here)."""
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = assets if assets is not None else customer.assets.order_by("id")
        if service_types is not None:
            self.fields["service_type"].queryset = service_types
        self.fields["starts_at"].choices = slot_choices(slots, zone)
        self.fields["starts_at"].widget = forms.RadioSelect(choices=self.fields["starts_at"].choices)

    def slot_radios(self) -> str:
        """The free slots as radio buttons, built here in one pass: a fortnight is a few hundred
        slots, and a widget template rendered per radio was most of the booking page's time.
        The markup is RadioSelect's (same names and ids)."""
        from django.utils.html import format_html_join

        picked = str(self["starts_at"].value() or "")
        return format_html_join(
            "", '<span class="d-inline-block me-2 mb-2 slot-choice"><input type="radio" name="starts_at" '
                'value="{}" id="id_starts_at_{}"{}> <label for="id_starts_at_{}">{}</label></span>\n',
            ((value, n, " checked" if value == picked else "", n, label)
             for n, (value, label) in enumerate(self.fields["starts_at"].choices)))

    def clean_starts_at(self):
        value = self.cleaned_data.get("starts_at")
        if self.data.get("book") and value is None:
            raise ValidationError(_("Choose a time."), code="required")
        return value


class StatusForm(forms.Form):
    to = forms.ChoiceField(choices=Booking.Status.choices)
    odometer_km = forms.IntegerField(label=_("Odometer (km)"), required=False, min_value=0, max_value=2_000_000)
    complaint = forms.CharField(label=_("What the customer says"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    send_sms = forms.BooleanField(label=_("Send the customer an SMS"), required=False, initial=True)
    # Check-in only.
    fuel_level = forms.TypedChoiceField(label=_("Fuel level"), required=False, coerce=int, empty_value=None,
                                        choices=[("", "—"), *FUEL_CHOICES])
    items_left = forms.CharField(label=_("Items left in the car"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 2}))


class BayForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Bay type"), choices=BayKind.choices)


class SlotLengthForm(forms.ModelForm):
    class Meta:
        model = Workshop
        fields = ["slot_minutes"]

    def clean_slot_minutes(self):
        value = self.cleaned_data["slot_minutes"]
        if not 5 <= value <= 240:
            raise ValidationError(_("Between 5 and 240 minutes."))
        return value


# --- public ----------------------------------------------------------------------------------
def bootstrap_widgets(form):
    """The public layout has no crispy forms: Bootstrap's classes on each widget."""
    for name, field in form.fields.items():
        if name == getattr(form, "honeypot_name", None):
            continue
        if isinstance(field.widget, forms.RadioSelect):
            css = "form-check-input"
        else:
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs["class"] = f"{css} mb-2"


class PublicChooseForm(forms.Form):
    """Step one of the public booking: where and what (GET)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)

    branch = forms.ModelChoiceField(label=_("Workshop"), queryset=Branch.objects.filter(bays__is_active=True)
                                    .distinct().order_by("name"), to_field_name="public_id")
    service_type = forms.ModelChoiceField(label=_("Service"), to_field_name="public_id",
                                          queryset=ServiceType.objects.filter(is_active=True, bookable_online=True))


class PublicBookingForm(HoneypotMixin, forms.Form):
    """Step two: a free slot, the plate, who the customer is (POST)."""

    starts_at = SlotField(label=_("Time"))
    plate_number = forms.CharField(label=_("Plate number"), max_length=16,
                                   widget=forms.TextInput(attrs={"autocapitalize": "characters"}))
    name = forms.CharField(label=_("Your name"), max_length=120)
    phone = forms.CharField(label=_("Mobile number"), max_length=32,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    complaint = forms.CharField(label=_("Anything we should know?"), required=False, max_length=1000,
                                widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, slots=(), zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        choices = slot_choices(slots, zone)
        self.fields["starts_at"].choices = choices
        self.fields["starts_at"].widget = forms.Select(choices=[("", "—"), *choices])
        bootstrap_widgets(self)

    def clean_plate_number(self):
        return plate_normalize(self.cleaned_data["plate_number"])

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])


class FeedbackForm(HoneypotMixin, forms.Form):
    rating = forms.ChoiceField(label=_("Your rating (1 = poor, 5 = excellent)"),
                               choices=[(str(n), str(n)) for n in range(1, 6)], widget=forms.RadioSelect)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 3}))


class EstimateForm(forms.Form):
    amount = forms.DecimalField(label=_("Estimate (Rp)"), min_value=1, max_digits=14, decimal_places=0)
    note = forms.CharField(label=_("Extra work proposed"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class JobLineForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=JobLine.Kind.choices)
    # A part from the sales catalogue (when installed): its options come from the search
    # (service.views.part_search, swapped in by htmx); name and price are then the catalogue's.
    product = forms.UUIDField(label=_("Part from the catalogue"), required=False,
                              widget=forms.Select(attrs={"class": "form-select"}))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=None, required=False)
    minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=0, max_value=100_000)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.01"), max_digits=9, decimal_places=2,
                                  initial=1)
    unit_price = forms.DecimalField(label=_("Unit price (Rp)"), min_value=0, max_digits=14, decimal_places=0,
                                    initial=0)

    def __init__(self, *args, branch, booking=None, **kwargs):
        super().__init__(*args, **kwargs)
        from .parts import catalogue_installed, part_get

        self.catalogue = catalogue_installed()
        if not self.catalogue:
            del self.fields["product"]
        else:
            # Only the part posted back (a form shown again with its errors) is an option here.
            picked = part_get(branch, self._posted_product()) if self.is_bound else None
            self.fields["product"].widget.choices = [("", _("— none: describe it below —"))] + (
                [(picked.public_id, f"{picked.sku} · {picked.name}")] if picked else [])
        # The branch's active technicians; whether one works that day and has the skills is
        # the service's check (service.services.technician_problem), said at this field. The
        # list already says who does not fit, so nobody has to find out by trying.
        field = self.fields["technician"]
        field.queryset = Technician.objects.filter(branch=branch, is_active=True).order_by("name")
        if booking is not None:
            from .services import technician_problem

            field.label_from_instance = lambda t: (
                f"{t.name} ({_('not available')})" if technician_problem(t, booking) else t.name)

    def _posted_product(self):
        try:
            return forms.UUIDField(required=False).clean(self.data.get(self.add_prefix("product")))
        except ValidationError:
            return None

    def clean(self):
        data = super().clean()
        if not data.get("product") and not (data.get("description") or "").strip() \
                and "description" not in self.errors:
            self.add_error("description", _("Describe the work or the part, or pick a part from the catalogue."))
        return data


class TechnicianForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=80)
    bay_kinds = forms.MultipleChoiceField(label=_("Bay types"), choices=BayKind.choices, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    service_kinds = forms.MultipleChoiceField(label=_("Kinds of work"), choices=ServiceType.Kind.choices,
                                              required=False, widget=forms.CheckboxSelectMultiple)
    working_days = forms.TypedMultipleChoiceField(label=_("Working days"), choices=Weekday.choices, coerce=int,
                                                  widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    @classmethod
    def for_technician(cls, technician: Technician):
        return cls(initial={"name": technician.name, "bay_kinds": technician.bay_kinds,
                            "service_kinds": technician.service_kinds, "working_days": technician.working_days,
                            "is_active": technician.is_active})


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo (JPEG or PNG)"))

    def clean_photo(self):
        from .photos import image_check, photo_sniff

        upload = self.cleaned_data["photo"]
        photo_sniff(upload)
        image_check(upload)
        return upload
