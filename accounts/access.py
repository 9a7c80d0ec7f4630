"""Access rules written once: role permission on the view, branch scoping in the queryset.

Every staff view is wrapped in ``staff_view(perm)`` (our views are functions, so this
decorator plays the part of a view mixin). Every object a URL names is loaded through
``get_for_user_or_404`` on a ``BranchScopedQuerySet``, so another branch's row is a 404,
never a leak, and a row the user may see but not change is a 403. Each app gives its
models a one-line helper on top of it, as ``customer_get_for_user`` below::

    def lead_get_for_user(user, lead_id, *, write=False):
        return get_for_user_or_404(Lead.objects.select_related("customer"), user,
                                   write_perm="sales.change_lead" if write else None, public_id=lead_id)

This module imports no app's models (apps import it), so every app can use it.
"""

from __future__ import annotations

import functools
import operator
import uuid

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404

from .timestamps import TimeStampedQuerySet


def branch_scope(user, *paths: str) -> models.Q:
    """The one place branch scoping is decided: head office sees all, others their branch.

    Each path leads from the queried model to a branch foreign key; a row is visible when
    any of them is the user's branch. ``branch_scope(user)`` is the model's own ``branch``;
    ``branch_scope(user, "customer__branch", "escalated_to")`` shows a complaint to its
    customer's branch and to the branch it was escalated to. A path ending in ``__`` leads
    to a row that has a ``branch`` ("customer__" is "customer__branch").
    """
    if user.is_authenticated and user.sees_all_branches:
        return models.Q()
    if not user.is_authenticated or user.branch_id is None:
        return models.Q(pk__in=[])
    return functools.reduce(operator.or_, (models.Q(**{p: user.branch_id}) for p in _branch_fields(paths)))


def _branch_fields(paths) -> list[str]:
    return [f"{p}branch" if p == "" or p.endswith("__") else p for p in paths or ("branch",)]


def _crosses_to_many(model, path: str) -> bool:
    for name in path.split("__"):
        field = model._meta.get_field(name)
        if field.many_to_many or field.one_to_many:
            return True
        model = field.related_model
    return False


class BranchScopedQuerySet(TimeStampedQuerySet):
    """Rows that belong to branches. A subclass names the paths to their branches::

        class ComplaintQuerySet(BranchScopedQuerySet):
            branch_paths = ("customer__branch", "escalated_to")

    It is a ``TimeStampedQuerySet`` (accounts.timestamps): ``update()`` moves ``updated_at``.
    """

    branch_paths: tuple[str, ...] = ("branch",)

    def visible_to(self, user):
        scoped = self.filter(branch_scope(user, *self.branch_paths))
        # Through a to-many path a row can match more than once; to-one paths need no
        # DISTINCT (which would cost on big lists).
        if any(_crosses_to_many(self.model, p) for p in _branch_fields(self.branch_paths)):
            scoped = scoped.distinct()
        return scoped


def staff_view(perm: str | None = None):
    """Login required, then (if given) the role permission, else 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if perm and not request.user.has_perm(perm):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(wrapped)

    return decorator


def parse_public_id(value) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404


def get_for_user_or_404(queryset, user, *, write_perm: str | None = None, **lookup):
    """The row of ``queryset`` matching ``lookup`` if ``user`` may see it, else 404.

    ``queryset`` is a ``BranchScopedQuerySet`` (or its manager): scoping is not optional.
    With ``write_perm`` a user who may see the row but lacks that permission gets 403; a
    row of another branch stays a 404 either way, so its existence is never revealed.
    """
    try:
        obj = queryset.visible_to(user).get(**lookup)
    except (queryset.model.DoesNotExist, ValidationError, ValueError):
        # Not there, not this user's, or a malformed id (an old link, a typed URL).
        raise Http404
    if write_perm and not user.has_perm(write_perm):
        raise PermissionDenied
    return obj


def customer_get_for_user(user, public_id, *, write: bool = False, queryset=None):
    """The customer with this public id if ``user`` may see it (404 otherwise).

    With ``write=True`` a user who may see but not edit gets 403. Kept here because every
    app's views load customers; the model is looked up by name, not imported.
    """
    if queryset is None:
        queryset = apps.get_model("crm", "Customer").objects.select_related("branch", "owner")
    return get_for_user_or_404(queryset, user, write_perm="crm.change_customer" if write else None, public_id=public_id)
