"""Reads of the branch calendar, and the two functions every department uses:

* ``business_add(branch, start, minutes)``: when ``minutes`` business minutes after ``start``
  have passed (when is a 4-business-hour SLA due?);
* ``business_between(branch, start, end)``: how many business minutes lie in ``[start, end)``.

Business time is the branch's opening hours (``DEFAULT_HOURS`` while it has none of its own),
in the branch's own time zone, minus Indonesia's public holidays and collective leave days
(*cuti bersama*) from the ``holidays`` package, minus the branch's closures. Indonesia's zones
(WIB, WITA, WIT) have no daylight saving time; the arithmetic is done on real elapsed time
(UTC) all the same, so a zone with DST would not be wrong by an hour.

Each call loads the branch's hours and closures in two queries, whatever the span. A caller
that asks many questions about one branch (a list of SLAs) loads ``business_calendar`` once
and passes it as ``calendar=``.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.access import get_for_user_or_404
from accounts.models import Branch
from crm.charts import Chart
from crm.models import Interaction

from .models import Closure, OpeningHours, Weekday, branches_visible_to

MINUTE = dt.timedelta(minutes=1)
UTC = dt.UTC

# A branch with no opening hours of its own: Monday to Friday 08:00–12:00 and 13:00–17:00,
# Saturday 08:00–12:00, closed on Sunday. The calendar page says so.
_MORNING = (dt.time(8), dt.time(12))
_AFTERNOON = (dt.time(13), dt.time(17))
DEFAULT_HOURS: dict[int, tuple[tuple[dt.time, dt.time], ...]] = {
    Weekday.MONDAY: (_MORNING, _AFTERNOON),
    Weekday.TUESDAY: (_MORNING, _AFTERNOON),
    Weekday.WEDNESDAY: (_MORNING, _AFTERNOON),
    Weekday.THURSDAY: (_MORNING, _AFTERNOON),
    Weekday.FRIDAY: (_MORNING, _AFTERNOON),
    Weekday.SATURDAY: (_MORNING,),
}

# How far ahead business_add looks for business time before it gives up: a branch closed
# "forever" (or a request for more minutes than a few years hold) is an error, not a loop.
HORIZON_DAYS = 3 * 366
MAX_MINUTES_PER_DAY = 24 * 60

# The package's categories for Indonesia: PUBLIC (national holidays) and GOVERNMENT, which
# holds the cuti bersama days (collective leave, e.g. around Idul Fitri). Both close a branch.
HOLIDAY_CATEGORIES = (holidays.PUBLIC, holidays.GOVERNMENT)


class NoBusinessTime(ValueError):
    """No business time within ``HORIZON_DAYS`` of the start (the branch is closed that long)."""


# --- Public holidays ---------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _holiday_dates(year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays("ID", years=year, categories=HOLIDAY_CATEGORIES))


def is_public_holiday(day: dt.date) -> bool:
    """A national public holiday or a cuti bersama day in Indonesia."""
    return day in _holiday_dates(day.year)


@dataclass(frozen=True)
class Holiday:
    date: dt.date
    name: str
    collective_leave: bool  # cuti bersama, not a public holiday proper


def _holiday_language() -> str:
    # The package speaks Indonesian ("id") and American English ("en_US"), among others.
    return "id" if (get_language() or "").startswith("id") else "en_US"


@functools.lru_cache(maxsize=32)
def _holidays_of_year(year: int, language: str) -> tuple[Holiday, ...]:
    collective = holidays.country_holidays("ID", years=year, categories=(holidays.GOVERNMENT,))
    named = holidays.country_holidays("ID", years=year, categories=HOLIDAY_CATEGORIES, language=language)
    return tuple(Holiday(day, name, day in collective) for day, name in sorted(named.items()))


def holidays_between(first: dt.date, last: dt.date) -> list[Holiday]:
    """Public holidays and cuti bersama days from ``first`` to ``last``, named in the current language."""
    return [h for year in range(first.year, last.year + 1) for h in _holidays_of_year(year, _holiday_language())
            if first <= h.date <= last]


def upcoming_holidays(today: dt.date, count: int = 8) -> list[Holiday]:
    """The next ``count`` holidays from ``today`` on (this year's and next year's)."""
    return holidays_between(today, dt.date(today.year + 1, 12, 31))[:count]


# --- The calendar --------------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessCalendar:
    """A branch's business time: weekly hours, closures, the zone. Build with ``business_calendar``."""

    zone: ZoneInfo
    week: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    uses_default_hours: bool
    # (first day, last day) of every closure that matters, sorted by first day.
    closures: tuple[tuple[dt.date, dt.date], ...] = ()
    # Closures are only known from this day on (the day the calendar was loaded for).
    known_from: dt.date | None = None
    _closure_reasons: dict = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, branch: Branch, hours: Iterable[OpeningHours], closures: Iterable[Closure],
              known_from: dt.date | None = None) -> BusinessCalendar:
        week: dict[int, list[tuple[dt.time, dt.time]]] = {}
        for row in hours:
            week.setdefault(row.weekday, []).append((row.opens, row.closes))
        closures = sorted(closures, key=lambda c: (c.starts_on, c.ends_on))
        return cls(
            zone=ZoneInfo(branch.time_zone),
            week={day: tuple(sorted(ranges)) for day, ranges in week.items()} if week else dict(DEFAULT_HOURS),
            uses_default_hours=not week,
            closures=tuple((c.starts_on, c.ends_on) for c in closures),
            known_from=known_from,
            _closure_reasons={(c.starts_on, c.ends_on): c.reason for c in closures},
        )

    def closed_until(self, day: dt.date) -> dt.date | None:
        """The last day of the closure covering ``day`` (closures that overlap or follow on
        from it extend it), or None when no closure covers ``day``."""
        cover = None
        for first, end in self.closures:  # sorted by first day
            if cover is None:
                if first > day:
                    break
                if end >= day:
                    cover = end
            elif (first - cover).days > 1:
                break
            else:
                cover = max(cover, end)
        return cover

    def closure_reason(self, day: dt.date) -> str | None:
        for (first, end), reason in self._closure_reasons.items():
            if first <= day <= end:
                return reason
        return None

    def ranges_on(self, day: dt.date) -> tuple[tuple[dt.time, dt.time], ...]:
        """The day's opening ranges, ignoring holidays and closures."""
        return self.week.get(day.weekday(), ())

    def intervals(self, first_day: dt.date, last_day: dt.date) -> Iterator[tuple[dt.datetime, dt.datetime]]:
        """Business intervals (UTC, aware) of the days ``first_day``..``last_day``, in order."""
        if self.known_from is not None and first_day < self.known_from:
            raise ValueError(f"This calendar knows closures from {self.known_from} on, not {first_day}.")
        day = first_day
        while day <= last_day:
            closed_until = self.closed_until(day)
            if closed_until is not None:
                # Jump over the closure at once: a closure "until 9999" costs one step, not millions.
                if closed_until >= last_day:
                    return
                day = closed_until + dt.timedelta(days=1)
                continue
            if not is_public_holiday(day):
                for opens, closes in self.ranges_on(day):
                    yield (dt.datetime.combine(day, opens, tzinfo=self.zone).astimezone(UTC),
                           dt.datetime.combine(day, closes, tzinfo=self.zone).astimezone(UTC))
            day += dt.timedelta(days=1)

    def local_date(self, when: dt.datetime) -> dt.date:
        return when.astimezone(self.zone).date()

    def add(self, start: dt.datetime, minutes) -> dt.datetime:
        """See ``business_add``."""
        _check_aware(start)
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        if minutes == 0:
            return start.astimezone(self.zone)
        if minutes > HORIZON_DAYS * MAX_MINUTES_PER_DAY:
            raise NoBusinessTime(_("%(minutes)s business minutes cannot fit in %(days)s days.")
                                 % {"minutes": minutes, "days": HORIZON_DAYS})
        remaining = dt.timedelta(minutes=minutes)
        first_day = self.local_date(start)
        for opens, closes in self.intervals(first_day, first_day + dt.timedelta(days=HORIZON_DAYS)):
            if closes <= start:
                continue
            opens = max(opens, start)
            available = closes - opens
            if remaining <= available:
                # Exactly used up at a closing time is due at that closing time, not at the next opening.
                return (opens + remaining).astimezone(self.zone)
            remaining -= available
        raise NoBusinessTime(
            _("Fewer than %(minutes)s business minutes in the %(days)s days after %(start)s: "
              "the branch is closed for that long, or that is too many minutes.")
            % {"minutes": minutes, "days": HORIZON_DAYS,
               "start": start.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")}
        )

    def between(self, start: dt.datetime, end: dt.datetime) -> int:
        """See ``business_between``."""
        _check_aware(start)
        _check_aware(end)
        if end <= start:
            return 0
        total = dt.timedelta()
        for opens, closes in self.intervals(self.local_date(start), self.local_date(end)):
            if closes <= start:
                continue
            if opens >= end:
                break
            total += min(closes, end) - max(opens, start)
        return total // MINUTE

    def next_opening(self, when: dt.datetime) -> dt.datetime | None:
        """The moment the branch is next open at or after ``when`` (None if not within the horizon)."""
        first_day = self.local_date(when)
        for opens, closes in self.intervals(first_day, first_day + dt.timedelta(days=HORIZON_DAYS)):
            if closes > when:
                return max(opens, when).astimezone(self.zone)
        return None

    def open_until(self, when: dt.datetime) -> dt.datetime | None:
        """If open at ``when``: the time the current opening range ends; else None."""
        day = self.local_date(when)
        for opens, closes in self.intervals(day, day):
            if opens <= when < closes:
                return closes.astimezone(self.zone)
        return None


def _check_aware(when: dt.datetime) -> None:
    if timezone.is_naive(when):
        raise ValueError("Business time needs timezone-aware datetimes.")


def business_calendar(branch: Branch, *, since: dt.date, until: dt.date | None = None) -> BusinessCalendar:
    """The branch's calendar for the days from ``since`` (to ``until``, if given): two queries."""
    hours = OpeningHours.objects.filter(branch=branch).only("weekday", "opens", "closes")
    closures = Closure.objects.filter(branch=branch, ends_on__gte=since)
    if until is not None:
        closures = closures.filter(starts_on__lte=until)
    return BusinessCalendar.build(branch, hours, closures.only("starts_on", "ends_on", "reason"), known_from=since)


def _local_date(branch: Branch, when: dt.datetime) -> dt.date:
    _check_aware(when)
    return when.astimezone(ZoneInfo(branch.time_zone)).date()


def business_add(branch: Branch, start: dt.datetime, minutes, *, calendar: BusinessCalendar | None = None
                 ) -> dt.datetime:
    """The aware datetime (in the branch's zone) when ``minutes`` business minutes after
    ``start`` have passed. ``minutes=0`` is ``start`` itself; a start outside business hours
    counts from the next opening; minutes that end exactly at a closing time are due then.

    Raises ``NoBusinessTime`` when the branch has not that much business time within
    ``HORIZON_DAYS`` (closed "forever", or an absurd number of minutes).
    """
    if calendar is None:
        first = _local_date(branch, start)
        calendar = business_calendar(branch, since=first, until=first + dt.timedelta(days=HORIZON_DAYS))
    return calendar.add(start, minutes)


def business_between(branch: Branch, start: dt.datetime, end: dt.datetime, *,
                     calendar: BusinessCalendar | None = None) -> int:
    """Whole business minutes in ``[start, end)`` (a started minute does not count); 0 when
    ``end`` is not after ``start``."""
    if calendar is None:
        calendar = business_calendar(branch, since=_local_date(branch, start), until=_local_date(branch, end))
    return calendar.between(start, end)


# --- The calendar page ---------------------------------------------------------------------


def branch_get_for_user(user, branch_id, *, perm: str | None = None) -> Branch:
    """The branch with this public id if ``user`` may see it (404 otherwise: its own branch,
    or any for head office); with ``perm``, 403 when they may see it but lack ``perm``."""
    return get_for_user_or_404(branches_visible_to(user), user, write_perm=perm, public_id=branch_id)


@dataclass
class DaySchedule:
    date: dt.date
    ranges: tuple[tuple[dt.time, dt.time], ...]
    note: str = ""  # why a day with regular hours is closed (a holiday's name, a closure's reason)


@dataclass
class CalendarPage:
    calendar: BusinessCalendar
    regular_week: list[tuple[str, tuple[tuple[dt.time, dt.time], ...]]]
    next_days: list[DaySchedule]
    closures: list[Closure]
    holidays: list[Holiday]
    open_until: dt.datetime | None
    next_opening: dt.datetime | None


def calendar_page(branch: Branch, *, now: dt.datetime | None = None, days: int = 7) -> CalendarPage:
    """Everything the branch calendar page shows, in two queries (hours, closures)."""
    now = now or timezone.now()
    today = now.astimezone(ZoneInfo(branch.time_zone)).date()
    closures = list(Closure.objects.filter(branch=branch, ends_on__gte=today).order_by("starts_on", "ends_on"))
    calendar = BusinessCalendar.build(branch, OpeningHours.objects.filter(branch=branch), closures,
                                      known_from=today)
    holiday_names = {h.date: h.name for h in holidays_between(today, today + dt.timedelta(days=days - 1))}
    next_days = []
    for offset in range(days):
        day = today + dt.timedelta(days=offset)
        if calendar.closed_until(day) is not None:
            next_days.append(DaySchedule(day, (), calendar.closure_reason(day) or _("Closed")))
        elif day in holiday_names:
            next_days.append(DaySchedule(day, (), holiday_names[day]))
        else:
            next_days.append(DaySchedule(day, calendar.ranges_on(day)))
    return CalendarPage(
        calendar=calendar,
        regular_week=[(label, calendar.week.get(value, ())) for value, label in Weekday.choices],
        next_days=next_days,
        closures=closures,
        holidays=upcoming_holidays(today),
        open_until=calendar.open_until(now),
        next_opening=calendar.next_opening(now),
    )


def overlapping_ranges(ranges: Iterable[tuple[int, dt.time, dt.time]]) -> list[tuple[int, int]]:
    """Pairs ``(i, j)`` of indexes into ``ranges`` ((weekday, opens, closes) each) where range
    ``j`` overlaps an earlier-starting range ``i`` of the same day. Touching ranges
    (12:00 closes, 12:00 opens) do not overlap."""
    indexed = sorted(enumerate(ranges), key=lambda item: (item[1][0], item[1][1], item[1][2]))
    found = []
    latest: dict[int, tuple[int, dt.time]] = {}  # weekday -> (index, closes) of the latest-closing range so far
    for index, (weekday, opens, closes) in indexed:
        previous = latest.get(weekday)
        if previous is not None and opens < previous[1]:
            found.append((previous[0], index))
        if previous is None or closes > previous[1]:
            latest[weekday] = (index, closes)
    return found


def closures_overlapping(branch: Branch, starts_on: dt.date, ends_on: dt.date) -> list[Closure]:
    return list(Closure.objects.filter(branch=branch, starts_on__lte=ends_on, ends_on__gte=starts_on)
                .order_by("starts_on"))


def branches_list(user) -> list[Branch]:
    return list(branches_visible_to(user).order_by("-is_head_office", "name"))


# --- The activity report -------------------------------------------------------------------

REPORT_DAYS = 30


def branch_activity_chart(branch: Branch, *, now: dt.datetime | None = None, days: int = REPORT_DAYS) -> Chart:
    """Interactions of the branch (its customers', at the time) per day (in the branch's zone) over the last
    ``days`` days, today included, by kind: one aggregate query. Kinds with no interaction
    in the period are left out; days without any are zeros."""
    zone = ZoneInfo(branch.time_zone)
    today = (now or timezone.now()).astimezone(zone).date()
    first = today - dt.timedelta(days=days - 1)
    start = dt.datetime.combine(first, dt.time(), tzinfo=zone)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    counts = (
        Interaction.objects.filter(branch=branch, occurred_at__gte=start, occurred_at__lt=end)
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values_list("day", "kind")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_kind: dict[str, dict[dt.date, int]] = {}
    for day, kind, n in counts:
        by_kind.setdefault(kind, {})[day] = n
    labels = [first + dt.timedelta(days=i) for i in range(days)]
    series = [(label, [by_kind[kind].get(day, 0) for day in labels])
              for kind, label in Interaction.Kind.choices if kind in by_kind]
    return Chart(
        title=_("Interactions per day, last %(days)s days") % {"days": days},
        labels=labels,
        series=series,
        kind="bar",
        stacked=True,
        unit=_("interactions"),
        label_header=_("Day"),
        dom_id="chart-branch-activity",
    )


# --- branch sync (issue 16) ------------------------------------------------------------------------
def sync_overview() -> list[dict]:
    """Head office: every branch with a sync link, its last sync, lag, pending and open conflicts."""
    from django.db import connection
    from django.db.models import Count, Q
    from django.utils import timezone

    from crm import sync as registry

    from .models import BranchLink, Conflict
    from .wire import shapes

    hq_labels = [s.label for s in shapes() if s.spec.owner == registry.HQ]
    links = (BranchLink.objects.select_related("branch").order_by("branch__name")
             .annotate(live_credentials=Count("branch__sync_credentials",
                                              filter=Q(branch__sync_credentials__revoked_at__isnull=True),
                                              distinct=True)))
    open_conflicts = dict(Conflict.objects.filter(resolved_at__isnull=True).values("branch")
                          .annotate(n=Count("id")).values_list("branch", "n"))
    links = list(links)
    # Head office's changes each branch has not pulled yet (counted up to 10,000), one query for all.
    waiting = {}
    if links:
        with connection.cursor() as cur:
            cur.execute(
                "SELECT l.branch_id, (SELECT count(*) FROM (SELECT 1 FROM branches_change c "
                "  WHERE (c.xid, c.id) > (coalesce(l.pull_xid, '0'::xid8), l.pull_id) "
                "    AND (c.model = ANY(%s) OR c.branch_id = l.branch_id) LIMIT 10001) x) "
                "FROM branches_branchlink l WHERE l.id = ANY(%s)", [hq_labels, [link.pk for link in links]])
            waiting = dict(cur.fetchall())
    now = timezone.now()
    out = []
    for link in links:
        out.append({"link": link, "branch": link.branch, "waiting": waiting.get(link.branch_id, 0),
                    "lag": (now - link.last_success_at) if link.last_success_at else None,
                    "open_conflicts": open_conflicts.get(link.branch_id, 0), "live_credentials": link.live_credentials})
    return out


def sync_local_status() -> dict:
    """A branch instance: its own sync state and how many changes wait to be pushed."""
    from django.db import connection

    from crm import sync as registry

    from .models import SyncState
    from .wire import shapes

    import datetime as dt

    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    from .client import LOCK_KEY

    SyncState.objects.get_or_create(pk=1)
    labels = [s.label for s in shapes() if s.spec.owner == registry.BRANCH]
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM branches_change WHERE model = ANY(%s)", [labels])
        pending = cur.fetchone()[0]
        # A sync holds its advisory lock while it runs (branches.client).
        cur.execute("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                    "AND classid = 0 AND objid = %s)", [LOCK_KEY])
        locked = cur.fetchone()[0]
    state = SyncState.objects.get(pk=1)
    progress = state.progress or {}
    running, stale = bool(progress.get("running")), False
    if running and not locked:
        # Queued or started but no sync holds the lock: after two minutes, the worker that had it
        # stopped (killed, or the task was lost). The button comes back instead of waiting for ever.
        since = parse_datetime(progress.get("started") or progress.get("queued") or "")
        if since is None or timezone.now() - since > dt.timedelta(minutes=2):
            running, stale = False, True
    return {"state": state, "pending": pending, "running": running, "stale": stale}


def conflicts_described(conflicts) -> list:
    """Conflicts with what a person reads: the record type's and field's names, and a link to the
    record where it has a page (one query per record type)."""
    from collections import defaultdict

    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    conflicts = list(conflicts)
    by_model = defaultdict(set)
    for c in conflicts:
        by_model[c.model].add(c.record_id)
    objects = {}
    for label, ids in by_model.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        for obj in model._base_manager.filter(public_id__in=ids):
            objects[(label, obj.public_id)] = obj
    for c in conflicts:
        obj = objects.get((c.model, c.record_id))
        c.record = obj
        c.record_url = obj.get_absolute_url() if obj is not None and hasattr(obj, "get_absolute_url") else ""
        c.model_name = obj._meta.verbose_name if obj is not None else c.model
        try:
            c.field_name = obj._meta.get_field(c.field).verbose_name if obj is not None and c.field else c.field
        except FieldDoesNotExist:
            c.field_name = c.field
    return conflicts
