"""Roles: one Django group per department, with the permissions that department needs.

Later apps add their own permissions to these groups in their own migrations, each with
its own ``ROLES`` (see accounts/roles.py).
"""

from django.db import migrations

from accounts.roles import grant_role_permissions

READ = ["crm.view_customer", "crm.view_contactperson", "crm.view_asset", "crm.view_interaction", "crm.view_tag",
        "crm.add_interaction"]
WRITE = READ + [
    "crm.add_customer", "crm.change_customer",
    "crm.add_contactperson", "crm.change_contactperson", "crm.delete_contactperson",
    "crm.add_asset", "crm.change_asset", "crm.delete_asset",
]
ROLES = {
    "Sales": WRITE,
    "Marketing": WRITE,
    "Service": WRITE,
    # QC engineers and shipment clerks read the whole record and log their touches,
    # but do not edit profiles.
    "Quality Control": READ,
    "Shipment": READ,
    "Branch Management": WRITE + ["crm.add_tag", "crm.change_tag"],
    "Head Office": WRITE + ["crm.add_tag", "crm.change_tag", "crm.delete_tag", "crm.delete_customer"],
}


def create_roles(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm", "0001_initial"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
