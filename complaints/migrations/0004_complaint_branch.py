"""A complaint's branch on the row (the customer's branch at intake), so that branch scoping
needs no join to crm_customer: the queues and the QC page of a branch read one table's
indexes (docs/PERFORMANCE.md, complaints)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0004_notifications'),
        ('complaints', '0003_attachments_and_defects'),
    ]

    operations = [
        migrations.AddField(
            model_name='complaint',
            name='branch',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='complaints', to='accounts.branch', verbose_name='branch'),
        ),
        # One statement for the existing rows: each complaint takes its customer's branch.
        migrations.RunSQL(
            "UPDATE complaints_complaint c SET branch_id = cu.branch_id FROM crm_customer cu "
            "WHERE cu.id = c.customer_id AND c.branch_id IS NULL",
            migrations.RunSQL.noop,
        ),
        # Check the new foreign keys now, so the column can become NOT NULL in this transaction.
        migrations.RunSQL("SET CONSTRAINTS ALL IMMEDIATE", migrations.RunSQL.noop),
        migrations.AlterField(
            model_name='complaint',
            name='branch',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='complaints', to='accounts.branch', verbose_name='branch'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(condition=models.Q(('status__in', ['resolved', 'closed']), _negated=True), fields=['branch', '-created_at'], name='complaint_branch_open_idx'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(condition=models.Q(('status__in', ['resolved', 'closed']), _negated=True), fields=['branch', 'department', '-created_at'], name='complaint_branch_dept_open_idx'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(condition=models.Q(('status__in', ['resolved', 'closed']), _negated=True), fields=['-created_at'], name='complaint_open_idx'),
        ),
        migrations.AddIndex(
            model_name='complaint',
            index=models.Index(condition=models.Q(('category', 'production_defect')), fields=['branch', 'created_at'], include=('defect_component', 'defect_model', 'defect_batch'), name='complaint_branch_defect_idx'),
        ),
    ]
