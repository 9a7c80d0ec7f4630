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


# --- Branch <-> head-office sync (issue 16; branches/sync*.py, docs/SYNC_DESIGN.md) -------------
class Xid8Field(models.Field):
    """PostgreSQL's ``xid8``: the writing transaction's id, which orders the change log."""

    def db_type(self, connection):
        return "xid8"

    def from_db_value(self, value, expression, connection):
        return None if value is None else int(value)

    def get_prep_value(self, value):
        return None if value is None else str(value)


class Change(models.Model):
    """One changed row of a synced model, written by the table's triggers in the writing
    transaction (branches/capture.py). Read in (xid, id) order below the oldest running
    transaction, never by id alone; pruned once the other side has it."""

    xid = Xid8Field(db_default=models.Func(function="pg_current_xact_id", output_field=Xid8Field()))
    model = models.CharField(max_length=64)
    public_id = models.UUIDField()
    op = models.CharField(max_length=1)  # I, U, D
    branch_id = models.BigIntegerField(null=True)  # the owning branch; NULL for reference data
    fields = models.JSONField(null=True)  # the last-writer-wins fields an update changed

    class Meta:
        indexes = [models.Index(fields=["xid", "id"], name="branches_change_order_idx"),
                   models.Index(fields=["model", "public_id"], name="branches_change_row_idx")]


class FieldClock(models.Model):
    """When (hybrid logical clock) and where (node) a field of a synced row was last written,
    and the writing transaction (to know whether the other side has seen it)."""

    model = models.CharField(max_length=64)
    public_id = models.UUIDField()
    field = models.CharField(max_length=64)
    hlc = models.BigIntegerField()
    node = models.CharField(max_length=16)
    xid = Xid8Field(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["model", "public_id", "field"], name="fieldclock_unique")]


class SyncState(models.Model):
    """This instance's side of the sync (one row, id 1): its clock, and at a branch the
    position of its pushes and pulls and how the last sync went."""

    hlc_seen = models.BigIntegerField(default=0)
    # This copy of the branch (drawn at enrolment): head office answers a batch number as a
    # replay only to the copy that sent it (a restored backup or second server is refused).
    instance = models.UUIDField(null=True)
    batch_seq = models.PositiveIntegerField(default=1)  # the next push batch's number
    pull_xid = Xid8Field(null=True)
    pull_id = models.BigIntegerField(default=0)
    enrolled_at = models.DateTimeField(null=True)
    last_attempt_at = models.DateTimeField(null=True)
    last_success_at = models.DateTimeField(null=True)
    last_error = models.TextField(blank=True)
    clock_ahead_seconds = models.IntegerField(default=0)
    progress = models.JSONField(default=dict)  # the running or last sync: what "Sync now" shows


class SyncCredential(models.Model):
    """A branch instance's key to head office. Only its hash is stored; revoked keys stay for the log."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="sync_credentials",
                               verbose_name=_("branch"))
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("issued"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("sync credential")
        verbose_name_plural = _("sync credentials")

    def __str__(self):
        return f"{self.branch.code} #{self.pk}"


class BranchLink(models.Model):
    """Head office's view of one branch instance: when it last synchronised and where it is."""

    branch = models.OneToOneField(Branch, on_delete=models.CASCADE, related_name="sync_link")
    last_push_at = models.DateTimeField(null=True)
    last_pull_at = models.DateTimeField(null=True)
    last_success_at = models.DateTimeField(null=True)
    pull_xid = Xid8Field(null=True)  # what the branch has committed of head office's changes
    pull_id = models.BigIntegerField(default=0)
    pending_at_branch = models.IntegerField(default=0)  # as the branch reported on its last push
    clock_ahead_seconds = models.IntegerField(default=0)
    silent_notified_at = models.DateTimeField(null=True)


class ReceivedBatch(models.Model):
    """A push batch head office applied: a replay of (branch, batch_seq) is answered from here."""

    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+")
    batch_seq = models.PositiveIntegerField()
    instance = models.UUIDField(null=True)
    changes = models.PositiveIntegerField()
    answer = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["branch", "batch_seq"], name="receivedbatch_once")]


class Refusal(models.Model):
    """A sync request head office refused (unknown or revoked credential, a write the branch
    does not own): logged, shown on the sync page; nothing of it was applied."""

    at = models.DateTimeField(_("when"), auto_now_add=True)
    branch = models.ForeignKey(Branch, on_delete=models.SET_NULL, null=True, related_name="+",
                               verbose_name=_("branch"))
    credential = models.ForeignKey(SyncCredential, on_delete=models.SET_NULL, null=True, related_name="+")
    reason = models.CharField(_("reason"), max_length=200)
    address = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["-at"], name="branches_refusal_at_idx")]
        verbose_name = _("refused sync request")
        verbose_name_plural = _("refused sync requests")

    def __str__(self):
        return f"{self.branch.code if self.branch else '?'}: {self.reason}"

    def get_absolute_url(self):
        return reverse("branches:sync_status")


class Conflict(models.Model):
    """The same field edited at head office and at a branch: one side won on both sides (the
    later hybrid-clock stamp, never a clock too far ahead); a person reviews it here."""

    class Winner(models.TextChoices):
        HQ = "hq", _("head office")
        BRANCH = "branch", _("branch")

    class Reason(models.TextChoices):
        BOTH_EDITED = "both_edited", _("edited on both sides")
        CLOCK_AHEAD = "clock_ahead", _("branch clock too far ahead")
        REJECTED = "rejected", _("could not be applied")

    class Resolution(models.TextChoices):
        KEPT = "kept", _("kept")
        TOOK_OTHER = "took_other", _("took the other value")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    branch = models.ForeignKey(Branch, on_delete=models.CASCADE, related_name="+", verbose_name=_("branch"))
    model = models.CharField(_("record type"), max_length=64)
    record_id = models.UUIDField(_("record"))
    field = models.CharField(_("field"), max_length=64)
    hq_value = models.JSONField(_("head office value"), null=True)
    branch_value = models.JSONField(_("branch value"), null=True)
    hq_clock = models.BigIntegerField(default=0)
    branch_clock = models.BigIntegerField(default=0)
    winner = models.CharField(_("winner"), max_length=8, choices=Winner.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    resolved_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    resolution = models.CharField(_("review"), max_length=16, choices=Resolution.choices, blank=True)

    objects = BranchScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("sync conflict")
        verbose_name_plural = _("sync conflicts")
        indexes = [models.Index(fields=["branch", "resolved_at"], name="branches_conflict_open_idx")]
