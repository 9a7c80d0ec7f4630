"""Change capture: PostgreSQL statement triggers on every synced table (issue 16).

Every INSERT, UPDATE and DELETE of a synced model's table - through the ORM, ``QuerySet.update``,
``bulk_create``, raw SQL, COPY, or a cascade - writes one ``branches_change`` row per changed
record in the writing transaction, so nothing escapes the log and nothing is logged for a
transaction that rolls back. Updates of a model whose fields merge per field also stamp each
changed field in ``branches_fieldclock`` with the hybrid logical clock (``relasi_hlc_now()``)
and this instance's node.

Migrations run without the triggers (dropped before, made again after every ``migrate``): each
instance runs the same migrations itself. Rows written by the sync itself (``SET LOCAL relasi.sync_origin``) are not logged: the other
side already has them. The functions are generated from the ``crm.sync`` declarations and
(re)installed after every ``migrate`` (``post_migrate``), so a model joins by its declaration;
``check_installed`` is a system check that fails when one is missing.

Measured in docs/SYNC_DESIGN.md: a statement trigger with a per-table function costs about
2 microseconds on a one-row update and 0-7 % on the SMS recorder's 50-row batches.
"""

from __future__ import annotations

from django.core import checks
from django.db import connection

from crm import sync

from .wire import Shape, shapes

HLC_SQL = """
CREATE OR REPLACE FUNCTION relasi_node() RETURNS text LANGUAGE sql STABLE AS $$
  SELECT coalesce(nullif(current_setting('relasi.node', true), ''), 'hq') $$;
CREATE OR REPLACE FUNCTION relasi_hlc_now() RETURNS bigint LANGUAGE sql VOLATILE AS $$
  SELECT GREATEST(
    ((extract(epoch FROM clock_timestamp()) * 1000)::bigint
      + coalesce(nullif(current_setting('relasi.clock_offset_ms', true), '')::bigint, 0)) << 16,
    coalesce((SELECT hlc_seen + 1 FROM branches_syncstate WHERE id = 1), 0)) $$;
CREATE OR REPLACE FUNCTION relasi_sync_applying() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('relasi.sync_origin', true), '') <> '' $$;
"""


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _branch_sql(shape: Shape, alias: str) -> tuple[str, str]:
    """(expression for the owning branch's id, the joins it needs) for rows aliased ``alias``."""
    if shape.spec.owner != sync.BRANCH:
        return "NULL::bigint", ""
    path = sync.branch_path(shape.model)
    parts = path.split("__")
    model, cur, joins = shape.model, alias, []
    for i, name in enumerate(parts):
        f = model._meta.get_field(name)
        if i == len(parts) - 1:
            return f"{cur}.{_q(f.column)}", " ".join(joins)
        rel = f.related_model
        nxt = f"p{i}"
        joins.append(f"LEFT JOIN {_q(rel._meta.db_table)} {nxt} ON {nxt}.{_q(rel._meta.pk.column)} = {cur}.{_q(f.column)}")
        model, cur = rel, nxt
    raise AssertionError(path)


def _fn(table: str, op: str) -> str:
    return f"relasi_sync_{table}_{op.lower()}"[:63]


def _stamp_sql(label: str, source: str) -> str:
    """Stamp every (public_id, fields) row of ``source`` with this statement's clock."""
    return f"""
    INSERT INTO branches_fieldclock (model, public_id, field, hlc, node, xid)
    SELECT '{label}', s.public_id, f, stamp, relasi_node(), pg_current_xact_id()
      FROM {source} s, jsonb_array_elements_text(s.fields) f
    ON CONFLICT (model, public_id, field) DO UPDATE
      SET hlc = EXCLUDED.hlc, node = EXCLUDED.node, xid = EXCLUDED.xid;"""


def model_sql(shape: Shape) -> list[str]:
    """The three trigger functions and triggers of one synced table."""
    label, table = shape.label, shape.table
    out = []
    for op, rows in (("I", "new_rows"), ("D", "old_rows")):
        branch, joins = _branch_sql(shape, "r")
        out.append(f"""
CREATE OR REPLACE FUNCTION {_fn(table, op)}() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF relasi_sync_applying() THEN RETURN NULL; END IF;
  INSERT INTO branches_change (model, public_id, op, branch_id)
  SELECT '{label}', r.public_id, '{op}', {branch} FROM {rows} r {joins};
  RETURN NULL;
END $f$;""")
    # Updates: only rows where a synced column changed; which clocked fields changed.
    compare = [f for f in shape.fields if f.name != "updated_at"]
    changed = " OR ".join(f"n.{_q(f.column)} IS DISTINCT FROM o.{_q(f.column)}" for f in compare) or "false"
    branch, joins = _branch_sql(shape, "n")
    clocked = [f for f in shape.fields if f.name in shape.clocked]
    pk = shape.model._meta.pk.column
    fields_expr = ("(SELECT coalesce(jsonb_agg(x), '[]'::jsonb) FROM unnest(ARRAY[" + ", ".join(
        f"CASE WHEN n.{_q(f.column)} IS DISTINCT FROM o.{_q(f.column)} THEN '{f.name}' END" for f in clocked)
        + "]::text[]) x WHERE x IS NOT NULL)") if clocked else "NULL::jsonb"
    head = f"""
  WITH ch AS (
    SELECT n.public_id, {branch} AS branch_id, {fields_expr} AS fields
      FROM new_rows n JOIN old_rows o ON o.{_q(pk)} = n.{_q(pk)} {joins}
     WHERE {changed})"""
    if clocked:
        body = f"""
  stamp := relasi_hlc_now();{head}, logged AS (
    INSERT INTO branches_change (model, public_id, op, branch_id, fields)
    SELECT '{label}', public_id, 'U', branch_id, fields FROM ch){_stamp_sql(label, "ch")}"""
    else:
        body = f"""{head}
  INSERT INTO branches_change (model, public_id, op, branch_id, fields)
  SELECT '{label}', public_id, 'U', branch_id, fields FROM ch;"""
    out.append(f"""
CREATE OR REPLACE FUNCTION {_fn(table, 'U')}() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE stamp bigint;
BEGIN
  IF relasi_sync_applying() THEN RETURN NULL; END IF;{body}
  RETURN NULL;
END $f$;""")
    for op, event, ref in (("I", "INSERT", "NEW TABLE AS new_rows"), ("U", "UPDATE", "NEW TABLE AS new_rows OLD TABLE AS old_rows"),
                           ("D", "DELETE", "OLD TABLE AS old_rows")):
        name = f"relasi_sync_{op.lower()}"
        out.append(f"DROP TRIGGER IF EXISTS {name} ON {_q(table)};")
        out.append(f"CREATE TRIGGER {name} AFTER {event} ON {_q(table)} REFERENCING {ref} "
                   f"FOR EACH STATEMENT EXECUTE FUNCTION {_fn(table, op)}();")
    return out


def m2m_sql(shape: Shape) -> list[str]:
    """A many-to-many change is an update of its owner's field of that name."""
    out = []
    for f in shape.m2m:
        through = f.remote_field.through
        table = through._meta.db_table
        src_col = through._meta.get_field(f.m2m_field_name()).column
        branch, joins = _branch_sql(shape, "p")
        stamp = ""
        if f.name in shape.clocked:
            stamp = f"""
  stamp := relasi_hlc_now();
  INSERT INTO branches_fieldclock (model, public_id, field, hlc, node, xid)
  SELECT DISTINCT '{shape.label}', p.public_id, '{f.name}', stamp, relasi_node(), pg_current_xact_id()
    FROM rows_ t JOIN {_q(shape.table)} p ON p.{_q(shape.model._meta.pk.column)} = t.{_q(src_col)}
  ON CONFLICT (model, public_id, field) DO UPDATE SET hlc = EXCLUDED.hlc, node = EXCLUDED.node, xid = EXCLUDED.xid;"""
        for op, event, ref in (("I", "INSERT", "NEW TABLE AS rows_"), ("D", "DELETE", "OLD TABLE AS rows_")):
            out.append(f"""
CREATE OR REPLACE FUNCTION {_fn(table, op)}() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE stamp bigint;
BEGIN
  IF relasi_sync_applying() THEN RETURN NULL; END IF;
  INSERT INTO branches_change (model, public_id, op, branch_id, fields)
  SELECT DISTINCT '{shape.label}', p.public_id, 'U', {branch}, '["{f.name}"]'::jsonb
    FROM rows_ t JOIN {_q(shape.table)} p ON p.{_q(shape.model._meta.pk.column)} = t.{_q(src_col)} {joins};{stamp}
  RETURN NULL;
END $f$;""")
            name = f"relasi_sync_{op.lower()}"
            out.append(f"DROP TRIGGER IF EXISTS {name} ON {_q(table)};")
            out.append(f"CREATE TRIGGER {name} AFTER {event} ON {_q(table)} REFERENCING {ref} "
                       f"FOR EACH STATEMENT EXECUTE FUNCTION {_fn(table, op)}();")
    return out


def tables() -> list[tuple[str, int]]:
    """(table, triggers it must have) for every synced table."""
    out = []
    for s in shapes():
        out.append((s.table, 3))
        out += [(f.remote_field.through._meta.db_table, 2) for f in s.m2m]
    return out


def install(using_connection=None) -> None:
    conn = using_connection or connection
    with conn.cursor() as cur:
        cur.execute(HLC_SQL)
        for s in shapes():
            for stmt in model_sql(s) + m2m_sql(s):
                cur.execute(stmt)


def installed() -> dict[str, int]:
    with connection.cursor() as cur:
        cur.execute("SELECT c.relname, count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE t.tgname LIKE 'relasi_sync_%%' AND NOT t.tgisinternal GROUP BY c.relname")
        return dict(cur.fetchall())


def on_pre_migrate(sender, using="default", **kwargs):
    """Migrations run on head office and on every branch alike: what they write is not a change
    to send (and a migration that alters a synced table must not trip over its triggers)."""
    from django.db import connections
    if sender.name != "branches":
        return
    with connections[using].cursor() as cur:
        cur.execute("SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE t.tgname LIKE 'relasi_sync_%%' AND NOT t.tgisinternal")
        for name, table in cur.fetchall():
            cur.execute(f"DROP TRIGGER IF EXISTS {_q(name)} ON {_q(table)}")


def on_post_migrate(sender, using="default", **kwargs):
    from django.db import connections
    if sender.name != "branches":
        return
    with connections[using].cursor() as cur:
        cur.execute("SELECT to_regclass('branches_change') IS NOT NULL AND to_regclass('branches_syncstate') IS NOT NULL")
        if not cur.fetchone()[0]:
            return
    install(connections[using])


@checks.register(checks.Tags.database)
def check_installed(app_configs=None, databases=None, **kwargs):
    if not databases or "default" not in databases:
        return []
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT to_regclass('branches_change') IS NOT NULL")
            if not cur.fetchone()[0]:
                return []  # not migrated yet: migrate installs them
        have = installed()
    except Exception:  # noqa: BLE001 - no database yet: migrate will install them
        return []
    # A warning, not an error: an error would stop the very `migrate` that installs them.
    return [checks.Warning(f"{table} lacks its sync triggers; run manage.py migrate", id="branches.W001")
            for table, n in tables() if have.get(table, 0) < n]
