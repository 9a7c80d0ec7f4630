"""Reads of the sales department: each returns what its page shows, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, Sum
from django.urls import reverse

from accounts.access import branch_scope
from accounts.models import Department, User
from crm.formatting import format_rupiah
from crm.models import Customer
from crm.phone import normalize_phone
from crm.registry import SearchHit

from .models import Lead, Opportunity, PipelineTotal, Stage

BOARD_CARDS_PER_STAGE = 25
PANEL_ROWS = 5
CARD_ROWS = 8


def leads_visible_to(user: User):
    return Lead.objects.visible_to(user)


def opportunities_visible_to(user: User):
    return Opportunity.objects.visible_to(user)


def _phone_or_none(value: str) -> str | None:
    try:
        return normalize_phone(value) or None
    except ValidationError:
        return None


# Up to this many matches, the search reads them all through the trigram indexes and pages
# them by id; beyond it, walking the leads newest first fills a page within a few hundred
# rows (the approach of crm.selectors.customer_search).
LEAD_SEARCH_CANDIDATES = 1000


def lead_search(queryset, query: str):
    """A phone number (any way it is typed) finds by the stored E.164; anything else by name
    or company.

    No single plan is fast for every name: a common one ("Agus", a sixth of the leads) is
    found by walking the list's own order until a page is full, but the same walk reads every
    lead in scope when nothing matches ("Zzyzx": 50,000 new leads for head office, 100 ms).
    So one query first takes up to LEAD_SEARCH_CANDIDATES matches through the trigram indexes
    on UPPER(name) and UPPER(company), in no order, with the list's other filters:

    - that many or fewer: they are all known, and the page is read by their ids;
    - more: they are dense, and the walk newest first (or by score) fills a page quickly. The
      planner sees that too: ANALYZE keeps statistics of the indexed UPPER() expressions, so it
      expects the thousands of matches and walks (written on LOWER(), an expression it has no
      statistics for, it guessed 8 matches and sorted all 100,000 new leads instead).
    """
    query = " ".join((query or "").split())
    if not query:
        return queryset
    phone = _phone_or_none(query)
    if phone:
        return queryset.filter(phone=phone)
    if "@" in query:
        return queryset.filter(email=query.lower())
    matching = queryset.filter(Q(name__icontains=query) | Q(company__icontains=query))
    ids = list(matching.order_by().values_list("pk", flat=True)[:LEAD_SEARCH_CANDIDATES + 1])
    if len(ids) <= LEAD_SEARCH_CANDIDATES:
        return queryset.filter(pk__in=ids)
    return matching


def lead_list(queryset, *, sort: str = ""):
    """Newest first, or the highest score first (``sort="score"``, on the score indexes)."""
    order = ("-score", "-id") if sort == "score" else ("-id",)
    return queryset.select_related("owner", "branch", "customer").order_by(*order)


@dataclass
class Duplicates:
    customers: list = field(default_factory=list)  # same phone or email (strong)
    leads: list = field(default_factory=list)  # open leads with the same phone or email (strong)
    hints: list = field(default_factory=list)  # customers with the same name in the same city (weak)

    def __bool__(self):
        return bool(self.customers or self.leads or self.hints)


def lead_duplicates(*, phone: str, email: str, name: str = "", city: str = "", exclude_lead=None) -> Duplicates:
    """Customers and open leads (any branch: a person who walked into another showroom is
    the same person) sharing the E.164 phone or the email; customers with the same name in
    the same city as a weaker hint. Three queries at most, each on an index."""
    found = Duplicates()
    strong = Q()
    email = (email or "").strip().lower()
    if phone:
        strong |= Q(phone=phone) | Q(phone_alt=phone)
    if email:
        strong |= Q(email=email)
    if strong:
        found.customers = list(Customer.objects.filter(strong).select_related("branch").order_by("id")[:5])
        lead_match = Q()
        if phone:
            lead_match |= Q(phone=phone)
        if email:
            lead_match |= Q(email=email)
        leads = Lead.objects.open().filter(lead_match).select_related("branch", "owner").order_by("-id")
        if exclude_lead is not None:
            leads = leads.exclude(pk=exclude_lead.pk)
        found.leads = list(leads[:5])
    name, city = " ".join((name or "").split()), " ".join((city or "").split())
    if name and city:
        seen = {c.pk for c in found.customers}
        found.hints = [c for c in Customer.objects.filter(name__iexact=name, city__iexact=city)
                       .select_related("branch").order_by("id")[:5] if c.pk not in seen]
    return found


def lead_events(lead: Lead) -> list:
    return list(lead.events.select_related("staff"))


def lead_opportunities(lead: Lead) -> list:
    return list(lead.opportunities.select_related("stage"))


def sales_staff_of(branch) -> list[User]:
    return list(User.objects.filter(branch=branch, is_active=True, department=Department.SALES)
                .order_by("first_name", "email"))


# --- the board ----------------------------------------------------------------------------------
@dataclass
class Column:
    stage: Stage
    cards: list
    count: int = 0
    total: Decimal = Decimal(0)

    @property
    def has_more(self) -> bool:
        return self.count > len(self.cards)


# The filters of the board and the forecast that PipelineTotal can answer (its key's columns).
PIPELINE_TOTAL_FILTERS = {"branch", "owner"}


def pipeline_totals(user: User, filters: dict | None = None):
    """The PipelineTotal rows of what ``user`` sees, narrowed by the page's filter values
    (a filterset's cleaned_data), or None when a filter is set that the totals cannot answer
    (the close month): the caller then sums the opportunities themselves."""
    filters = {name: value for name, value in (filters or {}).items() if value not in (None, "", [])}
    if set(filters) - PIPELINE_TOTAL_FILTERS:
        return None
    return PipelineTotal.objects.filter(branch_scope(user), **filters)


def _stage_totals(queryset, totals, ids) -> dict[int, dict]:
    """Count and amount per stage: from the totals kept by the database when given, else
    summed over the opportunities (one GROUP BY either way)."""
    source = totals if totals is not None else queryset
    counted = "n" if totals is not None else "id"
    rows = (source.filter(stage_id__in=ids).order_by().values("stage_id")
            .annotate(n_=Sum(counted) if totals is not None else Count(counted), total=Sum("amount")))
    return {row["stage_id"]: {"n": row["n_"], "total": row["total"]} for row in rows}


_ANY_ID = uuid.UUID(int=0)


def board_cards_ready(cards: list) -> list:
    """What each card shows besides its row: its two links and its amount in short form.

    A full board has 150 cards: 300 {% url %} (40-60 µs each on the bench machine) and 150
    compact amounts (50 µs each, babel) were a third of its template time. So each URL is
    reversed once and the card's id put in, and equal amounts (round numbers) are formatted
    once."""
    blank = str(_ANY_ID)
    detail = reverse("sales:opportunity_detail", args=[_ANY_ID])
    move = reverse("sales:opportunity_move", args=[_ANY_ID])
    short: dict = {}
    for opp in cards:
        public_id = str(opp.public_id)
        opp.detail_url = detail.replace(blank, public_id)
        opp.move_url = move.replace(blank, public_id)
        if opp.amount not in short:
            short[opp.amount] = format_rupiah(opp.amount, short=True)
        opp.amount_short = short[opp.amount]
    return cards


def board(queryset, *, per_stage: int = BOARD_CARDS_PER_STAGE, stage: Stage | None = None,
          offset: int = 0, totals=None) -> list[Column]:
    """One column per active stage: its newest ``per_stage`` cards, its count and amount total.

    Three queries whatever the number of opportunities: the stages, the cards, the counts
    and totals (one GROUP BY, over ``totals`` — pipeline_totals() of the same scope — when
    given: a few hundred rows instead of every opportunity)."""
    stages = [stage] if stage is not None else list(Stage.objects.filter(is_active=True).order_by("order", "id"))
    ids = [s.pk for s in stages]
    # One query: a UNION ALL of each stage's newest cards, each part a LIMIT read off the
    # (stage, branch, -id) or (stage, owner, -id) index, so a column costs the same with
    # 30 or 30,000 opportunities in it.
    cards = (queryset.select_related("customer", "owner")
             .only("public_id", "title", "amount", "probability", "expected_close", "stage_id", "branch_id",
                   "customer__public_id", "customer__name", "owner__first_name", "owner__last_name",
                   "owner__email")
             .order_by("-id"))
    if not ids:
        return []
    parts = [cards.filter(stage_id=pk)[offset:offset + per_stage] for pk in ids]
    ranked = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    by_stage: dict[int, list] = {pk: [] for pk in ids}
    for opp in ranked:
        by_stage[opp.stage_id].append(opp)
    for column_cards in by_stage.values():
        column_cards.sort(key=lambda o: -o.pk)  # UNION ALL promises no order across its parts
        board_cards_ready(column_cards)
    sums = _stage_totals(queryset, totals, ids)
    return [Column(stage=s, cards=by_stage[s.pk], count=sums.get(s.pk, {}).get("n") or 0,
                   total=sums.get(s.pk, {}).get("total") or Decimal(0)) for s in stages]


def opportunity_list(queryset):
    return queryset.select_related("customer", "owner", "stage", "branch").order_by("-id")


def opportunity_history(opportunity: Opportunity) -> list:
    return list(opportunity.stage_changes.select_related("from_stage", "to_stage", "by"))


# --- the 360 panel, the home card, the search box ------------------------------------------------
def customer_sales_panel(customer, user) -> dict:
    """The customer's open leads and opportunities (two queries)."""
    opportunities = list(Opportunity.objects.open().filter(customer=customer).select_related("stage", "owner")
                         .order_by("-id")[:PANEL_ROWS])
    leads = list(Lead.objects.open().filter(customer=customer).select_related("owner").order_by("-id")[:PANEL_ROWS])
    return {"opportunities": opportunities, "leads": leads, "empty": not (opportunities or leads)}


def my_leads_card(user) -> list[Lead]:
    """My open leads, the ones waiting longest for a first contact first (one query)."""
    return list(Lead.objects.visible_to(user).filter(owner=user, status__in=Lead.OPEN_STATUSES)
                .only("public_id", "name", "company", "status", "model_of_interest", "created_at")
                .order_by(F("first_contacted_at").asc(nulls_first=True), "id")[:CARD_ROWS])


def search_hits(user, query: str) -> list[SearchHit]:
    """Opportunities by number (OPP-000123, or the bare number) and leads by phone, one query."""
    query = query.strip()
    upper = query.upper().replace(" ", "")
    digits = upper.removeprefix("OPP-").removeprefix("OPP")
    if digits.isdigit() and (upper.startswith("OPP") or len(digits) <= 6):
        rows = list(Opportunity.objects.visible_to(user).filter(pk=int(digits)).select_related("customer")[:1]) \
            if int(digits) < 2**63 else []
        return [SearchHit(label=o.number, url=o.get_absolute_url(), hint=f"{o.title} · {o.customer.name}")
                for o in rows]
    phone = _phone_or_none(query)
    if phone:
        return [SearchHit(label=lead.name, url=lead.get_absolute_url(), hint=lead.get_status_display())
                for lead in Lead.objects.visible_to(user).filter(phone=phone).order_by("-id")[:5]]
    return []


# --- forecast -------------------------------------------------------------------------------------
FORECAST_MONTHS = 6
WON_MONTHS = 12


def _month_start(day):
    return day.replace(day=1)


def _add_months(day, months: int):
    month = day.month - 1 + months
    return day.replace(year=day.year + month // 12, month=month % 12 + 1, day=1)


def forecast_pipeline_chart(queryset, *, today=None, totals=None):
    """Open opportunities by expected close month, the next six months (this one first):
    the weighted amount (amount × probability) beside the full amount. One query: over
    ``totals`` (pipeline_totals() of the same scope) when given, a few hundred rows, else over
    the open opportunities (175,000 for head office at a million customers)."""
    from django.db.models import DecimalField, ExpressionWrapper
    from django.db.models.functions import TruncMonth
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from crm.charts import Chart

    today = today or timezone.localdate()
    first = _month_start(today)
    months = [_add_months(first, i) for i in range(FORECAST_MONTHS)]
    weighted = ExpressionWrapper(F("amount") * F("probability") / 100,
                                 output_field=DecimalField(max_digits=16, decimal_places=2))
    end = _add_months(first, FORECAST_MONTHS)
    if totals is not None:
        rows = (totals.filter(close_month__gte=months[0], close_month__lt=end).order_by()
                .values(month=F("close_month")).annotate(weighted=Sum("weighted"), total=Sum("amount")))
    else:
        rows = (queryset.filter(closed_at__isnull=True, expected_close__gte=months[0], expected_close__lt=end)
                .annotate(month=TruncMonth("expected_close")).order_by().values("month")
                .annotate(weighted=Sum(weighted), total=Sum("amount")))
    by_month = {r["month"]: r for r in rows}
    return Chart(
        title=_("Weighted pipeline by expected close month"), labels=months, kind="bar", unit="Rp",
        label_header=_("Month"), date_format="M Y", dom_id="chart-sales-pipeline",
        series=[(_("Weighted (amount × probability)"),
                 [int(by_month.get(m, {}).get("weighted") or 0) for m in months]),
                (_("Full amount"), [int(by_month.get(m, {}).get("total") or 0) for m in months])],
    )


def forecast_won_chart(queryset, *, today=None):
    """Won amounts by month closed, the past twelve months (this one last). One query."""
    from django.db.models.functions import TruncMonth
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from crm.charts import Chart

    today = today or timezone.localdate()
    first = _add_months(_month_start(today), -(WON_MONTHS - 1))
    months = [_add_months(first, i) for i in range(WON_MONTHS)]
    # From the first day's midnight in the current zone (what closed_at__date__gte means),
    # written on the column itself so that the index of closed opportunities serves it.
    since = timezone.make_aware(dt.datetime.combine(first, dt.time.min))
    rows = (queryset.filter(stage__is_won=True, closed_at__gte=since)
            .annotate(month=TruncMonth("closed_at")).order_by().values("month")
            .annotate(total=Sum("amount"), n=Count("id")))
    by_month = {r["month"].date() if hasattr(r["month"], "date") else r["month"]: r for r in rows}
    return Chart(
        title=_("Won, past 12 months"), labels=months, kind="bar", unit="Rp", label_header=_("Month"),
        date_format="M Y", dom_id="chart-sales-won",
        series=[(_("Won amount"), [int(by_month.get(m, {}).get("total") or 0) for m in months])],
    )


@dataclass
class FunnelStep:
    stage: Stage
    reached: int
    conversion: float | None  # share of the previous stage's opportunities that reached this one
    median_days: float | None  # how long opportunities stayed in this stage before moving on


def funnel(queryset, *, totals=None) -> list[FunnelStep]:
    """From the stage history: how many opportunities reached each open or won stage (or a
    later one: a deal may skip the test drive), the conversion from the stage before, and
    the median days spent in the stage before moving on. Two queries.

    The history is not read row by row: the database keeps, from it, each opportunity's
    furthest stage (``Opportunity.furthest_stage``, summed in PipelineTotal) and each change's
    ``left_at`` (migration 0008's triggers). One query then takes the reached counts (from
    ``totals`` — pipeline_totals() of the same scope — when given, else one GROUP BY over the
    opportunities) and the medians (over the changes that were left, a few per cent, through
    their partial index)."""
    from django.db import connection

    all_stages = list(Stage.objects.order_by("order", "id"))
    order_of = {s.pk: s.order for s in all_stages}
    stages = [s for s in all_stages if s.is_active and not s.is_lost]
    if totals is not None:
        reached_qs = totals.order_by().values("furthest_stage_id").annotate(n_=Sum("n"))
    else:
        reached_qs = queryset.order_by().values("furthest_stage_id").annotate(n_=Count("id"))
    reached_sql, reached_params = reached_qs.values_list("furthest_stage_id", "n_").query.sql_with_params()
    if queryset.query.where:
        scope_sql, scope_params = queryset.order_by().values("id").query.sql_with_params()
        in_scope = f"AND c.opportunity_id IN ({scope_sql})"
    else:  # every opportunity (head office, no filter): no need to look each one up
        in_scope, scope_params = "", ()
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT 'reached', r.stage_id, r.n::float8 FROM ({reached_sql}) r (stage_id, n)
            UNION ALL
            SELECT 'median', c.to_stage_id, percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY EXTRACT(EPOCH FROM c.left_at - c.changed_at) / 86400)
            FROM sales_stagechange c
            WHERE c.left_at IS NOT NULL {in_scope}
            GROUP BY c.to_stage_id""", (*reached_params, *scope_params))
        rows = cursor.fetchall()
    medians = {stage_id: value for kind, stage_id, value in rows if kind == "median"}
    tops = [(order_of[stage_id], int(n)) for kind, stage_id, n in rows
            if kind == "reached" and stage_id is not None and n]
    steps, previous = [], None
    for stage in stages:
        reached = sum(n for top, n in tops if top >= stage.order)
        conversion = round(reached / previous * 100, 1) if previous else None
        median = medians.get(stage.pk)
        steps.append(FunnelStep(stage=stage, reached=reached, conversion=conversion,
                                median_days=round(median, 1) if median is not None else None))
        previous = reached
    return steps
