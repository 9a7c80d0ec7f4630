"""Factories of issue 11 (catalogue, quotations, orders, shipments), through the services.

Re-exported by tests/sales/factories.py, where the branch-scoping walk looks for
``<Model>Factory`` by name.
"""

import datetime as dt
import importlib
from decimal import Decimal

import factory
from django.utils import timezone

from sales import orders, quotations
from sales.models import Product, TaxRate
from sales.quotations import LineInput
from tests.factories import BranchFactory

__all__ = ["ensure_tax_rates", "ProductFactory", "VehicleFactory", "QuotationFactory", "SalesOrderFactory",
           "ShipmentFactory"]


def ensure_tax_rates() -> None:
    """The PPN rates as migration 0005 seeds them (a transactional test's flush removes them)."""
    migration = importlib.import_module("sales.migrations.0005_orders_roles_taxrates")
    for tax_class, rate, valid_from, note in migration.TAX_RATES:
        TaxRate.objects.get_or_create(tax_class=tax_class, valid_from=valid_from,
                                      defaults={"name": "PPN", "rate": Decimal(rate), "note": note})


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Aksesori {n}")
    category = Product.Category.ACCESSORY
    unit_price = Decimal(1_000_000)


class VehicleFactory(ProductFactory):
    sku = factory.Sequence(lambda n: f"TYT-{n:05d}")
    name = "Toyota Avanza 1.5 G CVT"
    category = Product.Category.VEHICLE
    unit_price = Decimal(250_000_000)
    make = "Toyota"
    model_name = "Avanza"
    warranty_months = 36


class QuotationFactory(factory.Factory):
    """A draft quotation with one free-text line of Rp 1.000.000 (standard PPN) unless ``lines``."""

    class Meta:
        model = dict

    branch = factory.SubFactory(BranchFactory)
    by = None
    lines = None
    vehicle = None
    quote_date = None

    @classmethod
    def _create(cls, model_class, *args, branch, by, lines, vehicle, quote_date, opportunity=None, **kwargs):
        from tests.sales.factories import OpportunityFactory

        ensure_tax_rates()
        if opportunity is None:
            opportunity = OpportunityFactory(branch=branch)
        lines = lines if lines is not None else [LineInput(description="Kaca film", quantity=1,
                                                           unit_price=Decimal(1_000_000))]
        return quotations.quotation_create(opportunity=opportunity, by=by, lines=lines, vehicle=vehicle,
                                           quote_date=quote_date or timezone.localdate(), **kwargs)


class SalesOrderFactory(factory.Factory):
    """An order as accepting a quotation makes it (status confirmed)."""

    class Meta:
        model = dict

    branch = factory.SubFactory(BranchFactory)
    by = None
    vehicle = None

    @classmethod
    def _create(cls, model_class, *args, branch, by, vehicle, **kwargs):
        quotation = QuotationFactory(branch=branch, by=by, vehicle=vehicle, **kwargs)
        return quotations.quotation_accept(quotation=quotation, by=by)


class ShipmentFactory(factory.Factory):
    """A planned delivery of ``order`` (or of a new order of ``branch``)."""

    class Meta:
        model = dict

    branch = None
    order = factory.LazyAttribute(lambda o: SalesOrderFactory(**({"branch": o.branch} if o.branch else {})))
    by = None
    method = "own_driver"
    promised_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=3))
    carrier = ""
    tracking_number = ""

    @classmethod
    def _create(cls, model_class, *args, branch, **kwargs):
        return orders.shipment_create(**kwargs)
