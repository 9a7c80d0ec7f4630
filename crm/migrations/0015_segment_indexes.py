"""The segment editor's live count at 1,000,000 customers (issue 12): index-only scans for
crm's segment criteria (crm/segments.py), measured on relasi_bench (docs/PERFORMANCE.md).

Written as SQL, CONCURRENTLY, so building them on a live database does not block writes; the
statistics on ``upper(province)`` fix ``province__iexact``'s estimate (0.5% estimated, 22% real)."""

from django.db import migrations

INDEXES = [
    # branch and birth date (the scope and an age range as a range scan), carrying every other
    # customer column a segment criterion reads: 81 MB instead of the 700 MB table.
    ("customer_segment_idx", "crm_customer (branch_id, birth_date) INCLUDE (id, last_contact_at, sms_consent, "
                             "email_consent, phone_consent, language, city, province)"),
    # a customer's vehicles with every column a vehicle criterion reads (probed from few customers) ...
    ("asset_segment_idx", "crm_asset (customer_id) INCLUDE (make, model, year, purchase_date, warranty_end, "
                          "next_service_due)"),
    # ... and the customers of one make or of a date window (the hash side from many).
    ("asset_make_customer_idx", "crm_asset (make, customer_id)"),
    ("asset_warranty_customer_idx", "crm_asset (warranty_end) INCLUDE (customer_id)"),
    ("asset_service_due_customer_idx", "crm_asset (next_service_due) INCLUDE (customer_id)"),
]


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("crm", "0014_asset_production_batch")]

    operations = [
        migrations.RunSQL(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}",
                          f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        for name, definition in INDEXES
    ] + [
        migrations.RunSQL("CREATE STATISTICS IF NOT EXISTS customer_province_upper_stx ON (upper(province::text)) "
                          "FROM crm_customer",
                          "DROP STATISTICS IF EXISTS customer_province_upper_stx"),
        migrations.RunSQL("ANALYZE crm_customer", migrations.RunSQL.noop),
    ]
