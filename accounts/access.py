"""Access rules written once: role permission on the view, branch scoping in the queryset.

Every staff view is wrapped in ``staff_view(perm)`` (our views are functions, so this
decorator plays the part of a view mixin); every customer is loaded through
``customer_get_for_user``, built on ``Customer.objects.visible_to(user)``, so another
branch's customer is a 404, never a leak.
"""

from __future__ import annotations

import functools
import uuid

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404


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


def customer_get_for_user(user, public_id, *, write: bool = False, queryset=None):
    """The customer with this public id if ``user`` may see it (404 otherwise).

    With ``write=True`` a user who may see but not edit gets 403.
    """
    from crm.models import Customer

    qs = queryset if queryset is not None else Customer.objects.select_related("branch", "owner")
    customer = get_object_or_404(qs.visible_to(user), public_id=parse_public_id(public_id))
    if write and not user.has_perm("crm.change_customer"):
        raise PermissionDenied
    return customer
