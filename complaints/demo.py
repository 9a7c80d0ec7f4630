"""Demo complaints (seed_demo's "complaints" step, registered in apps.py).

One INSERT ... SELECT over the customers (one complaint for every 40th customer), so a
million demo customers cost one statement, not 25,000 service calls. The rows are routed
to the department the default rules give (queue, no person), with SLA times of a plain
working day (not the branch calendar: a demo approximation). Safe to run again: a
database that already has complaints is left as it is.
"""

from __future__ import annotations

from django.db import connection

from crm.public import PUBLIC_CODE_SQL

from .models import Complaint

EVERY_NTH_CUSTOMER = 40

_SQL = f"""
INSERT INTO complaints_complaint (
    public_id, code, customer_id, branch_id, reference, channel, category, priority, description, status, department,
    created_at, updated_at, first_response_due, resolution_due, first_response_at, resolved_at)
SELECT gen_random_uuid(), {PUBLIC_CODE_SQL}, c.id, c.branch_id, '', ch.v, cat.v, pr.v, cat.d, st.v, cat.dep,
       t.at, now(), t.at + interval '4 hours', t.at + interval '4 days',
       CASE WHEN st.v <> 'new' THEN t.at + interval '2 hours' END,
       CASE WHEN st.v IN ('resolved', 'closed') THEN t.at + interval '3 days' END
FROM crm_customer c
CROSS JOIN LATERAL (SELECT now() - ((c.id % 90) || ' days')::interval - ((c.id % 9) || ' hours')::interval AS at) t
CROSS JOIN LATERAL (SELECT (ARRAY['phone','sms','web','in_person'])[1 + c.id % 4] AS v) ch
CROSS JOIN LATERAL (SELECT (ARRAY['low','normal','normal','high','urgent'])[1 + c.id % 5] AS v) pr
CROSS JOIN LATERAL (SELECT (ARRAY['new','assigned','in_progress','waiting_customer','resolved','closed',
                                  'closed'])[1 + (c.id / 7) % 7] AS v) st
CROSS JOIN LATERAL (SELECT x.v, x.dep, x.d FROM (VALUES
    (0, 'order_status', 'sales', 'Status pesanan belum ada kabar dari sales.'),
    (1, 'vehicle_repair', 'service', 'Menanyakan kondisi mobil yang sedang diperbaiki di bengkel.'),
    (2, 'production_defect', 'qc', 'Panel pintu berbunyi dan cat mengelupas, bukan karena pemakaian.'),
    (3, 'delivery', 'shipment', 'Mobil yang dipesan belum juga dikirim.'),
    (4, 'branch_data', 'branch_mgmt', 'Data alamat di cabang berbeda dengan data pusat.')
) AS x(k, v, dep, d) WHERE x.k = (c.id / 40) % 5) cat
"""
_DEMO_WHERE = f"WHERE c.id % {EVERY_NTH_CUSTOMER} = 0"


def insert_sql(where: str) -> str:
    """The INSERT of one complaint per customer the ``where`` clause (over ``crm_customer c``)
    picks: the demo's every 40th customer, or the benchmark's many more (complaints/bench.py)."""
    return _SQL + where


def run(context) -> None:
    if Complaint.objects.exists():
        context.say("complaints: already there, left as they are")
        return
    with connection.cursor() as cursor:
        cursor.execute(insert_sql(_DEMO_WHERE))
        made = cursor.rowcount
    context.say(f"complaints: {made} complaints")
