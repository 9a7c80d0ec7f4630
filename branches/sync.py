"""Branch <-> head-office sync: the change log, applying changes, and both sides of the protocol.

A branch instance pushes its own changes and pulls head office's; head office (HQ) is the only
arbiter of a field both sides edited (docs/SYNC_DESIGN.md, README "Branch instances").

- The log (``Change``) is filled by triggers (branches/capture.py) and read in (xid, id) order
  below the oldest running transaction: a transaction that commits late never gets skipped.
- Push: batches of the branch's changes, numbered (branch, batch_seq). HQ authorises every row
  (a branch writes only rows of its own branch, never reference data), applies the batch in one
  transaction, records the number in it, and answers after commit. A replay gets the stored answer.
- Pull: HQ's changes to reference data and to the branch's rows since the branch's cursor; the
  branch moves its cursor in the transaction that applies them.
- Fields merge per field: a field the branch changed is taken unless HQ changed it too since the
  branch last pulled; then the later hybrid-clock stamp wins (a branch stamp more than
  SYNC_MAX_CLOCK_AHEAD_SECONDS ahead of HQ's clock never wins) and a ``Conflict`` is recorded.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections import defaultdict

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone
from psycopg2.extras import execute_values

from crm import sync as registry

from .models import BranchLink, Change, Conflict, FieldClock, ReceivedBatch, Refusal, SyncCredential, SyncState
from .wire import KeyMap, Shape, Unresolved, dump, load, shape_for, shapes

ZERO = (0, 0)


class Refused(Exception):
    """Head office will not apply this request; nothing of it was applied."""


# --- the clock and the state row --------------------------------------------------------------
def hlc_now() -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT relasi_hlc_now()")
        return cur.fetchone()[0]


def hlc_of_ms(ms: int) -> int:
    return ms << 16


def state(lock: bool = False) -> SyncState:
    SyncState.objects.get_or_create(pk=1)
    qs = SyncState.objects.select_for_update() if lock else SyncState.objects
    return qs.get(pk=1)


def _see(stamp: int) -> None:
    """Keep this side's clock ahead of every stamp it has taken."""
    if stamp:
        SyncState.objects.get_or_create(pk=1)
        with connection.cursor() as cur:
            cur.execute("UPDATE branches_syncstate SET hlc_seen = GREATEST(hlc_seen, %s) WHERE id = 1", [stamp])


def _applying(origin: str) -> None:
    """Inside the apply transaction: the triggers do not log what the other side sent."""
    with connection.cursor() as cur:
        cur.execute("SELECT set_config('relasi.sync_origin', %s, true)", [origin])


# --- reading the log -----------------------------------------------------------------------------
# The readable horizon: the oldest transaction still running when this statement's snapshot was
# taken, leaving out those known to run in another database (they never write our log; a report
# held open in another database on the same server must not hold this one back). A transaction
# whose database is not known (it ended meanwhile, or its session is hidden from this role) still
# counts: that only delays, it never skips. pg_stat_activity shows 32-bit xids, hence the modulo.
# (mod(), not the % operator: read_log passes parameters, and psycopg2 would take % for one.)
HORIZON = """
    SELECT coalesce(min(x), pg_snapshot_xmax(pg_current_snapshot()))
      FROM pg_snapshot_xip(pg_current_snapshot()) x
     WHERE mod(x::text::bigint, 4294967296) NOT IN (
           SELECT backend_xid::text::bigint FROM pg_stat_activity
            WHERE backend_xid IS NOT NULL AND datname IS DISTINCT FROM current_database())"""


def read_log(cursor, limit: int, *, labels=None, branch_id=None) -> list[tuple]:
    """Up to ``limit`` log rows after ``cursor`` (xid, id) in commit order, only below the oldest
    transaction still running (rows of a transaction that commits later sort after them).
    ``labels``: only these models; with ``branch_id``: also rows owned by that branch."""
    where, params = [], [str(cursor[0]), cursor[1]]
    if labels is not None and branch_id is not None:
        where.append("(c.model = ANY(%s) OR c.branch_id = %s)")
        params += [list(labels), branch_id]
    elif labels is not None:
        where.append("c.model = ANY(%s)")
        params.append(list(labels))
    sql = ("SELECT c.xid::text, c.id, c.model, c.public_id, c.op, c.fields FROM branches_change c "
           f"WHERE c.xid < ({HORIZON}) AND (c.xid, c.id) > (%s::text::xid8, %s) "
           + "".join(f" AND {w}" for w in where) + " ORDER BY c.xid, c.id LIMIT %s")
    with connection.cursor() as cur:
        cur.execute(sql, params + [limit])
        # jsonb comes back as text through Django's raw cursor.
        return [(int(x), i, m, str(p), op, json.loads(f) if isinstance(f, str) else f)
                for x, i, m, p, op, f in cur.fetchall()]


def head_cursor() -> tuple[int, int]:
    """The last readable row of the log (where a fresh copy starts following it)."""
    with connection.cursor() as cur:
        cur.execute(f"SELECT xid::text, id FROM branches_change WHERE xid < ({HORIZON}) "
                    "ORDER BY xid DESC, id DESC LIMIT 1")
        row = cur.fetchone()
    return (int(row[0]), row[1]) if row else ZERO


def _clocks(shape: Shape, pids) -> dict[str, dict]:
    out: dict[str, dict] = defaultdict(dict)
    if shape.is_clocked and pids:
        for pid, field, hlc, node in FieldClock.objects.filter(model=shape.label, public_id__in=pids).values_list(
                "public_id", "field", "hlc", "node"):
            out[str(pid)][field] = [hlc, node]
    return out


def package(log_rows) -> list[dict]:
    """Log rows -> wire changes: one per record (its last operation), with the row as it is now."""
    last: dict[tuple, str] = {}
    # The last-writer-wins fields each record's rows changed (None: all - an insert, or a model
    # without per-field clocks). Head office merges only these: a field set here earlier and
    # changed at head office since is not this batch's edit, and no conflict (engine tests,
    # tests/branches/test_sync_engine.py "...set_before...").
    changed: dict[tuple, set | None] = {}
    for _x, _i, label, pid, op, fields in log_rows:
        last[(label, pid)] = op
        if op == "I" or fields is None or changed.get((label, pid), set()) is None:
            changed[(label, pid)] = None
        else:
            changed.setdefault((label, pid), set()).update(fields)
    by_model: dict[str, list] = defaultdict(list)
    for (label, pid), op in last.items():
        by_model[label].append((pid, op))
    keymap, changes = KeyMap(), []
    for label, items in by_model.items():
        shape = shape_for(label)
        live = [pid for pid, op in items if op != "D"]
        rows = dump(shape, live, keymap) if live else {}
        clocks = _clocks(shape, live)
        for pid, op in items:
            if op == "D":
                changes.append({"m": label, "id": pid, "op": "D"})
            elif pid in rows:  # gone since: its delete is further on in the log
                change = {"m": label, "id": pid, "op": "U", "row": rows[pid], "clock": clocks.get(pid, {})}
                if changed.get((label, pid)) is not None:
                    change["changed"] = sorted(changed[(label, pid)])
                changes.append(change)
    return changes


# --- applying changes ----------------------------------------------------------------------------
class _Apply:
    """Apply wire changes on this side, in one transaction the caller holds."""

    def __init__(self, *, side: str, branch=None, pulled_xid: int | None = None, cap: int | None = None):
        self.side = side  # "hq": a branch's push; "branch": head office's pull
        self.branch = branch
        self.node = branch.code if (side == "hq" and branch is not None) else "hq"
        self.pulled_xid = pulled_xid
        self.cap = cap
        self.now_hlc = hlc_now()
        self.keymap = KeyMap()
        self.conflicts: list[Conflict] = []
        self.verdicts: set[tuple[str, str]] = set()
        self.max_stamp = 0
        self.applied = 0
        self.unresolved: list = []
        self.deleted_verdicts: set[tuple[str, str]] = set()

    # -- one model's upserts
    def upsert(self, shape: Shape, changes: list[dict]) -> None:
        rows = {c["id"]: c["row"] for c in changes}
        clocks_in = {c["id"]: c.get("clock") or {} for c in changes}
        changed_in = {c["id"]: c.get("changed") for c in changes}  # see package()
        try:
            loaded = load(shape, rows, self.keymap)
        except Unresolved:
            loaded = {}
            for pid, row in rows.items():
                try:
                    loaded.update(load(shape, {pid: row}, self.keymap))
                except Unresolved as e:
                    self._reject(shape, pid, str(e))
        if not loaded:
            return
        model = shape.model
        attnames = [f.attname for f in shape.fields]
        # Locked until commit: an edit made here meanwhile waits, and is not overwritten by a merge
        # computed from the row as it was before it.
        current = {str(r["public_id"]): r for r in model._base_manager.filter(public_id__in=loaded.keys())
                   .select_for_update(of=("self",)).order_by("pk").values("pk", *attnames)}
        for f in shape.m2m:
            through = f.remote_field.through
            src, dst = f.m2m_field_name(), f.m2m_reverse_field_name()
            pk_to_pid = {r["pk"]: pid for pid, r in current.items()}
            for r in current.values():
                r[f.name] = set()
            for s, d in through._base_manager.filter(**{f"{src}_id__in": pk_to_pid}).values_list(f"{src}_id", f"{dst}_id"):
                current[pk_to_pid[s]][f.name].add(d)
        local_clocks = self._local_clocks(shape, current.keys())
        pending = (self._pending(shape, loaded.keys())
                   if self.side == "branch" and shape.spec.owner == registry.BRANCH else {})
        gone = self._deleted_here(shape, [pid for pid in loaded if pid not in current]) if self.side == "hq" else set()
        final, stamps = {}, []
        for pid, incoming in loaded.items():
            cur = current.get(pid)
            if self.side == "branch" and pid in pending and pending[pid] is None:
                continue  # deleted here, not yet pushed: the delete goes to head office next
            if pid in gone:
                self.deleted_verdicts.add((shape.label, pid))  # deleted here: the delete wins
                continue
            if cur is None or not shape.is_clocked:
                if cur is not None and self.side == "branch" and pid in pending:
                    continue  # edited here, not yet pushed (append-only rows: one side writes them)
                final[pid] = incoming
                stamps += [(pid, f, c[0] if self.side == "branch" or c[0] <= self.cap else self.now_hlc, c[1])
                           for f, c in clocks_in[pid].items()]
                continue
            final[pid] = self._merge(shape, pid, cur, incoming, clocks_in[pid], local_clocks.get(pid, {}),
                                     pending.get(pid, set()), stamps, changed=changed_in[pid])
        if not final:
            return
        self._write(shape, final)
        self._stamp(shape, stamps)

    def _merge(self, shape, pid, cur, incoming, clock_in, clock_here, pending, stamps, changed=None) -> dict:
        out = {k: v for k, v in cur.items() if k != "pk"}
        took = False
        for name in shape.clocked:
            field = shape.model._meta.get_field(name)
            att = name if field.many_to_many else field.attname
            theirs = clock_in.get(name)
            if self.side == "branch":
                # Head office's word, except for a field edited here and not yet pushed.
                if name in pending:
                    continue
                out[att] = incoming[att]
                took = took or incoming[att] != cur[att]
                if theirs:
                    stamps.append((pid, name, theirs[0], theirs[1]))
                continue
            if not theirs or theirs[1] != self.node or (changed is not None and name not in changed):
                continue  # not edited at that branch (a value it had from us), or not in this batch
            mine = clock_here.get(name)  # (hlc, node, xid)
            if mine and mine[0] == theirs[0] and mine[1] == theirs[1]:
                continue  # already taken
            stamp = theirs[0] if theirs[0] <= self.cap else self.now_hlc
            if incoming[att] == cur[att]:
                stamps.append((pid, name, stamp, self.node))
                continue
            concurrent = (mine is not None and mine[1] != self.node
                          and (self.pulled_xid is None or mine[2] is None or mine[2] >= self.pulled_xid))
            if not concurrent:
                out[att] = incoming[att]
                took = True
                stamps.append((pid, name, stamp, self.node))
                continue
            ahead = theirs[0] > self.cap
            branch_wins = not ahead and (theirs[0], theirs[1]) > (mine[0], mine[1])
            self.conflicts.append(Conflict(
                branch=self.branch, model=shape.label, record_id=pid, field=name,
                hq_value=self._jsonable(field, cur[att]), branch_value=self._jsonable(field, incoming[att]),
                hq_clock=mine[0], branch_clock=theirs[0],
                winner=Conflict.Winner.BRANCH if branch_wins else Conflict.Winner.HQ,
                reason=Conflict.Reason.CLOCK_AHEAD if ahead else Conflict.Reason.BOTH_EDITED))
            if branch_wins:
                out[att] = incoming[att]
                took = True
                stamps.append((pid, name, theirs[0], self.node))
            else:
                self.verdicts.add((shape.label, pid))
        for name, how in shape.spec.merge.items():
            att = shape.model._meta.get_field(name).attname
            if how == registry.GREATEST:
                values = [v for v in (cur[att], incoming[att]) if v is not None]
                out[att] = max(values) if values else None
            elif took or self.side == "branch" and not pending:
                out[att] = incoming[att]
        if "updated_at" in out and incoming.get("updated_at") and cur.get("updated_at"):
            out["updated_at"] = max(cur["updated_at"], incoming["updated_at"])
        return out

    def _jsonable(self, field, value):
        """A field's value as the conflict shows it and "take the other" sets it back: references
        by their wire key, like the wire."""
        from .wire import to_json
        if field.many_to_many:
            keys = self.keymap.keys(field.related_model, set(value or ()))
            return sorted((to_json(keys[pk]) for pk in value or () if pk in keys), key=str)
        if field.is_relation:
            return to_json(self.keymap.keys(field.related_model, {value}).get(value)) if value is not None else None
        return to_json(value)

    def _deleted_here(self, shape, pids) -> set[str]:
        """Of rows this side does not have, those it deleted (a Tombstone): not brought back."""
        if not pids:
            return set()
        from crm.models import Tombstone
        return {str(p) for p in Tombstone.objects.filter(model_label=shape.label, public_id__in=pids)
                .values_list("public_id", flat=True)}

    def _local_clocks(self, shape, pids) -> dict:
        out: dict[str, dict] = defaultdict(dict)
        if shape.is_clocked and pids:
            for pid, field, hlc, node, xid in FieldClock.objects.filter(
                    model=shape.label, public_id__in=list(pids)).values_list("public_id", "field", "hlc", "node", "xid"):
                out[str(pid)][field] = (hlc, node, xid)
        return out

    def _pending(self, shape, pids) -> dict:
        """At a branch: {public_id: fields edited here and not yet pushed, or None if deleted}."""
        out: dict[str, set | None] = {}
        for pid, op, fields in Change.objects.filter(model=shape.label, public_id__in=list(pids)).values_list(
                "public_id", "op", "fields").order_by("id"):
            pid = str(pid)
            if op == "D":
                out[pid] = None
            elif out.get(pid, set()) is not None:
                out.setdefault(pid, set()).update(fields or (shape.clocked if op == "I" else ()))
        return out

    def _write(self, shape: Shape, final: dict[str, dict]) -> None:
        fields = list(shape.fields)
        cols = ", ".join(f'"{f.column}"' for f in fields)
        sets = ", ".join(f'"{f.column}" = EXCLUDED."{f.column}"' for f in fields if f.name != "public_id")
        sql = (f'INSERT INTO "{shape.table}" ({cols}) VALUES %s ON CONFLICT (public_id) DO UPDATE SET {sets} '
               f'RETURNING public_id, "{shape.model._meta.pk.column}"')
        values = [[f.get_db_prep_save(row[f.attname], connection) for f in fields] for row in final.values()]
        with connection.cursor() as cur:
            try:
                with transaction.atomic():
                    done = execute_values(cur.cursor, sql, values, page_size=len(values), fetch=True)
            except IntegrityError:
                # Another unique rule (a name, an open VIN) refuses a row: apply the rest one by
                # one and keep the refused ones for a person, instead of jamming the sync.
                done = []
                for pid, row_values in zip(final.keys(), values):
                    try:
                        with transaction.atomic():
                            done += execute_values(cur.cursor, sql, [row_values], fetch=True)
                    except IntegrityError as e:
                        self._reject(shape, pid, str(e).splitlines()[0])
        pks = self.keymap._to_pk.setdefault(shape.model, {})
        for pid, pk in done:
            pks[str(pid)] = pk
        self.applied += len(done)
        applied = {str(pid) for pid, _ in done}
        for f in shape.m2m:
            through = f.remote_field.through
            src, dst = f.m2m_field_name(), f.m2m_reverse_field_name()
            parents = {pks[pid]: final[pid].get(f.name) for pid in applied if final[pid].get(f.name) is not None}
            if not parents:
                continue
            through._base_manager.filter(**{f"{src}_id__in": list(parents)}).delete()
            through._base_manager.bulk_create([through(**{f"{src}_id": p, f"{dst}_id": d})
                                               for p, ds in parents.items() for d in ds])

    def _stamp(self, shape: Shape, stamps) -> None:
        if not shape.is_clocked or not stamps:
            return
        latest = {}
        for pid, field, hlc, node in stamps:
            latest[(pid, field)] = (hlc, node)
            self.max_stamp = max(self.max_stamp, hlc)
        with connection.cursor() as cur:
            execute_values(cur.cursor, "INSERT INTO branches_fieldclock (model, public_id, field, hlc, node, xid) "
                           "VALUES %s ON CONFLICT (model, public_id, field) DO UPDATE SET hlc = EXCLUDED.hlc, "
                           "node = EXCLUDED.node, xid = EXCLUDED.xid",
                           [(shape.label, pid, field, hlc, node) for (pid, field), (hlc, node) in latest.items()],
                           template="(%s, %s::uuid, %s, %s, %s, pg_current_xact_id())", page_size=1000)

    def _reject(self, shape, pid, detail) -> None:
        if self.branch is not None:
            self.conflicts.append(Conflict(branch=self.branch, model=shape.label, record_id=pid, field="",
                                           winner=Conflict.Winner.HQ, reason=Conflict.Reason.REJECTED,
                                           detail=detail[:500]))

    # -- deletes
    def delete(self, shape: Shape, pids: list[str]) -> None:
        qs = shape.model._base_manager.filter(public_id__in=pids)
        try:
            with transaction.atomic():
                qs.delete()
        except (ProtectedError, RestrictedError) as e:
            for pid in pids:
                self._reject(shape, pid, str(e)[:500])

    def run(self, changes: list[dict]) -> None:
        by_model: dict[str, list] = defaultdict(list)
        for c in changes:
            by_model[c["m"]].append(c)
        order = shapes()
        for shape in order:
            ups = [c for c in by_model.get(shape.label, ()) if c["op"] != "D"]
            if ups:
                self.upsert(shape, ups)
        self.unresolved = resolve_later(self.keymap.later, self.keymap)
        for shape in reversed(order):
            dels = [c["id"] for c in by_model.get(shape.label, ()) if c["op"] == "D"]
            if dels:
                self.delete(shape, dels)
        _see(self.max_stamp if self.side == "branch" else min(self.max_stamp, self.cap or 0))
        if self.conflicts:
            Conflict.objects.bulk_create(self.conflicts)
        if self.verdicts or self.deleted_verdicts:
            # Head office's value won (or its delete): log the record so that the branch pulls it.
            Change.objects.bulk_create([Change(model=label, public_id=pid, op="U", branch_id=self.branch.pk)
                                        for label, pid in sorted(self.verdicts)]
                                       + [Change(model=label, public_id=pid, op="D", branch_id=self.branch.pk)
                                          for label, pid in sorted(self.deleted_verdicts)])


def resolve_later(later: list, keymap: KeyMap | None = None) -> list:
    """Set the generic references whose target has arrived since; return those still waiting."""
    keymap = keymap or KeyMap()
    waiting = []
    for shape, pid, field, target, target_pid in later:
        pk = keymap.pks(target, {target_pid}).get(target_pid)
        if pk is None:
            waiting.append((shape, pid, field, target, target_pid))
        else:
            with connection.cursor() as cur:
                cur.execute(f'UPDATE "{shape.table}" SET "{field.column}" = %s WHERE public_id = %s', [pk, pid])
    return waiting


# --- head office: credentials, authorisation, push, pull ----------------------------------------
def credential_issue(branch) -> str:
    token = secrets.token_urlsafe(32)
    SyncCredential.objects.create(branch=branch, token_hash=hashlib.sha256(token.encode()).hexdigest())
    BranchLink.objects.get_or_create(branch=branch)
    return token


def credential_revoke(branch) -> int:
    return SyncCredential.objects.filter(branch=branch, revoked_at__isnull=True).update(revoked_at=timezone.now())


def refuse(reason: str, *, credential=None, branch=None, address="") -> Refused:
    """Log a refused request, and tell head office (once an hour for the same branch and reason)."""
    branch = branch or getattr(credential, "branch", None)
    recent = Refusal.objects.filter(branch=branch, reason=reason[:200],
                                    at__gte=timezone.now() - dt.timedelta(hours=1)).exists()
    refusal = Refusal.objects.create(reason=reason[:200], credential=credential, branch=branch, address=address[:64])
    if not recent:
        from accounts.models import Department, User
        from accounts.services import notification_send

        notification_send(to=User.objects.filter(is_active=True, department=Department.HEAD_OFFICE),
                          verb="branches.sync_refused", target=refusal)
    return Refused(reason)


def credential_check(token: str, *, address: str = "") -> SyncCredential:
    cred = (SyncCredential.objects.select_related("branch")
            .filter(token_hash=hashlib.sha256((token or "").encode()).hexdigest()).first())
    if cred is None:
        raise refuse("unknown credential", address=address)
    if cred.revoked_at is not None:
        raise refuse("revoked credential", credential=cred, address=address)
    SyncCredential.objects.filter(pk=cred.pk).update(last_used_at=timezone.now())
    return cred


def authorize(branch, changes: list[dict]) -> None:
    """Every change must be a row of ``branch`` (as sent and as stored here), of a model branches own."""
    by_model: dict[str, list] = defaultdict(list)
    for c in changes:
        try:
            shape = shape_for(c["m"])
        except (LookupError, KeyError, ValueError):
            raise Refused(f"unknown record type {c.get('m')!r}")
        if shape.spec.owner != registry.BRANCH:
            raise Refused(f"{c['m']} is head-office data")
        by_model[c["m"]].append(c)
    payload = {(c["m"], c["id"]): c.get("row") for c in changes}
    memo: dict[tuple, str | None] = {}
    stored_parent: dict[tuple, str | None] = {}
    # Stored rows: each must already be this branch's.
    for label, items in by_model.items():
        shape = shape_for(label)
        path = registry.branch_path(shape.model)
        for pid, owner in shape.model._base_manager.filter(public_id__in=[c["id"] for c in items]).values_list(
                "public_id", f"{path}__public_id"):
            if owner != branch.public_id:
                raise Refused(f"{label} {pid} belongs to another branch")
        # Parents outside the batch: one query per parent model.
        first = path.split("__")[0]
        if first != path:
            f = shape.model._meta.get_field(first)
            want = {row.get(first) for c in items if (row := c.get("row")) and row.get(first)}
            want = {p for p in want if (f.related_model._meta.label_lower, p) not in payload}
            rest = path[len(first) + 2:]
            for pid, owner in f.related_model._base_manager.filter(public_id__in=want).values_list(
                    "public_id", f"{rest}__public_id"):
                stored_parent[(f.related_model._meta.label_lower, str(pid))] = str(owner) if owner else None

    def owner_of(label, pid, depth=0) -> str | None:
        key = (label, pid)
        if key in memo:
            return memo[key]
        row = payload.get(key)
        if row is None:
            return stored_parent.get(key)
        shape = shape_for(label)
        path = registry.branch_path(shape.model)
        first = path.split("__")[0]
        if first == path:
            result = row.get(first)
        else:
            parent = shape.model._meta.get_field(first).related_model._meta.label_lower
            result = owner_of(parent, row.get(first), depth + 1) if row.get(first) and depth < 5 else None
        memo[key] = result
        return result

    for c in changes:
        if c["op"] != "D" and owner_of(c["m"], c["id"]) != str(branch.public_id):
            raise Refused(f"{c['m']} {c['id']} is not a row of branch {branch.code}")


def push_receive(credential: SyncCredential, body: dict) -> dict:
    """Apply one push batch at head office; the answer is stored with it (a replay gets it again)."""
    branch = credential.branch
    seq = int(body["batch_seq"])
    changes = body.get("changes") or []
    with transaction.atomic():
        link, _ = BranchLink.objects.select_for_update().get_or_create(branch=branch)
        done = ReceivedBatch.objects.filter(branch=branch, batch_seq=seq).first()
        if done is not None:
            if str(done.instance) != str(body.get("instance")):
                raise Refused(f"batch {seq} of {branch.code} came from another copy of the branch: enrol this one again")
            return done.answer
        authorize(branch, changes)
        _applying(branch.code)
        now_ms = int(timezone.now().timestamp() * 1000) + settings.SYNC_CLOCK_OFFSET_SECONDS * 1000
        ahead_s = max(0, int((int(body.get("clock_ms") or 0) - now_ms) / 1000))
        cap = hlc_of_ms(now_ms + settings.SYNC_MAX_CLOCK_AHEAD_SECONDS * 1000)
        pulled = body.get("pulled_to")
        if pulled:
            _cursor_valid(pulled)
        applier = _Apply(side="hq", branch=branch, pulled_xid=int(pulled[0]) if pulled and int(pulled[0]) else None,
                         cap=cap)
        applier.run(changes)
        answer = {"acked": seq, "cursor_to": body.get("cursor_to"), "applied": applier.applied,
                  "conflicts": len(applier.conflicts), "clock_ahead_seconds": ahead_s}
        ReceivedBatch.objects.create(branch=branch, batch_seq=seq, instance=body.get("instance"), changes=len(changes),
                                     answer=answer)
        now = timezone.now()
        BranchLink.objects.filter(pk=link.pk).update(
            last_push_at=now, pending_at_branch=max(0, int(body.get("pending") or 0) - len(changes)),
            clock_ahead_seconds=ahead_s)
    return answer


def _cursor_valid(value) -> tuple[int, int]:
    """A cursor a branch sent: (xid, id), neither negative, the xid one this server has issued.
    (PostgreSQL reads '-1' or a 30-digit number as xid8 2^64-1: such a cursor would record the
    branch as having pulled everything, and a pulled_to past every xid would hide conflicts.)
    Added by the engine tests (tests/branches/test_sync_endpoints.py, malformed pulls)."""
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(f"cursor {value!r} is not [xid, id]")
    xid, row_id = int(value[0]), int(value[1])
    if xid < 0 or row_id < 0:
        raise ValueError(f"cursor {value!r} is negative")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_snapshot_xmax(pg_current_snapshot())::text")
        if xid > int(cur.fetchone()[0]):
            raise ValueError(f"cursor {value!r} is past this server's transactions")
    return xid, row_id


def pull_serve(credential: SyncCredential, body: dict) -> dict:
    """Head office's changes for the branch since its cursor (reference data and its own rows)."""
    branch = credential.branch
    if body.get("start"):
        # A fresh copy: it follows the log from here, after reading every row (snapshot_serve).
        cursor = head_cursor()
        BranchLink.objects.update_or_create(branch=branch, defaults={"pull_xid": cursor[0] or None,
                                                                     "pull_id": cursor[1]})
        # A new instance of the branch (a new database) numbers its batches on from the last one
        # received here: a number already used would be answered as a replay and never applied.
        last = ReceivedBatch.objects.filter(branch=branch).order_by("-batch_seq").values_list("batch_seq",
                                                                                              flat=True).first()
        return {"cursor": list(cursor), "batch_seq": (last or 0) + 1}
    cursor = _cursor_valid(body.get("cursor") or ZERO)
    limit = min(int(body.get("limit") or settings.SYNC_BATCH_SIZE), 5000)
    hq_labels = [s.label for s in shapes() if s.spec.owner == registry.HQ]
    rows = read_log(cursor, limit, labels=hq_labels, branch_id=branch.pk)
    changes = package(rows)
    cursor_to = [rows[-1][0], rows[-1][1]] if rows else list(cursor)
    now = timezone.now()
    BranchLink.objects.update_or_create(branch=branch, defaults={
        "pull_xid": cursor[0] or None, "pull_id": cursor[1], "last_pull_at": now,
        **({"last_success_at": now} if len(rows) < limit else {})})
    return {"changes": changes, "cursor_to": cursor_to, "more": len(rows) == limit}


def snapshot_serve(credential: SyncCredential, body: dict) -> dict:
    """One page of a model's current rows for a branch's first copy (enrolment)."""
    branch = credential.branch
    shape = shape_for(body["m"])
    after = body.get("after") or "00000000-0000-0000-0000-000000000000"
    limit = min(int(body.get("limit") or settings.SYNC_BATCH_SIZE), 5000)
    qs = shape.model._base_manager.filter(public_id__gt=after)
    if shape.spec.owner == registry.BRANCH:
        qs = qs.filter(**{registry.branch_path(shape.model): branch})
    pids = [str(p) for p in qs.order_by("public_id").values_list("public_id", flat=True)[:limit]]
    rows = dump(shape, pids) if pids else {}
    clocks = _clocks(shape, pids)
    return {"changes": [{"m": shape.label, "id": pid, "op": "U", "row": rows[pid], "clock": clocks.get(pid, {})}
                        for pid in pids if pid in rows],
            "after": pids[-1] if pids else None, "more": len(pids) == limit}


def prune_hq() -> int:
    """Drop head office's log rows every branch with a live credential has pulled."""
    active = BranchLink.objects.filter(branch__sync_credentials__revoked_at__isnull=True).distinct()
    cursors = [(link.pull_xid or 0, link.pull_id) for link in active]
    with connection.cursor() as cur:
        if not cursors:
            cur.execute("DELETE FROM branches_change WHERE xid < pg_snapshot_xmin(pg_current_snapshot())")
        else:
            low = min(cursors)
            cur.execute("DELETE FROM branches_change WHERE (xid, id) <= (%s::text::xid8, %s)", [str(low[0]), low[1]])
        return cur.rowcount


# --- the branch side -----------------------------------------------------------------------------
def branch_labels() -> list[str]:
    return [s.label for s in shapes() if s.spec.owner == registry.BRANCH]


def push_batch(limit: int) -> dict | None:
    """The next batch of this branch's changes (the same rows again until head office acknowledges)."""
    rows = read_log(ZERO, limit, labels=branch_labels())
    if not rows:
        return None
    st = state()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM branches_change WHERE model = ANY(%s)", [branch_labels()])
        pending = cur.fetchone()[0]
    return {"branch": settings.BRANCH_CODE, "instance": str(st.instance), "batch_seq": st.batch_seq,
            "changes": package(rows),
            "cursor_to": [rows[-1][0], rows[-1][1]], "rows": len(rows), "pending": pending,
            "pulled_to": [st.pull_xid or 0, st.pull_id],
            "clock_ms": int(timezone.now().timestamp() * 1000) + settings.SYNC_CLOCK_OFFSET_SECONDS * 1000}


def push_acknowledged(answer: dict, sent: dict) -> None:
    cursor_to = answer.get("cursor_to") or sent["cursor_to"]
    with transaction.atomic():
        st = state(lock=True)
        with connection.cursor() as cur:
            cur.execute("DELETE FROM branches_change WHERE (xid, id) <= (%s::text::xid8, %s) AND model = ANY(%s)",
                        [str(cursor_to[0]), cursor_to[1], branch_labels()])
            # Local edits of head office's data are not sent (head office owns it): drop them.
            cur.execute("DELETE FROM branches_change WHERE xid < pg_snapshot_xmin(pg_current_snapshot()) "
                        "AND NOT (model = ANY(%s))", [branch_labels()])
        st.batch_seq = int(answer["acked"]) + 1
        st.clock_ahead_seconds = int(answer.get("clock_ahead_seconds") or 0)
        st.save(update_fields=["batch_seq", "clock_ahead_seconds"])


def pull_apply(page: dict, *, cursor_to=None, later: list | None = None) -> int:
    """Apply one page from head office and move the cursor, in one transaction. Generic
    references whose target is not here yet are added to ``later`` (enrolment sets them at the end)."""
    with transaction.atomic():
        st = state(lock=True)
        _applying("hq")
        applier = _Apply(side="branch")
        applier.run(page.get("changes") or [])
        if later is not None:
            later += applier.unresolved
        if cursor_to is not None:
            st.pull_xid, st.pull_id = (int(cursor_to[0]) or None), int(cursor_to[1])
            st.save(update_fields=["pull_xid", "pull_id"])
    return applier.applied


def _rows_checksum_query(shape: Shape, branch=None):
    qs = shape.model._base_manager.all()
    if branch is not None and shape.spec.owner == registry.BRANCH:
        qs = qs.filter(**{registry.branch_path(shape.model): branch})
    return qs


def checksums(branch=None) -> dict[str, str]:
    """Per synced model: a digest of its rows on the wire (updated_at left out), in public_id order."""
    out = {}
    for shape in shapes():
        digest = hashlib.md5()
        pids = [str(p) for p in _rows_checksum_query(shape, branch).order_by("public_id")
                .values_list("public_id", flat=True)]
        keymap = KeyMap()
        for i in range(0, len(pids), 2000):
            chunk = pids[i:i + 2000]
            rows = dump(shape, chunk, keymap)
            for pid in chunk:
                row = dict(rows[pid])
                row.pop("updated_at", None)
                digest.update(json.dumps(row, sort_keys=True, default=str).encode())
        out[shape.label] = f"{len(pids)}:{digest.hexdigest()}"
    return out
