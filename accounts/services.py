"""Writes for staff accounts."""

from django.contrib.auth.models import Group
from django.db import transaction

from .models import User
from .roles import DEPARTMENT_GROUP


@transaction.atomic
def staff_sync_role(*, user: User) -> None:
    """Put the user in their department's role group and out of the other department groups."""
    role_groups = Group.objects.filter(name__in=DEPARTMENT_GROUP.values())
    user.groups.remove(*[g for g in role_groups if g.name != DEPARTMENT_GROUP.get(user.department)])
    if user.department in DEPARTMENT_GROUP:
        user.groups.add(Group.objects.get(name=DEPARTMENT_GROUP[user.department]))


@transaction.atomic
def staff_create(*, email: str, password: str | None, branch, department: str, **fields) -> User:
    user = User.objects.create_user(email=email, password=password, branch=branch, department=department, **fields)
    staff_sync_role(user=user)
    return user
