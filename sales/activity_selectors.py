"""Reads of issue 10, part 2: my agenda, activity lists, and each rep's month against target.

Each returns what its page shows in a fixed number of queries, whatever the data size.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Branch, User
from accounts.templatetags.relasi_time import zone_abbreviation
from branches.selectors import business_calendar
from crm.charts import Chart

from .activity_services import ASSIGNABLE_DEPARTMENTS
from .models import Activity, Lead, Opportunity, SalesTarget

AGENDA_ROWS = 30  # per section: a rep with more overdue than this has a different problem (the page says so)
AGENDA_UPCOMING_DAYS = 14
CARD_ROWS = 8
PANEL_ROWS = 5
RECORD_ROWS = 20

_LIST_FIELDS = ("public_id", "kind", "subject", "due_at", "done_at", "branch_id", "assignee_id", "customer_id",
                "lead_id", "opportunity_id", "customer__public_id", "customer__name", "lead__public_id",
                "lead__name", "opportunity__public_id", "opportunity__title")


def activities_visible_to(user: User):
    return Activity.objects.visible_to(user)


def _listed(queryset):
    return queryset.select_related("customer", "lead", "opportunity").only(*_LIST_FIELDS)


def _zone_of(user: User):
    """The assignee's branch zone (the agenda's "today"), else the request's current zone."""
    branch = getattr(user, "branch", None)
    return ZoneInfo(branch.time_zone) if branch is not None else timezone.get_current_timezone()


def _day_bounds(user: User, now: dt.datetime) -> tuple[dt.date, dt.datetime, dt.datetime]:
    zone = _zone_of(user)
    today = now.astimezone(zone).date()
    start = dt.datetime.combine(today, dt.time.min, tzinfo=zone)
    return today, start, dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min, tzinfo=zone)


@dataclass
class Agenda:
    today: dt.date
    zone: str
    overdue: list = field(default_factory=list)
    due_today: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)
    limit: int = AGENDA_ROWS

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.due_today or self.upcoming)

    @property
    def zone_name(self) -> str:
        """The zone "today" is counted in (the assignee's), by its Indonesian name (WITA)."""
        return zone_abbreviation(ZoneInfo(self.zone))


def agenda(user: User, *, now: dt.datetime | None = None, assignee: User | None = None) -> Agenda:
    """My open activities (or ``assignee``'s, for a manager looking at a rep's): overdue
    (oldest first), due today, and the next two weeks, days counted in the assignee's branch
    zone. Three queries, each a range read off the agenda index."""
    now = now or timezone.now()
    assignee = assignee or user
    today, start, end = _day_bounds(assignee, now)
    mine = _listed(activities_visible_to(user).open().filter(assignee=assignee)).order_by("due_at", "id")
    horizon = start + dt.timedelta(days=AGENDA_UPCOMING_DAYS + 1)
    return Agenda(
        today=today, zone=str(_zone_of(assignee)), limit=AGENDA_ROWS,
        overdue=list(mine.filter(due_at__lt=now)[:AGENDA_ROWS]),
        due_today=list(mine.filter(due_at__gte=now, due_at__lt=end)[:AGENDA_ROWS]),
        upcoming=list(mine.filter(due_at__gte=end, due_at__lt=horizon)[:AGENDA_ROWS]),
    )


def agenda_reps(user: User) -> list[User]:
    """Whose agenda a manager may open: the active sales staff of their branch (every
    branch's for head office). One query."""
    staff = User.objects.filter(is_active=True, department__in=ASSIGNABLE_DEPARTMENTS).select_related("branch")
    if not user.sees_all_branches:
        staff = staff.filter(branch_id=user.branch_id)
    return list(staff.exclude(pk=user.pk).order_by("branch__name", "first_name", "email"))


def my_agenda_card(user: User) -> list[Activity]:
    """The home card: what I have overdue or due today, earliest first (one query)."""
    _today, _start, end = _day_bounds(user, timezone.now())
    return list(_listed(activities_visible_to(user).open().filter(assignee=user, due_at__lt=end))
                .order_by("due_at", "id")[:CARD_ROWS])


def customer_activities_panel(customer, user) -> dict:
    """The 360 panel: the customer's open activities, soonest first (one query)."""
    rows = list(_listed(Activity.objects.open().filter(customer=customer)).select_related("assignee")
                .order_by("due_at", "id")[:PANEL_ROWS])
    actions = []
    if user.has_perm("sales.add_activity"):
        actions.append({"url": reverse("sales:activity_create_for_customer", args=[customer.public_id]),
                        "label": _("New activity")})
    return {"activities": rows, "empty": not rows, "actions": actions}


def record_activities(*, lead: Lead | None = None, opportunity: Opportunity | None = None) -> list[Activity]:
    """A lead's or an opportunity's activities: open ones first (soonest first), then the
    latest done. One query."""
    queryset = Activity.objects.filter(lead=lead) if lead is not None else Activity.objects.filter(
        opportunity=opportunity)
    return list(_listed(queryset).select_related("assignee")
                .order_by(F("done_at").desc(nulls_first=True), "due_at", "id")[:RECORD_ROWS])


# --- performance -----------------------------------------------------------------------------------
def month_bounds(month: dt.date, branch: Branch) -> tuple[dt.datetime, dt.datetime]:
    """The month in the branch's own zone (a deal won at 23:30 WITA on the 31st counts there)."""
    zone = ZoneInfo(branch.time_zone)
    first = month.replace(day=1)
    following = (first.replace(year=first.year + 1, month=1) if first.month == 12
                 else first.replace(month=first.month + 1))
    return dt.datetime.combine(first, dt.time.min, tzinfo=zone), dt.datetime.combine(following, dt.time.min,
                                                                                       tzinfo=zone)


@dataclass
class RepMonth:
    rep: User
    target: SalesTarget | None = None
    leads_handled: int = 0
    converted: int = 0
    contacted: int = 0
    response_minutes: float | None = None  # median business minutes from assignment to first contact
    won_amount: Decimal = Decimal(0)
    won_count: int = 0

    @property
    def conversion_rate(self) -> float | None:
        return round(self.converted / self.leads_handled * 100, 1) if self.leads_handled else None

    @property
    def response_hours(self) -> float | None:
        return round(self.response_minutes / 60, 1) if self.response_minutes is not None else None

    @property
    def target_amount(self) -> Decimal:
        return self.target.target_amount if self.target else Decimal(0)

    @property
    def target_leads(self) -> int:
        return self.target.target_leads if self.target else 0

    @property
    def amount_pct(self) -> int | None:
        return round(self.won_amount / self.target_amount * 100) if self.target_amount else None

    @property
    def leads_pct(self) -> int | None:
        return round(self.leads_handled / self.target_leads * 100) if self.target_leads else None


def performance(branch: Branch, month: dt.date) -> list[RepMonth]:
    """Each rep of ``branch`` in ``month``: leads handled (assigned to them in the month),
    first-response time in the branch's business hours, conversion rate, won amount, against
    the month's target. Six queries whatever the data size: reps, targets, the month's leads
    (one row each, a few hundred at most per branch), won totals, the branch calendar (2)."""
    start, end = month_bounds(month, branch)
    reps = {u.pk: RepMonth(rep=u) for u in User.objects.filter(
        branch=branch, is_active=True, department__in=ASSIGNABLE_DEPARTMENTS).order_by("first_name", "email")}
    targets = list(SalesTarget.objects.filter(branch=branch, month=month.replace(day=1)).select_related("rep"))
    for target in targets:  # a rep who left since keeps their row for the month they had a target
        reps.setdefault(target.rep_id, RepMonth(rep=target.rep)).target = target
    leads = list(Lead.objects.filter(branch=branch, assigned_at__gte=start, assigned_at__lt=end, owner__isnull=False)
                 .values_list("owner_id", "status", "assigned_at", "first_contacted_at"))
    calendar = business_calendar(branch, since=start.date() - dt.timedelta(days=1), until=end.date() + dt.timedelta(60))
    responses: dict[int, list[int]] = {}
    for owner_id, status, assigned_at, first_contacted_at in leads:
        row = reps.get(owner_id)
        if row is None:
            continue  # a lead given to someone who is no longer sales staff here
        row.leads_handled += 1
        row.converted += status == Lead.Status.CONVERTED
        if first_contacted_at is not None:
            row.contacted += 1
            responses.setdefault(owner_id, []).append(calendar.between(assigned_at, first_contacted_at))
    for owner_id, minutes in responses.items():
        reps[owner_id].response_minutes = statistics.median(minutes)
    won = (Opportunity.objects.filter(branch=branch, stage__is_won=True, closed_at__gte=start, closed_at__lt=end,
                                      owner__isnull=False)
           .order_by().values("owner_id").annotate(total=Sum("amount"), n=Count("id")))
    for row in won:
        if row["owner_id"] in reps:
            reps[row["owner_id"]].won_amount = row["total"] or Decimal(0)
            reps[row["owner_id"]].won_count = row["n"]
    return list(reps.values())


def performance_totals(rows: list[RepMonth]) -> RepMonth:
    total = RepMonth(rep=None)
    for row in rows:
        total.leads_handled += row.leads_handled
        total.converted += row.converted
        total.won_amount += row.won_amount
        total.won_count += row.won_count
    return total


def performance_won_chart(rows: list[RepMonth], month: dt.date) -> Chart:
    return Chart(
        title=_("Won against target, %(month)s") % {"month": month.strftime("%Y-%m")}, kind="bar", unit="Rp",
        labels=[str(r.rep) for r in rows], label_header=_("Sales rep"), dom_id="chart-sales-performance-won",
        series=[(_("Won amount"), [int(r.won_amount) for r in rows]),
                (_("Target amount"), [int(r.target_amount) for r in rows])],
    )


def performance_leads_chart(rows: list[RepMonth], month: dt.date) -> Chart:
    return Chart(
        title=_("Leads handled against target, %(month)s") % {"month": month.strftime("%Y-%m")}, kind="bar",
        unit=_("leads"), labels=[str(r.rep) for r in rows], label_header=_("Sales rep"),
        dom_id="chart-sales-performance-leads",
        series=[(_("Leads handled"), [r.leads_handled for r in rows]),
                (_("Target leads"), [r.target_leads for r in rows])],
    )


def performance_table(rows: list[RepMonth], month: dt.date) -> Chart:
    """Every figure of the page's table, for its CSV (never drawn)."""
    return Chart(
        title=_("Sales performance %(month)s") % {"month": month.strftime("%Y-%m")}, kind="bar",
        labels=[str(r.rep) for r in rows], label_header=_("Sales rep"),
        series=[(_("Leads handled"), [r.leads_handled for r in rows]),
                (_("Target leads"), [r.target_leads for r in rows]),
                (_("Contacted"), [r.contacted for r in rows]),
                (_("Median first response (business hours)"),
                 [r.response_hours if r.response_hours is not None else 0 for r in rows]),
                (_("Converted"), [r.converted for r in rows]),
                (_("Conversion rate (%)"), [r.conversion_rate or 0 for r in rows]),
                (_("Won deals"), [r.won_count for r in rows]),
                (_("Won amount"), [int(r.won_amount) for r in rows]),
                (_("Target amount"), [int(r.target_amount) for r in rows])],
    )


def targets_of(branch: Branch, month: dt.date) -> dict[int, SalesTarget]:
    return {t.rep_id: t for t in SalesTarget.objects.filter(branch=branch, month=month.replace(day=1))}


def target_reps(branch: Branch) -> list[User]:
    return list(User.objects.filter(branch=branch, is_active=True, department__in=ASSIGNABLE_DEPARTMENTS)
                .order_by("first_name", "email"))
