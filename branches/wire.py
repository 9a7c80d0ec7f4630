"""What a synced model looks like on the wire, built from its ``crm.sync`` declaration alone.

A row travels as ``{field name: JSON value}`` over the model's concrete fields (its integer pk and
its declared ``local`` fields stay home). A reference to another row travels as that row's
``public_id``, or as its ``natural_key()`` for models that have one and no public_id (groups,
permissions, content types); a generic reference (content type + integer id) as
``[model label, public_id]``. Many-to-many fields travel as the list of the related keys.
Nothing here knows any department's model by name.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from dataclasses import dataclass
from functools import cache

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.dateparse import parse_duration
from django.utils.duration import duration_iso_string

from crm import sync

# Fields every side sets for itself (never compared, never merged).
_BOOKKEEPING = {"created_at", "updated_at"}


@dataclass(frozen=True)
class Shape:
    model: type
    spec: sync.Spec
    fields: tuple  # concrete fields on the wire (public_id included, pk and local excluded)
    m2m: tuple  # many-to-many fields on the wire
    clocked: tuple  # names of the fields merged per field with a clock (last writer wins)
    generic_ids: dict  # object-id field name -> its content-type field

    @property
    def label(self) -> str:
        return self.spec.label

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    @property
    def is_clocked(self) -> bool:
        return bool(self.clocked)


def _key_kind(model) -> str | None:
    if any(f.name == "public_id" for f in model._meta.concrete_fields):
        return "public_id"
    if hasattr(model, "natural_key") and hasattr(model._default_manager, "get_by_natural_key"):
        return "natural"
    return None


@cache
def shape(model) -> Shape:
    spec = sync.spec(model)
    generic_ids = {id_name: ct_name for ct_name, id_name in spec.generic}
    fields = []
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in spec.local:
            continue
        if f.is_relation and f.name not in generic_ids.values() and _key_kind(f.related_model) is None:
            raise TypeError(f"{spec.label}.{f.name}: {f.related_model._meta.label} has no public_id or natural key")
        fields.append(f)
    m2m = tuple(f for f in model._meta.many_to_many if f.name not in spec.local
                and _key_kind(f.related_model) is not None)
    clocked = ()
    if spec.owner == sync.BRANCH and not spec.append_only:
        clocked = tuple(f.name for f in fields if f.name not in _BOOKKEEPING | {"public_id"}
                        and f.name not in spec.merge) + tuple(f.name for f in m2m)
    return Shape(model=model, spec=spec, fields=tuple(fields), m2m=m2m, clocked=clocked, generic_ids=generic_ids)


def shapes() -> list[Shape]:
    """Every synced model, parents before the rows that refer to them."""
    models_ = sync.synced_models()
    order, seen = [], set()

    def visit(m, path=()):
        if m in seen or m in path:
            return
        for f in [*m._meta.concrete_fields, *m._meta.many_to_many]:
            if f.is_relation and sync.is_synced(f.related_model) and f.related_model is not m:
                visit(f.related_model, path + (m,))
        seen.add(m)
        order.append(m)

    for m in models_:
        visit(m)
    # Generic references (an interaction's source, a complaint's subject) may point at any model,
    # later in this order too: they are set once their target is there (sync._Apply.run).
    return [shape(m) for m in order]


def shape_for(label: str) -> Shape:
    return shape(apps.get_model(label))


# --- values ------------------------------------------------------------------------------------
def to_json(value):
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def from_json(field, value):
    if value is None:
        return None
    if isinstance(field, models.DurationField):
        return parse_duration(value)
    if isinstance(field, models.JSONField):
        return value
    return field.to_python(value)


# --- reading rows for the wire -----------------------------------------------------------------
class KeyMap:
    """Integer pks <-> wire keys of the rows one batch refers to, one query per model."""

    def __init__(self):
        self._to_key: dict[type, dict] = {}
        self._to_pk: dict[type, dict] = {}
        self.later: list[tuple] = []  # generic references whose target was not here yet

    def keys(self, model, pks) -> dict:
        known = self._to_key.setdefault(model, {})
        missing = {pk for pk in pks if pk is not None and pk not in known}
        if missing:
            if _key_kind(model) == "public_id":
                known.update(model._base_manager.filter(pk__in=missing).values_list("pk", "public_id"))
            else:
                for obj in model._base_manager.filter(pk__in=missing):
                    known[obj.pk] = list(obj.natural_key())
        return known

    def pks(self, model, keys) -> dict:
        """wire key (str or tuple) -> local pk, for the keys that exist here."""
        known = self._to_pk.setdefault(model, {})
        missing = {k for k in keys if k is not None and k not in known}
        if missing:
            if _key_kind(model) == "public_id":
                for pk, pid in model._base_manager.filter(public_id__in=missing).values_list("pk", "public_id"):
                    known[str(pid)] = pk
            else:
                for k in missing:
                    try:
                        known[k] = model._default_manager.get_by_natural_key(*k).pk
                    except model.DoesNotExist:
                        pass
        return known


def _hashable(key):
    return tuple(key) if isinstance(key, list) else key


def dump(shape_: Shape, public_ids, keymap: KeyMap | None = None, *, where=None) -> dict[str, dict]:
    """The wire rows of ``public_ids`` (or of ``where``, a Q) that exist: {public_id: row}."""
    keymap = keymap or KeyMap()
    model = shape_.model
    qs = model._base_manager.all()
    qs = qs.filter(public_id__in=public_ids) if where is None else qs.filter(where)
    attnames = [f.attname for f in shape_.fields]
    rows = list(qs.values("pk", *attnames))
    # References: one query per referenced model for the whole batch.
    for f in shape_.fields:
        if not f.is_relation or f.name in shape_.generic_ids.values():
            continue
        keys = keymap.keys(f.related_model, {r[f.attname] for r in rows})
        for r in rows:
            r[f.attname] = to_json(keys.get(r[f.attname])) if r[f.attname] is not None else None
    for id_name, ct_name in shape_.generic_ids.items():
        ct_field = model._meta.get_field(ct_name)
        by_ct: dict[int, set] = {}
        for r in rows:
            if r[ct_field.attname] is not None and r[id_name] is not None:
                by_ct.setdefault(r[ct_field.attname], set()).add(r[id_name])
        targets = {}
        for ct_id, ids in by_ct.items():
            target = ContentType.objects.get_for_id(ct_id).model_class()
            if target is not None and _key_kind(target) == "public_id":
                targets[ct_id] = (target._meta.label_lower, keymap.keys(target, ids))
        for r in rows:
            t = targets.get(r[ct_field.attname])
            pid = t[1].get(r[id_name]) if t else None
            r[id_name] = [t[0], str(pid)] if pid is not None else None
        cts = {ct.pk: [ct.app_label, ct.model] for ct in ContentType.objects.filter(pk__in=by_ct.keys())}
        for r in rows:
            r[ct_field.attname] = cts.get(r[ct_field.attname]) if r[id_name] is not None else None
    out = {}
    for r in rows:
        out[str(r["public_id"])] = {f.name: to_json(r[f.attname]) if not f.is_relation else r[f.attname]
                                    for f in shape_.fields}
    for f in shape_.m2m:
        through = f.remote_field.through
        src = f.m2m_field_name()
        dst = f.m2m_reverse_field_name()
        pk_to_pid = {r["pk"]: str(r["public_id"]) for r in rows}
        pairs = list(through._base_manager.filter(**{f"{src}_id__in": pk_to_pid.keys()})
                     .values_list(f"{src}_id", f"{dst}_id"))
        keys = keymap.keys(f.related_model, {d for _, d in pairs})
        for pid in pk_to_pid.values():
            out[pid][f.name] = []
        for s, d in pairs:
            out[pk_to_pid[s]][f.name].append(to_json(keys[d]))
        for pid in pk_to_pid.values():
            out[pid][f.name].sort(key=str)
    return out


class Unresolved(Exception):
    """A row refers to a row this side does not have."""


def load(shape_: Shape, rows: dict[str, dict], keymap: KeyMap) -> dict[str, dict]:
    """Wire rows -> {public_id: {attname: python value}} (m2m fields: sets of local pks under
    the field's name). A required reference this side lacks raises Unresolved; an optional one
    becomes None."""
    model = shape_.model
    # Resolve all references of the batch first: one query per referenced model.
    for f in shape_.fields:
        if f.is_relation and f.name not in shape_.generic_ids.values():
            keymap.pks(f.related_model, {_hashable(r.get(f.name)) for r in rows.values()})
    for f in shape_.m2m:
        keymap.pks(f.related_model, {_hashable(k) for r in rows.values() for k in r.get(f.name) or ()})
    generic_wanted: dict[str, set] = {}
    for id_name in shape_.generic_ids:
        for r in rows.values():
            if r.get(id_name):
                generic_wanted.setdefault(r[id_name][0], set()).add(r[id_name][1])
    for label, pids in generic_wanted.items():
        keymap.pks(apps.get_model(label), pids)
    out = {}
    for pid, r in rows.items():
        values = {}
        for f in shape_.fields:
            v = r.get(f.name)
            if f.name in shape_.generic_ids.values():  # content type of a generic reference
                ct_name = f.name
                id_name = next(i for i, c in shape_.generic_ids.items() if c == ct_name)
                ref = r.get(id_name)
                values[f.attname] = (ContentType.objects.get_by_natural_key(*v).pk if v and ref else None)
            elif f.name in shape_.generic_ids:
                values[f.attname] = None
                if v:
                    target = apps.get_model(v[0])
                    values[f.attname] = keymap.pks(target, {v[1]}).get(v[1])
                    if values[f.attname] is None:  # its target may come later in the same batch
                        keymap.later.append((shape_, pid, f, target, v[1]))
            elif f.is_relation:
                if v is None:
                    values[f.attname] = None
                else:
                    local = keymap.pks(f.related_model, {_hashable(v)}).get(_hashable(v))
                    if local is None and not f.null:
                        raise Unresolved(f"{shape_.label} {pid}: {f.name} {v} is not here")
                    values[f.attname] = local
            else:
                values[f.attname] = from_json(f, v)
        for f in shape_.m2m:
            found = keymap.pks(f.related_model, {_hashable(k) for k in r.get(f.name) or ()})
            values[f.name] = {found[_hashable(k)] for k in r.get(f.name) or () if _hashable(k) in found}
        out[pid] = values
    return out
