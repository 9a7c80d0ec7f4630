"""The workshop's segment criterion and campaign conversion (issue 12), registered from service/apps.py."""

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.registry import ConversionSource, SegmentCriterion, conversion_sources, segment_criteria

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
# A booking still ahead of the customer (not collected, cancelled or missed).
OPEN_BOOKING = ("booked", "arrived", "in_progress", "waiting_parts", "waiting_approval", "ready")


def q_upcoming_booking(answer: str) -> Q:
    from .models import Booking

    upcoming = Booking.objects.filter(customer=OuterRef("pk"), status__in=OPEN_BOOKING,
                                      ends_at__gte=timezone.now())
    return Q(Exists(upcoming)) if answer == "yes" else ~Q(Exists(upcoming))


def bookings_created(since, until):
    from .models import Booking

    return Booking.objects.filter(created_at__gte=since, created_at__lt=until).values("customer_id")


def register() -> None:
    segment_criteria.register(SegmentCriterion(
        key="service.booking", label=_("Has an upcoming workshop booking"), order=85,
        field=lambda: forms.ChoiceField(choices=YES_NO), q=q_upcoming_booking, permission="service.view_booking"))
    conversion_sources.register(ConversionSource(key="service.booking", label=_("Workshop bookings"),
                                                 customers=bookings_created, order=30))
