from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

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
    is the chosen Asset or None."""

    body = forms.CharField(label=_("SMS"), max_length=1600, widget=forms.Textarea(attrs={"rows": 2}))
    # Made when the form is shown: a double click posts the same key, and sends once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, customer=None, **kwargs):
        super().__init__(*args, **kwargs)
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
        return counter_text(self["body"].value() or "")

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
        }


def counter_text(text: str) -> str:
    """``"161 characters · 2 SMS"``, as sms-counter.js writes it."""
    length = sms_length(text)
    parts = [ngettext("%(count)s character", "%(count)s characters", length.units) % {"count": length.units},
             gettext("%(count)s SMS") % {"count": length.segments}]
    if length.encoding == "UCS-2" and length.units:
        single, part = SMS_PARTS["UCS-2"]
        parts.append(gettext("Unicode: %(single)s characters per SMS, %(part)s per part")
                     % {"single": single, "part": part})
    return " · ".join(parts)
