"""The customer's own segment criteria (issue 12), registered from crm/apps.py.

Each criterion is a form field (it checks the value) and a function from the cleaned value
to a ``Q`` over Customer. Conditions on vehicles and tags are ``Exists`` subqueries, never
joins: a segment is one query and counts each customer once, however many vehicles they own.
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .registry import SegmentCriterion, segment_criteria

MAX_DAYS = 3650


def _today() -> dt.date:
    return timezone.localdate()


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year - years, day=28)


def _branch_choices():
    from accounts.models import Branch

    return [("", "---------")] + [(str(pk), name) for pk, name in
                                  Branch.objects.filter(is_head_office=False).order_by("name").values_list("pk", "name")]


def _asset(**lookup) -> Q:
    from .models import Asset

    return Q(Exists(Asset.objects.filter(customer=OuterRef("pk"), **lookup)))


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _spellings(value: str) -> list[str]:
    """A make or model as it is usually written ("Toyota", "TOYOTA", "toyota", "Cr-V"...).

    Not ``iexact``: ``upper(make)`` has no statistics, and at a million vehicles the planner
    then misjudges "Toyota" as rare and loops over 400,000 of them (5.5 s instead of 1.5 s
    measured); an ``IN`` on the column itself is estimated right."""
    return sorted({value, value.lower(), value.upper(), value.title(), value.capitalize()})


def q_age_min(years: int) -> Q:
    # At least N years old: born on or before today N years ago.
    return Q(birth_date__lte=_years_before(_today(), years))


def q_age_max(years: int) -> Q:
    # At most N years old: not yet N+1 (born after today N+1 years ago).
    return Q(birth_date__gt=_years_before(_today(), years + 1))


def q_tag(name: str) -> Q:
    from .models import Customer

    through = Customer.tags.through
    return Q(Exists(through.objects.filter(customer_id=OuterRef("pk"), tag__name__iexact=name)))


def q_within_days(field: str):
    def q(days: int) -> Q:
        today = _today()
        return _asset(**{f"{field}__gte": today, f"{field}__lte": today + dt.timedelta(days=days)})
    return q


def _days_field():
    return forms.IntegerField(min_value=1, max_value=MAX_DAYS, help_text=_("Days from today (1–3650)."))


def _date_field():
    # A date box posts ISO (type="date"); typed day-first dates are read too.
    return forms.DateField(input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"])


def _text_field():
    return forms.CharField(max_length=80, strip=True)


def register() -> None:
    from .models import Channel

    criteria = [
        SegmentCriterion(
            key="branch", label=_("Branch"), order=10, q=lambda pk: Q(branch_id=int(pk)),
            field=lambda: forms.TypedChoiceField(choices=_branch_choices, coerce=int)),
        SegmentCriterion(key="city", label=_("City"), order=20, field=_text_field,
                         q=lambda v: Q(city__iexact=v)),
        SegmentCriterion(key="province", label=_("Province"), order=21, field=_text_field,
                         q=lambda v: Q(province__iexact=v)),
        SegmentCriterion(key="age_min", label=_("Age at least"), order=30, q=q_age_min,
                         field=lambda: forms.IntegerField(min_value=0, max_value=120)),
        SegmentCriterion(key="age_max", label=_("Age at most"), order=31, q=q_age_max,
                         field=lambda: forms.IntegerField(min_value=0, max_value=120)),
        SegmentCriterion(
            key="birthday_month", label=_("Birthday in month"), order=32, q=lambda m: Q(birth_date__month=m),
            field=lambda: forms.TypedChoiceField(coerce=int, choices=[(str(i), str(i)) for i in range(1, 13)])),
        SegmentCriterion(key="tag", label=_("Has tag"), order=40, field=_text_field, q=q_tag),
        SegmentCriterion(
            key="consent", label=_("Consents to"), order=50, q=lambda ch: Q(**{f"{ch}_consent": True}),
            field=lambda: forms.ChoiceField(choices=Channel.choices)),
        SegmentCriterion(
            key="language", label=_("Customer language"), order=51, q=lambda code: Q(language=code),
            field=lambda: forms.ChoiceField(choices=settings.LANGUAGES)),
        SegmentCriterion(
            key="last_contact_before", label=_("Last contact before (or never)"), order=60,
            q=lambda d: Q(last_contact_at__lt=_midnight(d)) | Q(last_contact_at__isnull=True),
            field=_date_field),
        SegmentCriterion(
            key="last_contact_after", label=_("Last contact on or after"), order=61,
            q=lambda d: Q(last_contact_at__gte=_midnight(d)), field=_date_field),
        SegmentCriterion(key="vehicle_make", label=_("Owns a vehicle of make"), order=70, field=_text_field,
                         q=lambda v: _asset(make__in=_spellings(v))),
        SegmentCriterion(key="vehicle_model", label=_("Owns a vehicle of model"), order=71, field=_text_field,
                         q=lambda v: _asset(model__in=_spellings(v))),
        SegmentCriterion(key="vehicle_year", label=_("Owns a vehicle of year"), order=72,
                         q=lambda y: _asset(year=y), field=lambda: forms.IntegerField(min_value=1950, max_value=2100)),
        SegmentCriterion(key="purchased_from", label=_("Bought a vehicle on or after"), order=73,
                         q=lambda d: _asset(purchase_date__gte=d), field=_date_field),
        SegmentCriterion(key="purchased_to", label=_("Bought a vehicle on or before"), order=74,
                         q=lambda d: _asset(purchase_date__lte=d), field=_date_field),
        SegmentCriterion(key="warranty_ending", label=_("Warranty ends within (days)"), order=75,
                         q=q_within_days("warranty_end"), field=_days_field),
        SegmentCriterion(key="service_due", label=_("Next service due within (days)"), order=76,
                         q=q_within_days("next_service_due"), field=_days_field),
    ]
    for criterion in criteria:
        segment_criteria.register(criterion)
