"""The back office's view of the branch calendars, with the staff page's checks."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .models import Closure, OpeningHours
from .selectors import closures_overlapping
from .services import opening_hours_validate


class OpeningHoursAdminForm(forms.ModelForm):
    class Meta:
        model = OpeningHours
        fields = ["branch", "weekday", "opens", "closes"]

    def clean(self):
        data = super().clean()
        branch, weekday, opens, closes = (data.get(k) for k in ("branch", "weekday", "opens", "closes"))
        if branch and weekday is not None and opens and closes:
            # The same rules as the staff page: this range against the branch's other ranges.
            others = OpeningHours.objects.filter(branch=branch).exclude(pk=self.instance.pk)
            try:
                opening_hours_validate([(r.weekday, r.opens, r.closes) for r in others] + [(weekday, opens, closes)])
            except ValidationError as error:
                raise ValidationError(error.messages)
        return data


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    form = OpeningHoursAdminForm
    list_display = ["branch", "weekday", "opens", "closes"]
    list_filter = ["branch", "weekday"]
    list_select_related = ["branch"]
    ordering = ["branch__name", "weekday", "opens"]
    show_full_result_count = False


class ClosureAdminForm(forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["branch", "starts_on", "ends_on", "reason"]

    def clean(self):
        data = super().clean()
        branch, starts_on, ends_on = data.get("branch"), data.get("starts_on"), data.get("ends_on")
        if branch and starts_on and ends_on:
            if ends_on < starts_on:
                self.add_error("ends_on", _("The last day closed is before the first day."))
            else:
                clash = [c for c in closures_overlapping(branch, starts_on, ends_on) if c.pk != self.instance.pk]
                if clash:
                    self.add_error("starts_on", _("Overlaps the closure “%(closure)s”.") % {"closure": clash[0]})
        return data


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    form = ClosureAdminForm
    list_display = ["branch", "starts_on", "ends_on", "reason"]
    list_filter = ["branch"]
    list_select_related = ["branch"]
    search_fields = ["reason"]
    date_hierarchy = "starts_on"
    ordering = ["-starts_on"]
    show_full_result_count = False
    readonly_fields = ["public_id"]
