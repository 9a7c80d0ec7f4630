"""Filters of the lead list and the opportunity list and board (django-filter)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, Department, User

from .models import Lead, Opportunity, Stage


def _scope(filterset, user):
    staff = User.objects.filter(is_active=True, department=Department.SALES).order_by("first_name", "email")
    if user.sees_all_branches:
        filterset.filters["branch"].queryset = Branch.objects.filter(is_head_office=False).order_by("name")
    else:
        del filterset.filters["branch"]
        staff = staff.filter(branch_id=user.branch_id)
    filterset.filters["owner"].queryset = staff


class LeadFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Lead.Status.choices)
    source = django_filters.ChoiceFilter(label=_("Source"), choices=Lead.Source.choices)
    owner = django_filters.ModelChoiceFilter(label=_("Assigned to"), queryset=User.objects.none())
    branch = django_filters.ModelChoiceFilter(label=_("Branch"), queryset=Branch.objects.none())
    unassigned = django_filters.BooleanFilter(label=_("Unassigned only"), field_name="owner", lookup_expr="isnull",
                                              widget=forms.CheckboxInput)

    class Meta:
        model = Lead
        fields = ["status", "source", "owner", "branch"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        _scope(self, user)

    def filter_queryset(self, queryset):
        # An unticked checkbox means "all", not "assigned only".
        if not self.form.cleaned_data.get("unassigned"):
            self.form.cleaned_data["unassigned"] = None
        return super().filter_queryset(queryset)


class OpportunityFilter(django_filters.FilterSet):
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.none())
    branch = django_filters.ModelChoiceFilter(label=_("Branch"), queryset=Branch.objects.none())
    stage = django_filters.ModelChoiceFilter(label=_("Stage"), queryset=Stage.objects.filter(is_active=True))
    close_month = django_filters.DateFilter(
        label=_("Closing in month"), method="filter_close_month",
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"), input_formats=["%Y-%m"])

    class Meta:
        model = Opportunity
        fields = ["owner", "branch", "stage"]

    def __init__(self, *args, user, board=False, **kwargs):
        super().__init__(*args, **kwargs)
        _scope(self, user)
        if board:
            del self.filters["stage"]  # the board shows every stage

    def filter_close_month(self, queryset, name, value):
        start = value.replace(day=1)
        end = (start.replace(year=start.year + 1, month=1) if start.month == 12
               else start.replace(month=start.month + 1))
        return queryset.filter(expected_close__gte=start, expected_close__lt=end)
