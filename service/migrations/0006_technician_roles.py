"""Technicians: everyone who sees the workshop sees them; branch managers and head office
keep the list (see 0002_roles.py)."""

from django.db import migrations

from accounts.roles import grant_role_permissions

ROLES = {
    "Sales": ["service.view_technician"],
    "Marketing": ["service.view_technician"],
    "Quality Control": ["service.view_technician"],
    "Shipment": ["service.view_technician"],
    "Service": ["service.view_technician"],
    "Branch Management": ["service.view_technician", "service.add_technician", "service.change_technician"],
    "Head Office": ["service.view_technician", "service.add_technician", "service.change_technician"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("service", "0005_technicians_checkin_photos")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
