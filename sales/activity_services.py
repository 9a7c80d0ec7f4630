"""Writes of issue 10, part 2: activities and their reminders, the lead score, sales targets.

Each write is one transaction; views, tasks, the demo and the lead services call these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Branch, Department, User
from accounts.services import notification_send
from crm import services as crm_services
from crm.models import Asset, Customer, Interaction

from .models import Activity, Lead, Opportunity, SalesTarget

ACTIVITY_ASSIGNED = "sales.activity_assigned"
ACTIVITY_DUE = "sales.activity_due"

# Who may be given an activity: the branch's sales staff and its managers.
ASSIGNABLE_DEPARTMENTS = (Department.SALES, Department.BRANCH_MANAGEMENT)


# --- the lead score ------------------------------------------------------------------------------
# A score of 0–100 from what a sales manager reads on a lead. Each rule gives its points when it
# holds; the points of all rules add up to 100. Change a weight here: lead_score (one lead, in
# Python) and score_expression (many leads, one UPDATE) both read these, and
# tests/sales/test_scoring.py checks that they agree.
SCORE_SOURCE = {  # where the lead came from: someone in the showroom or sent by a friend is warmest
    Lead.Source.WALK_IN: 25,
    Lead.Source.REFERRAL: 25,
    Lead.Source.WEB: 20,
    Lead.Source.PHONE: 20,
    Lead.Source.EVENT: 15,
    Lead.Source.SOCIAL: 10,
    Lead.Source.IMPORT: 5,
    Lead.Source.OTHER: 5,
}
SCORE_BUDGET = 20  # a budget given: they have thought about the money
SCORE_MODEL = 15  # a model of interest named
SCORE_TEST_DRIVE = 10  # asked for a test drive
SCORE_CONTACT_TIME = 5  # said when to call (not "any time")
SCORE_OWNS_VEHICLE = 10  # already our customer with a vehicle on file: a trade-in or a repeat buyer
SCORE_RECENT_ACTIVITY = 15  # a call, visit or email done with them in the last RECENT_ACTIVITY_DAYS
RECENT_ACTIVITY_DAYS = 14
assert max(SCORE_SOURCE.values()) + SCORE_BUDGET + SCORE_MODEL + SCORE_TEST_DRIVE + SCORE_CONTACT_TIME \
    + SCORE_OWNS_VEHICLE + SCORE_RECENT_ACTIVITY == 100


@dataclass(frozen=True)
class ScorePart:
    label: str
    points: int  # what the lead gets
    weight: int  # what the rule can give


def _recent_since(now: dt.datetime | None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=RECENT_ACTIVITY_DAYS)


def lead_score_parts(lead: Lead, *, owns_vehicle: bool | None = None, recent_activity: bool | None = None,
                     now: dt.datetime | None = None) -> list[ScorePart]:
    """Each rule with the points ``lead`` gets from it. The two facts that live in other
    tables are looked up (one query each) unless given: a new lead has no activity yet."""
    if owns_vehicle is None:
        owns_vehicle = bool(lead.customer_id) and Asset.objects.filter(customer_id=lead.customer_id).exists()
    if recent_activity is None:
        recent_activity = bool(lead.pk) and Activity.objects.filter(
            lead_id=lead.pk, kind__in=Activity.CONTACT_KINDS, done_at__gte=_recent_since(now)).exists()
    source_weight = max(SCORE_SOURCE.values())
    rules = [
        (_("Source: %(source)s") % {"source": Lead.Source(lead.source).label},
         SCORE_SOURCE.get(lead.source, 0), source_weight),
        (_("Budget given"), SCORE_BUDGET if lead.budget else 0, SCORE_BUDGET),
        (_("Model of interest named"), SCORE_MODEL if lead.model_of_interest else 0, SCORE_MODEL),
        (_("Wants a test drive"), SCORE_TEST_DRIVE if lead.wants_test_drive else 0, SCORE_TEST_DRIVE),
        (_("Said when to call"),
         SCORE_CONTACT_TIME if lead.preferred_contact_time != Lead.ContactTime.ANY else 0, SCORE_CONTACT_TIME),
        (_("Already owns a vehicle"), SCORE_OWNS_VEHICLE if owns_vehicle else 0, SCORE_OWNS_VEHICLE),
        (_("Contacted in the last %(days)s days") % {"days": RECENT_ACTIVITY_DAYS},
         SCORE_RECENT_ACTIVITY if recent_activity else 0, SCORE_RECENT_ACTIVITY),
    ]
    return [ScorePart(label, points, weight) for label, points, weight in rules]


def lead_score(lead: Lead, **facts) -> int:
    """The score of one lead (``lead_score_parts`` added up), 0–100."""
    return min(100, sum(part.points for part in lead_score_parts(lead, **facts)))


def score_expression(*, now: dt.datetime | None = None):
    """The same score as a SQL expression over the lead's row, for ``leads_score_refresh``."""

    def points(condition, weight):
        return Case(When(condition, then=Value(weight)), default=Value(0), output_field=IntegerField())

    source = Case(*[When(source=s, then=Value(p)) for s, p in SCORE_SOURCE.items()], default=Value(0),
                  output_field=IntegerField())
    recent = Activity.objects.filter(lead_id=OuterRef("pk"), kind__in=Activity.CONTACT_KINDS,
                                     done_at__gte=_recent_since(now))
    return (source
            + points(Q(budget__isnull=False) & ~Q(budget=0), SCORE_BUDGET)
            + points(~Q(model_of_interest=""), SCORE_MODEL)
            + points(Q(wants_test_drive=True), SCORE_TEST_DRIVE)
            + points(~Q(preferred_contact_time=Lead.ContactTime.ANY), SCORE_CONTACT_TIME)
            + points(Exists(Asset.objects.filter(customer_id=OuterRef("customer_id"))), SCORE_OWNS_VEHICLE)
            + points(Exists(recent), SCORE_RECENT_ACTIVITY))


def leads_score_refresh(leads, *, now: dt.datetime | None = None) -> int:
    """Recompute the score of ``leads`` (a queryset or ids) in one UPDATE, however many: after
    an import, a completed activity, the demo data, or a nightly pass as contacts age."""
    queryset = leads if hasattr(leads, "model") else Lead.objects.filter(pk__in=list(leads))
    return queryset.order_by().update(score=score_expression(now=now))


def leads_score_age(*, now: dt.datetime | None = None) -> int:
    """Open leads whose contact points may have run out since yesterday (a contact done
    RECENT_ACTIVITY_DAYS ago, give or take a day for a late run): rescored in one UPDATE."""
    since = _recent_since(now)
    aged = Activity.objects.filter(lead_id__isnull=False, done_at__gte=since - dt.timedelta(days=2),
                                   done_at__lt=since).values("lead_id")
    return leads_score_refresh(Lead.objects.open().filter(pk__in=aged), now=now)


# --- activities ----------------------------------------------------------------------------------
def assignable_staff(branch: Branch):
    """Who an activity of ``branch`` may be given to."""
    return User.objects.filter(branch=branch, is_active=True, department__in=ASSIGNABLE_DEPARTMENTS) \
        .order_by("first_name", "email")


def _check_assignee(assignee: User, branch: Branch) -> None:
    if assignee is None or assignee.branch_id != branch.pk or not assignee.is_active \
            or assignee.department not in ASSIGNABLE_DEPARTMENTS:
        raise ValidationError({"assignee": _("Choose an active member of the sales staff of %(branch)s.")
                                           % {"branch": branch.name}}, code="assignee")


@transaction.atomic
def activity_create(*, by: User | None, kind: str, subject: str, due_at: dt.datetime, assignee: User,
                    customer: Customer | None = None, lead: Lead | None = None,
                    opportunity: Opportunity | None = None, notes: str = "") -> Activity:
    """A new activity about a customer, a lead or an opportunity (of the branch it belongs
    to); its assignee is told unless they made it themselves."""
    if opportunity is not None and customer is None:
        customer = opportunity.customer
    if lead is not None and customer is None and lead.customer_id:
        customer = lead.customer
    about = opportunity or lead or customer
    if about is None:
        raise ValidationError(_("Say which customer, lead or opportunity the activity is about."), code="subject")
    _check_assignee(assignee, about.branch)
    if timezone.is_naive(due_at):
        raise ValueError("due_at must be timezone-aware")
    activity = Activity.objects.create(
        branch=about.branch, kind=kind, subject=subject.strip(), notes=notes.strip(), due_at=due_at,
        assignee=assignee, customer=customer, lead=lead, opportunity=opportunity, created_by=by)
    notification_send(to=assignee, verb=ACTIVITY_ASSIGNED, target=activity, by=by)
    return activity


@transaction.atomic
def activity_update(*, activity: Activity, by: User | None, **fields) -> Activity:
    """Change the subject, notes, due time or assignee of an open activity. A new due time
    gets its own reminder; a new assignee is told."""
    activity = Activity.objects.select_for_update(of=("self",)).select_related("branch").get(pk=activity.pk)
    if activity.is_done:
        raise ValidationError(_("This activity is done; it can no longer be changed."), code="done")
    update = ["subject", "notes", "due_at", "assignee", "kind"]
    fields = {name: value for name, value in fields.items() if name in update}
    new_assignee = "assignee" in fields and fields["assignee"].pk != activity.assignee_id
    if new_assignee:
        _check_assignee(fields["assignee"], activity.branch)
    if "due_at" in fields and fields["due_at"] != activity.due_at:
        fields["reminded_at"] = None
    for name, value in fields.items():
        setattr(activity, name, value)
    if fields:
        activity.save(update_fields=list(fields))
    if new_assignee:
        notification_send(to=activity.assignee, verb=ACTIVITY_ASSIGNED, target=activity, by=by)
    return activity


# How a done activity is written on the timeline: (kind, channel, direction, summary).
_TIMELINE = {
    Activity.Kind.CALL: (Interaction.Kind.CALL, Interaction.Channel.PHONE, Interaction.Direction.OUTBOUND,
                         gettext_lazy("Call done: %(subject)s.")),
    Activity.Kind.VISIT: (Interaction.Kind.VISIT, Interaction.Channel.IN_PERSON, Interaction.Direction.OUTBOUND,
                          gettext_lazy("Visit or meeting done: %(subject)s.")),
    Activity.Kind.EMAIL: (Interaction.Kind.EMAIL, Interaction.Channel.EMAIL, Interaction.Direction.OUTBOUND,
                          gettext_lazy("Email sent: %(subject)s.")),
    Activity.Kind.TASK: (Interaction.Kind.NOTE, Interaction.Channel.SYSTEM, Interaction.Direction.INTERNAL,
                         gettext_lazy("Task done: %(subject)s.")),
}


@transaction.atomic
def activity_complete(*, activity: Activity, by: User | None, outcome: str = "") -> Activity:
    """Mark done, once. It goes on the customer's timeline (a lead that is not a customer
    yet keeps it in its history until conversion); a call, visit or email with a lead counts
    as contacting it (its first response, a new lead becomes contacted) and moves its score."""
    from . import services as lead_services

    activity = Activity.objects.select_for_update(of=("self",)).select_related(
        "customer", "lead", "lead__customer", "lead__branch").get(pk=activity.pk)
    if activity.is_done:
        raise ValidationError(_("This activity is already done."), code="done")
    now = timezone.now()
    activity.done_at, activity.done_by, activity.outcome = now, by, (outcome or "").strip()
    activity.save(update_fields=["done_at", "done_by", "outcome"])
    kind, channel, direction, summary = _TIMELINE[activity.kind]
    summary = str(summary) % {"subject": activity.subject}
    if activity.outcome:
        summary += " " + activity.outcome
    lead = activity.lead
    customer = activity.customer or (lead.customer if lead is not None else None)
    if customer is not None:
        crm_services.interaction_record(customer=customer, kind=kind, channel=channel, direction=direction,
                                        summary=summary, staff=by, occurred_at=now, source=activity,
                                        department=Department.SALES)
    else:
        lead_services._lead_history(lead=lead, summary=summary, by=by, at=now)
    if lead is not None and activity.kind in Activity.CONTACT_KINDS:
        if lead.status == Lead.Status.NEW:
            lead_services.lead_status_set(lead=lead, status=Lead.Status.CONTACTED, by=by)
        elif lead.first_contacted_at is None and lead.is_open:
            Lead.objects.filter(pk=lead.pk, first_contacted_at__isnull=True).update(first_contacted_at=now)
        leads_score_refresh([lead.pk], now=now)
    return activity


# --- reminders -----------------------------------------------------------------------------------
REMINDER_BATCH = 500
# An activity already this far past its due time when the sweep first sees it (made late, or
# beat was down) gets no reminder: the agenda shows it as overdue instead.
REMINDER_GRACE = dt.timedelta(hours=1)


def activity_reminders_send(*, now: dt.datetime | None = None) -> int:
    """Remind each assignee SALES_ACTIVITY_REMINDER_MINUTES before an open activity is due,
    once: the conditional UPDATE on ``reminded_at IS NULL`` is the claim, so two beat
    processes, or a task retried after a crash, cannot send it twice (the second UPDATE waits
    for the first's row lock, then finds the row taken and matches nothing)."""
    now = now or timezone.now()
    ahead = dt.timedelta(minutes=settings.SALES_ACTIVITY_REMINDER_MINUTES)
    due = list(Activity.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_at__lte=now + ahead,
                                       due_at__gt=now - REMINDER_GRACE)
               .select_related("assignee", "branch").order_by("due_at", "id")[:REMINDER_BATCH])
    sent = 0
    for activity in due:
        with transaction.atomic():
            claimed = Activity.objects.filter(pk=activity.pk, reminded_at__isnull=True, done_at__isnull=True) \
                .update(reminded_at=now)
            if not claimed:
                continue  # done meanwhile, or another sweep got there first
            notification_send(to=activity.assignee, verb=ACTIVITY_DUE, target=activity)
        sent += 1
    return sent


# --- targets -------------------------------------------------------------------------------------
MAX_TARGET_AMOUNT = Decimal(10**13)


@transaction.atomic
def sales_targets_set(*, branch: Branch, month: dt.date, targets: list[tuple[User, Decimal, int]],
                      by: User | None) -> int:
    """Each rep's target for ``month`` (amount won, leads handled): one upsert for the
    branch's month. A rep of another branch is refused."""
    month = month.replace(day=1)
    rows = []
    for rep, amount, leads in targets:
        if rep.branch_id != branch.pk:
            raise ValidationError(_("%(rep)s is not staff of %(branch)s.") % {"rep": rep, "branch": branch.name},
                                  code="rep")
        rows.append(SalesTarget(branch=branch, rep=rep, month=month, target_amount=amount or 0,
                                target_leads=leads or 0, set_by=by))
    SalesTarget.objects.bulk_create(rows, update_conflicts=True, unique_fields=["rep", "month"],
                                    update_fields=["branch", "target_amount", "target_leads", "set_by"])
    return len(rows)
