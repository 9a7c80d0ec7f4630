"""Workshop permissions for the role groups (see crm/migrations/0002_roles.py).

Service advisors book and move vehicles through the workshop; anyone who answers the phone
(sales, marketing, QC) sees a booking's status, and sales staff taking a call can book one. Branch managers and head office also set up
bays and slot lengths; service types are one list for every branch (head office, back office).
"""

from django.db import migrations

from accounts.roles import grant_role_permissions

VIEW = ["service.view_booking", "service.view_bay", "service.view_servicetype", "service.view_workshop"]
BOOK = VIEW + ["service.add_booking", "service.change_booking"]
SET_UP = BOOK + ["service.add_bay", "service.change_bay", "service.change_workshop", "service.add_workshop"]
ROLES = {
    "Sales": VIEW + ["service.add_booking"],
    "Marketing": VIEW,
    "Quality Control": VIEW,
    "Shipment": VIEW,
    "Service": BOOK,
    "Branch Management": SET_UP,
    "Head Office": SET_UP + ["service.add_servicetype", "service.change_servicetype", "service.delete_bay"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial"), ("crm", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
