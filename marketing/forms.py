from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from crm.public import HoneypotMixin

from .models import ReminderRule
from .text import GSM7_BASIC, GSM7_EXTENDED, PLACEHOLDERS, SMS_PARTS, check_template, sms_length


def placeholder_tokens() -> list[str]:
    """What the sender may type, as typed: ``{{ first_name }}``, in text.py's order."""
    return ["{{ %s }}" % name for name in PLACEHOLDERS]


class VehicleField(forms.ModelChoiceField):
    """One of the customer's vehicles by public id; anything else (not a UUID either) is one error."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class SmsForm(forms.Form):
    """One SMS to one customer (the 360 page).

    Given the ``customer``, a customer with two vehicles or more must say which one the
    vehicle placeholders speak of (``vehicle``, one of *their* vehicles); with one vehicle
    that one is used, with none the vehicle placeholders are empty. ``cleaned_data["vehicle"]``
    is the chosen Asset or None.

    ``optout_link=True`` for a marketing SMS: the counter then counts the opt-out link that
    is added to each message (the longest one any customer gets)."""

    body = forms.CharField(label=_("SMS"), max_length=1600, widget=forms.Textarea(attrs={"rows": 2}))
    # The same SMS in English, for customers whose language is English; empty: they get the text above.
    body_en = forms.CharField(
        label=_("SMS in English (optional)"), max_length=1600, required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Customers who chose English get this text; without it they get the text above."),
    )
    # Made when the form is shown: a double click posts the same key, and sends once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, customer=None, optout_link=False, **kwargs):
        super().__init__(*args, **kwargs)
        if optout_link:
            from .services import optout_suffix_longest

            self.suffix = optout_suffix_longest()
        else:
            self.suffix = ""
        self.fields["body"].help_text = _("Placeholders: %(names)s") % {"names": ", ".join(placeholder_tokens())}
        self.vehicles = list(customer.assets.all()) if customer is not None else []
        if len(self.vehicles) > 1:
            self.fields["vehicle"] = VehicleField(
                label=_("Vehicle"), queryset=customer.assets.all(), to_field_name="public_id",
                empty_label=_("Choose the vehicle…"),
                error_messages={"required": _("Choose the vehicle this SMS is about."),
                                "invalid_choice": _("Choose one of this customer's vehicles.")},
            )

    def clean_body(self):
        # Browsers post a line break as CR LF: one character is enough, and costs half.
        body = self.cleaned_data["body"].replace("\r\n", "\n").strip()
        check_template(body)
        return body

    def clean_body_en(self):
        body = self.cleaned_data["body_en"].replace("\r\n", "\n").strip()
        if body:
            check_template(body)
        return body

    def clean(self):
        cleaned = super().clean()
        if "vehicle" not in self.fields:
            cleaned["vehicle"] = self.vehicles[0] if len(self.vehicles) == 1 else None
        return cleaned

    # --- for the template: the counter and the placeholder hint -------------------------
    def placeholders(self) -> list[str]:
        return placeholder_tokens()

    def counter_text(self) -> str:
        """The counter as first shown, for the body as bound (empty on a fresh form)."""
        return counter_text(self["body"].value() or "", suffix=self.suffix)

    def counter_config(self) -> dict:
        """What static/js/sms-counter.js needs to count as text.py does (for json_script)."""
        return {
            "basic": "".join(sorted(GSM7_BASIC)),
            "extended": "".join(sorted(GSM7_EXTENDED)),
            "parts": {encoding: list(sizes) for encoding, sizes in SMS_PARTS.items()},
            "chars": [ngettext("%(count)s character", "%(count)s characters", 1),
                      ngettext("%(count)s character", "%(count)s characters", 2)],
            "segments": gettext("%(count)s SMS"),
            "ucs2": gettext("Unicode: %(single)s characters per SMS, %(part)s per part"),
            # Added to every message after the text typed (a marketing SMS's opt-out link).
            "suffix": self.suffix,
            "suffix_note": suffix_note(self.suffix),
        }


def suffix_note(suffix: str) -> str:
    if not suffix:
        return ""
    return gettext("including the opt-out link (%(count)s characters)") % {"count": sms_length(suffix).units}


def counter_text(text: str, suffix: str = "") -> str:
    """``"161 characters · 2 SMS"``, as sms-counter.js writes it; with a ``suffix`` (the
    opt-out link) counted in, and said."""
    length = sms_length(text + suffix)
    parts = [ngettext("%(count)s character", "%(count)s characters", length.units) % {"count": length.units},
             gettext("%(count)s SMS") % {"count": length.segments}]
    if length.encoding == "UCS-2" and length.units:
        single, part = SMS_PARTS["UCS-2"]
        parts.append(gettext("Unicode: %(single)s characters per SMS, %(part)s per part")
                     % {"single": single, "part": part})
    if suffix:
        parts.append(suffix_note(suffix))
    return " · ".join(parts)


class SmsOptOutForm(HoneypotMixin, forms.Form):
    """The one button of the public opt-out page (and a honeypot)."""


# --- Scheduled reminders ------------------------------------------------------------------------
class ReminderRuleForm(forms.ModelForm):
    """A reminder rule, as marketing managers edit it. Branch staff write rules for their own
    branch; head office may also write one for every branch (branch left empty)."""

    class Meta:
        model = ReminderRule
        fields = ["name", "kind", "channel", "lead_days", "send_time", "branch", "no_consent", "active",
                  "subject", "body", "subject_en", "body_en"]
        widgets = {"send_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
                   "body": forms.Textarea(attrs={"rows": 3}), "body_en": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        from crispy_forms.helper import FormHelper

        from accounts.models import Branch

        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        branch = self.fields["branch"]
        if user.sees_all_branches:
            branch.queryset = Branch.objects.order_by("name")
            branch.empty_label = gettext("All branches")
        else:
            branch.queryset = Branch.objects.filter(pk=user.branch_id)
            branch.required = True
            branch.empty_label = None
            branch.help_text = ""
        from crm.registry import reminder_kinds

        help_text = gettext("Placeholders: %(list)s") % {"list": " ".join(placeholder_tokens())}
        for kind in reminder_kinds:
            help_text += " " + gettext("%(kind)s also: %(list)s") % {
                "kind": kind.label, "list": " ".join("{{ %s }}" % name for name in kind.placeholders)}
        self.fields["body"].help_text = help_text

    def clean_lead_days(self):
        days = self.cleaned_data["lead_days"]
        if not -60 <= days <= 365:
            raise ValidationError(_("Between 60 days after (-60) and 365 days before."))
        return days

    def clean_send_time(self):
        from django.conf import settings

        value = self.cleaned_data["send_time"]
        start, end = (int(x) for x in settings.SMS_QUIET_HOURS.split("-"))
        hour = value.hour
        quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
        if quiet:
            raise ValidationError(_("That is inside the quiet hours (%(hours)s); choose a time outside them.")
                                  % {"hours": settings.SMS_QUIET_HOURS})
        return value

    def _clean_text(self, name):
        from .reminders import placeholders_for

        value = self.cleaned_data.get(name, "")
        if value:
            check_template(value, placeholders_for(self.cleaned_data.get("kind", "")))
        return value

    def clean_body(self):
        return self._clean_text("body")

    def clean_body_en(self):
        return self._clean_text("body_en")

    def clean_subject(self):
        return self._clean_text("subject")

    def clean_subject_en(self):
        return self._clean_text("subject_en")

    def clean(self):
        data = super().clean()
        if data.get("channel") == "email" and not data.get("subject"):
            self.add_error("subject", _("An email needs a subject."))
        return data
