"""Sales at the scale of issue 10 for ``make bench`` (crm/benchmarks/departments.py).

At 1,000,000 customers: 300,000 leads and 200,000 open opportunities (plus 50,000 closed in
the past year, for the forecast's won amounts and funnel), each with its stage history.
Loaded with bulk INSERTs, topped up only: a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from urllib.parse import urlencode

from django.db import connection, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from accounts.models import Branch, Department, User
from crm.benchmarks.departments import scaled
from crm.benchmarks.inputs import Typed
from crm.benchmarks.measure import Case
from crm.models import Customer

from .demo import CITIES, MODELS, NAMES
from .models import Lead, Opportunity, Stage, StageChange

LEADS, OPEN_OPPORTUNITIES, CLOSED_OPPORTUNITIES = 300_000, 200_000, 50_000
BATCH = 5_000
REP, MANAGER, HEAD_OFFICE = "sales.jks@relasi.test", "manager.jks@relasi.test", "pusat@relasi.test"
TARGETS = {"lead list": 60, "board": 120, "forecast": 250, "agenda": 60, "card move": 50}


def _branches() -> list[tuple[Branch, list[int]]]:
    out = []
    for branch in Branch.objects.filter(is_head_office=False).order_by("id"):
        reps = list(User.objects.filter(branch=branch, department=Department.SALES, is_active=True)
                    .values_list("id", flat=True))
        out.append((branch, reps or [None]))
    return out


def seed(*, fraction: float, stdout) -> None:
    rng = random.Random(7)
    now = timezone.now()
    branches = _branches()
    stages = list(Stage.objects.filter(is_active=True).order_by("order", "id"))
    open_stages = [s for s in stages if not s.is_closed]
    won = [s for s in stages if s.is_won]
    lost = [s for s in stages if s.is_lost]
    if not branches or not open_stages:
        return

    missing = scaled(LEADS, fraction) - Lead.objects.count()
    for start in range(0, max(missing, 0), BATCH):
        rows = []
        for i in range(start, min(start + BATCH, missing)):
            branch, reps = branches[i % len(branches)]
            status = rng.choice(["new", "new", "contacted", "qualified", "disqualified", "converted"])
            created = now - dt.timedelta(days=rng.randint(0, 365), minutes=rng.randint(0, 600))
            rows.append(Lead(
                branch=branch, owner_id=rng.choice(reps), status=status, source=rng.choice(Lead.Source.values),
                disqualify_reason="Belum berminat" if status == "disqualified" else "",
                name=f"{rng.choice(NAMES)} {rng.choice(NAMES)}wan", phone=f"+62858{i:08d}",
                city=rng.choice(CITIES), model_of_interest=rng.choice(MODELS),
                budget=Decimal(rng.randint(20, 90) * 10_000_000), assigned_at=created,
                first_contacted_at=created + dt.timedelta(hours=rng.randint(1, 30)) if status != "new" else None,
            ))
        with transaction.atomic():
            Lead.objects.bulk_create(rows)
    if missing > 0:
        stdout.write(f"sales: {missing:,} leads added")

    def opportunities(count: int, closed: bool):
        for branch, reps in branches:
            per_branch = count // len(branches)
            customer_ids = list(Customer.objects.filter(branch=branch).order_by("id")
                                .values_list("id", flat=True)[:per_branch])
            for start in range(0, len(customer_ids), BATCH):
                opps, histories = [], []
                for customer_id in customer_ids[start:start + BATCH]:
                    if closed:
                        stage = rng.choice(won + lost) if won + lost else rng.choice(open_stages)
                        close = now - dt.timedelta(days=rng.randint(1, 360))
                    else:
                        stage = rng.choice(open_stages)
                        close = now + dt.timedelta(days=rng.randint(0, 180))
                    opps.append(Opportunity(
                        customer_id=customer_id, branch=branch, owner_id=rng.choice(reps), stage=stage,
                        title=f"{rng.choice(MODELS)}", amount=Decimal(rng.randint(20, 90) * 10_000_000),
                        probability=stage.probability, expected_close=close.date(),
                        closed_at=close if closed else None))
                with transaction.atomic():
                    Opportunity.objects.bulk_create(opps)
                    for opp in opps:
                        entered = opp.expected_close - dt.timedelta(days=rng.randint(5, 60))
                        changed_at = dt.datetime.combine(entered, dt.time(10), tzinfo=dt.timezone.utc)
                        histories.append(StageChange(opportunity=opp, from_stage=open_stages[0] if opp.stage
                                                     != open_stages[0] else None, to_stage=opp.stage,
                                                     by_id=opp.owner_id, changed_at=changed_at))
                    StageChange.objects.bulk_create(histories)

    open_missing = scaled(OPEN_OPPORTUNITIES, fraction) - Opportunity.objects.filter(closed_at__isnull=True).count()
    if open_missing > 0:
        opportunities(open_missing, closed=False)
        stdout.write(f"sales: {open_missing:,} open opportunities added")
    closed_missing = scaled(CLOSED_OPPORTUNITIES, fraction) - Opportunity.objects.filter(closed_at__isnull=False).count()
    if closed_missing > 0:
        opportunities(closed_missing, closed=True)
        stdout.write(f"sales: {closed_missing:,} closed opportunities added")
    from .demo import BENCH_ACTIVITIES, seed_activities_bench

    seed_activities_bench(total=scaled(BENCH_ACTIVITIES, fraction), stdout=stdout)  # my agenda (issue 10)
    from .orders import BENCH_ORDERS, bench_seed

    bench_seed(total=scaled(BENCH_ORDERS, fraction), stdout=stdout)  # quotations, orders, shipments (issue 11)
    with connection.cursor() as cursor:
        for table in ("sales_lead", "sales_opportunity", "sales_stagechange"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def cases(*, runs: int) -> list[Case]:
    same = Typed("-", "same page")
    leads = reverse("sales:lead_list")
    names = [Typed(n, "first name") for n in NAMES[:6]] + [Typed("Zzyzx", "no match")] * 2
    out = []
    for who, label in ((REP, "sales rep JKS"), (MANAGER, "manager JKS"), (HEAD_OFFICE, "head office")):
        out += [
            Case(f"sales: lead list ({label})", who, [(same, leads)] * runs, TARGETS["lead list"],
                 group="departments"),
            Case(f"sales: lead list, new only, by name ({label})", who,
                 [(t, f"{leads}?{urlencode({'status': 'new', 'q': t.text})}") for t in names * 3],
                 TARGETS["lead list"], group="departments"),
            Case(f"sales: pipeline board ({label})", who, [(same, reverse("sales:opportunity_board"))] * runs,
                 TARGETS["board"], group="departments"),
        ]
    for who, label in ((MANAGER, "manager JKS"), (HEAD_OFFICE, "head office")):
        out.append(Case(f"sales: forecast ({label})", who, [(same, reverse("sales:forecast"))] * runs,
                        TARGETS["forecast"], group="departments"))
    move = _card_move_case(runs)
    if move:
        out.append(move)
    try:
        agenda = reverse("sales:agenda")
    except NoReverseMatch:
        agenda = None
    if agenda:
        out.append(Case("sales: my agenda (sales rep JKS)", REP, [(same, agenda)] * runs, TARGETS["agenda"],
                        group="departments"))
    from .orders import bench_cases

    out += bench_cases(runs=runs, users={"sales rep JKS": REP, "manager JKS": MANAGER, "head office": HEAD_OFFICE})
    return out


def _card_move_case(runs: int) -> Case | None:
    """A card dragged on the board by the branch manager: the POST the board's script sends
    (stage, HX-Request, the page's CSRF token) to the real view. Each card goes to the next
    stage and back, so the data stays as it was (but for the history rows a move adds)."""
    manager = User.objects.filter(email=MANAGER).first()
    stages = [s for s in Stage.objects.filter(is_active=True).order_by("order", "id") if not s.is_closed]
    if manager is None or manager.branch_id is None or len(stages) < 2:
        return None
    first, second = stages[0], stages[1]
    cards = list(Opportunity.objects.filter(branch_id=manager.branch_id, stage=first, closed_at__isnull=True)
                 .order_by("-id").values_list("public_id", flat=True)[:max(runs // 2, 1)])
    urls, data = [], []
    for public_id in cards:
        url = reverse("sales:opportunity_move", args=[public_id])
        for stage in (second, first):
            urls.append((Typed(f"{public_id} → {stage.name}", "card moved"), url))
            data.append({"stage": stage.pk, "reason": ""})
    return Case("sales: card move on the board (manager JKS)", MANAGER, urls, TARGETS["card move"],
                group="departments", method="POST", data=data, headers={"HX-Request": "true"},
                csrf_from=reverse("sales:opportunity_board"))
