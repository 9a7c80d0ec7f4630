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


def _slot_label(slot, zone) -> str:
    local = slot.starts_at.astimezone(zone)
    return f"{local:%a %d/%m %H:%M}"


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


class BookingForm(forms.Form):
    """Staff booking from the customer's page: the vehicle is one of theirs."""

    asset = forms.ModelChoiceField(label=_("Vehicle"), queryset=None, empty_label=None)
    service_type = forms.ModelChoiceField(label=_("Service"), queryset=ServiceType.objects.filter(is_active=True))
    starts_at = SlotField(label=_("Time"), required=False)
    complaint = forms.CharField(label=_("What the customer says"), required=False, max_length=2000,
                                widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, customer, slots=(), zone=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asset"].queryset = customer.assets.order_by("id")
        self.fields["starts_at"].choices = [(s.value, _slot_label(s, zone)) for s in slots]
        self.fields["starts_at"].widget = forms.RadioSelect(choices=self.fields["starts_at"].choices)

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
        choices = [(s.value, _slot_label(s, zone)) for s in slots]
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
    description = forms.CharField(label=_("Description"), max_length=200)
    technician = forms.ModelChoiceField(label=_("Technician"), queryset=None, required=False)
    minutes = forms.IntegerField(label=_("Minutes"), required=False, min_value=0, max_value=100_000)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.01"), max_digits=9, decimal_places=2,
                                  initial=1)
    unit_price = forms.DecimalField(label=_("Unit price (Rp)"), min_value=0, max_digits=14, decimal_places=0,
                                    initial=0)

    def __init__(self, *args, branch, booking=None, **kwargs):
        super().__init__(*args, **kwargs)
        # The branch's active technicians; whether one works that day and has the skills is
        # the service's check (service.services.technician_problem), said at this field. The
        # list already says who does not fit, so nobody has to find out by trying.
        field = self.fields["technician"]
        field.queryset = Technician.objects.filter(branch=branch, is_active=True).order_by("name")
        if booking is not None:
            from .services import technician_problem

            field.label_from_instance = lambda t: (
                f"{t.name} ({_('not available')})" if technician_problem(t, booking) else t.name)


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
        from .photos import photo_sniff

        upload = self.cleaned_data["photo"]
        photo_sniff(upload)
        return upload
