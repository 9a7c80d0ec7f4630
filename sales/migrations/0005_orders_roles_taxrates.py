"""Catalogue, quotations, orders and shipments (issue 11): who may do what, and the PPN rates.

Sales staff quote, turn accepted quotations into orders, keep the payment schedule and plan
the delivery; the Shipment department ships and hands over; branch managers do both and set
their branch's prices; head office also keeps the catalogue and the tax rates.

PPN rates are data (DOMAIN.md): 10% until 31 March 2022, 11% from 1 April 2022. From 2025
the rate is 12%, but only luxury goods subject to PPnBM (motor vehicles) pay it on the full
price, after a transition month (January 2025: 12% × 11/12 = 11%); every other good or
service pays 12% on 11/12 of the price, 11% in effect. The rate kept is the one applied.
"""

import datetime as dt
from decimal import Decimal

from django.db import migrations

from accounts.roles import grant_role_permissions

CATALOGUE_READ = ["sales.view_product", "sales.view_taxrate", "sales.view_branchprice"]
QUOTE = ["sales.view_quotation", "sales.add_quotation", "sales.change_quotation"]
ORDER_READ = ["sales.view_salesorder", "sales.view_paymentdue", "sales.view_payment", "sales.view_shipment"]
ORDER_WORK = ["sales.change_salesorder", "sales.add_paymentdue", "sales.add_payment", "sales.add_shipment"]
SHIP = ["sales.change_shipment"]
ROLES = {
    "Sales": CATALOGUE_READ + QUOTE + ORDER_READ + ORDER_WORK,
    "Shipment": CATALOGUE_READ + ORDER_READ + SHIP + ["sales.add_shipment"],
    "Branch Management": CATALOGUE_READ + QUOTE + ORDER_READ + ORDER_WORK + SHIP
    + ["sales.add_branchprice", "sales.change_branchprice"],
    "Head Office": CATALOGUE_READ + QUOTE + ORDER_READ + ORDER_WORK + SHIP
    + ["sales.add_branchprice", "sales.change_branchprice", "sales.add_product", "sales.change_product",
       "sales.add_taxrate", "sales.change_taxrate"],
}

# tax class, rate, valid from, note
TAX_RATES = [
    ("standard", "10", dt.date(2016, 1, 1), "PPN 10%"),
    ("standard", "11", dt.date(2022, 4, 1), "UU HPP: PPN 11%"),
    ("luxury", "10", dt.date(2016, 1, 1), "PPN 10%"),
    ("luxury", "11", dt.date(2022, 4, 1), "UU HPP: PPN 11%"),
    ("luxury", "11", dt.date(2025, 1, 1), "PMK 131/2024 transition: 12% x 11/12"),
    ("luxury", "12", dt.date(2025, 2, 1), "PMK 131/2024: 12% on the full price (PPnBM goods)"),
]


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLES)


def tax_rates(apps, schema_editor):
    TaxRate = apps.get_model("sales", "TaxRate")
    for tax_class, rate, valid_from, note in TAX_RATES:
        TaxRate.objects.get_or_create(tax_class=tax_class, valid_from=valid_from,
                                      defaults={"name": "PPN", "rate": Decimal(rate), "note": note})


class Migration(migrations.Migration):
    dependencies = [("sales", "0004_agenda_roles")]
    operations = [
        migrations.RunPython(grant, migrations.RunPython.noop),
        migrations.RunPython(tax_rates, migrations.RunPython.noop),
    ]
