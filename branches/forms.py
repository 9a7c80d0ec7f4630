"""The calendar page's forms: the week's opening ranges (a formset) and a closure."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Weekday
from .selectors import overlapping_ranges

HOURS_PREFIX = "hours"


class MarksInvalidFields:
    """Bootstrap's ``is-invalid`` on the input of every field with an error, so it shows red."""

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                classes = widget.attrs.get("class", "").split()
                if "is-invalid" not in classes:
                    widget.attrs["class"] = " ".join([*classes, "is-invalid"])


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-control form-control-sm", **(attrs or {})}, format="%H:%M")


class OpeningRangeForm(MarksInvalidFields, forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), coerce=int, choices=[("", "—"), *Weekday.choices],
                                     widget=forms.Select(attrs={"class": "form-select form-select-sm"}))
    opens = forms.TimeField(label=_("Opens"), widget=TimeInput())
    closes = forms.TimeField(label=_("Closes"), widget=TimeInput())

    def clean(self):
        data = super().clean()
        opens, closes = data.get("opens"), data.get("closes")
        if opens and closes and closes <= opens:
            self.add_error("closes", gettext("Closes at or before it opens: enter a time after %(opens)s.")
                           % {"opens": f"{opens:%H:%M}"})
        return data


class BaseOpeningHoursFormSet(forms.BaseFormSet):
    def kept_forms(self) -> list[OpeningRangeForm]:
        """Filled-in rows not marked for deletion (blank extra rows are skipped)."""
        # An untouched extra row has no cleaned data; a row kept from the week has all three.
        return [f for f in self.forms if not self._should_delete_form(f)
                and {"weekday", "opens", "closes"} <= f.cleaned_data.keys()]

    def clean(self):
        if any(self.errors) or not self.management_form.is_valid():
            return
        kept = self.kept_forms()
        ranges = [(f.cleaned_data["weekday"], f.cleaned_data["opens"], f.cleaned_data["closes"]) for f in kept]
        for i, j in overlapping_ranges(ranges):
            _day, opens, closes = ranges[i]
            kept[j].add_error("opens", gettext("Overlaps %(opens)s–%(closes)s on the same day.") % {
                "opens": f"{opens:%H:%M}", "closes": f"{closes:%H:%M}"})
        if not ranges:
            raise forms.ValidationError(gettext(
                "Enter at least one opening range. To close the branch for a while, add a closure; "
                "to go back to the default hours, use “Use the default hours”."))

    def ranges(self) -> list[tuple]:
        return [(f.cleaned_data["weekday"], f.cleaned_data["opens"], f.cleaned_data["closes"])
                for f in self.kept_forms()]


OpeningHoursFormSet = forms.formset_factory(OpeningRangeForm, formset=BaseOpeningHoursFormSet, extra=3,
                                            can_delete=True, max_num=70, validate_max=True)


def hours_formset(calendar=None, data=None) -> BaseOpeningHoursFormSet:
    """The formset for a branch's week: bound to ``data``, or filled in with the calendar's
    hours (the default ones while the branch has none of its own)."""
    if data is not None:
        return OpeningHoursFormSet(data, prefix=HOURS_PREFIX)
    initial = [{"weekday": day, "opens": opens, "closes": closes}
               for day, ranges in sorted(calendar.week.items()) for opens, closes in ranges]
    return OpeningHoursFormSet(initial=initial, prefix=HOURS_PREFIX)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"class": "form-control", **(attrs or {})}, format="%Y-%m-%d")


class ClosureForm(MarksInvalidFields, forms.Form):
    starts_on = forms.DateField(label=_("First day closed"), widget=DateInput())
    ends_on = forms.DateField(label=_("Last day closed"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), max_length=200,
                             widget=forms.TextInput(attrs={"class": "form-control",
                                                           "placeholder": _("e.g. Renovation of the workshop")}))

    def clean(self):
        data = super().clean()
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", gettext("The last day closed is before the first day."))
        return data
