"""Indonesian plate numbers: region letters, 1–4 digits, up to 3 letters (``B 1234 XYZ``)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_PLATE = re.compile(r"^([A-Z]{1,2})\s*(\d{1,4})\s*([A-Z]{0,3})$")


def plate_key(value: str) -> str:
    """Upper case, no spaces: how a plate is compared, however it was typed."""
    return re.sub(r"\s+", "", (value or "")).upper()[:16]


def plate_normalize(value: str) -> str:
    """``b1234xyz`` → ``B 1234 XYZ``; anything that is not a plate raises ValidationError."""
    match = _PLATE.match(" ".join((value or "").upper().split()))
    if not match:
        raise ValidationError(_("Enter a plate number like B 1234 XYZ."), code="bad_plate")
    return " ".join(part for part in match.groups() if part)
