"""Issue 10's figures at a million customers: the lead search, the forecast's funnel, the board.

- The lead list's search (Django's icontains, UPPER(name) LIKE UPPER('%q%')) could not use
  the trigram indexes on the bare columns: they are rebuilt on UPPER(name), UPPER(company).
- The funnel read every opportunity's stage history twice (a window over 260,000 rows, 0.6-1 s).
  Two columns kept by the database now hold what it computed: ``StageChange.left_at`` (the
  next change's time: days in stage) and ``Opportunity.furthest_stage`` (the highest open or
  won stage reached). Statement triggers on sales_stagechange recompute both for the
  opportunities whose history a statement touched, from that history (the same window the
  funnel used), so bulk loads, the services and the admin all keep them right.
- The board for head office walked the primary key to find each column's newest cards
  (50,000 rows skipped per column): an index on (stage, -id). The forecast's charts get
  index-only reads of open opportunities by expected close and closed ones by date closed.
- The board's column counts and totals summed every opportunity (a scan of 250,000 rows for
  head office), and so would the funnel's reached counts. ``sales_pipelinetotal`` holds count
  and amount per (stage, furthest stage, branch, owner, month of expected close), kept by statement triggers on
  sales_opportunity (the deltas of the rows a statement inserted, changed or deleted).
"""

import django.contrib.postgres.indexes
import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

FUNCTIONS = r"""
-- The funnel's two columns for the given opportunities, recomputed from their history.
CREATE OR REPLACE FUNCTION sales_funnel_refresh(opp_ids bigint[]) RETURNS void LANGUAGE sql AS $$
    UPDATE sales_stagechange c SET left_at = n.next_at
    FROM (SELECT id, LEAD(changed_at) OVER (PARTITION BY opportunity_id ORDER BY changed_at, id) AS next_at
          FROM sales_stagechange WHERE opportunity_id = ANY(opp_ids)) n
    WHERE c.id = n.id AND c.left_at IS DISTINCT FROM n.next_at;
    UPDATE sales_opportunity o SET furthest_stage_id = f.stage_id
    FROM (SELECT o2.id, (SELECT c.to_stage_id FROM sales_stagechange c JOIN sales_stage s ON s.id = c.to_stage_id
                         WHERE c.opportunity_id = o2.id AND NOT s.is_lost
                         ORDER BY s."order" DESC, s.id DESC LIMIT 1) AS stage_id
          FROM sales_opportunity o2 WHERE o2.id = ANY(opp_ids)) f
    WHERE o.id = f.id AND o.furthest_stage_id IS DISTINCT FROM f.stage_id;
$$;

CREATE OR REPLACE FUNCTION sales_stagechange_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids bigint[] := ARRAY(SELECT DISTINCT opportunity_id FROM new_rows);
BEGIN
    IF cardinality(ids) > 0 THEN PERFORM sales_funnel_refresh(ids); END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION sales_stagechange_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids bigint[] := ARRAY(SELECT DISTINCT opportunity_id FROM old_rows);
BEGIN
    IF cardinality(ids) > 0 THEN PERFORM sales_funnel_refresh(ids); END IF;
    RETURN NULL;
END $$;

-- Only a change of time, stage or opportunity counts: the refresh's own writes of left_at
-- change none of them, so it does not run itself again.
CREATE OR REPLACE FUNCTION sales_stagechange_updated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE ids bigint[] := ARRAY(
    SELECT DISTINCT x FROM new_rows n JOIN old_rows o ON o.id = n.id,
           LATERAL (VALUES (n.opportunity_id), (o.opportunity_id)) v(x)
    WHERE (n.opportunity_id, n.to_stage_id, n.changed_at) IS DISTINCT FROM
          (o.opportunity_id, o.to_stage_id, o.changed_at));
BEGIN
    IF cardinality(ids) > 0 THEN PERFORM sales_funnel_refresh(ids); END IF;
    RETURN NULL;
END $$;

-- A stage given another order, or made lost (or not), changes the furthest stage of the
-- opportunities that passed through it.
CREATE OR REPLACE FUNCTION sales_stage_reordered() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sales_funnel_refresh(ARRAY(SELECT DISTINCT opportunity_id FROM sales_stagechange
                                       WHERE to_stage_id = NEW.id));
    RETURN NULL;
END $$;

-- furthest_stage belongs to the database: a save of the whole opportunity (a stale object,
-- the admin) keeps the stored value; only the refresh (run inside a trigger) changes it.
CREATE OR REPLACE FUNCTION sales_opportunity_keep_furthest() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() <= 1 THEN NEW.furthest_stage_id := OLD.furthest_stage_id; END IF;
    RETURN NEW;
END $$;

-- The board's and the funnel's totals: the deltas of the opportunities a statement inserted,
-- changed or deleted, added in one upsert (rows in key order, so concurrent statements lock
-- them in the same order).
CREATE OR REPLACE FUNCTION sales_pipelinetotal_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sales_pipelinetotal AS t (stage_id, furthest_stage_id, branch_id, owner_id, close_month, n, amount, weighted)
    SELECT stage_id, furthest_stage_id, branch_id, owner_id, close_month, sum(dn), sum(da), sum(dw) FROM (
        SELECT r.stage_id, r.furthest_stage_id, r.branch_id, r.owner_id,
               CASE WHEN r.closed_at IS NULL THEN date_trunc('month', r.expected_close)::date END AS close_month,
               1 AS dn, r.amount AS da, (r.amount * r.probability / 100) AS dw
        FROM new_rows r
    ) d
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(dn) <> 0 OR sum(da) <> 0 OR sum(dw) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (stage_id, furthest_stage_id, branch_id, owner_id, close_month)
    DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount, weighted = t.weighted + EXCLUDED.weighted;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION sales_pipelinetotal_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sales_pipelinetotal AS t (stage_id, furthest_stage_id, branch_id, owner_id, close_month, n, amount, weighted)
    SELECT stage_id, furthest_stage_id, branch_id, owner_id, close_month, sum(dn), sum(da), sum(dw) FROM (
        SELECT r.stage_id, r.furthest_stage_id, r.branch_id, r.owner_id,
               CASE WHEN r.closed_at IS NULL THEN date_trunc('month', r.expected_close)::date END AS close_month,
               -1 AS dn, -r.amount AS da, -(r.amount * r.probability / 100) AS dw
        FROM old_rows r
    ) d
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(dn) <> 0 OR sum(da) <> 0 OR sum(dw) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (stage_id, furthest_stage_id, branch_id, owner_id, close_month)
    DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount, weighted = t.weighted + EXCLUDED.weighted;
    RETURN NULL;
END $$;

-- A changed row moves from its old key to its new one (rows that changed nothing counted are skipped).
CREATE OR REPLACE FUNCTION sales_pipelinetotal_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO sales_pipelinetotal AS t (stage_id, furthest_stage_id, branch_id, owner_id, close_month, n, amount, weighted)
    SELECT stage_id, furthest_stage_id, branch_id, owner_id, close_month, sum(dn), sum(da), sum(dw) FROM (
        SELECT n.stage_id, n.furthest_stage_id, n.branch_id, n.owner_id,
               CASE WHEN n.closed_at IS NULL THEN date_trunc('month', n.expected_close)::date END AS close_month,
               1 AS dn, n.amount AS da, (n.amount * n.probability / 100) AS dw
        FROM new_rows n
        JOIN old_rows o ON o.id = n.id WHERE (n.stage_id, n.furthest_stage_id, n.branch_id, n.owner_id, n.amount,
            n.probability, n.expected_close, n.closed_at) IS DISTINCT FROM (o.stage_id, o.furthest_stage_id,
            o.branch_id, o.owner_id, o.amount, o.probability, o.expected_close, o.closed_at)
        UNION ALL
        SELECT o.stage_id, o.furthest_stage_id, o.branch_id, o.owner_id,
               CASE WHEN o.closed_at IS NULL THEN date_trunc('month', o.expected_close)::date END AS close_month,
               -1 AS dn, -o.amount AS da, -(o.amount * o.probability / 100) AS dw
        FROM old_rows o
        JOIN new_rows n ON n.id = o.id WHERE (n.stage_id, n.furthest_stage_id, n.branch_id, n.owner_id, n.amount,
            n.probability, n.expected_close, n.closed_at) IS DISTINCT FROM (o.stage_id, o.furthest_stage_id,
            o.branch_id, o.owner_id, o.amount, o.probability, o.expected_close, o.closed_at)
    ) d
    GROUP BY 1, 2, 3, 4, 5 HAVING sum(dn) <> 0 OR sum(da) <> 0 OR sum(dw) <> 0 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (stage_id, furthest_stage_id, branch_id, owner_id, close_month)
    DO UPDATE SET n = t.n + EXCLUDED.n, amount = t.amount + EXCLUDED.amount, weighted = t.weighted + EXCLUDED.weighted;
    RETURN NULL;
END $$;
"""

BACKFILL = r"""
UPDATE sales_stagechange c SET left_at = n.next_at
FROM (SELECT id, LEAD(changed_at) OVER (PARTITION BY opportunity_id ORDER BY changed_at, id) AS next_at
      FROM sales_stagechange) n
WHERE c.id = n.id AND n.next_at IS NOT NULL;
UPDATE sales_opportunity o SET furthest_stage_id = f.stage_id
FROM (SELECT DISTINCT ON (c.opportunity_id) c.opportunity_id, c.to_stage_id AS stage_id
      FROM sales_stagechange c JOIN sales_stage s ON s.id = c.to_stage_id
      WHERE NOT s.is_lost
      ORDER BY c.opportunity_id, s."order" DESC, s.id DESC) f
WHERE o.id = f.opportunity_id;
INSERT INTO sales_pipelinetotal (stage_id, furthest_stage_id, branch_id, owner_id, close_month, n, amount, weighted)
SELECT stage_id, furthest_stage_id, branch_id, owner_id,
       CASE WHEN closed_at IS NULL THEN date_trunc('month', expected_close)::date END,
       count(*), sum(amount), sum(amount * probability / 100)
FROM sales_opportunity GROUP BY 1, 2, 3, 4, 5;
"""

TRIGGERS = r"""
CREATE TRIGGER sales_stagechange_inserted AFTER INSERT ON sales_stagechange
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_stagechange_inserted();
CREATE TRIGGER sales_stagechange_updated AFTER UPDATE ON sales_stagechange
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION sales_stagechange_updated();
CREATE TRIGGER sales_stagechange_deleted AFTER DELETE ON sales_stagechange
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_stagechange_deleted();
CREATE TRIGGER sales_stage_reordered AFTER UPDATE ON sales_stage FOR EACH ROW
    WHEN (OLD."order" IS DISTINCT FROM NEW."order" OR OLD.is_lost IS DISTINCT FROM NEW.is_lost)
    EXECUTE FUNCTION sales_stage_reordered();
CREATE TRIGGER sales_opportunity_keep_furthest BEFORE UPDATE ON sales_opportunity FOR EACH ROW
    WHEN (OLD.furthest_stage_id IS DISTINCT FROM NEW.furthest_stage_id)
    EXECUTE FUNCTION sales_opportunity_keep_furthest();
CREATE TRIGGER sales_pipelinetotal_inserted AFTER INSERT ON sales_opportunity
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_pipelinetotal_inserted();
CREATE TRIGGER sales_pipelinetotal_updated AFTER UPDATE ON sales_opportunity
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION sales_pipelinetotal_updated();
CREATE TRIGGER sales_pipelinetotal_deleted AFTER DELETE ON sales_opportunity
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sales_pipelinetotal_deleted();
"""

DROP = r"""
DROP TRIGGER IF EXISTS sales_pipelinetotal_deleted ON sales_opportunity;
DROP TRIGGER IF EXISTS sales_pipelinetotal_updated ON sales_opportunity;
DROP TRIGGER IF EXISTS sales_pipelinetotal_inserted ON sales_opportunity;
DROP TRIGGER IF EXISTS sales_opportunity_keep_furthest ON sales_opportunity;
DROP TRIGGER IF EXISTS sales_stage_reordered ON sales_stage;
DROP TRIGGER IF EXISTS sales_stagechange_deleted ON sales_stagechange;
DROP TRIGGER IF EXISTS sales_stagechange_updated ON sales_stagechange;
DROP TRIGGER IF EXISTS sales_stagechange_inserted ON sales_stagechange;
DROP FUNCTION IF EXISTS sales_pipelinetotal_inserted();
DROP FUNCTION IF EXISTS sales_pipelinetotal_updated();
DROP FUNCTION IF EXISTS sales_pipelinetotal_deleted();
DROP FUNCTION IF EXISTS sales_opportunity_keep_furthest();
DROP FUNCTION IF EXISTS sales_stage_reordered();
DROP FUNCTION IF EXISTS sales_stagechange_updated();
DROP FUNCTION IF EXISTS sales_stagechange_deleted();
DROP FUNCTION IF EXISTS sales_stagechange_inserted();
DROP FUNCTION IF EXISTS sales_funnel_refresh(bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_notifications"),
        ("sales", "0007_orders_shipment_proof"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="PipelineTotal",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("close_month", models.DateField(null=True)),
                ("n", models.IntegerField(default=0)),
                ("amount", models.DecimalField(decimal_places=0, default=0, max_digits=20)),
                ("weighted", models.DecimalField(decimal_places=2, default=0, max_digits=24)),
                ("branch", models.ForeignKey(db_constraint=False, db_index=False,
                                             on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                             to="accounts.branch")),
                ("furthest_stage", models.ForeignKey(db_constraint=False, db_index=False, null=True,
                                                     on_delete=django.db.models.deletion.DO_NOTHING,
                                                     related_name="+", to="sales.stage")),
                ("owner", models.ForeignKey(db_constraint=False, db_index=False, null=True,
                                            on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                            to=settings.AUTH_USER_MODEL)),
                ("stage", models.ForeignKey(db_constraint=False, db_index=False,
                                            on_delete=django.db.models.deletion.DO_NOTHING, related_name="+",
                                            to="sales.stage")),
            ],
            options={
                "constraints": [models.UniqueConstraint(fields=("stage", "furthest_stage", "branch", "owner",
                                                                "close_month"),
                                                        name="pipelinetotal_key_uniq", nulls_distinct=False)],
            },
        ),
        migrations.RemoveIndex(model_name="lead", name="lead_name_trgm_idx"),
        migrations.RemoveIndex(model_name="lead", name="lead_company_trgm_idx"),
        migrations.AddIndex(
            model_name="lead",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper("name"),
                                                        name="gin_trgm_ops"),
                name="lead_name_upper_trgm_idx"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass(django.db.models.functions.text.Upper("company"),
                                                        name="gin_trgm_ops"),
                name="lead_company_upper_trgm_idx"),
        ),
        migrations.AddField(
            model_name="opportunity",
            name="furthest_stage",
            field=models.ForeignKey(blank=True, db_index=False, editable=False, null=True,
                                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="sales.stage", verbose_name="furthest stage reached"),
        ),
        migrations.AddField(
            model_name="stagechange",
            name="left_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="left the stage"),
        ),
        migrations.RunSQL(FUNCTIONS + BACKFILL + TRIGGERS, DROP),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(fields=["stage", "-id"], name="opp_stage_id_idx"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(condition=models.Q(("closed_at__isnull", True)), fields=["expected_close"],
                               include=("branch", "owner", "amount", "probability"), name="opp_open_close_idx"),
        ),
        migrations.AddIndex(
            model_name="opportunity",
            index=models.Index(condition=models.Q(("closed_at__isnull", False)), fields=["closed_at"],
                               include=("branch", "owner", "stage", "amount"), name="opp_closed_idx"),
        ),
        migrations.AddIndex(
            model_name="stagechange",
            index=models.Index(condition=models.Q(("left_at__isnull", False)), fields=["opportunity"],
                               include=("to_stage", "changed_at", "left_at"), name="stagechange_left_idx"),
        ),
    ]
