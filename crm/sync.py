"""Groundwork for branch ↔ head-office sync (issue 16): which models sync, and a tombstone
for every deleted row of one of them.

A model joins the sync by one line, the decorator on its class::

    @sync.register
    class Lead(TimeStampedModel):
        public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
        ...

It needs a ``public_id`` (the key both sides share); options say who owns its rows and how
its fields merge (``register`` below, docs/SYNC_DESIGN.md). Its branch, recorded
on the tombstone, is found through its queryset's ``branch_paths`` (the first one: the
branch that owns the row), so a ``BranchScopedQuerySet`` model needs nothing more.

Every delete of a registered model writes a ``crm.models.Tombstone`` in the deleting
transaction: ``instance.delete()``, ``queryset.delete()``, and cascades from any parent
(deleting a customer leaves tombstones for its vehicles, contact persons and interactions
too, so the other side never has to know our cascade rules). The receivers make Django's
collector load the rows it deletes (a model with delete receivers is never "fast
deleted"); ``QuerySet._raw_delete`` and raw SQL ``DELETE`` escape them.

Bounded queries: the collector sends every ``pre_delete`` first, then deletes one model at
a time and sends that model's ``post_delete``. ``pre_delete`` only notes the row; the first
``post_delete`` of each model writes that model's tombstones in one INSERT (and looks up
branches it could not read off the rows in one SELECT per path). A delete of 1,000
customers with their children adds one INSERT per synced model, not one per row.

Who deleted: ``with sync.deleted_by(user): ...`` around the delete (the crm services
that delete do); without it ``deleted_by`` stays empty.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections import defaultdict
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connections, models
from django.db.models.signals import post_delete, pre_delete
from django.utils import timezone

_registry: dict[str, type[models.Model]] = {}
_deleted_by: contextvars.ContextVar = contextvars.ContextVar("sync_deleted_by", default=None)


BRANCH = "branch"  # rows a branch creates and owns (customers, leads, bookings, complaints ...)
HQ = "hq"  # reference data head office owns and every branch receives (branches, staff, products ...)
GREATEST = "greatest"  # a field both sides may move forward that merges by the larger value
DERIVED = "derived"  # computed from the row's other fields: follows the side whose edits were taken


@dataclass(frozen=True)
class Spec:
    """How one model syncs (see branches/wire.py, which builds everything else from this)."""

    model: type
    owner: str  # BRANCH or HQ
    append_only: bool  # never edited on both sides: whole rows, no per-field clocks
    merge: dict  # field name -> GREATEST: not last-writer-wins
    local: tuple  # fields never sent (they mean something only on this instance)
    generic: tuple  # (content type field, object id field) pairs carried as (model label, public_id)

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


_specs: dict[str, Spec] = {}
_paths: dict[str, str] = {}  # declared paths to the owning branch (models without branch_paths)


def register(model=None, *, owner: str | None = None, append_only: bool = False, merge: dict | None = None,
             local=(), generic=(), branch: str | None = None):
    """Declare ``model`` synced: ``@sync.register`` or ``@sync.register(owner=sync.HQ, ...)``, or
    ``sync.register(User, owner=sync.HQ)`` from an app's ``ready()``. Idempotent.

    The owner defaults to BRANCH when the model's queryset has ``branch_paths`` (or ``branch``
    names the path to the owning branch, for a child row such as a quotation line:
    ``branch="quotation__branch"``), else HQ.
    """
    if model is None:
        return lambda m: register(m, owner=owner, append_only=append_only, merge=merge, local=local,
                                  generic=generic, branch=branch)
    if model._meta.abstract:
        raise ImproperlyConfigured(f"{model.__name__}: only concrete models can sync.")
    try:
        model._meta.get_field("public_id")
    except FieldDoesNotExist:
        raise ImproperlyConfigured(f"{model.__name__} needs a public_id (a UUID both sides share) to sync.")
    if branch is not None:
        _paths[model._meta.label_lower] = branch
    if owner is None:
        owner = BRANCH if branch_path(model) is not None else HQ
    if owner not in (BRANCH, HQ):
        raise ImproperlyConfigured(f"{model.__name__}: owner must be sync.BRANCH or sync.HQ")
    uid = f"crm.sync.{model._meta.label_lower}"
    pre_delete.connect(_note_deleted, sender=model, dispatch_uid=f"{uid}.pre")
    post_delete.connect(_write_tombstones, sender=model, dispatch_uid=f"{uid}.post")
    _registry[model._meta.label_lower] = model
    _specs[model._meta.label_lower] = Spec(model=model, owner=owner, append_only=append_only,
                                          merge=dict(merge or {}), local=tuple(local), generic=tuple(generic))
    return model


def spec(model) -> Spec:
    return _specs[model._meta.label_lower if not isinstance(model, str) else model]


def unregister(model: type[models.Model]) -> None:
    """For tests only: a throwaway model leaves the sync."""
    uid = f"crm.sync.{model._meta.label_lower}"
    pre_delete.disconnect(sender=model, dispatch_uid=f"{uid}.pre")
    post_delete.disconnect(sender=model, dispatch_uid=f"{uid}.post")
    _registry.pop(model._meta.label_lower, None)
    _specs.pop(model._meta.label_lower, None)


def synced_models() -> list[type[models.Model]]:
    """The registered models, by label."""
    return [_registry[label] for label in sorted(_registry)]


def is_synced(model) -> bool:
    return model._meta.label_lower in _registry


@contextlib.contextmanager
def deleted_by(user):
    """Tombstones written inside this block name ``user`` (None: nobody known)."""
    token = _deleted_by.set(user if user is not None and getattr(user, "pk", None) else None)
    try:
        yield
    finally:
        _deleted_by.reset(token)


def branch_path(model) -> str | None:
    """The path from ``model`` to the branch that owns its rows, or None (reference data)."""
    if model._meta.label_lower in _paths:
        return _paths[model._meta.label_lower]
    paths = getattr(model._default_manager._queryset_class, "branch_paths", None)
    if not paths:
        return None
    path = paths[0]
    return f"{path}branch" if path == "" or path.endswith("__") else path


# --- the tombstones of one delete --------------------------------------------------------------
@dataclass
class _Batch:
    """The synced rows one collector is deleting: noted at pre_delete, written at post_delete.

    A batch belongs to the collector's own transaction block (``Collector.delete`` runs in
    ``transaction.atomic(savepoint=False)``; no other block is open while it sends its
    signals), so a delete that failed half way can never lend its rows to the next one.
    """

    block: object  # the collector's Atomic, held so that its id is not reused while we wait
    rows: dict[type, dict] = field(default_factory=lambda: defaultdict(dict))  # model -> {pk: row}
    written: dict[type, dict] = field(default_factory=lambda: defaultdict(dict))  # model -> {pk: branch id}

    def branch_of(self, model, pk) -> tuple[bool, int | None]:
        """(known, branch id) of a row of this delete, as far as it is known yet."""
        if pk in self.written.get(model, ()):
            return True, self.written[model][pk]
        row = self.rows.get(model, {}).get(pk)
        return (True, row["branch_id"]) if row is not None and row["via"] is None else (False, None)


class _Local(threading.local):
    def __init__(self):
        # (db alias, id(block)) -> _Batch. Several only while a delete receiver deletes
        # something itself (a nested collector in a nested block).
        self.batches: dict[tuple[str, int], _Batch] = {}


_local = _Local()


def _current_block(using):
    blocks = connections[using].atomic_blocks
    return blocks[-1] if blocks else None


def _batch(using, *, create: bool) -> _Batch | None:
    block = _current_block(using)
    if block is None:
        return None
    key = (using, id(block))
    batch = _local.batches.get(key)
    if batch is not None and batch.block is block:
        return batch
    if not create:
        return None
    # Batches whose block has ended were left by deletes that failed: drop them.
    open_blocks = {id(b) for b in connections[using].atomic_blocks}
    for stale in [k for k, b in _local.batches.items() if k[0] == using and id(b.block) not in open_blocks]:
        del _local.batches[stale]
    batch = _local.batches[key] = _Batch(block=block)
    return batch


def _note_deleted(sender, instance, using, **kwargs):
    batch = _batch(using, create=True)
    if batch is not None:
        batch.rows[sender][instance.pk] = _row(sender, instance)


def _write_tombstones(sender, instance, using, **kwargs):
    batch = _batch(using, create=False)
    # Before its first post_delete the collector has deleted every row of ``sender`` it
    # holds: write them all now; the model's later post_deletes find them written.
    rows = batch.rows.pop(sender, None) if batch is not None else None
    if not rows:
        if batch is not None and instance.pk in batch.written[sender]:
            return
        rows = {instance.pk: _row(sender, instance)}  # not noted at pre_delete (a signal sent by hand)
    _resolve_branches(rows.values(), batch, using)
    if batch is not None:
        batch.written[sender].update((pk, row["branch_id"]) for pk, row in rows.items())
    Tombstone = apps.get_model("crm", "Tombstone")
    now = timezone.now()
    label = sender._meta.label_lower
    Tombstone.objects.using(using).bulk_create([
        Tombstone(model_label=label, public_id=row["public_id"], branch_id=row["branch_id"],
                  deleted_at=now, deleted_by=row["deleted_by"])
        for row in rows.values()
    ])


def _row(model, instance) -> dict:
    """What the tombstone needs, read off the instance while it still has its pk."""
    row = {"public_id": instance.public_id, "deleted_by": _deleted_by.get(), "branch_id": None, "via": None}
    path = branch_path(model)
    if path is None:
        return row
    obj, parts = instance, path.split("__")
    for i, name in enumerate(parts):
        f = obj._meta.get_field(name)
        if i == len(parts) - 1:
            row["branch_id"] = getattr(obj, f.attname) if f.is_relation else obj.pk
            return row
        if f.is_cached(obj):
            obj = f.get_cached_value(obj)
            if obj is None:
                return row
            continue
        # Not loaded: looked up for the whole batch at write time.
        row["via"] = (f.related_model, "__".join(parts[i + 1:]), getattr(obj, f.attname))
        return row
    return row


def _resolve_branches(rows, batch: _Batch | None, using) -> None:
    """Branches of rows whose path was not loaded (an asset's customer): first from rows of
    the same delete (the customer being deleted with it), then one query per path."""
    wanted: dict[tuple, list[dict]] = defaultdict(list)
    for row in rows:
        if row["via"] is None:
            continue
        related, rest, pk = row["via"]
        if pk is None:
            continue
        known, branch_id = batch.branch_of(related, pk) if batch is not None else (False, None)
        if known and rest == branch_path(related):
            row["branch_id"] = branch_id
        else:
            wanted[(related, rest)].append(row)
    for (related, rest), waiting in wanted.items():
        found = dict(related._base_manager.using(using).filter(pk__in={r["via"][2] for r in waiting})
                     .values_list("pk", rest))
        for row in waiting:
            row["branch_id"] = found.get(row["via"][2])
