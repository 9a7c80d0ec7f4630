"""Phone numbers: parse Indonesian input, store E.164, and build search keys."""

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SMS_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def normalize_phone(raw: str) -> str:
    """Return ``raw`` as E.164 (``+6281234567890``) or raise ValidationError with a clear message.

    Accepts ``0812-3456-7890``, ``081234567890``, ``6281234567890``, ``+62 812 3456 7890``.
    """
    raw = (raw or "").strip()
    if not raw:
        return ""
    candidate = raw
    # "6281..." without the plus is how many spreadsheets store Indonesian numbers.
    digits = re.sub(r"\D", "", raw)
    if not raw.startswith("+") and digits.startswith("62") and len(digits) >= 10:
        candidate = "+" + digits
    try:
        number = phonenumbers.parse(candidate, settings.PHONE_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValidationError(_("“%(value)s” is not a phone number."), code="invalid", params={"value": raw})
    if not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("“%(value)s” is not a valid phone number (example: 0812-3456-7890)."),
            code="invalid",
            params={"value": raw},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def is_sms_capable(e164: str) -> bool:
    """Fixed lines cannot receive SMS (Twilio answers 21614); keep them out up front."""
    if not e164:
        return False
    number = phonenumbers.parse(e164, None)
    return phonenumbers.number_type(number) in _SMS_TYPES


def format_phone_national(e164: str) -> str:
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_search_keys(e164: str) -> str:
    """The forms of a number people type when searching: ``6281234567890 081234567890``.

    Both live in the customer's search text, so a fragment typed with +62, with 0, or
    with neither (the last four digits) finds the customer through one trigram index.
    """
    if not e164:
        return ""
    digits = e164.lstrip("+")
    keys = [digits]
    if digits.startswith("62"):
        keys.append("0" + digits[2:])
    return " ".join(keys)


def phone_query_digits(query: str) -> str | None:
    """If ``query`` looks like (part of) a phone number, return its digits, else None.

    A leading ``+62`` or ``62`` stays as it is (it matches the E.164 key); a leading 0
    matches the national key.
    """
    q = query.strip()
    if not q or not re.fullmatch(r"[+\d\s().-]+", q):
        return None
    digits = re.sub(r"\D", "", q)
    return digits if len(digits) >= 3 else None
