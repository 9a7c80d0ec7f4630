"""Allocation by VIN for every vehicle unit of an order (issue 11): ``OrderVehicle``.

Orders allocated before this kept one VIN on ``SalesOrder.vin`` (the first vehicle line's
first unit): it is carried over as that unit's allocation, held while the order is open
(neither delivered, closed nor cancelled), so the new uniqueness covers it too.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


CARRY_OVER = """
INSERT INTO sales_ordervehicle (order_id, line_id, unit, vin, allocated_at, allocated_by_id, released_at, asset_id)
SELECT DISTINCT ON (o.id) o.id, l.id, 1, o.vin, o.status_changed_at, NULL,
       CASE WHEN o.status IN ('confirmed', 'allocated', 'invoiced', 'shipped') THEN NULL ELSE now() END, NULL
FROM sales_salesorder o
JOIN sales_quotationline l ON l.quotation_id = o.quotation_id AND l.tax_class = 'luxury'
WHERE o.vin <> ''
ORDER BY o.id, l.position, l.id
ON CONFLICT DO NOTHING  -- a VIN two open orders held (nothing stopped it before): the first keeps it
"""


class Migration(migrations.Migration):

    dependencies = [
        ('crm', '0013_interaction_branch'),  # crm.Asset (any migration that has it)
        ('sales', '0008_lead_search_and_forecast'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='OrderVehicle',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('unit', models.PositiveSmallIntegerField(default=1, verbose_name='unit')),
                ('vin', models.CharField(max_length=17, verbose_name='VIN')),
                ('allocated_at', models.DateTimeField(verbose_name='allocated')),
                ('released_at', models.DateTimeField(blank=True, null=True, verbose_name='released')),
                ('allocated_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('asset', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='crm.asset', verbose_name='vehicle')),
                ('line', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='sales.quotationline')),
                ('order', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='vehicles', to='sales.salesorder')),
            ],
            options={
                'verbose_name': 'allocated vehicle',
                'verbose_name_plural': 'allocated vehicles',
                'ordering': ['line__position', 'line_id', 'unit', 'id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('released_at__isnull', True)), fields=('vin',), name='ordervehicle_vin_held_uniq'), models.UniqueConstraint(condition=models.Q(('released_at__isnull', True)), fields=('order', 'line', 'unit'), name='ordervehicle_unit_held_uniq')],
            },
        ),
        migrations.RunSQL(CARRY_OVER, migrations.RunSQL.noop),
    ]
