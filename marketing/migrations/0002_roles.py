"""Messaging permissions for the role groups (see crm/migrations/0002_roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SEND = ["add_send", "view_send", "view_message"]
MANAGE = SEND + ["change_send"]
ROLES = {"Sales": SEND, "Service": SEND, "Marketing": MANAGE, "Branch Management": MANAGE, "Head Office": MANAGE}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("marketing")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group = Group.objects.get(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="marketing", codename__in=codenames))


class Migration(migrations.Migration):
    dependencies = [("marketing", "0001_initial"), ("crm", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
