"""Helpdesk reports (issue 15, "Reports"): per month (or per week) the complaints by category,
department and branch; the median time to the first response and to the resolution; the
share that met its SLA; the reopen rate. Each is a crm.charts.Chart: table, chart and CSV
from the same figures.

Every figure is computed in the database over the complaints the user may see, grouped by
the month (or week) they were taken — PostgreSQL's date_trunc in the current time zone —
so a month's figures never change because of when you look, except as its complaints move on.
Two report queries for the six charts (and one for the branches' names):

- ``_counts``: complaints per period × category × department × branch, with the additive
  counts of the SLA and reopen charts (COUNT ... FILTER): one scan pivoted in Python (four
  separate scans of a branch's 12 weeks took 0.7 s at 500,000 complaints; one, a quarter),
  then the branches' names (a few rows).
- ``_times``: per period, the medians (``percentile_cont(0.5) WITHIN GROUP``). A median does
  not add up across groups, so it cannot come from the first query's rows.

The rows of each query are cached for five minutes per branch scope (``_cached``).

Times are wall-clock hours from the moment the complaint was taken: a complaint stores when
it was answered and resolved, not the business minutes in between (the SLA itself is held in
the branch's business hours, through its due times, and the SLA chart reads those). The page
says so on the chart.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.cache import cache
from django.db.models import Aggregate, Count, F, FloatField, Func, Q
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Branch, Department
from crm.charts import Chart

from .models import Category, Complaint


@dataclass(frozen=True)
class Period:
    key: str
    trunc: type
    choices: tuple[int, ...]
    default: int
    label_header: str
    date_format: str


PERIODS = {
    "month": Period("month", TruncMonth, (3, 6, 12, 24), 12, gettext_lazy("Month"), "M Y"),
    "week": Period("week", TruncWeek, (4, 12, 26, 52), 12, gettext_lazy("Week of"), "j M Y"),
}
DEFAULT_PERIOD = "month"
CHARTS = ("category", "department", "branch", "times", "sla", "reopen")
CACHE_SECONDS = 300
# Which query each chart needs.
_TIMES = {"times"}


class Median(Aggregate):
    """percentile_cont(0.5): the median, interpolated between the two middle values."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _hours(end: str, start: str = "created_at") -> Func:
    return Func(F(end) - F(start), template="EXTRACT(EPOCH FROM %(expressions)s) / 3600.0",
                output_field=FloatField())


def periods_of(now: dt.datetime, period: Period, n: int) -> list[dt.date]:
    """The first days of the last ``n`` months (or the Mondays of the last ``n`` weeks), this
    one included, oldest first."""
    today = timezone.localdate(now)
    if period.key == "week":
        monday = today - dt.timedelta(days=today.weekday())
        return [monday - dt.timedelta(weeks=k) for k in range(n - 1, -1, -1)]
    months = []
    year, month = today.year, today.month
    for _k in range(n):
        months.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def _scope(user, first: dt.date):
    start = dt.datetime.combine(first, dt.time(), tzinfo=timezone.get_current_timezone())
    return Complaint.objects.visible_to(user).filter(created_at__gte=start)


def _day(value) -> dt.date:
    return timezone.localtime(value).date() if isinstance(value, dt.datetime) else value


def _counts(user, period: Period, labels) -> list[dict]:
    now = timezone.now()
    answered = Q(first_response_at__isnull=False)
    response_known = Q(first_response_due__isnull=False) & (answered | Q(first_response_due__lte=now))
    resolved = Q(resolved_at__isnull=False)
    resolution_known = Q(resolution_due__isnull=False) & (resolved | Q(resolution_due__lte=now))
    reopened = Q(reopen_count__gt=0)
    rows = list(
        _scope(user, labels[0]).annotate(bucket=period.trunc("created_at"))
        # The branch's id, not its name: no join, and PostgreSQL then hashes the few groups
        # instead of sorting every row (0.5 s instead of 1.2 s for head office at 500,000).
        .values("bucket", "category", "department", "branch_id")
        .annotate(n=Count("*"),
                  response_n=Count("created_at", filter=response_known),
                  response_ok=Count("created_at", filter=response_known & answered
                                    & Q(first_response_at__lte=F("first_response_due"))),
                  resolution_n=Count("created_at", filter=resolution_known),
                  resolution_ok=Count("created_at", filter=resolution_known & resolved
                                      & Q(resolved_at__lte=F("resolution_due"))),
                  # Resolved at least once (a reopened one may be open again now), and reopened.
                  resolved_ever=Count("created_at", filter=resolved | reopened),
                  reopened=Count("created_at", filter=reopened))
        .order_by())
    names = dict(Branch.objects.filter(pk__in={row["branch_id"] for row in rows}).values_list("pk", "name"))
    for row in rows:
        row["branch"] = names.get(row["branch_id"], "")
    return rows


def _times(user, period: Period, labels) -> list[dict]:
    return list(
        _scope(user, labels[0]).annotate(bucket=period.trunc("created_at")).values("bucket")
        .annotate(response=Median(_hours("first_response_at"), filter=Q(first_response_at__isnull=False)),
                  resolution=Median(_hours("resolved_at"), filter=Q(resolved_at__isnull=False)))
        .order_by())


def _scope_key(user) -> str:
    # What visible_to(user) depends on: every branch, or the user's own (complaints.models).
    return "all" if user.sees_all_branches else f"branch-{user.branch_id}"


def _cached(name: str, figures, user, period: Period, labels) -> list[dict]:
    """The rows of one report query, kept CACHE_SECONDS per branch scope, period and day:
    at 500,000 complaints a head-office scan takes about a second on a busy machine, and a
    report that is five minutes old is still the month's report."""
    key = f"complaints:report:{name}:{_scope_key(user)}:{period.key}:{len(labels)}:{labels[0]}:{labels[-1]}"
    rows = cache.get(key)
    if rows is None:
        rows = figures(user, period, labels)
        cache.set(key, rows, CACHE_SECONDS)
    return rows


def _chart(period: Period, labels, **kwargs) -> Chart:
    return Chart(labels=labels, label_header=period.label_header, date_format=period.date_format, **kwargs)


def _by(rows, period, labels, field: str, names: dict, title, dom_id: str) -> Chart:
    counts: dict = {}
    for row in rows:
        per = counts.setdefault(row[field] or "", {})
        day = _day(row["bucket"])
        per[day] = per.get(day, 0) + row["n"]
    keys = sorted(counts, key=lambda k: str(names.get(k, k)))
    series = [(str(names.get(k) or k or _("None")), [counts[k].get(d, 0) for d in labels]) for k in keys]
    return _chart(period, labels, title=title, series=series, kind="bar", stacked=True, unit=_("complaints"),
                  dom_id=dom_id)


def by_category(rows, period, labels) -> Chart:
    return _by(rows, period, labels, "category", dict(Category.choices), _("Complaints by category"),
               "chart-complaints-category")


def by_department(rows, period, labels) -> Chart:
    return _by(rows, period, labels, "department", dict(Department.choices), _("Complaints by department"),
               "chart-complaints-department")


def by_branch(rows, period, labels) -> Chart:
    return _by(rows, period, labels, "branch", {}, _("Complaints by branch"), "chart-complaints-branch")


def _sums(rows, keys) -> dict:
    sums: dict = {}
    for row in rows:
        per = sums.setdefault(_day(row["bucket"]), dict.fromkeys(keys, 0))
        for key in keys:
            per[key] += row[key]
    return sums


def _share(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0


def sla_met(rows, period, labels) -> Chart:
    """Of the complaints taken each period, the share answered within the first-response time
    (of those answered or already past it) and resolved within the resolution time (of those
    resolved or already past it). A complaint still inside its time counts in neither yet."""
    sums = _sums(rows, ("response_n", "response_ok", "resolution_n", "resolution_ok"))
    empty = dict.fromkeys(("response_n", "response_ok", "resolution_n", "resolution_ok"), 0)

    def share(day, what):
        row = sums.get(day, empty)
        return _share(row[f"{what}_ok"], row[f"{what}_n"])

    return _chart(period, labels, title=_("SLA met (%)"), kind="line", unit="%",
                  series=[(_("First response on time"), [share(d, "response") for d in labels]),
                          (_("Resolved on time"), [share(d, "resolution") for d in labels])],
                  dom_id="chart-complaints-sla")


def reopen_rate(rows, period, labels) -> Chart:
    """Of the complaints taken each period that were resolved at least once, the share that
    was reopened afterwards."""
    sums = _sums(rows, ("resolved_ever", "reopened"))
    return _chart(period, labels, title=_("Reopen rate (%)"), kind="line", unit="%",
                  series=[(_("Reopened after resolution"),
                           [_share(sums[d]["reopened"], sums[d]["resolved_ever"]) if d in sums else 0
                            for d in labels])],
                  dom_id="chart-complaints-reopen")


def median_times(rows, period, labels) -> Chart:
    """Per period, the median wall-clock hours from intake to the first response (of the
    complaints answered) and to the resolution (of those resolved); 0 where there are none."""
    by_day = {_day(row["bucket"]): row for row in rows}

    def hours(day, what):
        value = (by_day.get(day) or {}).get(what)
        return round(value, 1) if value is not None else 0

    return _chart(period, labels, title=_("Median time (wall-clock hours)"), kind="line", unit=_("hours"),
                  series=[(_("To first response"), [hours(d, "response") for d in labels]),
                          (_("To resolution"), [hours(d, "resolution") for d in labels])],
                  dom_id="chart-complaints-times")


_BUILD = {"category": by_category, "department": by_department, "branch": by_branch, "times": median_times,
          "sla": sla_met, "reopen": reopen_rate}


def period_get(key: str | None) -> Period:
    return PERIODS.get(key or "", PERIODS[DEFAULT_PERIOD])


def report(user, *, period: Period | None = None, n: int | None = None,
           now: dt.datetime | None = None, only=CHARTS) -> dict:
    """The charts named in ``only`` (all of the page by default), in CHARTS order: one query
    for the counting charts, one for the medians, each run only if a chart needs it."""
    period = period or PERIODS[DEFAULT_PERIOD]
    labels = periods_of(now or timezone.now(), period, n or period.default)
    counts = _cached("counts", _counts, user, period, labels) if set(only) - _TIMES else []
    times = _cached("times", _times, user, period, labels) if set(only) & _TIMES else []
    return {name: _BUILD[name](times if name in _TIMES else counts, period, labels)
            for name in CHARTS if name in only}


def chart(user, name: str, *, period: Period | None = None, n: int | None = None) -> Chart:
    return report(user, period=period, n=n, only=(name,))[name]
