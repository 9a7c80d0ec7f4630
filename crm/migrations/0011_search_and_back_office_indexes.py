"""Indexes for the search box and the back office at a million customers (issue 7).

- customer_branch_search_idx replaces customer_search_trgm: the same trigrams of the search
  text with the branch inside the index (btree_gin), so the search counts "matches in my
  branch" without reading the matches of every other branch (crm.selectors.customer_search).
- asset_plate_key_idx / asset_vin_upper_idx replace the plain plate and VIN indexes, which
  no query used: the back office looks plates up upper-cased and without spaces, by their
  start (crm.admin.AssetAdmin).
- asset_make_id_idx: the make filter's options by a skip scan, and its lists newest first.

Built CONCURRENTLY (the migration is not atomic): on a million rows a plain CREATE INDEX
would block writes to the table for about a minute. The new indexes are built before the
old ones are dropped, so searches stay indexed throughout.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.contrib.postgres.operations import AddIndexConcurrently, BtreeGinExtension, RemoveIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("crm", "0010_customer_last_contact"),
    ]

    operations = [
        BtreeGinExtension(),
        AddIndexConcurrently(
            model_name="customer",
            index=django.contrib.postgres.indexes.GinIndex(
                fields=["branch", "search_text"], name="customer_branch_search_idx",
                opclasses=["int8_ops", "gin_trgm_ops"],
            ),
        ),
        RemoveIndexConcurrently(model_name="customer", name="customer_search_trgm"),
        AddIndexConcurrently(
            model_name="asset",
            index=models.Index(
                django.contrib.postgres.indexes.OpClass(
                    django.db.models.functions.text.Upper(
                        django.db.models.functions.text.Replace("plate_number", models.Value(" "), models.Value(""))
                    ),
                    name="text_pattern_ops",
                ),
                name="asset_plate_key_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="asset",
            index=models.Index(
                django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper("vin"),
                                                        name="text_pattern_ops"),
                name="asset_vin_upper_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="asset",
            index=models.Index(fields=["make", "-id"], name="asset_make_id_idx"),
        ),
        RemoveIndexConcurrently(model_name="asset", name="asset_plate_idx"),
        RemoveIndexConcurrently(model_name="asset", name="asset_vin_idx"),
    ]
