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
    if stdout is not None:
        stdout.write(f"sales: {made['leads']} leads, {made['opportunities']} opportunities")
    return made


def run(context) -> None:
    seed(branches=context.branches, customers=context.customers, seed=context.seed, stdout=context.stdout)
