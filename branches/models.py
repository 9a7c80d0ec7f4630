"""Each branch's business calendar: opening hours per weekday and closures.

Public holidays are not stored: they come from the ``holidays`` package (branches.selectors).
A branch with no opening hours of its own keeps ``DEFAULT_HOURS`` (branches.selectors).
"""

import uuid

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.access import BranchScopedQuerySet
from accounts.models import Branch, TimeStampedModel


class Weekday(models.IntegerChoices):
    # Python's date.weekday() numbering, so a day's hours are looked up without translation.
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def branches_visible_to(user):
    """``Branch`` rows ``user`` may see, through the one scoping rule (accounts.access)."""
    return Branch.objects.visible_to(user)


class OpeningHours(TimeStampedModel):
    """One opening range of a branch on one weekday; a day may have several (a lunch break)."""

    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.CASCADE,
                               related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(_("day"), choices=Weekday.choices)
    opens = models.TimeField(_("opens"))
    closes = models.TimeField(_("closes"))

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        ordering = ["branch", "weekday", "opens"]
        verbose_name = _("opening hours")
        verbose_name_plural = _("opening hours")
        constraints = [
            models.CheckConstraint(condition=Q(closes__gt=F("opens")), name="opening_hours_closes_after_opens"),
            # Overlaps are refused by branches.services (a range exclusion would need btree_gist);
            # the same range twice is refused here too.
            models.UniqueConstraint(fields=["branch", "weekday", "opens"], name="opening_hours_unique_start"),
        ]

    def __str__(self):
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Closure(TimeStampedModel):
    """Days a branch is closed (renovation, a local holiday, the week around Idul Fitri)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, verbose_name=_("branch"), on_delete=models.CASCADE, related_name="closures")
    starts_on = models.DateField(_("first day closed"))
    ends_on = models.DateField(_("last day closed"))
    reason = models.CharField(_("reason"), max_length=200)

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        ordering = ["branch", "starts_on"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="closure_ends_after_start"),
        ]
        indexes = [
            # The calendar loads "closures of this branch still running on or after day X".
            models.Index(fields=["branch", "ends_on"], name="closure_branch_ends_idx"),
        ]

    def __str__(self):
        return f"{self.starts_on:%d/%m/%Y}–{self.ends_on:%d/%m/%Y}: {self.reason}"

    def get_absolute_url(self):
        return reverse("branches:calendar", args=[self.branch.public_id])
