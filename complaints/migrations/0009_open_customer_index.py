"""Segments by "has an open complaint" (complaints/segments.py) as an index-only probe (issue 12)."""

from django.db import migrations

INDEXES = [
    ("complaint_open_customer_idx", "complaints_complaint (customer_id) WHERE NOT (status IN ('resolved', 'closed'))"),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0008_email_intake")]

    operations = [
        migrations.RunSQL(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}",
                          f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        for name, definition in INDEXES
    ]
