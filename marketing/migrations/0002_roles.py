"""Messaging permissions for the role groups (see crm/migrations/0002_roles.py)."""

from django.db import migrations

from accounts.roles import grant_role_permissions

SEND = ["marketing.add_send", "marketing.view_send", "marketing.view_message"]
MANAGE = SEND + ["marketing.change_send"]
ROLES = {"Sales": SEND, "Service": SEND, "Marketing": MANAGE, "Branch Management": MANAGE, "Head Office": MANAGE}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_initial"), ("crm", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
