"""The complaints' segment criteria (issue 12), registered from complaints/apps.py: an open
complaint, and for a recall (issue 15, Quality Control) a vehicle inside a VIN range or of a
production batch.

The vehicle conditions are ``Exists`` over crm.Asset, as crm's own (crm/segments.py): one
query, each customer once. A VIN range compares the upper-cased VIN, through the index
``asset_vin_upper_range_idx``; a batch, the column itself (``asset_production_batch_idx``).
The QC page's recall puts all of a group's conditions on the same vehicle (``vehicles_q``).
"""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from crm.registry import SegmentCriterion, segment_criteria

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
VIN_MAX = 17
_VIN = re.compile(r"^[A-Z0-9]{1,17}$")
# Between the two VINs of a range: "..", a dash of any kind, "to", or spaces (a VIN has none of these).
_RANGE_SPLIT = re.compile(r"\s*(?:\.\.|[-–—]|\bs/d\b|\bto\b|\bsampai\b)\s*|\s+", re.IGNORECASE)


def q_open_complaint(answer: str) -> Q:
    from .models import Complaint

    open_ = Complaint.objects.filter(customer=OuterRef("pk")).exclude(status__in=Complaint.CLOSED_STATUSES)
    return Q(Exists(open_)) if answer == "yes" else ~Q(Exists(open_))


def vin_clean(value: str) -> str:
    """A VIN (or the start of one) as the index holds it: upper case, no spaces."""
    vin = "".join((value or "").split()).upper()
    if not _VIN.match(vin):
        raise ValidationError(_("A VIN is up to 17 letters and digits, like MHKA1BA1JNK000123."))
    return vin


def vin_range_check(first: str, last: str) -> tuple[str, str]:
    first, last = vin_clean(first), vin_clean(last)
    if first > last:
        raise ValidationError(_("The first VIN of the range must not come after the last one."))
    return first, last


class VinRangeField(forms.CharField):
    """Two VINs, the first and the last of the range (both included): ``FROM..TO``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 2 * VIN_MAX + 20)
        kwargs.setdefault("help_text",
                          _("The first and the last VIN, both included: MHKA1BA1JNK000100..MHKA1BA1JNK000500."))
        super().__init__(**kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        parts = [p for p in _RANGE_SPLIT.split(text.strip()) if p]
        if len(parts) != 2:
            raise ValidationError(_("Give two VINs, the first and the last: MHKA1BA1JNK000100..MHKA1BA1JNK000500."))
        return vin_range_check(*parts)


def asset_q(*, model: str = "", years=(), vin_from: str = "", vin_to: str = "", batch: str = "") -> Q:
    """Conditions on ONE vehicle (used inside an Exists over crm.Asset): its model (in the usual
    spellings), model years, VIN range (upper-cased, bounds included) and production batch."""
    q = Q()
    if model:
        q &= Q(model__in=_spellings(model))
    if years:
        q &= Q(year__in=sorted(years))
    if vin_from:
        q &= Q(vin_key__gte=vin_from)
    if vin_to:
        q &= Q(vin_key__lte=vin_to)
    if batch:
        q &= Q(production_batch__in=_spellings(batch))
    return q


def vehicles_q(**conditions) -> Q:
    """Customers with at least one vehicle that meets every condition of ``asset_q``."""
    from crm.models import Asset

    vehicles = Asset.objects.annotate(vin_key=Upper("vin")).filter(asset_q(**conditions), customer=OuterRef("pk"))
    return Q(Exists(vehicles))


def _spellings(value: str) -> list[str]:
    # As crm.segments: "Avanza", "AVANZA", "avanza" on the column itself (an IN the planner
    # estimates right and an index can serve), not upper(column).
    return sorted({value, value.lower(), value.upper(), value.title(), value.capitalize()})


def q_vin_range(value: tuple[str, str]) -> Q:
    return vehicles_q(vin_from=value[0], vin_to=value[1])


def q_batch(value: str) -> Q:
    return vehicles_q(batch=value)


def register() -> None:
    segment_criteria.register(SegmentCriterion(
        key="complaints.open", label=_("Has an open complaint"), order=90,
        field=lambda: forms.ChoiceField(choices=YES_NO), q=q_open_complaint,
        permission="complaints.view_complaint"))
    # Vehicle data, for a recall campaign: whoever builds segments may use them.
    segment_criteria.register(SegmentCriterion(
        key="vehicle_vin_range", label=_("Owns a vehicle with VIN in range"), order=77,
        field=VinRangeField, q=q_vin_range))
    segment_criteria.register(SegmentCriterion(
        key="vehicle_batch", label=_("Owns a vehicle of production batch"), order=78,
        field=lambda: forms.CharField(max_length=40, strip=True), q=q_batch))
