"""Quality Control: production-defect complaints grouped by component × model × batch, and
the groups whose last 30 days are far above their usual rate.

The statistic. Reports of one defect group arrive independently, at a rate that is steady
while nothing is wrong, so the count in a 30-day window is Poisson with mean λ, the group's
usual 30-day rate, estimated from the eleven months before the window (count × 30 / 335).
A group is flagged when seeing at least its recent count by chance is less likely than
``ALPHA`` (the Poisson upper tail, P(X ≥ k | λ)) and it has at least ``MIN_RECENT`` reports.
Why this and not "twice the average": a ratio flags 2 reports against a usual 1 (noise)
and misses 40 against a usual 25 (a real rise, p ≈ 0.003); the tail probability weighs the
size of the jump against how much random variation a count of that size has. ``FLOOR_RATE``
stands for what little we know of a new group (no history): without it any first report
would be "infinitely" above a zero rate. With dozens of groups tested each month some will
cross a 5 % line by chance, hence the strict ALPHA (a Bonferroni-like margin for ~50 groups).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.charts import Chart

from .models import Category, Complaint

WINDOW_DAYS = 30
HISTORY_DAYS = 365
ALPHA = 0.001
MIN_RECENT = 3
FLOOR_RATE = 0.5  # reports per 30 days assumed for a group with no history
MAX_GROUPS = 200


def poisson_tail(k: int, mean: float) -> float:
    """P(X ≥ k) for X ~ Poisson(mean), summed in log space (no overflow for large k)."""
    if k <= 0:
        return 1.0
    below = 0.0
    for i in range(k):
        below += math.exp(i * math.log(mean) - mean - math.lgamma(i + 1))
    return max(0.0, 1.0 - below)


@dataclass
class DefectGroup:
    component: str
    model: str
    batch: str
    recent: int
    earlier: int
    usual: float  # expected reports per 30 days
    p_value: float

    @property
    def flagged(self) -> bool:
        return self.recent >= MIN_RECENT and self.p_value < ALPHA


def _defects(user, now):
    return Complaint.objects.visible_to(user).filter(category=Category.PRODUCTION_DEFECT,
                                                     created_at__gte=now - dt.timedelta(days=HISTORY_DAYS))


def defect_groups(user, *, now: dt.datetime | None = None) -> list[DefectGroup]:
    """Every defect group of the last 12 months the user may see, flagged ones first (one query)."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=WINDOW_DAYS)
    rows = (_defects(user, now).values("defect_component", "defect_model", "defect_batch")
            .annotate(recent=Count("id", filter=Q(created_at__gte=since)), total=Count("id"))
            .order_by("-recent", "-total")[:MAX_GROUPS])
    groups = []
    for row in rows:
        earlier = row["total"] - row["recent"]
        usual = max(earlier * WINDOW_DAYS / (HISTORY_DAYS - WINDOW_DAYS), FLOOR_RATE)
        groups.append(DefectGroup(component=row["defect_component"], model=row["defect_model"],
                                  batch=row["defect_batch"], recent=row["recent"], earlier=earlier, usual=usual,
                                  p_value=poisson_tail(row["recent"], usual)))
    groups.sort(key=lambda g: (not g.flagged, g.p_value, -g.recent))
    return groups


def defects_chart(user, *, now: dt.datetime | None = None) -> Chart:
    """Defect complaints per month over the last 12 months (one query)."""
    now = now or timezone.now()
    counts = dict(_defects(user, now).annotate(month=TruncMonth("created_at")).values("month")
                  .annotate(n=Count("id")).values_list("month", "n"))
    first = (timezone.localtime(now) - dt.timedelta(days=HISTORY_DAYS)).date().replace(day=1)
    months, day = [], first
    while day <= timezone.localdate(now):
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    by_month = {timezone.localtime(m).date().replace(day=1) if isinstance(m, dt.datetime) else m: n
                for m, n in counts.items()}
    return Chart(title=_("Production defect complaints per month"), labels=months,
                 series=[(_("Complaints"), [by_month.get(m, 0) for m in months])], kind="bar",
                 unit=_("complaints"), label_header=_("Month"), date_format="M Y", dom_id="chart-defects")


def group_exists(user, *, component: str, model: str, batch: str, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return _defects(user, now).filter(defect_component=component, defect_model=model, defect_batch=batch).exists()


def recall_customers(user, *, component: str, model: str, batch: str, by_batch: bool = False,
                     vin_from: str = "", vin_to: str = "", now: dt.datetime | None = None):
    """The customers a recall of this defect group would reach: those (the user may see) who
    own a vehicle of the group's model and — on that same vehicle —

    - by default, of the model years its complaints name (every year when none is known);
    - ``by_batch``: of the group's production batch (crm.Asset.production_batch) instead;
    - and, when given, with a VIN inside ``vin_from``..``vin_to`` (both included)."""
    from crm.models import Customer
    from crm.selectors import customers_visible_to

    from .segments import vehicles_q

    now = now or timezone.now()
    if by_batch:
        vehicles = vehicles_q(model=model, batch=batch, vin_from=vin_from, vin_to=vin_to)
    else:
        years = set(_defects(user, now).filter(defect_component=component, defect_model=model, defect_batch=batch)
                    .exclude(defect_model_year__isnull=True).values_list("defect_model_year", flat=True).distinct())
        vehicles = vehicles_q(model=model, years=years, vin_from=vin_from, vin_to=vin_to)
    return customers_visible_to(user).filter(pk__in=Customer.objects.filter(vehicles).values("pk"))
