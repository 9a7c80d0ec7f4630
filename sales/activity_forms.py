"""Forms of the activity, performance and target pages. Times are typed in the user's
branch zone (crm.forms.DayFirstDateTimeField); amounts are whole rupiah."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch
from crm.forms import DayFirstDateTimeField

from .activity_services import MAX_TARGET_AMOUNT
from .forms import InOurFormTag
from .models import Activity

MAX_TARGET_LEADS = 10_000
# An activity is planned ahead; logging one a few days late is fine, a typo in the year is not.
DUE_PAST_DAYS = 30
DUE_AHEAD_DAYS = 366


class ActivityForm(InOurFormTag, forms.ModelForm):
    due_at = DayFirstDateTimeField(label=_("Due"))

    class Meta:
        model = Activity
        fields = ["kind", "subject", "due_at", "assignee", "notes"]
        widgets = {"kind": forms.RadioSelect, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = staff
        self.fields["assignee"].empty_label = None
        self.fields["subject"].widget.attrs["placeholder"] = _("e.g. Call about the Avanza quotation")

    def clean_subject(self):
        subject = " ".join((self.cleaned_data.get("subject") or "").split())
        if not subject:
            raise forms.ValidationError(_("Say what is to be done."), code="required")
        return subject

    def clean_due_at(self):
        due = self.cleaned_data["due_at"]
        now = timezone.now()
        if due < now - dt.timedelta(days=DUE_PAST_DAYS):
            raise forms.ValidationError(_("That is more than %(days)s days ago: check the date.")
                                        % {"days": DUE_PAST_DAYS}, code="past")
        if due > now + dt.timedelta(days=DUE_AHEAD_DAYS):
            raise forms.ValidationError(_("That is more than a year ahead: check the date."), code="ahead")
        return due


class ActivityCompleteForm(forms.Form):
    outcome = forms.CharField(label=_("Outcome (optional)"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}),
                              help_text=_("What happened: it goes on the customer's timeline."))


class MonthField(forms.DateField):
    """A month typed as 2026-11 (the browser's month box)."""

    widget = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m"])
        super().__init__(**kwargs)
        self.error_messages["invalid"] = _("Enter a month as YYYY-MM, e.g. 2026-11.")


class PerformanceForm(forms.Form):
    month = MonthField(label=_("Month"), required=False)
    branch = forms.ModelChoiceField(label=_("Branch"), queryset=Branch.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.sees_all_branches:
            self.fields["branch"].queryset = Branch.objects.filter(is_head_office=False).order_by("name")
            self.fields["branch"].empty_label = None
        else:
            del self.fields["branch"]


class TargetsForm(InOurFormTag, forms.Form):
    """One amount and one number of leads per rep of the branch, for one month."""

    def __init__(self, *args, reps, targets, **kwargs):
        super().__init__(*args, **kwargs)
        self.reps = reps
        for rep in reps:
            target = targets.get(rep.pk)
            self.fields[f"amount_{rep.pk}"] = forms.DecimalField(
                label=_("Target amount (Rp)"), max_digits=14, decimal_places=0, min_value=0,
                max_value=MAX_TARGET_AMOUNT - 1, required=False,
                initial=target.target_amount if target else None)
            self.fields[f"leads_{rep.pk}"] = forms.IntegerField(
                label=_("Target leads"), min_value=0, max_value=MAX_TARGET_LEADS, required=False,
                initial=target.target_leads if target else None)

    def rows(self):
        """(rep, amount field, leads field) for the template."""
        return [(rep, self[f"amount_{rep.pk}"], self[f"leads_{rep.pk}"]) for rep in self.reps]

    def targets(self) -> list:
        return [(rep, self.cleaned_data.get(f"amount_{rep.pk}") or 0, self.cleaned_data.get(f"leads_{rep.pk}") or 0)
                for rep in self.reps]
