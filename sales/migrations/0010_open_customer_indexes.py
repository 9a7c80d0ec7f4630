"""Segments by "has an open lead / opportunity" (sales/segments.py) as index-only probes (issue 12)."""

from django.db import migrations

INDEXES = [
    ("lead_open_customer_idx", "sales_lead (customer_id) WHERE status IN ('new', 'contacted', 'qualified')"),
    ("opportunity_open_customer_idx", "sales_opportunity (customer_id) WHERE closed_at IS NULL"),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("sales", "0009_order_vehicles")]

    operations = [
        migrations.RunSQL(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}",
                          f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        for name, definition in INDEXES
    ]
