"""Complaint permissions for the role groups (see crm/migrations/0002_roles.py).

Every department that handles complaints takes, reads and works them (the routing sends
them to Sales, Service, Quality Control, Shipment or Branch Management). Marketing takes
and reads complaints but does not work them. Routing rules and SLA policies are edited by
branch managers and head office (in the back office).
"""

from django.db import migrations

from accounts.roles import grant_role_permissions

READ = ["complaints.view_complaint", "complaints.add_complaint", "complaints.view_routingrule",
        "complaints.view_slapolicy"]
WORK = READ + ["complaints.change_complaint", "complaints.add_complaintnote"]
RULES = ["complaints.add_routingrule", "complaints.change_routingrule", "complaints.delete_routingrule",
         "complaints.change_slapolicy"]
ROLES = {
    "Sales": WORK,
    "Marketing": READ,
    "Service": WORK,
    "Quality Control": WORK,
    "Shipment": WORK,
    "Branch Management": WORK + RULES,
    "Head Office": WORK + RULES,
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial"), ("crm", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
