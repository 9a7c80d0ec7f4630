"""The complaints' segment criterion (issue 12), registered from complaints/apps.py."""

from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from crm.registry import SegmentCriterion, segment_criteria

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def q_open_complaint(answer: str) -> Q:
    from .models import Complaint

    open_ = Complaint.objects.filter(customer=OuterRef("pk")).exclude(status__in=Complaint.CLOSED_STATUSES)
    return Q(Exists(open_)) if answer == "yes" else ~Q(Exists(open_))


def register() -> None:
    segment_criteria.register(SegmentCriterion(
        key="complaints.open", label=_("Has an open complaint"), order=90,
        field=lambda: forms.ChoiceField(choices=YES_NO), q=q_open_complaint,
        permission="complaints.view_complaint"))
