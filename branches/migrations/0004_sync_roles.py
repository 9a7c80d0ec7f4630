"""Sync permissions for the role groups (issue 16): branch managers and head office see the
sync page and may press "Sync now"; head office reviews conflicts."""

from django.db import migrations

from accounts.roles import grant_role_permissions

ROLES = {
    "Branch Management": ["branches.view_syncstate", "branches.change_syncstate"],
    "Head Office": ["branches.view_syncstate", "branches.change_syncstate", "branches.view_conflict",
                    "branches.change_conflict"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("branches", "0003_sync"), ("crm", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
