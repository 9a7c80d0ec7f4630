"""Parts from the sales catalogue on a job card, when the sales app is installed.

The workshop works without sales (free-text parts); with it, a part line can be picked from
the catalogue and keeps a snapshot of it: the SKU, the name, the branch's price and the PPN
rate of the day the line was added, and the PPN in whole rupiah as sales computes it
(sales.quotations.line_amounts), so a later price or rate change leaves old job cards as
they were. Every import of sales stays inside these functions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.apps import apps
from django.utils import timezone

SEARCH_ROWS = 20
# What a workshop sells: not vehicles.
PART_CATEGORIES = ("spare_part", "accessory", "service_package")


def catalogue_installed() -> bool:
    return apps.is_installed("sales")


@dataclass(frozen=True)
class PartChoice:
    public_id: str
    sku: str
    name: str
    price: Decimal  # the branch's, before PPN
    tax_class: str


def part_search(branch, query: str) -> list[PartChoice]:
    """Active parts whose SKU or name contains ``query``, with the branch's
    price: one query (at most SEARCH_ROWS rows); none for a query under two characters."""
    if not catalogue_installed():
        return []
    from django.db.models import Q

    from sales.catalogue import price_for, products_for_branch

    query = " ".join((query or "").split())
    if len(query) < 2:
        return []
    products = (products_for_branch(branch, query="").filter(category__in=PART_CATEGORIES)
                .filter(Q(sku__icontains=query) | Q(name__icontains=query)))[:SEARCH_ROWS]
    return [PartChoice(str(p.public_id), p.sku, p.name, price_for(p, branch), p.tax_class) for p in products]


def part_get(branch, public_id) -> PartChoice | None:
    """One active part of the catalogue with the branch's price, or None."""
    if not catalogue_installed() or not public_id:
        return None
    from sales.catalogue import price_for, products_for_branch

    product = products_for_branch(branch, query="").filter(category__in=PART_CATEGORIES,
                                                           public_id=public_id).first()
    if product is None:
        return None
    return PartChoice(str(product.public_id), product.sku, product.name, price_for(product, branch),
                      product.tax_class)


@dataclass(frozen=True)
class PartSnapshot:
    product_public_id: str
    sku: str
    description: str
    unit_price: Decimal
    tax_rate: Decimal
    tax: Decimal


def part_snapshot(branch, public_id, *, quantity: Decimal, now: dt.datetime | None = None) -> PartSnapshot:
    """What a job line keeps of a catalogue part: ValidationError (keyed by field) for a part
    that is gone, a quantity that is not whole units, or a day with no PPN rate."""
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    from sales.catalogue import tax_rate_on
    from sales.quotations import line_amounts

    part = part_get(branch, public_id)
    if part is None:
        raise ValidationError({"product": _("That part is no longer in the catalogue. Search again.")})
    if quantity != quantity.to_integral_value():
        raise ValidationError({"quantity": _("A part from the catalogue is counted in whole units.")})
    now = now or timezone.now()
    day = now.astimezone(ZoneInfo(branch.time_zone)).date()
    rate = tax_rate_on(part.tax_class, day)
    amounts = line_amounts(quantity=int(quantity), unit_price=part.price, tax_rate=rate)
    return PartSnapshot(product_public_id=part.public_id, sku=part.sku, description=part.name[:200],
                        unit_price=part.price, tax_rate=rate, tax=amounts.tax)
