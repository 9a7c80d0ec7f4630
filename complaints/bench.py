"""Complaints at the scale of issue 15 for ``make bench`` (crm/benchmarks/departments.py).

At 1,000,000 customers: 500,000 complaints (one for every odd customer id, beside the
demo's every 40th), by the demo's own INSERT ... SELECT; the production-defect ones get a
component, model and batch so the QC report has 100,000 defects to group over a year.
"""

from __future__ import annotations

from django.db import connection
from django.urls import reverse

from crm.benchmarks.departments import FULL_SIZE, scaled
from crm.benchmarks.inputs import Typed
from crm.benchmarks.measure import Case
from crm.models import Customer

from .demo import insert_sql
from .models import Complaint

COMPLAINTS = 500_000
TARGETS = {"queue": 60, "qc": 500}
USERS = (("service.jks@relasi.test", "service JKS"), ("qc.jks@relasi.test", "QC JKS"),
         ("manager.jks@relasi.test", "manager JKS"), ("pusat@relasi.test", "head office"))

_DEFECTS = """
UPDATE complaints_complaint SET
    defect_component = (ARRAY['Panel pintu', 'Rem depan', 'AC', 'Power window', 'Dashboard'])[1 + id % 5],
    defect_model = (ARRAY['Avanza', 'Rush', 'Innova Zenix', 'Fortuner', 'Raize', 'Veloz'])[1 + id % 6],
    defect_model_year = 2022 + id % 4,
    defect_batch = 'B' || (id % 40)::text,
    created_at = now() - ((id % 365) || ' days')::interval
WHERE category = 'production_defect' AND defect_component = ''
"""


def seed(*, fraction: float, stdout) -> None:
    target = scaled(COMPLAINTS, fraction)
    have = Complaint.objects.count()
    if have >= target:
        return
    # Odd customer ids, the oldest first, until the target is met (the demo took every 40th).
    limit = Customer.objects.order_by("id").values_list("id", flat=True)[
        min(2 * (target - have), Customer.objects.count() - 1)]
    with connection.cursor() as cursor:
        # No parameters: the statement is run as written (its % are modulo, not placeholders).
        cursor.execute(insert_sql(f"WHERE c.id % 2 = 1 AND c.id <= {int(limit)} AND NOT EXISTS "
                                  "(SELECT 1 FROM complaints_complaint x WHERE x.customer_id = c.id)"))
        made = cursor.rowcount
        cursor.execute(_DEFECTS)
        cursor.execute("VACUUM ANALYZE complaints_complaint")
    stdout.write(f"complaints: {made:,} added (scale {fraction * FULL_SIZE:,.0f} customers)")


def cases(*, runs: int) -> list[Case]:
    same = Typed("-", "same page")
    queue = reverse("complaints:queue")
    out = []
    for who, label in USERS:
        for scope in ("mine", "department", "all"):
            out.append(Case(f"complaints: queue, {scope} ({label})", who, [(same, f"{queue}?scope={scope}")] * runs,
                            TARGETS["queue"], group="departments"))
    for who, label in USERS[1:]:
        out.append(Case(f"complaints: QC defect report ({label})", who,
                        [(same, reverse("complaints:qc_report"))] * max(runs // 4, 5), TARGETS["qc"],
                        group="departments"))
    return out
