"""Times shown in the reader's zone, naming it: ``{{ when|zoned }}`` renders ``3 Jun 2026 14.05 WITA``.

The current zone is the user's branch zone (accounts.middleware.UserTimezoneMiddleware).
"""

from django import template
from django.utils import formats, timezone

register = template.Library()

# Indonesia's three zones by their usual names; other zones fall back to their tz abbreviation.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_abbreviation(zone=None, when=None) -> str:
    zone = zone or timezone.get_current_timezone()
    name = getattr(zone, "key", None) or str(zone)
    if name in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[name]
    when = when or timezone.now()
    return timezone.localtime(when, zone).tzname() or name


@register.filter
def zoned(value, fmt="DATETIME_FORMAT"):
    """An aware datetime in the current zone, formatted, with the zone's name after it.

    The format is the active language's DATETIME_FORMAT (crm/formats/: ``23 Nov 2026 14.05``
    in Indonesian, ``23 Nov 2026 14:05`` in English) unless a format is given."""
    if not value:
        return ""
    try:
        local = timezone.localtime(value)
    except (ValueError, TypeError, AttributeError):
        return value  # a naive datetime or not a datetime: shown as it is
    return f"{formats.date_format(local, fmt)} {zone_abbreviation(local.tzinfo, local)}"


@register.simple_tag
def current_zone_name():
    """The abbreviation of the zone this request runs in, e.g. ``WITA``."""
    return zone_abbreviation()
