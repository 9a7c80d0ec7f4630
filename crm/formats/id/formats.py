"""Bahasa Indonesia: ``23 Nov 2026 14.05`` (month names from Django's own translations)."""

from crm.formats import DATE_INPUT_FORMATS, DATETIME_INPUT_FORMATS, TIME_INPUT_FORMATS  # noqa: F401

DATE_FORMAT = "j M Y"  # 23 Nov 2026
TIME_FORMAT = "H.i"  # 14.05
DATETIME_FORMAT = "j M Y H.i"  # 23 Nov 2026 14.05
YEAR_MONTH_FORMAT = "F Y"  # November 2026
MONTH_DAY_FORMAT = "j F"  # 23 November
SHORT_DATE_FORMAT = "d/m/Y"  # 23/11/2026
SHORT_DATETIME_FORMAT = "d/m/Y H.i"  # 23/11/2026 14.05
FIRST_DAY_OF_WEEK = 1  # Senin

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
