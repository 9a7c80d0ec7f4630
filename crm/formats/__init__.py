"""Relasi's own date, time and number formats (settings.FORMAT_MODULE_PATH), one way each.

Django reads ``crm.formats.<language>.formats`` for the active language and falls back to its
own locale formats for anything not set here. Both languages read and type dates day first:
the company is Indonesian, and ``03/04/2026`` must mean 3 April whichever language a staff
member picked. Only the display of times differs (``14.05`` in Indonesian, ``14:05`` in English).
"""

import itertools

# Typed dates: day, month, four-digit year, separated by "/", "-", "." or a space, or not at
# all ("23112026": a phone's numeric keypad may have no "/"). Two-digit years and month-first
# forms are deliberately absent: "03/04/26" would be a guess. ISO (2026-11-23) is added by
# Django itself (django.utils.formats.ISO_INPUT_FORMATS), so old links and tests still parse.
_DATE_SEPARATORS = ("/", "-", ".", " ")
DATE_INPUT_FORMATS = [f"%d{sep}%m{sep}%Y" for sep in _DATE_SEPARATORS] + ["%d%m%Y"]

# Typed times: 24-hour, "14.05" (Indonesian), "14:05", or "1405".
TIME_INPUT_FORMATS = ["%H.%M", "%H:%M", "%H.%M.%S", "%H:%M:%S", "%H%M"]

# A date, then a time, with a space (or nothing, when both were typed as digits only).
DATETIME_INPUT_FORMATS = [
    f"{date} {time}" for date, time in itertools.product(DATE_INPUT_FORMATS, TIME_INPUT_FORMATS)
] + ["%d%m%Y%H%M"]

# How forms show a date or date-time back to the user (the same forms they parse first).
DATE_WIDGET_FORMAT = "%d/%m/%Y"
DATETIME_WIDGET_FORMAT = "%d/%m/%Y %H.%M"
