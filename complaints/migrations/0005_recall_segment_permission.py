"""Quality Control (and head office) make recall segments from the QC page's defect groups."""

from django.db import migrations

from accounts.roles import grant_role_permissions

ROLES = {
    "Quality Control": ["complaints.make_recall_segment"],
    "Head Office": ["complaints.make_recall_segment"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


class Migration(migrations.Migration):

    dependencies = [
        ('complaints', '0004_complaint_branch'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='complaint',
            options={'ordering': ['-created_at', '-id'], 'permissions': [('make_recall_segment', 'Can make a recall segment from a defect group')], 'verbose_name': 'complaint', 'verbose_name_plural': 'complaints'},
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
