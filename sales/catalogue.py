"""The catalogue: products, their price at a branch, and the PPN rate valid on a date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from .models import BranchPrice, Product, TaxRate


def tax_rate_on(tax_class: str, day: dt.date) -> Decimal:
    """The rate (percent) of ``tax_class`` valid on ``day``: the latest row from before it.
    An error, not a guess, when the back office has no rate for that date."""
    rate = (TaxRate.objects.filter(tax_class=tax_class, valid_from__lte=day)
            .order_by("-valid_from").values_list("rate", flat=True).first())
    if rate is None:
        raise ValidationError(_("No PPN rate is set for %(date)s: ask head office to add one.")
                              % {"date": day.strftime("%d/%m/%Y")})
    return rate


def tax_rates_on(day: dt.date) -> dict[str, Decimal]:
    """Every tax class's rate on ``day`` in one query."""
    rates: dict[str, Decimal] = {}
    for tax_class, rate in (TaxRate.objects.filter(valid_from__lte=day).order_by("tax_class", "-valid_from")
                            .values_list("tax_class", "rate")):
        rates.setdefault(tax_class, rate)
    return rates


def products_for_branch(branch, *, active_only: bool = True, category: str = "", query: str = ""):
    """Products with ``branch_price`` (the branch's own price, or None) in one query."""
    qs = Product.objects.all()
    if active_only:
        qs = qs.filter(is_active=True)
    if category:
        qs = qs.filter(category=category)
    query = " ".join((query or "").split())
    if query:
        qs = qs.filter(Q(sku__iexact=query) | Q(name__icontains=query))
    if branch is not None:
        qs = qs.annotate(branch_price=Subquery(
            BranchPrice.objects.filter(branch=branch, product=OuterRef("pk")).values("price")[:1]))
    return qs.order_by("category", "name")


def price_for(product: Product, branch) -> Decimal:
    """What ``branch`` charges for ``product``: its own price, else the list price."""
    own = getattr(product, "branch_price", None)
    if own is None and branch is not None and not hasattr(product, "branch_price"):
        own = BranchPrice.objects.filter(branch=branch, product=product).values_list("price", flat=True).first()
    return product.unit_price if own is None else own
