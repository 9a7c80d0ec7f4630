"""Reads of the sales department: each returns what its page shows, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, Sum

from accounts.models import Department, User
from crm.models import Customer
from crm.phone import normalize_phone
from crm.registry import SearchHit

from .models import Lead, Opportunity, Stage

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


def lead_search(queryset, query: str):
    """A phone number (any way it is typed) finds by the stored E.164; anything else by name."""
    query = " ".join((query or "").split())
    if not query:
        return queryset
    phone = _phone_or_none(query)
    if phone:
        return queryset.filter(phone=phone)
    if "@" in query:
        return queryset.filter(email=query.lower())
    return queryset.filter(Q(name__icontains=query) | Q(company__icontains=query))


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


def board(queryset, *, per_stage: int = BOARD_CARDS_PER_STAGE, stage: Stage | None = None,
          offset: int = 0) -> list[Column]:
    """One column per active stage: its newest ``per_stage`` cards, its count and amount total.

    Three queries whatever the number of opportunities: the stages, the cards, the counts
    and totals (one GROUP BY)."""
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
    totals = {row["stage_id"]: row for row in queryset.filter(stage_id__in=ids).order_by()
              .values("stage_id").annotate(n=Count("id"), total=Sum("amount"))}
    return [Column(stage=s, cards=by_stage[s.pk], count=totals.get(s.pk, {}).get("n", 0),
                   total=totals.get(s.pk, {}).get("total") or Decimal(0)) for s in stages]


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


def forecast_pipeline_chart(queryset, *, today=None):
    """Open opportunities by expected close month, the next six months (this one first):
    the weighted amount (amount × probability) beside the full amount. One query."""
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
    rows = (queryset.filter(closed_at__isnull=True, expected_close__gte=months[0],
                            expected_close__lt=_add_months(first, FORECAST_MONTHS))
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
    rows = (queryset.filter(stage__is_won=True, closed_at__date__gte=first)
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


def funnel(queryset) -> list[FunnelStep]:
    """From the stage history: how many opportunities reached each open or won stage (or a
    later one: a deal may skip the test drive), the conversion from the stage before, and
    the median days spent in the stage before moving on. Three queries."""
    from django.db import connection

    stages = [s for s in Stage.objects.filter(is_active=True).order_by("order", "id") if not s.is_lost]
    sql, params = queryset.order_by().values("id").query.sql_with_params()
    changes = f"""
        WITH scoped AS ({sql})
        SELECT c.opportunity_id, c.to_stage_id, c.changed_at, st."order" AS stage_order, st.is_lost,
               LEAD(c.changed_at) OVER (PARTITION BY c.opportunity_id ORDER BY c.changed_at, c.id) AS left_at
        FROM sales_stagechange c JOIN sales_stage st ON st.id = c.to_stage_id
        WHERE c.opportunity_id IN (SELECT id FROM scoped)"""
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT to_stage_id, percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY EXTRACT(EPOCH FROM left_at - changed_at) / 86400)
            FROM ({changes}) ch WHERE left_at IS NOT NULL GROUP BY to_stage_id""", params)
        medians = dict(cursor.fetchall())
        cursor.execute(f"""
            SELECT top, COUNT(*) FROM (
                SELECT opportunity_id, MAX(stage_order) AS top FROM ({changes}) ch
                WHERE NOT is_lost GROUP BY opportunity_id) t
            GROUP BY top""", params)
        tops = cursor.fetchall()
    steps, previous = [], None
    for stage in stages:
        reached = sum(n for top, n in tops if top >= stage.order)
        conversion = round(reached / previous * 100, 1) if previous else None
        median = medians.get(stage.pk)
        steps.append(FunnelStep(stage=stage, reached=reached, conversion=conversion,
                                median_days=round(median, 1) if median is not None else None))
        previous = reached
    return steps
