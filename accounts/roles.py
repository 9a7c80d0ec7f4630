"""Roles: one Django group per department, and the permissions each app grants them.

An app grants permissions to the role groups in a data migration that declares them in a
module-level ``ROLES`` and applies them with ``grant_role_permissions``::

    ROLES = {"Sales": ["sales.view_lead", "sales.change_lead"], "Head Office": [...]}

    def grant(apps, schema_editor):
        grant_role_permissions(apps, ROLES)

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

``declared_roles()`` finds every such ``ROLES`` of the installed apps, so the tests can put
the groups back after a flush without a list of apps. Migrations call
``grant_role_permissions``: keep its signature and behaviour stable.
"""

from __future__ import annotations

import sys
from collections import defaultdict

from django.contrib.auth.management import create_permissions

from .models import Department

DEPARTMENT_GROUP = {
    Department.SALES: "Sales",
    Department.MARKETING: "Marketing",
    Department.SERVICE: "Service",
    Department.QUALITY_CONTROL: "Quality Control",
    Department.SHIPMENT: "Shipment",
    Department.BRANCH_MANAGEMENT: "Branch Management",
    Department.HEAD_OFFICE: "Head Office",
}


def grant_role_permissions(apps, roles: dict[str, list[str]]) -> None:
    """Give each group of ``roles`` ({group name: ["app_label.codename", ...]}) these
    permissions, creating the groups and the permissions as needed.

    ``apps`` is a migration's historical registry or ``django.apps.apps``; models are taken
    from it, never imported. A permission that does not exist is an error, not a silent
    no-op: a typo in ``ROLES`` would otherwise leave a role without its rights.
    """
    # Permissions are normally created after all migrations; make sure they exist now.
    # create_permissions skips an app without a models module, which a migration's
    # historical apps never have.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = models_module or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = {tuple(_split(perm)) for perms in roles.values() for perm in perms}
    found = {
        (app_label, codename): pk
        for app_label, codename, pk in Permission.objects.filter(
            content_type__app_label__in={a for a, _ in wanted}, codename__in={c for _, c in wanted}
        ).values_list("content_type__app_label", "codename", "pk")
    }
    missing = sorted(".".join(p) for p in wanted - found.keys())
    if missing:
        raise LookupError(f"ROLES names permissions that do not exist: {', '.join(missing)}")
    for name, perms in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*(found[_split(perm)] for perm in perms))


def _split(perm: str) -> tuple[str, str]:
    app_label, dot, codename = perm.partition(".")
    if not (app_label and dot and codename):
        raise ValueError(f"{perm!r}: name a permission as app_label.codename")
    return app_label, codename


def declared_roles() -> dict[str, set[str]]:
    """Every permission the installed apps' migrations grant to each role group: the
    ``ROLES`` of every migration module that has one, merged."""
    from django.db.migrations.loader import MigrationLoader

    roles = defaultdict(set)
    for migration in MigrationLoader(None, ignore_no_migrations=True).disk_migrations.values():
        for name, perms in getattr(sys.modules[type(migration).__module__], "ROLES", {}).items():
            roles[name].update(perms)
    return dict(roles)
