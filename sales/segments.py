"""Sales' segment criteria and campaign conversions (issue 12), registered from sales/apps.py."""

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from crm.registry import ConversionSource, SegmentCriterion, conversion_sources, segment_criteria

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def yes_no_field():
    return forms.ChoiceField(choices=YES_NO)


def has(subquery, answer: str) -> Q:
    return Q(Exists(subquery)) if answer == "yes" else ~Q(Exists(subquery))


def q_open_lead(answer: str) -> Q:
    from .models import Lead

    return has(Lead.objects.filter(customer=OuterRef("pk"), status__in=Lead.OPEN_STATUSES), answer)


def q_open_opportunity(answer: str) -> Q:
    from .models import Opportunity

    return has(Opportunity.objects.filter(customer=OuterRef("pk"), closed_at__isnull=True), answer)


def leads_created(since, until):
    from .models import Lead

    return Lead.objects.filter(created_at__gte=since, created_at__lt=until, customer__isnull=False) \
        .values("customer_id")


def opportunities_created(since, until):
    from .models import Opportunity

    return Opportunity.objects.filter(created_at__gte=since, created_at__lt=until).values("customer_id")


def orders_created(since, until):
    from .models import SalesOrder

    return SalesOrder.objects.filter(created_at__gte=since, created_at__lt=until).exclude(
        status=SalesOrder.Status.CANCELLED).values("customer_id")


def orders_revenue(since, until, customer_ids):
    from django.db.models import Sum

    from .models import SalesOrder

    return SalesOrder.objects.filter(created_at__gte=since, created_at__lt=until, customer_id__in=customer_ids) \
        .exclude(status=SalesOrder.Status.CANCELLED).aggregate(total=Sum("total"))["total"] or 0


def register() -> None:
    segment_criteria.register(SegmentCriterion(
        key="sales.open_lead", label=_("Has an open lead"), order=80, field=yes_no_field, q=q_open_lead,
        permission="sales.view_lead"))
    segment_criteria.register(SegmentCriterion(
        key="sales.open_opportunity", label=_("Has an open opportunity"), order=81, field=yes_no_field,
        q=q_open_opportunity, permission="sales.view_opportunity"))
    conversion_sources.register(ConversionSource(key="sales.lead", label=_("Leads"), customers=leads_created,
                                                 order=10))
    conversion_sources.register(ConversionSource(key="sales.opportunity", label=_("Opportunities"),
                                                 customers=opportunities_created, order=20))
    conversion_sources.register(ConversionSource(key="sales.order", label=_("Orders"), customers=orders_created,
                                                 revenue=orders_revenue, order=25))
