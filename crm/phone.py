"""Phone numbers: parse Indonesian input, store E.164, and build search keys."""

import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from phonenumbers import PhoneMetadata, PhoneNumberType

# The one rule for "can this number take SMS": phonenumbers' type is one of these. Fixed
# lines cannot (Twilio answers 21614), nor can toll-free, premium or shared-cost numbers.
# ``is_sms_capable`` applies it in Python and ``sms_capable_sql`` in the database, both
# from the same phonenumbers metadata.
SMS_NUMBER_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


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


def _parse_e164(e164: str):
    try:
        return phonenumbers.parse(e164, None) if e164 else None
    except phonenumbers.NumberParseException:
        return None


def is_sms_capable(e164: str) -> bool:
    """Can this stored (E.164) number receive SMS: a valid mobile number (see SMS_NUMBER_TYPES)."""
    number = _parse_e164(e164)
    return bool(number) and phonenumbers.is_valid_number(number) and \
        phonenumbers.number_type(number) in SMS_NUMBER_TYPES


def is_landline(e164: str) -> bool:
    number = _parse_e164(e164)
    return bool(number) and phonenumbers.number_type(number) == PhoneNumberType.FIXED_LINE


# Number types checked before fixed line and mobile, in phonenumbers' own order: a number
# matching one of them is of that type, whatever else it matches.
_TYPES_BEFORE_MOBILE = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
                        "voicemail")


def sms_country_prefix() -> str:
    """"+62": the country code whose numbers ``sms_capable_sql`` decides in the database."""
    return f"+{phonenumbers.country_code_for_region(settings.PHONE_DEFAULT_REGION)}"


def _desc_sql(column: str, prefix: str, desc) -> tuple[str, list]:
    """phonenumbers' _is_number_matching_desc as SQL: possible length, then a full match."""
    if desc is None or not desc.national_number_pattern:
        return "FALSE", []
    sql, params = f"{column} ~ %s", [f"^{re.escape(prefix)}(?:{desc.national_number_pattern})$"]
    if desc.possible_length:  # first: far cheaper than the pattern
        sql = f"char_length({column}) = ANY(%s) AND {sql}"
        params.insert(0, [n + len(prefix) for n in desc.possible_length])
    return f"({sql})", params


def sms_capable_sql(column: str, *, also: list[str] | tuple[str, ...] = ()) -> tuple[str, list]:
    """``is_sms_capable`` as a SQL condition on an E.164 column, for sends to many customers.

    Numbers with the home country code (``sms_country_prefix()``) are decided in the
    database by phonenumbers' own type rules and patterns for that country, compiled to
    PostgreSQL regular expressions. A number with another country code is true only when
    listed in ``also``: decide those few with ``is_sms_capable`` (select them with
    ``sms_undecided_sql``). Returns ``(sql, params)`` with ``%s`` placeholders.

    Exact for a country code of one region, as +62 (a test compares the two on thousands of
    numbers); for a shared code such as +1, a number counts when it is a mobile in any of
    the code's regions.
    """
    prefix = sms_country_prefix()
    country_code = int(prefix[1:])
    branches, params = [], []
    for region in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(country_code, ()):
        meta = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
        if meta is None:
            continue
        # FIXED_LINE_OR_MOBILE when both patterns are the same; MOBILE or FIXED_LINE_OR_MOBILE
        # when the mobile pattern matches (with or without the fixed-line one). Tested first:
        # it is the test most numbers that cannot take SMS fail.
        parts = [_desc_sql(column, prefix, meta.fixed_line if meta.same_mobile_and_fixed_line_pattern
                           else meta.mobile)]
        parts.append(_desc_sql(column, prefix, meta.general_desc))  # valid at all
        parts += [(f"NOT {sql}", p) for sql, p in
                  (_desc_sql(column, prefix, getattr(meta, kind)) for kind in _TYPES_BEFORE_MOBILE)
                  if sql != "FALSE"]
        branches.append("(" + " AND ".join(sql for sql, _p in parts) + ")")
        params += [x for _sql, p in parts for x in p]
    branches.append(f"{column} = ANY(%s)")
    params.append(list(also))
    return "(" + " OR ".join(branches) + ")", params


def sms_undecided_sql(column: str) -> tuple[str, list]:
    """Numbers ``sms_capable_sql`` leaves to ``is_sms_capable``: another country code."""
    return f"({column} <> '' AND {column} NOT LIKE %s)", [sms_country_prefix() + "%"]


def format_phone_grouped(e164: str) -> str:
    """A stored number as people read it: ``+62 812-3456-7890`` (international, grouped)."""
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
