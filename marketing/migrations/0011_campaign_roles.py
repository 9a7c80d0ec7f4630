"""Who builds segments, writes campaigns and approves them (issue 12).

Marketing staff build segments and write campaigns; a manager approves them (Branch Management
for a branch, Head Office for all): never their own (marketing.campaigns.campaign_approve)."""

from django.db import migrations

from accounts.roles import grant_role_permissions

VIEW = ["marketing.view_segment", "marketing.view_campaign"]
WRITE = VIEW + ["marketing.add_segment", "marketing.change_segment", "marketing.delete_segment",
                "marketing.add_campaign", "marketing.change_campaign"]
# Sales and the workshop read which campaigns reach their customers.
ROLES = {"Marketing": WRITE, "Head Office": WRITE + ["marketing.approve_campaign"],
         "Branch Management": VIEW + ["marketing.change_campaign", "marketing.approve_campaign"],
         "Sales": VIEW, "Service": VIEW}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):
    dependencies = [("marketing", "0010_campaigns"), ("crm", "0002_roles")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
