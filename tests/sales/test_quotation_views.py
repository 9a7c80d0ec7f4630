"""Catalogue and quotation pages: happy paths, bad input at the field, scoping, roles, methods."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from crm.formatting import format_rupiah
from sales.models import BranchPrice, Quotation, QuotationLine, SalesOrder
from tests.factories import UserFactory
from tests.sales.factories import OpportunityFactory
from tests.sales.factories_orders import ProductFactory, QuotationFactory, VehicleFactory

pytestmark = pytest.mark.django_db


def rp(amount) -> str:
    """As the (English-speaking) test staff read amounts."""
    return format_rupiah(amount, language="en")


@pytest.fixture
def opportunity_a(branch_a, customer_a, sales_a):
    return OpportunityFactory(branch=branch_a, customer=customer_a, owner=sales_a)


@pytest.fixture
def quotation_a(branch_a, opportunity_a, sales_a):
    return QuotationFactory(branch=branch_a, opportunity=opportunity_a, by=sales_a)


@pytest.fixture
def shipment_clerk_a(branch_a):
    return UserFactory(branch=branch_a, department=Department.SHIPMENT)


def management(prefix="lines", total=4):
    return {f"{prefix}-TOTAL_FORMS": str(total), f"{prefix}-INITIAL_FORMS": "0", f"{prefix}-MIN_NUM_FORMS": "0",
            f"{prefix}-MAX_NUM_FORMS": "30"}


def form_data(**lines):
    today = timezone.localdate()
    data = {"price_basis": "otr", "quote_date": today.strftime("%d/%m/%Y"),
            "valid_until": (today + dt.timedelta(days=14)).strftime("%d/%m/%Y"), "notes": "", **management()}
    for key, value in lines.items():
        data[f"lines-{key}"] = value
    return data


# --- create and change --------------------------------------------------------------------------
def test_it_creates_a_quotation_from_an_opportunity(client, sales_a, branch_a, opportunity_a):
    vehicle = VehicleFactory(unit_price=Decimal(250_000_000))
    BranchPrice.objects.create(branch=branch_a, product=vehicle, price=Decimal(245_000_000))
    film = ProductFactory(name="Kaca film", unit_price=Decimal(4_500_000))
    client.force_login(sales_a)
    url = reverse("sales:quotation_create", args=[opportunity_a.public_id])
    assert client.get(url).status_code == 200
    data = form_data(**{"0-product": film.pk, "0-quantity": "1", "0-discount_amount": "500000",
                        "1-description": "Biaya STNK", "1-quantity": "1", "1-unit_price": "3500000"})
    data["vehicle"] = vehicle.pk
    response = client.post(url, data)
    quotation = Quotation.objects.get()
    assert response.status_code == 302 and response["Location"] == quotation.get_absolute_url()
    lines = list(quotation.lines.order_by("position").values_list("description", "unit_price", "tax", "total"))
    # the vehicle at the branch's price (12%), the film less Rp 500.000 (11%), free text (11%)
    assert lines == [(vehicle.name, Decimal(245_000_000), Decimal(29_400_000), Decimal(274_400_000)),
                     ("Kaca film", Decimal(4_500_000), Decimal(440_000), Decimal(4_440_000)),
                     ("Biaya STNK", Decimal(3_500_000), Decimal(385_000), Decimal(3_885_000))]
    assert quotation.total == Decimal(274_400_000 + 4_440_000 + 3_885_000)
    page = client.get(quotation.get_absolute_url()).content.decode()
    assert rp(282_725_000) in page and quotation.number in page


@pytest.mark.parametrize("line, field, message", [
    ({"0-description": "Karpet", "0-quantity": "-2", "0-unit_price": "100000"}, "quantity", "at least 1"),
    ({"0-description": "Karpet", "0-quantity": "1", "0-unit_price": "1250000.125"}, "unit_price", "whole rupiah"),
    ({"0-description": "Karpet", "0-quantity": "1", "0-unit_price": "100000", "0-discount_amount": "100001"},
     "discount_amount", "more than the line"),
    ({"0-description": "Karpet", "0-quantity": "2", "0-unit_price": "100000", "0-discount_percent": "120"},
     "discount_percent", "between 0 and 100 percent"),
    ({"0-description": "Karpet", "0-quantity": "1"}, "unit_price", "price of a free-text line"),
    ({}, None, "at least one line"),
])
def test_it_shows_bad_lines_at_the_field_and_saves_nothing(client, sales_a, opportunity_a, line, field, message):
    client.force_login(sales_a)
    response = client.post(reverse("sales:quotation_create", args=[opportunity_a.public_id]), form_data(**line))
    assert response.status_code == 400
    if field:
        assert message in " ".join(response.context["formset"].forms[0].errors[field])
    else:
        assert message in " ".join(response.context["formset"].non_form_errors())
    assert not Quotation.objects.exists() and not QuotationLine.objects.exists()


def test_it_refuses_a_validity_before_the_date(client, sales_a, opportunity_a):
    client.force_login(sales_a)
    data = form_data(**{"0-description": "Karpet", "0-quantity": "1", "0-unit_price": "100000"})
    data["valid_until"] = "01/01/2020"
    response = client.post(reverse("sales:quotation_create", args=[opportunity_a.public_id]), data)
    assert response.status_code == 400 and "valid_until" in response.context["form"].errors
    assert not Quotation.objects.exists()


def test_it_changes_a_draft_only(client, sales_a, quotation_a):
    client.force_login(sales_a)
    url = reverse("sales:quotation_edit", args=[quotation_a.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, form_data(**{"0-description": "Kaca film", "0-quantity": "2",
                                             "0-unit_price": "1000000"}))
    assert response.status_code == 302
    quotation_a.refresh_from_db()
    assert quotation_a.total == Decimal(2_220_000) and quotation_a.lines.count() == 1
    client.post(reverse("sales:quotation_send", args=[quotation_a.public_id]))
    assert client.get(url).status_code == 302  # sent: revise instead


# --- the customer's answer ----------------------------------------------------------------------
def test_it_accepts_once_and_goes_to_the_order(client, sales_a, quotation_a):
    client.force_login(sales_a)
    url = reverse("sales:quotation_accept", args=[quotation_a.public_id])
    first = client.post(url, {"confirm": "yes"})
    order = SalesOrder.objects.get()
    assert first.status_code == 302 and first["Location"] == order.get_absolute_url()
    second = client.post(url, {"confirm": "yes"})  # a double click
    assert second.status_code == 302 and second["Location"] == order.get_absolute_url()
    assert SalesOrder.objects.count() == 1 and order.events.count() == 1


def test_an_empty_accept_changes_nothing(client, sales_a, quotation_a):
    client.force_login(sales_a)
    response = client.post(reverse("sales:quotation_accept", args=[quotation_a.public_id]))
    assert response.status_code == 400 and "Press the button" in response.content.decode()
    assert not SalesOrder.objects.exists()


def test_it_rejects_with_a_reason(client, sales_a, quotation_a):
    client.force_login(sales_a)
    url = reverse("sales:quotation_reject", args=[quotation_a.public_id])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Pilih merek lain"}).status_code == 302
    quotation_a.refresh_from_db()
    assert (quotation_a.status, quotation_a.reject_reason) == ("rejected", "Pilih merek lain")


def test_it_revises_and_keeps_the_old_one(client, sales_a, quotation_a):
    client.force_login(sales_a)
    response = client.post(reverse("sales:quotation_revise", args=[quotation_a.public_id]), {"confirm": "yes"})
    new = Quotation.objects.exclude(pk=quotation_a.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("sales:quotation_edit",
                                                                           args=[new.public_id])
    old_page = client.get(quotation_a.get_absolute_url()).content.decode()
    assert new.display_number in old_page and "Replaced by a revision" in old_page


def test_it_downloads_the_pdf(client, sales_a, quotation_a):
    client.force_login(sales_a)
    response = client.get(reverse("sales:quotation_pdf", args=[quotation_a.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]


# --- access -------------------------------------------------------------------------------------
POSTS = ["quotation_send", "quotation_revise", "quotation_accept", "quotation_reject"]
GETS = ["quotation_detail", "quotation_edit", "quotation_pdf"]


@pytest.mark.parametrize("name", POSTS + GETS)
def test_another_branch_gets_404(client, staff_b, quotation_a, name):
    client.force_login(staff_b)
    url = reverse(f"sales:{name}", args=[quotation_a.public_id])
    method = client.post if name in POSTS else client.get
    assert method(url, {"confirm": "yes", "reason": "x"}).status_code == 404
    quotation_a.refresh_from_db()
    assert quotation_a.status == "draft" and not SalesOrder.objects.exists()


def test_another_branch_cannot_quote_on_our_opportunity(client, staff_b, opportunity_a):
    client.force_login(staff_b)
    assert client.get(reverse("sales:quotation_create", args=[opportunity_a.public_id])).status_code == 404


@pytest.mark.parametrize("name", POSTS + GETS)
def test_anonymous_goes_to_login(client, quotation_a, name):
    url = reverse(f"sales:{name}", args=[quotation_a.public_id])
    response = (client.post if name in POSTS else client.get)(url)
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("name", POSTS)
def test_a_role_that_may_not_quote_gets_403(client, shipment_clerk_a, quotation_a, name):
    client.force_login(shipment_clerk_a)  # reads orders, not quotations
    assert client.post(reverse(f"sales:{name}", args=[quotation_a.public_id]),
                       {"confirm": "yes", "reason": "x"}).status_code == 403
    quotation_a.refresh_from_db()
    assert quotation_a.status == "draft"


def test_quality_control_gets_403(client, readonly_a, quotation_a, opportunity_a):
    client.force_login(readonly_a)
    assert client.get(quotation_a.get_absolute_url()).status_code == 403
    assert client.get(reverse("sales:quotation_list")).status_code == 403


@pytest.mark.parametrize("name", POSTS)
def test_get_on_a_post_only_url_is_405(client, sales_a, quotation_a, name):
    client.force_login(sales_a)
    assert client.get(reverse(f"sales:{name}", args=[quotation_a.public_id])).status_code == 405


@pytest.mark.parametrize("rows", [3, 30])
def test_the_quotation_list_costs_the_same_with_more_rows(client, sales_a, branch_a, rows,
                                                          django_assert_num_queries):
    for _ in range(rows):
        QuotationFactory(branch=branch_a)
    client.force_login(sales_a)
    # session, user, perms ×2, the page of quotations (customer, branch, opportunity joined)
    with django_assert_num_queries(5):
        assert client.get(reverse("sales:quotation_list")).status_code == 200


@pytest.mark.parametrize("rows", [1, 10])
def test_the_quotation_page_costs_the_same_with_more_lines(client, sales_a, branch_a, rows,
                                                           django_assert_num_queries):
    from sales.quotations import LineInput
    quotation = QuotationFactory(branch=branch_a, lines=[
        LineInput(description=f"Baris {n}", quantity=1, unit_price=Decimal(1000), product=ProductFactory())
        for n in range(rows)])
    client.force_login(sales_a)
    # session, user, perms ×2, the quotation (+joins), its lines (+product), its other revisions,
    # its email (if it was sent by email)
    with django_assert_num_queries(8):
        assert client.get(quotation.get_absolute_url()).status_code == 200


def test_changing_a_draft_keeps_the_vehicle_line_and_its_discount(client, sales_a, branch_a, opportunity_a):
    from sales.quotations import LineInput
    vehicle = VehicleFactory(unit_price=Decimal(250_000_000))
    quotation = QuotationFactory(branch=branch_a, opportunity=opportunity_a, vehicle=vehicle, lines=[
        LineInput(description=vehicle.name, quantity=1, unit_price=Decimal(250_000_000), product=vehicle,
                  discount_amount=Decimal(5_000_000))])
    client.force_login(sales_a)
    url = reverse("sales:quotation_edit", args=[quotation.public_id])
    formset = client.get(url).context["formset"]
    posted = form_data()
    posted["vehicle"] = vehicle.pk
    # the management form as the page renders it: the stored line is an initial form
    posted.update({f"lines-{k}": v for k, v in formset.management_form.initial.items()})
    for n, form in enumerate(formset.forms):
        for name, value in form.initial.items():
            posted[f"lines-{n}-{name}"] = getattr(value, "pk", value)
    response = client.post(url, posted)
    assert response.status_code == 302
    assert list(quotation.lines.values_list("product", "discount")) == [(vehicle.pk, Decimal(5_000_000))]
