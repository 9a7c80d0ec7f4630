"""Roles: one Django group per department, with the permissions that department needs.

Later apps add their own permissions to these groups in their own migrations.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = ["view_customer", "view_contactperson", "view_asset", "view_interaction", "view_tag", "add_interaction"]
WRITE = READ + [
    "add_customer", "change_customer",
    "add_contactperson", "change_contactperson", "delete_contactperson",
    "add_asset", "change_asset", "delete_asset",
]
ROLES = {
    "Sales": WRITE,
    "Marketing": WRITE,
    "Service": WRITE,
    # QC engineers and shipment clerks read the whole record and log their touches,
    # but do not edit profiles.
    "Quality Control": READ,
    "Shipment": READ,
    "Branch Management": WRITE + ["add_tag", "change_tag"],
    "Head Office": WRITE + ["add_tag", "change_tag", "delete_tag", "delete_customer"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="crm", codename__in=codenames)
        group.permissions.add(*perms)


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
