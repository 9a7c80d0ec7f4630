"""Forms for the customer record. They validate and clean; services do the writing."""

from __future__ import annotations

import datetime as dt

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, User

from .models import Asset, Channel, ContactPerson, Customer, Interaction, Tag
from .formats import DATE_WIDGET_FORMAT, DATETIME_WIDGET_FORMAT
from .phone import format_phone_grouped, is_landline, is_sms_capable, normalize_phone
from .selectors import customer_duplicates
from .services import interaction_summary_clean

# One tick box per consent channel (crm.models.Channel: a new channel is added there only).
CONSENT_FIELDS = tuple(f"{channel}_consent" for channel in Channel.values)

CONSENT_SOURCES = [
    ("branch_desk", _("In person at the branch")),
    ("phone_call", _("Phone call")),
    ("signed_form", _("Signed paper form")),
    ("web_form", _("Web form")),
    ("import", _("Import from another system")),
]


# Dates are typed day first into text boxes (crm/formats/: "23/11/2026", "23-11-2026",
# "23112026"...), not native date inputs: those show the browser's own format whatever the
# page's language (mm/dd/yyyy and a 12-hour clock on a phone set to US English), which is
# what our users complained about. inputmode="numeric" gives a phone's number pad; a pad
# without "/" can type the digits alone, and static/js/date-input.js writes the slashes back.
_DATE_PATTERN = r"[0-9]{1,2}[\/.\- ][0-9]{1,2}[\/.\- ][0-9]{4}|[0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIME_PATTERN = r"[0-9]{1,2}[.:][0-9]{2}|[0-9]{4}"


class DateInput(forms.DateInput):
    """A day-first date in a text box, shown back as ``23/11/2026``."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(format=DATE_WIDGET_FORMAT, attrs={
            "placeholder": _("dd/mm/yyyy"), "inputmode": "numeric", "autocomplete": "off", "maxlength": 12,
            "pattern": _DATE_PATTERN, "data-date-input": "date", **(attrs or {})})


class DateTimeInput(forms.DateTimeInput):
    """A day-first date and a 24-hour time in one text box, shown back as ``23/11/2026 14.05``."""

    input_type = "text"

    def __init__(self, attrs=None):
        super().__init__(format=DATETIME_WIDGET_FORMAT, attrs={
            "placeholder": _("dd/mm/yyyy hh.mm"), "inputmode": "numeric", "autocomplete": "off", "maxlength": 20,
            "pattern": rf"({_DATE_PATTERN}) ?({_TIME_PATTERN})", "data-date-input": "datetime", **(attrs or {})})


def form_add_errors(form, error) -> None:
    """A service's ValidationError shown on ``form``: each field's errors at that field (when
    the form has it), the rest above the form. Every view that calls a service after
    ``form.is_valid()`` uses this one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _digits_only_ambiguous(value, lengths: tuple[int, ...]) -> bool:
    """Digits typed without separators must be whole (``23112026``): ``1122026`` could be
    1 Dec or 11 Feb, and strptime would pick one silently."""
    digits = value.replace(" ", "") if isinstance(value, str) else ""
    return digits.isdigit() and len(digits) not in lengths


class DayFirstDateField(forms.DateField):
    """A date typed day first (the formats of crm/formats/, ISO too)."""

    widget = DateInput

    def to_python(self, value):
        if _digits_only_ambiguous(value, (8,)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class DayFirstDateTimeField(forms.DateTimeField):
    """A date typed day first and a 24-hour time, in the user's time zone (their branch's)."""

    widget = DateTimeInput

    def to_python(self, value):
        if _digits_only_ambiguous(value, (12,)):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class PhoneInput(forms.TextInput):
    """A stored number shown grouped (``+62 812-3456-7890``) for editing; normalize_phone reads it back."""

    def format_value(self, value):
        return format_phone_grouped(value) if isinstance(value, str) and value.startswith("+") else value


class CustomerForm(forms.ModelForm):
    consent_source = forms.ChoiceField(
        label=_("Consent given via"), choices=CONSENT_SOURCES, initial="branch_desk",
        help_text=_("Recorded with the time whenever a consent changes."),
    )
    confirm_duplicate = forms.BooleanField(
        label=_("This is a different customer: save anyway"), required=False, widget=forms.HiddenInput,
    )

    class Meta:
        model = Customer
        fields = [
            "kind", "name", "phone", "phone_alt", "email", "birth_date", "address", "city", "province",
            "branch", "owner", "tags", *CONSENT_FIELDS, "language",
        ]
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "phone": PhoneInput(attrs={"placeholder": "0812-3456-7890", "inputmode": "tel"}),
            "phone_alt": PhoneInput(attrs={"inputmode": "tel"}),
            "tags": forms.CheckboxSelectMultiple,
        }
        field_classes = {"birth_date": DayFirstDateField}
        help_texts = {"language": _("SMS and emails to this customer are written in it.")}

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.duplicates = []
        if user.sees_all_branches:
            self.fields["branch"].queryset = Branch.objects.filter(is_head_office=False)
        else:
            # Branch staff create customers in their own branch only.
            del self.fields["branch"]
        owners = User.objects.filter(is_active=True).exclude(department="").order_by("first_name", "email")
        if not user.sees_all_branches:
            owners = owners.filter(branch_id=user.branch_id)
        self.fields["owner"].queryset = owners
        self.fields["tags"].queryset = Tag.objects.all()
        self.fields["email"].widget.attrs["inputmode"] = "email"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("Profile"),
                Row(Column("kind", css_class="col-md-3"), Column("name", css_class="col-md-9")),
                Row(Column("phone", css_class="col-md-4"), Column("phone_alt", css_class="col-md-4"),
                    Column("email", css_class="col-md-4")),
                Row(Column("birth_date", css_class="col-md-4"), Column("language", css_class="col-md-4")),
                "address",
                Row(Column("city", css_class="col-md-6"), Column("province", css_class="col-md-6")),
            ),
            Fieldset(
                _("Ownership"),
                Row(*([Column("branch", css_class="col-md-6")] if "branch" in self.fields else []),
                    Column("owner", css_class="col-md-6")),
                "tags",
            ),
            Fieldset(
                _("Consent"),
                Row(*(Column(name, css_class="col-4") for name in CONSENT_FIELDS)),
                "consent_source",
            ),
            "confirm_duplicate",
        )

    def clean_name(self):
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Enter the customer's name."))
        return name

    def clean_phone(self):
        # The mobile field is where SMS go: it takes only numbers that can receive them.
        raw = self.cleaned_data["phone"]
        phone = normalize_phone(raw)
        if phone and not is_sms_capable(phone):
            if is_landline(phone):
                message = _("“%(value)s” is a landline number and cannot receive SMS. Enter it under "
                            "“%(other)s” instead.")
            else:
                message = _("“%(value)s” cannot receive SMS. Enter it under “%(other)s” instead.")
            raise forms.ValidationError(message, code="not_mobile",
                                        params={"value": raw.strip(), "other": self.fields["phone_alt"].label})
        return phone

    def clean_phone_alt(self):
        # Any valid number, landlines included.
        return normalize_phone(self.cleaned_data["phone_alt"])

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_birth_date(self):
        born = self.cleaned_data["birth_date"]
        if born and born > timezone.localdate():
            raise forms.ValidationError(_("The birth date cannot be in the future."))
        if born and born < dt.date(1900, 1, 1):
            raise forms.ValidationError(_("Enter a birth date after 1900."))
        return born

    def clean(self):
        cleaned = super().clean()
        # Check what is valid so far, so the duplicate warning comes with the other errors.
        phones = [cleaned.get("phone", ""), cleaned.get("phone_alt", "")]
        email = cleaned.get("email", "")
        self.duplicates = customer_duplicates(phones=phones, email=email, exclude_pk=self.instance.pk)
        if self.duplicates and not cleaned.get("confirm_duplicate"):
            visible_ids = set(
                Customer.objects.visible_to(self.user).filter(pk__in=[d.pk for d in self.duplicates])
                .values_list("pk", flat=True)
            )
            for dup in self.duplicates:
                field = "email" if email and dup.email == email else "phone"
                if field == "phone" and cleaned.get("phone") not in (dup.phone, dup.phone_alt):
                    field = "phone_alt"
                if dup.pk in visible_ids:
                    message = format_html(
                        _('Already used by <a href="{}">{}</a>. Check it is not the same customer.'),
                        reverse("crm:customer_detail", args=[dup.public_id]), dup.name,
                    )
                else:
                    message = format_html(
                        _("Already used by a customer of branch {}. Check it is not the same customer."),
                        dup.branch.name,
                    )
                self.add_error(field if field in self.fields else None, message)
            # Let the user confirm on the next submit.
            self.fields["confirm_duplicate"].widget = forms.CheckboxInput()
        return cleaned

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data.pop("confirm_duplicate", None)
        consent_source = data.pop("consent_source")
        consents = {ch: data.pop(f"{ch}_consent") for ch in Channel.values}
        tags = data.pop("tags")
        return {"fields": data, "consents": consents, "consent_source": consent_source, "tags": tags}


class InteractionForm(forms.ModelForm):
    """The quick "log an interaction" form on the 360 page.

    Staff log what a person did. Orders, quotations, complaints, service visits and
    campaign messages are written by the apps that own them (linked to their record), and
    the "system" channel is the record's own history: neither can be typed in by hand.
    """

    PERSON_KINDS = Interaction.PERSON_KINDS
    PERSON_CHANNELS = (Interaction.Channel.PHONE, Interaction.Channel.IN_PERSON, Interaction.Channel.EMAIL,
                       Interaction.Channel.SMS, Interaction.Channel.WEB)

    occurred_at = DayFirstDateTimeField(label=_("When"), required=False, help_text=_("Leave empty for now."))

    class Meta:
        model = Interaction
        fields = ["kind", "channel", "direction", "summary", "occurred_at"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 2, "maxlength": 2000})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer only what a person does; the fields still know every value, so a system
        # kind posted by hand gets the clear message of clean_kind/clean_channel below.
        self.fields["kind"].widget.choices = [(k.value, k.label) for k in self.PERSON_KINDS]
        self.fields["channel"].widget.choices = [(c.value, c.label) for c in self.PERSON_CHANNELS]
        self.fields["kind"].initial = Interaction.Kind.CALL
        self.fields["channel"].initial = Interaction.Channel.PHONE
        self.fields["direction"].initial = Interaction.Direction.OUTBOUND
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("kind", css_class="col-sm-4"), Column("channel", css_class="col-sm-4"),
                Column("direction", css_class="col-sm-4")),
            "summary",
            "occurred_at",
        )

    def clean_kind(self):
        kind = self.cleaned_data["kind"]
        if kind not in self.PERSON_KINDS:
            raise forms.ValidationError(
                _("“%(kind)s” is recorded by the system. Log what you did: a call, visit, email, SMS, note or "
                  "web form."), code="system_kind", params={"kind": Interaction.Kind(kind).label},
            )
        return kind

    def clean_channel(self):
        channel = self.cleaned_data["channel"]
        if channel not in self.PERSON_CHANNELS:
            raise forms.ValidationError(
                _("Only the system writes on the “System” channel. Choose phone, in person, email, SMS or web."),
                code="system_channel",
            )
        return channel

    def clean_summary(self):
        return interaction_summary_clean(self.cleaned_data["summary"])

    def clean_occurred_at(self):
        when = self.cleaned_data["occurred_at"]
        if when and when > timezone.now() + dt.timedelta(minutes=5):
            raise forms.ValidationError(_("An interaction that already happened cannot be in the future."))
        return when


class AssetForm(forms.ModelForm):
    class Meta:
        model = Asset
        fields = ["make", "model", "year", "vin", "plate_number", "purchase_date", "warranty_end",
                  "odometer_km", "next_service_due", "stnk_due", "insurance_end", "production_batch"]
        field_classes = {"purchase_date": DayFirstDateField, "warranty_end": DayFirstDateField,
                         "next_service_due": DayFirstDateField, "stnk_due": DayFirstDateField,
                         "insurance_end": DayFirstDateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_plate_number(self):
        return " ".join(self.cleaned_data["plate_number"].upper().split())

    def clean_vin(self):
        vin = self.cleaned_data["vin"].strip().upper()
        if vin and len(vin) != 17:
            raise forms.ValidationError(_("A VIN has 17 characters."))
        return vin

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year and not 1950 <= year <= timezone.localdate().year + 1:
            raise forms.ValidationError(_("Enter a model year between 1950 and next year."))
        return year


class ContactPersonForm(forms.ModelForm):
    class Meta:
        model = ContactPerson
        fields = ["name", "role", "phone", "email"]
        widgets = {"phone": PhoneInput(attrs={"inputmode": "tel"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


class InteractionCorrectionForm(forms.Form):
    """The author's correction of a logged interaction's summary (crm.services.interaction_correct)."""

    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 4, "maxlength": 2000}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_summary(self):
        return interaction_summary_clean(self.cleaned_data["summary"])
