"""Who works activities and sets targets (issue 10, part 2).

Sales staff plan and complete their activities and read their own figures; branch managers
and head office also set each rep's monthly target (the performance page).
"""

from django.db import migrations

from accounts.roles import grant_role_permissions

ACTIVITIES = ["sales.view_activity", "sales.add_activity", "sales.change_activity"]
ROLES = {
    "Sales": ACTIVITIES + ["sales.view_salestarget"],
    "Branch Management": ACTIVITIES + ["sales.view_salestarget", "sales.add_salestarget", "sales.change_salestarget"],
    "Head Office": ACTIVITIES + ["sales.view_salestarget", "sales.add_salestarget", "sales.change_salestarget"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("sales", "0003_agenda_activities")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
