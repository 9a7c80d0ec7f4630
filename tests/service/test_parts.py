"""Parts from the sales catalogue on the job card: a snapshot of SKU, name, the branch's price
and the day's PPN, totals computed by sales' own line function; free text still possible."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from sales.models import BranchPrice, Product, TaxClass, TaxRate
from sales.quotations import line_amounts
from service import parts, selectors, services
from service.models import JobLine
from tests.sales.factories_orders import ProductFactory, VehicleFactory, ensure_tax_rates

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(vehicle_a, bay_a, oil_change, now, service_a):
    booking = services.booking_create(customer=vehicle_a.customer, asset=vehicle_a, service_type=oil_change,
                                      starts_at=at(MONDAY, 9), by=service_a, now=now, notify_customer=False)
    services.booking_status_change(booking=booking, to="arrived", by=service_a)
    return booking


@pytest.fixture
def oil(branch_a):
    ensure_tax_rates()
    product = ProductFactory(sku="OLI-5W30-1L", name="Oli mesin 5W-30 1 liter", category=Product.Category.SPARE_PART,
                             unit_price=Decimal(65_000))
    BranchPrice.objects.create(branch=branch_a, product=product, price=Decimal(60_000))
    return product


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def _add(client, booking, **data):
    return client.post(reverse("service:job_line_add", args=[booking.public_id]),
                       {"kind": "task", "description": "", "quantity": "1", "unit_price": "0", **data})


def test_a_catalogue_part_keeps_its_sku_name_branch_price_and_ppn(booking, oil, service_a):
    # Kind and price posted are not the catalogue's: the catalogue wins.
    response = _add(_client(service_a), booking, product=str(oil.public_id), quantity="4", unit_price="1")
    assert response.status_code == 302
    line = JobLine.objects.get()
    expected = line_amounts(quantity=4, unit_price=Decimal(60_000), tax_rate=Decimal(11))
    assert (line.kind, line.sku, line.description, line.unit_price, line.tax_rate) == (
        "part", "OLI-5W30-1L", "Oli mesin 5W-30 1 liter", Decimal(60_000), Decimal(11))
    assert line.product_public_id == oil.public_id
    assert (line.amount, line.tax, line.total) == (expected.net, expected.tax, expected.total) == (
        Decimal(240_000), Decimal(26_400), Decimal(266_400))
    page = _client(service_a).get(booking.get_absolute_url()).content.decode()
    assert "OLI-5W30-1L" in page and "PPN 11%" in page
    assert '<td class="text-end text-nowrap" id="job-tax">Rp 26,400</td>' in page
    assert 'id="job-total">Rp 266,400</th>' in page


def test_a_later_price_or_ppn_change_leaves_an_old_job_card_as_it_was(booking, oil, service_a, branch_a):
    services.job_line_add(booking=booking, by=service_a, product=oil.public_id, quantity=Decimal(2))
    BranchPrice.objects.filter(branch=branch_a, product=oil).update(price=Decimal(80_000))
    Product.objects.filter(pk=oil.pk).update(unit_price=Decimal(90_000), name="Oli baru")
    tomorrow = timezone.now() + dt.timedelta(days=1)
    TaxRate.objects.create(tax_class=TaxClass.STANDARD, rate=Decimal(12), valid_from=tomorrow.date())
    old = JobLine.objects.get()
    assert (old.description, old.unit_price, old.tax_rate, old.total) == (
        "Oli mesin 5W-30 1 liter", Decimal(60_000), Decimal(11), Decimal(133_200))
    # A line added from tomorrow on takes the new price and rate; the old one is untouched.
    new = services.job_line_add(booking=booking, by=service_a, product=oil.public_id, quantity=Decimal(1),
                                now=tomorrow + dt.timedelta(hours=12))
    assert (new.unit_price, new.tax_rate, new.tax, new.total) == (
        Decimal(80_000), Decimal(12), Decimal(9_600), Decimal(89_600))
    booking.refresh_from_db()
    assert booking.lines_total == Decimal(133_200 + 89_600)
    visit = selectors.vehicle_history(booking.asset)["visits"][0]
    assert visit.total == Decimal(133_200 + 89_600)


def test_the_ppn_is_rounded_to_whole_rupiah_as_sales_does(booking, oil, service_a, branch_a):
    BranchPrice.objects.filter(branch=branch_a, product=oil).update(price=Decimal(33_333))
    line = services.job_line_add(booking=booking, by=service_a, product=oil.public_id, quantity=Decimal(1))
    assert line.tax == Decimal(3_667) == line_amounts(quantity=1, unit_price=Decimal(33_333),
                                                      tax_rate=Decimal(11)).tax  # 3,666.63, half up


def test_without_a_branch_price_the_list_price_is_taken(booking, oil, service_a, branch_a):
    BranchPrice.objects.filter(product=oil).delete()
    line = services.job_line_add(booking=booking, by=service_a, product=oil.public_id, quantity=Decimal(1))
    assert line.unit_price == Decimal(65_000)


@pytest.mark.parametrize("quantity, field, message", [
    ("1.5", "quantity", "whole units"),
])
def test_a_catalogue_part_is_counted_in_whole_units(booking, oil, service_a, quantity, field, message):
    response = _add(_client(service_a), booking, product=str(oil.public_id), quantity=quantity)
    assert response.status_code == 400
    assert message in " ".join(response.context["line_form"].errors[field])
    assert not JobLine.objects.exists()


def test_a_vehicle_an_inactive_or_unknown_product_is_refused_at_the_field(booking, oil, service_a):
    car = VehicleFactory()
    gone = ProductFactory(category=Product.Category.SPARE_PART, is_active=False)
    client = _client(service_a)
    for product in (str(car.public_id), str(gone.public_id), "00000000-0000-0000-0000-000000000001"):
        response = _add(client, booking, product=product)
        assert response.status_code == 400
        assert "no longer in the catalogue" in " ".join(response.context["line_form"].errors["product"])
    response = _add(client, booking, product="not-a-uuid")
    assert response.status_code == 400 and response.context["line_form"].errors["product"]
    assert not JobLine.objects.exists()


def test_a_day_without_a_ppn_rate_is_said_not_guessed(booking, oil, service_a):
    TaxRate.objects.all().delete()
    response = _add(_client(service_a), booking, product=str(oil.public_id))
    assert response.status_code == 400 and "No PPN rate is set" in response.content.decode()
    assert not JobLine.objects.exists()


def test_free_text_stays_possible_and_needs_a_description(booking, oil, service_a):
    client = _client(service_a)
    assert _add(client, booking, kind="part", description="Baut roda bekas", unit_price="15000").status_code == 302
    line = JobLine.objects.get()
    assert (line.sku, line.tax_rate, line.tax, line.total, line.from_catalogue) == ("", None, 0, 15_000, False)
    response = _add(client, booking, kind="part", description="  ")
    assert response.status_code == 400
    assert "pick a part from the catalogue" in " ".join(response.context["line_form"].errors["description"])
    with pytest.raises(ValidationError):
        services.job_line_add(booking=booking, by=service_a, kind="part", description="")


def test_a_form_shown_again_keeps_the_part_picked(booking, oil, service_a):
    response = _add(_client(service_a), booking, product=str(oil.public_id), quantity="0.5")
    html = response.content.decode()
    assert f'<option value="{oil.public_id}" selected>OLI-5W30-1L · Oli mesin 5W-30 1 liter</option>' in html


# --- the search ---------------------------------------------------------------------------------------
def test_the_search_finds_parts_by_sku_or_name_with_the_branch_price(booking, oil, service_a,
                                                                      django_assert_num_queries):
    filter_ = ProductFactory(sku="FLT-OLI-01", name="Filter oli", category=Product.Category.SPARE_PART,
                             unit_price=Decimal(45_000))
    VehicleFactory(name="Toyota Oli Edition")  # not a part
    ProductFactory(sku="OLI-OLD", name="Oli lama", category=Product.Category.SPARE_PART, is_active=False)
    client = _client(service_a)
    url = reverse("service:part_search", args=[booking.public_id])
    client.get(url, {"q": "oli"})
    # session, user, the user's and groups' permissions, the booking with its relations, the parts
    with django_assert_num_queries(6):
        html = client.get(url, {"q": "oli"}).content.decode()
    assert f'<option value="{oil.public_id}">OLI-5W30-1L · Oli mesin 5W-30 1 liter · Rp 60,000</option>' in html
    assert f'value="{filter_.public_id}"' in html and "Rp 45,000" in html
    assert "Toyota" not in html and "OLI-OLD" not in html and "2 parts found" in html
    by_sku = client.get(url, {"q": "flt-oli"}).content.decode()
    assert str(filter_.public_id) in by_sku and str(oil.public_id) not in by_sku
    assert "No part found" in client.get(url, {"q": "rem cakram"}).content.decode()
    with django_assert_num_queries(5):  # one letter: no search
        assert "option" in client.get(url, {"q": "o"}).content.decode()


def test_the_search_is_refused_to_anonymous_other_branch_no_role_and_posts(booking, oil, service_b, readonly_a,
                                                                          no_role_a, service_a):
    url = reverse("service:part_search", args=[booking.public_id])
    assert Client().get(url, {"q": "oli"})["Location"].startswith(reverse("login"))
    assert _client(service_b).get(url, {"q": "oli"}).status_code == 404
    assert _client(no_role_a).get(url, {"q": "oli"}).status_code == 403
    assert _client(service_a).post(url, {"q": "oli"}).status_code == 405
    # A reader of the job card reads the catalogue too; adding the line is the change.
    assert _client(readonly_a).get(url, {"q": "oli"}).status_code == 200
    assert _add(_client(readonly_a), booking, product=str(oil.public_id)).status_code == 403


def test_the_job_card_offers_the_catalogue_search(booking, oil, service_a):
    html = _client(service_a).get(booking.get_absolute_url()).content.decode()
    assert 'id="part-picker"' in html
    assert f'hx-get="{reverse("service:part_search", args=[booking.public_id])}"' in html


def test_without_the_sales_app_parts_are_free_text_only(booking, oil, service_a, monkeypatch):
    monkeypatch.setattr(parts, "catalogue_installed", lambda: False)
    client = _client(service_a)
    assert 'id="part-picker"' not in client.get(booking.get_absolute_url()).content.decode()
    assert client.get(reverse("service:part_search", args=[booking.public_id]), {"q": "oli"}).status_code == 404
    # A product posted anyway is not a field: the line needs its description.
    response = _add(client, booking, product=str(oil.public_id))
    assert response.status_code == 400 and "description" in response.context["line_form"].errors
