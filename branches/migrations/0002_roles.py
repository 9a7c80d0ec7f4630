"""Business calendar permissions for the role groups (see crm/migrations/0002_roles.py).

Every department reads its branch's calendar (an SLA is due in business hours); branch
managers and head office change it (head office for every branch).
"""

from django.db import migrations

from accounts.roles import grant_role_permissions

VIEW = ["branches.view_openinghours", "branches.view_closure"]
CHANGE = VIEW + [
    "branches.add_openinghours", "branches.change_openinghours", "branches.delete_openinghours",
    "branches.add_closure", "branches.change_closure", "branches.delete_closure",
]
ROLES = {
    "Sales": VIEW,
    "Marketing": VIEW,
    "Service": VIEW,
    "Quality Control": VIEW,
    "Shipment": VIEW,
    "Branch Management": CHANGE,
    "Head Office": CHANGE,
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("branches", "0001_initial"), ("crm", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
