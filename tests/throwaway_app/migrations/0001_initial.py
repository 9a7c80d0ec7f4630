import uuid

import django.db.models.deletion
from django.db import migrations, models

from accounts.roles import grant_role_permissions

ROLES = {
    "Sales": ["throwaway_app.view_widget"],
    "Branch Management": ["throwaway_app.view_widget", "throwaway_app.change_widget"],
    "Head Office": ["throwaway_app.view_widget", "throwaway_app.change_widget"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    initial = True
    dependencies = [("accounts", "0001_initial"), ("crm", "0002_roles")]
    operations = [
        migrations.CreateModel(
            name="Widget",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("name", models.CharField(default="widget", max_length=40)),
                ("branch", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                             to="accounts.branch")),
                ("escalated_to", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT,
                                                   related_name="+", to="accounts.branch")),
            ],
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
