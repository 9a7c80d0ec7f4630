"""Demo data of the workshop (seed_demo's "service" step, registered in apps.py).

Service types (one list), three bays per workshop branch (not head office), and a dozen
bookings per branch in its next free slots, for customers of the branch who have a vehicle
with a plate. A fixed number of rows whatever the customer count, so a million-customer seed
stays fast. Safe to run again: a branch that has bays or bookings is left as it is.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from crm.models import Asset

from . import selectors, services
from .models import Bay, BayKind, Booking, ServiceType, Technician

SERVICE_TYPES = [
    # name, kind, minutes, bay kind, interval km, interval months
    ("Servis berkala 10.000 km", ServiceType.Kind.PERIODIC, 90, BayKind.QUICK, 10_000, 6),
    ("Ganti oli", ServiceType.Kind.PERIODIC, 30, BayKind.QUICK, 5_000, 3),
    ("Perbaikan umum", ServiceType.Kind.REPAIR, 120, BayKind.GENERAL, None, None),
    ("Klaim garansi", ServiceType.Kind.WARRANTY, 120, BayKind.GENERAL, None, None),
    ("Bodi dan cat", ServiceType.Kind.BODY_PAINT, 240, BayKind.BODY_PAINT, None, None),
    ("Kampanye recall", ServiceType.Kind.RECALL, 60, BayKind.GENERAL, None, None),
]
BAYS = [("Stall 1", BayKind.QUICK), ("Stall 2", BayKind.GENERAL), ("Booth cat", BayKind.BODY_PAINT)]
BOOKINGS_PER_BRANCH = 12
# name, bay kinds, kinds of work, working days (0 = Monday)
TECHNICIANS = [
    ("Agus", [BayKind.QUICK, BayKind.GENERAL], [ServiceType.Kind.PERIODIC, ServiceType.Kind.REPAIR,
                                                 ServiceType.Kind.WARRANTY, ServiceType.Kind.RECALL], [0, 1, 2, 3, 4]),
    ("Bambang", [BayKind.QUICK], [ServiceType.Kind.PERIODIC], [1, 2, 3, 4, 5]),
    ("Cahyo", [BayKind.BODY_PAINT], [ServiceType.Kind.BODY_PAINT], [0, 1, 2, 3, 4, 5]),
]


def seed(*, branches, stdout=None) -> dict:
    made = {"service_types": 0, "bays": 0, "bookings": 0, "technicians": 0}
    types = []
    for name, kind, minutes, bay_kind, km, months in SERVICE_TYPES:
        service_type, created = ServiceType.objects.get_or_create(name=name, defaults={
            "kind": kind, "duration_minutes": minutes, "bay_kind": bay_kind, "interval_km": km,
            "interval_months": months})
        made["service_types"] += created
        types.append(service_type)
    workshops = [b for b in branches if not b.is_head_office]
    with_bays = set(Bay.objects.filter(branch__in=workshops).values_list("branch_id", flat=True))
    Bay.objects.bulk_create([Bay(branch=b, name=name, kind=kind) for b in workshops if b.pk not in with_bays
                             for name, kind in BAYS])
    made["bays"] = sum(len(BAYS) for b in workshops if b.pk not in with_bays)
    with_technicians = set(Technician.objects.filter(branch__in=workshops).values_list("branch_id", flat=True))
    new_technicians = [Technician(branch=b, name=name, bay_kinds=bays, service_kinds=kinds, working_days=days)
                       for b in workshops if b.pk not in with_technicians for name, bays, kinds, days in TECHNICIANS]
    Technician.objects.bulk_create(new_technicians)
    made["technicians"] = len(new_technicians)
    with_bookings = set(Booking.objects.filter(branch__in=workshops).values_list("branch_id", flat=True))
    quick = types[0]
    for branch in workshops:
        if branch.pk in with_bookings:
            continue
        assets = list(Asset.objects.filter(customer__branch=branch).exclude(plate_number="")
                      .select_related("customer").order_by("id")[:BOOKINGS_PER_BRANCH])
        slots = selectors.free_slots(branch, quick)[::3]
        for asset, slot in zip(assets, slots):
            try:
                services.booking_create(customer=asset.customer, service_type=quick, starts_at=slot.starts_at,
                                        asset=asset, by=None, branch=branch, notify_customer=False)
            except ValidationError:  # a demo plate that is no plate, a slot gone: skip it
                continue
            made["bookings"] += 1
    if stdout is not None:
        stdout.write(f"service: {made['service_types']} service types, {made['bays']} bays, "
                     f"{made['bookings']} bookings, {made['technicians']} technicians")
    return made


def run(context) -> None:
    seed(branches=context.branches, stdout=context.stdout)
