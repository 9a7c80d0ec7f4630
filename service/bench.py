"""The workshop at the scale of issue 14 for ``make bench`` (crm/benchmarks/departments.py).

At 1,000,000 customers: 20 bays in the Jakarta Selatan branch with 200,000 past appointments
(collected, one hour each, back to back over the past years) and this week's and next
week's bookings filling most of the slots, so the calendar and the free-slot search see a
busy workshop. Loaded in bulk, topped up only.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Branch
from crm.benchmarks.departments import scaled
from crm.benchmarks.inputs import Typed
from crm.benchmarks.measure import Case
from crm.models import Customer

from .models import Bay, BayKind, Booking, ServiceType
from .plates import plate_key

BRANCH, BAYS, PAST = "jks", 20, 200_000
BATCH = 5_000
ADVISOR, HEAD_OFFICE = "service.jks@relasi.test", "pusat@relasi.test"
TARGETS = {"week": 100, "slots": 50, "today": 100}


def _bays(branch: Branch) -> list[Bay]:
    have = list(Bay.objects.filter(branch=branch, is_active=True, kind=BayKind.GENERAL).order_by("id"))
    Bay.objects.bulk_create([Bay(branch=branch, name=f"Bench {n + 1:02d}", kind=BayKind.GENERAL)
                             for n in range(len(have), BAYS)], ignore_conflicts=True)
    return list(Bay.objects.filter(branch=branch, is_active=True, kind=BayKind.GENERAL).order_by("id"))[:BAYS]


def seed(*, fraction: float, stdout) -> None:
    branch = Branch.objects.filter(code=BRANCH).first()
    service_type = ServiceType.objects.filter(is_active=True, bay_kind=BayKind.GENERAL).order_by("id").first()
    if branch is None or service_type is None:
        return
    bays = _bays(branch)
    zone = zoneinfo.ZoneInfo(branch.time_zone)
    rng = random.Random(14)
    customers = list(Customer.objects.filter(branch=branch).order_by("id").values_list("id", flat=True)[:50_000])
    hour = dt.timedelta(hours=1)
    today = timezone.now().astimezone(zone).date()

    def bookings(slots, status):
        rows = []
        for n, (bay, starts) in enumerate(slots):
            plate = f"B {rng.randint(1000, 9999)} {rng.choice('ABCDEFGHJK')}{rng.choice('ABCDEFGHJK')}"
            rows.append(Booking(
                code=f"BX{starts:%y%m%d%H}{bay.pk % 1000:03d}", branch=branch, customer_id=rng.choice(customers),
                plate_number=plate, plate_key=plate_key(plate), service_type=service_type, bay=bay,
                starts_at=starts, ends_at=starts + hour, status=status, status_changed_at=starts + hour))
            if len(rows) == BATCH or n == len(slots) - 1:
                with transaction.atomic():
                    Booking.objects.bulk_create(rows, ignore_conflicts=True)
                rows = []

    # The past: 8 one-hour slots a day per bay (08:00-16:00), going back from yesterday.
    missing = scaled(PAST, fraction) - Booking.objects.filter(branch=branch, starts_at__date__lt=today).count()
    if missing > 0:
        days = -(-missing // (8 * len(bays)))
        earliest = Booking.objects.filter(branch=branch).order_by("starts_at").values_list("starts_at", flat=True)
        start_day = min(earliest[:1] or [dt.datetime.combine(today, dt.time(8), zone)]).astimezone(zone).date()
        slots = [(bay, dt.datetime.combine(start_day - dt.timedelta(days=d), dt.time(8 + h), zone))
                 for d in range(1, days + 1) for h in range(8) for bay in bays][:missing]
        bookings(slots, Booking.Status.COLLECTED)
        stdout.write(f"service: {len(slots):,} past appointments added")
    # This week and the next: three slots in four taken, the rest free.
    if not Booking.objects.filter(branch=branch, code__startswith="BX", starts_at__date__gte=today).exists():
        slots = [(bay, dt.datetime.combine(today + dt.timedelta(days=d), dt.time(8 + h), zone))
                 for d in range(14) for h in range(8) for bay in bays if rng.random() < 0.75]
        bookings(slots, Booking.Status.BOOKED)
        stdout.write(f"service: {len(slots):,} bookings in the next two weeks")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE service_booking")


def cases(*, runs: int) -> list[Case]:
    branch = Branch.objects.filter(code=BRANCH).first()
    service_type = ServiceType.objects.filter(is_active=True, bay_kind=BayKind.GENERAL).order_by("id").first()
    if branch is None or service_type is None:
        return []
    same = Typed("-", "same page")
    today = timezone.now().astimezone(zoneinfo.ZoneInfo(branch.time_zone)).date()
    week = reverse("service:week", args=[branch.public_id])
    weeks = [Typed(str(today + dt.timedelta(days=7 * w)), f"week {w:+d}") for w in (-52, -4, -1, 0, 1)]
    customers = Customer.objects.filter(branch=branch).order_by("-id").values_list("public_id", flat=True)[:runs]
    out = []
    for who, label in ((ADVISOR, "service advisor JKS"), (HEAD_OFFICE, "head office")):
        out += [
            Case(f"service: week calendar, 20 bays ({label})", who,
                 [(t, f"{week}?day={t.text}") for t in weeks] * max(runs // len(weeks), 1), TARGETS["week"],
                 group="departments"),
            Case(f"service: today's arrivals ({label})", who, [(same, reverse("service:today"))] * runs,
                 TARGETS["today"], group="departments"),
        ]
    out.append(Case("service: free slots for a periodic service, next 14 days (service advisor JKS)", ADVISOR,
                    [(Typed("-", "a customer"), f"{reverse('service:book', args=[c])}?service_type={service_type.pk}")
                     for c in customers], TARGETS["slots"], group="departments"))
    return out
