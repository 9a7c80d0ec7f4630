"""Sales permissions for the role groups (see crm/migrations/0002_roles.py), and the
pipeline's first stages (data: the back office edits them).

Sales staff work leads and opportunities; branch managers and head office also set the
branch's assignment rule and reassign; marketing reads leads (campaigns bring them in).
"""

from django.db import migrations

from accounts.roles import grant_role_permissions

READ = ["sales.view_lead", "sales.view_opportunity", "sales.view_stage"]
WORK = READ + ["sales.add_lead", "sales.change_lead", "sales.add_opportunity", "sales.change_opportunity"]
MANAGE = WORK + ["sales.view_assignmentrule", "sales.change_assignmentrule"]
ROLES = {
    "Sales": WORK,
    "Marketing": READ,
    "Branch Management": MANAGE,
    "Head Office": MANAGE + ["sales.add_stage", "sales.change_stage"],
}

# name, order, probability, won, lost
STAGES = [
    ("Prospek", 10, 10, False, False),
    ("Test drive", 20, 30, False, False),
    ("Penawaran", 30, 50, False, False),
    ("Negosiasi", 40, 70, False, False),
    ("SPK / Menang", 90, 100, True, False),
    ("Kalah", 99, 0, False, True),
]


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


def stages(apps, schema_editor):
    Stage = apps.get_model("sales", "Stage")
    for name, order, probability, won, lost in STAGES:
        Stage.objects.get_or_create(name=name, defaults={"order": order, "probability": probability,
                                                         "is_won": won, "is_lost": lost})


class Migration(migrations.Migration):
    dependencies = [("sales", "0001_initial"), ("crm", "0002_roles")]
    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(stages, migrations.RunPython.noop),
    ]
