"""Demo data of the sales department (seed_demo's "sales" step, registered in apps.py).

Per branch: its assignment rule, a few hundred leads in every status (bulk INSERTs), and
opportunities for existing customers spread over the stages, each with its stage history.
Safe to run again: a branch that already has leads is left as it is. Sizes grow with the
customers asked for, capped, so ``seed_demo --customers 1000000`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import Department, User
from crm.models import Customer

from .models import AssignmentRule, Lead, Opportunity, Stage, StageChange

MODELS = ["Avanza", "Innova Zenix", "Rush", "Fortuner", "Yaris Cross", "Veloz", "Raize", "Hilux", "Calya"]
NAMES = ["Agus", "Dewi", "Rudi", "Sri", "Bambang", "Wulan", "Eko", "Fitri", "Hendra", "Lestari", "Joko", "Maya"]
CITIES = ["Bandung", "Surabaya", "Jakarta", "Semarang", "Denpasar", "Makassar", "Medan"]
LEADS_PER_BRANCH_MAX = 2000
OPPS_PER_BRANCH_MAX = 1000


def seed(*, branches, customers: int, seed: int = 0, stdout=None) -> dict:
    made = {"leads": 0, "opportunities": 0}
    stages = list(Stage.objects.filter(is_active=True).order_by("order", "id"))
    if not stages:
        return made
    open_stages = [s for s in stages if not s.is_closed]
    with_leads = set(Lead.objects.filter(branch__in=branches).values_list("branch_id", flat=True).distinct())
    now = timezone.now()
    per_branch = max(20, min(LEADS_PER_BRANCH_MAX, customers // 500))
    for branch in branches:
        if branch.is_head_office or branch.pk in with_leads:
            continue
        rng = random.Random(f"sales:{seed}:{branch.pk}")
        reps = list(User.objects.filter(branch=branch, department=Department.SALES, is_active=True).order_by("id"))
        with transaction.atomic():
            AssignmentRule.objects.get_or_create(branch=branch)
            leads = []
            for i in range(per_branch):
                status = rng.choice(["new", "new", "contacted", "qualified", "disqualified", "converted"])
                created = now - dt.timedelta(days=rng.randint(0, 90), minutes=rng.randint(0, 600))
                name = f"{rng.choice(NAMES)} {rng.choice(NAMES)}wan"
                leads.append(Lead(
                    branch=branch, owner=rng.choice(reps) if reps else None, status=status,
                    disqualify_reason="Belum berminat" if status == "disqualified" else "",
                    source=rng.choice(Lead.Source.values), name=name,
                    phone=f"+62857{branch.pk % 100:02d}{i:06d}", city=rng.choice(CITIES),
                    model_of_interest=rng.choice(MODELS), budget=Decimal(rng.randint(20, 90) * 10_000_000),
                    assigned_at=created if reps else None,
                    first_contacted_at=created + dt.timedelta(hours=rng.randint(1, 30)) if status != "new" else None,
                ))
            Lead.objects.bulk_create(leads, batch_size=2000)
            customer_ids = list(Customer.objects.filter(branch=branch).order_by("-id")
                                .values_list("id", flat=True)[:min(OPPS_PER_BRANCH_MAX, max(10, per_branch // 2))])
            opps, path = [], []
            for cid in customer_ids:
                stage = rng.choice(stages if rng.random() < 0.3 else open_stages)
                created = now - dt.timedelta(days=rng.randint(5, 120))
                opps.append(Opportunity(
                    customer_id=cid, branch=branch, owner=rng.choice(reps) if reps else None, stage=stage,
                    title=rng.choice(MODELS), amount=Decimal(rng.randint(20, 90) * 10_000_000),
                    probability=stage.probability,
                    expected_close=(now + dt.timedelta(days=rng.randint(-30, 180))).date(),
                    closed_at=created + dt.timedelta(days=20) if stage.is_closed else None,
                    close_reason="Harga lebih murah di dealer lain" if stage.is_lost else "",
                ))
                path.append((created, stage))
            Opportunity.objects.bulk_create(opps, batch_size=2000)
            changes = []
            for opp, (created, stage) in zip(opps, path):
                previous, at = None, created
                for step in stages:
                    if step.is_closed and step.pk != stage.pk:
                        continue
                    changes.append(StageChange(opportunity=opp, from_stage=previous, to_stage=step,
                                               by=opp.owner, changed_at=at))
                    previous, at = step, at + dt.timedelta(days=rng.randint(1, 10))
                    if step.pk == stage.pk:
                        break
            StageChange.objects.bulk_create(changes, batch_size=5000)
        made["leads"] += len(leads)
        made["opportunities"] += len(opps)
    made["activities"] = seed_activities(branches=branches, seed=seed, now=now)
    if stdout is not None:
        stdout.write(f"sales: {made['leads']} leads, {made['opportunities']} opportunities, "
                     f"{made['activities']} activities")
    return made


def run(context) -> None:
    seed(branches=context.branches, customers=context.customers, seed=context.seed, stdout=context.stdout)


# --- Catalogue, quotations, orders and shipments (issue 11) -------------------------------------
PRODUCTS = [
    # sku, name, category, price, make, model, warranty months
    ("TYT-AVZ-15G", "Toyota Avanza 1.5 G CVT", "vehicle", 275_000_000, "Toyota", "Avanza", 36),
    ("TYT-VLZ-15Q", "Toyota Veloz 1.5 Q CVT", "vehicle", 330_000_000, "Toyota", "Veloz", 36),
    ("TYT-RSH-15S", "Toyota Rush 1.5 S GR", "vehicle", 310_000_000, "Toyota", "Rush", 36),
    ("TYT-INZ-20V", "Toyota Innova Zenix 2.0 V HV", "vehicle", 520_000_000, "Toyota", "Innova Zenix", 36),
    ("TYT-FRT-24G", "Toyota Fortuner 2.4 G AT", "vehicle", 560_000_000, "Toyota", "Fortuner", 36),
    ("ACC-KAC-01", "Kaca film V-Kool", "accessory", 4_500_000, "", "", 0),
    ("ACC-KRP-01", "Karpet dasar 3 baris", "accessory", 1_250_000, "", "", 0),
    ("ACC-DSC-01", "Kamera mundur + dashcam", "accessory", 2_750_000, "", "", 0),
    ("SVC-PKT-3T", "Paket servis berkala 3 tahun", "service_package", 6_900_000, "", "", 0),
    ("SPR-OLI-4L", "Oli mesin 0W-20 4 liter", "spare_part", 520_000, "", "", 0),
]
QUOTES_PER_BRANCH_MAX = 2000


def seed_orders(*, branches, customers: int, seed: int = 0, stdout=None) -> dict:
    """The catalogue, then per branch quotations for some opportunities, orders for the accepted
    ones and shipments for the invoiced ones: bulk INSERTs, numbered through the branch's
    counter. A branch that already has quotations is left as it is."""
    from .models import (DocumentCounter, PaymentDue, Product, Quotation, QuotationLine, SalesOrder, Shipment,
                         TaxClass)
    from django.db.models import F

    from .quotations import line_amounts

    made = {"quotations": 0, "orders": 0}
    for sku, name, category, price, make, model, months in PRODUCTS:
        Product.objects.get_or_create(sku=sku, defaults={"name": name, "category": category, "unit_price": price,
                                                         "make": make, "model_name": model,
                                                         "warranty_months": months})
    products = list(Product.objects.filter(sku__in=[p[0] for p in PRODUCTS]))
    vehicles = [p for p in products if p.category == "vehicle"]
    extras = [p for p in products if p.category != "vehicle"]
    done = set(Quotation.objects.filter(branch__in=branches).values_list("branch_id", flat=True).distinct())
    today = timezone.localdate()
    rate = {TaxClass.LUXURY: Decimal(12), TaxClass.STANDARD: Decimal(11)}
    per_branch = max(10, min(QUOTES_PER_BRANCH_MAX, customers // 1000))
    for branch in branches:
        if branch.is_head_office or branch.pk in done:
            continue
        rng = random.Random(f"orders:{seed}:{branch.pk}")
        opps = list(Opportunity.objects.filter(branch=branch).order_by("-id")
                    .values_list("id", "customer_id", "owner_id")[:per_branch])
        if not opps:
            continue
        with transaction.atomic():
            counter, _ = DocumentCounter.objects.select_for_update().get_or_create(
                branch=branch, kind="QUO", year=today.year)
            so_counter, _ = DocumentCounter.objects.select_for_update().get_or_create(
                branch=branch, kind="SO", year=today.year)
            quotes, line_sets = [], []
            for opp_id, customer_id, owner_id in opps:
                counter.last += 1
                day = today - dt.timedelta(days=rng.randint(0, 60))
                vehicle = rng.choice(vehicles)
                chosen = [(vehicle, 1, Decimal(rng.choice([0, 5_000_000, 10_000_000])))] + \
                    [(p, 1, Decimal(0)) for p in rng.sample(extras, rng.randint(0, 2))]
                lines, total = [], {"gross": 0, "discount": 0, "tax": 0, "total": 0}
                for position, (product, qty, discount) in enumerate(chosen, start=1):
                    a = line_amounts(quantity=qty, unit_price=product.unit_price, discount_amount=discount,
                                     tax_rate=rate[product.tax_class])
                    lines.append(QuotationLine(position=position, product=product, description=product.name,
                                               tax_class=product.tax_class, quantity=qty,
                                               unit_price=product.unit_price, discount_amount=discount,
                                               tax_rate=rate[product.tax_class], gross=a.gross, discount=a.discount,
                                               net=a.net, tax=a.tax, total=a.total))
                    for key in total:
                        total[key] += getattr(a, key)
                status = rng.choice(["draft", "sent", "sent", "accepted", "accepted", "rejected"])
                quotes.append(Quotation(
                    branch=branch, opportunity_id=opp_id, customer_id=customer_id, created_by_id=owner_id,
                    number=f"{branch.code.upper()}/QUO/{today.year}/{counter.last:06d}", status=status,
                    vehicle=vehicle, quote_date=day, valid_until=day + dt.timedelta(days=14),
                    reject_reason="Harga belum cocok" if status == "rejected" else "",
                    subtotal=total["gross"], discount_total=total["discount"], tax_total=total["tax"],
                    total=total["total"]))
                line_sets.append(lines)
            Quotation.objects.bulk_create(quotes, batch_size=2000)
            for quote, lines in zip(quotes, line_sets):
                for line in lines:
                    line.quotation = quote
            QuotationLine.objects.bulk_create([line for lines in line_sets for line in lines], batch_size=5000)
            now = timezone.now()
            orders = []
            for quote in quotes:
                if quote.status != "accepted":
                    continue
                so_counter.last += 1
                orders.append(SalesOrder(
                    branch=branch, customer_id=quote.customer_id, quotation=quote, owner_id=quote.created_by_id,
                    number=f"{branch.code.upper()}/SO/{today.year}/{so_counter.last:06d}", total=quote.total,
                    status=rng.choice(["confirmed", "allocated", "invoiced", "invoiced", "delivered"]),
                    status_changed_at=now))
            SalesOrder.objects.bulk_create(orders, batch_size=2000)
            PaymentDue.objects.bulk_create([
                PaymentDue(order=o, kind="down_payment", due_date=today - dt.timedelta(days=rng.randint(-10, 20)),
                           amount=(o.total * Decimal("0.2")).quantize(Decimal(1)),
                           paid_amount=(o.total * Decimal("0.2")).quantize(Decimal(1)) if rng.random() < 0.7 else 0)
                for o in orders], batch_size=2000)
            PaymentDue.objects.filter(order__in=orders, paid_amount=F("amount")).update(paid_at=now)
            Shipment.objects.bulk_create([
                Shipment(order=o, branch=branch, method=rng.choice(["own_driver", "carrier"]),
                         promised_date=today + dt.timedelta(days=rng.randint(-3, 10)),
                         status="delivered" if o.status == "delivered" else "planned",
                         delivered_at=now if o.status == "delivered" else None,
                         receiver_name="Penerima" if o.status == "delivered" else "")
                for o in orders if o.status in ("invoiced", "delivered")], batch_size=2000)
            counter.save(update_fields=["last"])
            so_counter.save(update_fields=["last"])
        made["quotations"] += len(quotes)
        made["orders"] += len(orders)
    if stdout is not None:
        stdout.write(f"sales orders: {made['quotations']} quotations, {made['orders']} orders")
    return made


def run_orders(context) -> None:
    seed_orders(branches=context.branches, customers=context.customers, seed=context.seed, stdout=context.stdout)


# --- activities (issue 10, part 2) -----------------------------------------------------------------
ACTIVITY_SUBJECTS = {
    "call": ["Telepon tindak lanjut penawaran", "Konfirmasi jadwal test drive", "Tanya kabar setelah kunjungan"],
    "visit": ["Kunjungan ke kantor pelanggan", "Test drive di showroom", "Presentasi armada"],
    "task": ["Siapkan penawaran harga", "Cek stok unit", "Kirim brosur"],
    "email": ["Kirim simulasi kredit", "Kirim spesifikasi unit"],
}
ACTIVITIES_PER_REP = 24


def seed_activities(*, branches, seed: int = 0, now=None) -> int:
    """Per branch that has none yet: each rep's activities on the branch's newest open leads
    and opportunities: overdue, today, the coming two weeks, and done ones in the past (bulk
    INSERTs); then the branch's lead scores in one UPDATE."""
    from .activity_services import leads_score_refresh
    from .models import Activity

    now = now or timezone.now()
    done_branches = set(Activity.objects.filter(branch__in=branches).values_list("branch_id", flat=True).distinct())
    made = 0
    for branch in branches:
        if branch.is_head_office or branch.pk in done_branches:
            continue
        rng = random.Random(f"sales-activities:{seed}:{branch.pk}")
        reps = list(User.objects.filter(branch=branch, department=Department.SALES, is_active=True).order_by("id"))
        leads = list(Lead.objects.filter(branch=branch, status__in=Lead.OPEN_STATUSES).order_by("-id")
                     .values_list("id", "customer_id")[:200])
        opps = list(Opportunity.objects.filter(branch=branch, closed_at__isnull=True).order_by("-id")
                    .values_list("id", "customer_id")[:100])
        if not reps or not (leads or opps):
            continue
        rows = []
        for rep in reps:
            for i in range(ACTIVITIES_PER_REP):
                kind = rng.choice(["call", "call", "visit", "task", "email"])
                # A quarter done in the past, a few overdue, the rest from today to two weeks ahead.
                offset = rng.choice([-20, -10, -5, -2, -1, 0, 0, 1, 2, 3, 5, 8, 13]) * 24 * 60 + rng.randint(-300, 300)
                due = now + dt.timedelta(minutes=offset)
                done = offset < 0 and rng.random() < 0.7
                on_lead = leads and (not opps or rng.random() < 0.6)
                lead_id, customer_id = rng.choice(leads) if on_lead else (None, None)
                opp_id = None
                if not on_lead:
                    opp_id, customer_id = rng.choice(opps)
                rows.append(Activity(
                    branch=branch, kind=kind, subject=rng.choice(ACTIVITY_SUBJECTS[kind]), due_at=due, assignee=rep,
                    created_by=rep, lead_id=lead_id, opportunity_id=opp_id, customer_id=customer_id,
                    done_at=due if done else None, done_by=rep if done else None,
                    outcome="Pelanggan minta dihubungi minggu depan." if done else "",
                    # The past ones were reminded in their day: beat must not remind them now.
                    reminded_at=due if offset < 0 else None,
                ))
        with transaction.atomic():
            Activity.objects.bulk_create(rows, batch_size=2000)
            leads_score_refresh(Lead.objects.filter(branch=branch), now=now)
        made += len(rows)
    return made


BENCH_ACTIVITIES = 500_000  # at 1,000,000 customers: a year of a large dealer group's calls and visits


def seed_activities_bench(*, total: int, stdout=None) -> int:
    """``make bench`` (sales/bench.py): top the activities up to ``total`` in one INSERT …
    SELECT, spread over every branch's active sales staff, due from 60 days ago to 60 days
    ahead; three in four of the past ones done and every past one reminded. Each is about
    the customer of its branch with the lowest id (the agenda reads no customer row)."""
    from django.db import connection

    from .models import Activity

    missing = total - Activity.objects.count()
    if missing <= 0:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("""
            WITH reps AS (
                SELECT u.id, u.branch_id, (SELECT min(c.id) FROM crm_customer c WHERE c.branch_id = u.branch_id) AS cid,
                       row_number() OVER (ORDER BY u.id) - 1 AS n, count(*) OVER () AS total
                FROM accounts_user u JOIN accounts_branch b ON b.id = u.branch_id
                WHERE u.is_active AND u.department = 'sales' AND NOT b.is_head_office)
            INSERT INTO sales_activity (public_id, branch_id, kind, subject, notes, due_at, assignee_id, customer_id,
                                        created_by_id, done_at, done_by_id, outcome, reminded_at, created_at,
                                        updated_at)
            SELECT gen_random_uuid(), r.branch_id, (ARRAY['call', 'call', 'visit', 'task', 'email'])[1 + g %% 5],
                   'Tindak lanjut ' || g, '', due, r.id, r.cid, r.id,
                   CASE WHEN due < now() AND g %% 4 <> 0 THEN due END,
                   CASE WHEN due < now() AND g %% 4 <> 0 THEN r.id END, '',
                   CASE WHEN due < now() THEN due END, now(), now()
            FROM generate_series(1, %s) g
            JOIN reps r ON r.n = g %% r.total AND r.cid IS NOT NULL
            CROSS JOIN LATERAL (SELECT now() + ((g::bigint * 7919) %% 172800 - 86400) * interval '1 minute' AS due) d
        """, [missing])
        made = cursor.rowcount
        cursor.execute("VACUUM ANALYZE sales_activity")
    if stdout is not None:
        stdout.write(f"sales: {made:,} activities added")
    return made
