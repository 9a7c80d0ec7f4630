"""Message text: placeholders rendered safely, and SMS length in segments."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.template import Context, Engine, TemplateSyntaxError
from django.utils.translation import gettext as _

# What a message may say about its recipient; anything else is refused up front.
PLACEHOLDERS = {
    "first_name": "Budi",
    "name": "Budi Santoso",
    "branch_name": "Cabang Bandung",
    "vehicle_plate": "D 1234 ABC",
    "vehicle_model": "Toyota Avanza",
    "next_service_due": "17 Jan 2027",
    # The vehicle's other dates (reminder rules: STNK tax, insurance, warranty).
    "stnk_due": "5 Mar 2027",
    "insurance_end": "1 Apr 2027",
    "warranty_end": "20 Mei 2027",
}

# A private engine: no loaders, no custom libraries, no autoescape (SMS and plain-text
# email are not HTML). Customer values are inserted as text, never parsed as template code.
_ENGINE = Engine(autoescape=False, libraries={}, builtins=[])
_VARIABLE = re.compile(r"{{\s*([^}]*?)\s*}}")

GSM7_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = set("^{}\\[~]|€\f")
# Units (septets for GSM-7, UTF-16 code units for UCS-2) in one SMS, and in each part of a
# longer one. static/js/sms-counter.js counts with these very values (SmsForm.counter_config).
SMS_PARTS = {"GSM-7": (160, 153), "UCS-2": (70, 67)}


def check_template(body: str, extra=()) -> None:
    """Raise ValidationError naming the problem if ``body`` is not a usable message template.
    ``extra``: more placeholder names this message may use (a reminder's record: a payment due)."""
    if "{%" in body or "{#" in body:
        raise ValidationError(_("Template tags ({% … %}) are not allowed; use placeholders like {{ first_name }}."))
    known = set(PLACEHOLDERS) | set(extra)
    unknown = sorted({name for name in _VARIABLE.findall(body) if name not in known})
    if unknown:
        raise ValidationError(
            _("Unknown placeholder(s): %(names)s. Available: %(available)s.")
            % {"names": ", ".join(unknown), "available": ", ".join(sorted(known))}
        )
    try:
        _ENGINE.from_string(body)
    except TemplateSyntaxError as exc:
        raise ValidationError(_("The message cannot be read: %(error)s") % {"error": exc})


def compile_template(body: str, extra=()):
    check_template(body, extra)
    return _ENGINE.from_string(body)


def render(template, values: dict[str, str]) -> str:
    return template.render(Context(values, autoescape=False))


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int
    segments: int


def sms_length(text: str) -> SmsLength:
    """GSM-7: 160 per message, 153 per part; anything else UCS-2: 70, or 67 per part."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENDED for ch in text):
        units = sum(2 if ch in GSM7_EXTENDED else 1 for ch in text)
        encoding = "GSM-7"
    else:
        # UTF-16 code units: characters outside the BMP (emoji) take two.
        units = len(text.encode("utf-16-le")) // 2
        encoding = "UCS-2"
    single, part = SMS_PARTS[encoding]
    if units == 0:
        return SmsLength(encoding, 0, 0)
    segments = 1 if units <= single else -(-units // part)
    return SmsLength(encoding, units, segments)
