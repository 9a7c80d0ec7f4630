"""``updated_at`` moves on every write, not only on ``save()``.

Django sets ``auto_now`` fields in ``save()`` only: ``QuerySet.update()``, ``bulk_update()``,
an upsert (``bulk_create(update_conflicts=True)``) and the collector's SET_NULL when a
referenced row is deleted all leave them as they were. Branch sync (issue 16) must see every
change, so ``TimeStampedQuerySet`` stamps them in those paths too. ``TimeStampedModel``
(accounts.models) uses it as its default *and* base manager, and ``BranchScopedQuerySet``
(accounts.access) derives from it, so a model's own queryset keeps it; a system check
(``accounts.models.check_timestamped_managers``) fails a model whose managers lost it.

Raw SQL is on its own: an ``UPDATE`` written by hand sets ``updated_at = now()`` itself.

This module imports no models: accounts.access and accounts.models both import it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


def auto_now_fields(model) -> list[str]:
    """Names of ``model``'s concrete ``auto_now`` fields (``updated_at``), if any."""
    return [f.name for f in model._meta.concrete_fields if getattr(f, "auto_now", False)]


class TimeStampedQuerySet(models.QuerySet):
    """``update()``, ``bulk_update()`` and upserts move ``auto_now`` fields, as ``save()`` does.

    A caller that names the field itself (``update(updated_at=...)``) keeps its value. The
    time is the application's ``timezone.now()``, the clock ``save()`` uses, so a row's
    ``updated_at`` comes from one clock whichever way it was written. Models without an
    ``auto_now`` field are untouched (``BranchScopedQuerySet`` serves those too).
    """

    def update(self, **kwargs):
        names = auto_now_fields(self.model)
        if names:
            now = timezone.now()
            for name in names:
                kwargs.setdefault(name, now)
        return super().update(**kwargs)

    update.alters_data = True

    def bulk_update(self, objs, fields, batch_size=None):
        names = [n for n in auto_now_fields(self.model) if n not in fields]
        if names:
            objs = list(objs)
            now = timezone.now()
            for obj in objs:
                for name in names:
                    setattr(obj, name, now)
            fields = [*fields, *names]
        return super().bulk_update(objs, fields, batch_size=batch_size)

    bulk_update.alters_data = True

    def bulk_create(self, objs, batch_size=None, ignore_conflicts=False, update_conflicts=False,
                    update_fields=None, unique_fields=None):
        # An upsert that updates a row must move its updated_at (inserted rows get it from
        # auto_now's pre_save already).
        if update_conflicts and update_fields:
            update_fields = [*update_fields, *(n for n in auto_now_fields(self.model) if n not in update_fields)]
        return super().bulk_create(objs, batch_size=batch_size, ignore_conflicts=ignore_conflicts,
                                   update_conflicts=update_conflicts, update_fields=update_fields,
                                   unique_fields=unique_fields)

    bulk_create.alters_data = True
