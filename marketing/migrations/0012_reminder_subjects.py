"""Reminders of kinds other apps register (a payment due, a quotation expiring): the record a
reminder speaks of joins the exactly-once key, and a send carries its placeholder values."""

from django.db import migrations, models

import marketing.models


class Migration(migrations.Migration):

    dependencies = [
        ("marketing", "0011_campaign_roles"),
    ]

    operations = [
        migrations.AlterField(
            model_name="reminderrule",
            name="kind",
            field=models.CharField(choices=marketing.models.reminder_kind_choices, max_length=20,
                                   verbose_name="occasion"),
        ),
        migrations.AddField(
            model_name="reminderoccurrence",
            name="subject_id",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.RemoveConstraint(
            model_name="reminderoccurrence",
            name="reminder_once_per_occasion",
        ),
        migrations.AddConstraint(
            model_name="reminderoccurrence",
            constraint=models.UniqueConstraint(fields=("rule", "customer", "asset", "subject_id", "occasion"),
                                               name="reminder_once_per_occasion", nulls_distinct=False),
        ),
        migrations.AddField(
            model_name="send",
            name="extra_values",
            field=models.JSONField(blank=True, default=dict, verbose_name="more placeholder values"),
        ),
    ]
