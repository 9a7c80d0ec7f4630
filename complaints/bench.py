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
# Reports: the issue names no target; the QC page's 500 ms.
TARGETS = {"queue": 60, "qc": 500, "reports": 500}
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


# The reports' reopen rate: one resolved (or later) complaint in 17 was reopened once.
_REOPENED = """
UPDATE complaints_complaint SET reopen_count = 1
WHERE id % 17 = 0 AND status IN ('resolved', 'closed', 'in_progress') AND reopen_count = 0
"""


def seed(*, fraction: float, stdout) -> None:
    target = scaled(COMPLAINTS, fraction)
    have = Complaint.objects.count()
    if have >= target:
        if not Complaint.objects.filter(reopen_count__gt=0).exists():  # seeded before reopen_count (0006)
            with connection.cursor() as cursor:
                cursor.execute(_REOPENED)
                stdout.write(f"complaints: {cursor.rowcount:,} marked reopened")
                # The reports read an index only: the visibility map must be current again.
                cursor.execute("VACUUM ANALYZE complaints_complaint")
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
        cursor.execute(_REOPENED)
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
    reports = reverse("complaints:reports")
    times_csv = reverse("complaints:report_csv", args=["times"])
    for who, label in USERS[2:]:
        for query in ("period=month&n=12", "period=week&n=12"):
            out.append(Case(f"complaints: reports, {query.split('&')[0][7:]} ({label})", who,
                            [(same, f"{reports}?{query}")] * runs, TARGETS["reports"], group="departments"))
        out.append(Case(f"complaints: reports, median times CSV ({label})", who,
                        [(same, f"{times_csv}?period=month&n=12")] * runs, TARGETS["reports"], group="departments"))
    return out
