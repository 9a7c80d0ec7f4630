"""The catalogue: branch prices over the list price, the staff list, who may see it."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.formatting import format_rupiah
from sales.catalogue import price_for, products_for_branch
from sales.models import BranchPrice
from tests.sales.factories_orders import ProductFactory

pytestmark = pytest.mark.django_db


def rp(amount) -> str:
    return format_rupiah(amount, language="en")


def test_a_branch_price_overrides_the_list_price(branch_a, branch_b):
    product = ProductFactory(unit_price=Decimal(4_500_000))
    BranchPrice.objects.create(branch=branch_a, product=product, price=Decimal(4_250_000))
    assert price_for(product, branch_a) == Decimal(4_250_000)
    assert price_for(product, branch_b) == Decimal(4_500_000)
    assert price_for(products_for_branch(branch_a).get(pk=product.pk), branch_a) == Decimal(4_250_000)
    assert price_for(products_for_branch(branch_b).get(pk=product.pk), branch_b) == Decimal(4_500_000)


def test_the_catalogue_shows_the_branch_price(client, sales_a, branch_a, branch_b):
    product = ProductFactory(name="Kaca film", unit_price=Decimal(4_500_000))
    BranchPrice.objects.create(branch=branch_a, product=product, price=Decimal(4_250_000))
    BranchPrice.objects.create(branch=branch_b, product=product, price=Decimal(4_900_000))
    ProductFactory(name="Lama", is_active=False)
    client.force_login(sales_a)
    html = client.get(reverse("sales:product_list")).content.decode()
    assert "Kaca film" in html and rp(4_250_000) in html and rp(4_500_000) in html
    assert rp(4_900_000) not in html and "Lama" not in html
    assert "Kaca film" not in client.get(reverse("sales:product_list"), {"category": "vehicle"}).content.decode()
    assert "Kaca film" in client.get(reverse("sales:product_list"), {"q": "kaca"}).content.decode()


@pytest.mark.parametrize("rows", [3, 30])
def test_the_catalogue_costs_the_same_with_more_rows(client, sales_a, branch_a, rows, django_assert_num_queries):
    for _ in range(rows):
        BranchPrice.objects.create(branch=branch_a, product=ProductFactory(), price=Decimal(1))
    client.force_login(sales_a)
    # session, user, perms ×2, the page of products with the branch's price (a subquery)
    with django_assert_num_queries(5):
        assert client.get(reverse("sales:product_list")).status_code == 200


def test_the_catalogue_is_for_roles_that_sell(client, readonly_a):
    client.force_login(readonly_a)
    assert client.get(reverse("sales:product_list")).status_code == 403


def test_the_catalogue_sends_anonymous_to_login(client):
    response = client.get(reverse("sales:product_list"))
    assert response.status_code == 302 and "/login" in response["Location"]
