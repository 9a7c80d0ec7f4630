"""Order pages: the status flow, payments and the delivery plan through the forms; bad input at
the field; scoping, roles and methods; pinned query counts."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from sales.models import OrderEvent, Payment, PaymentDue, SalesOrder, Shipment
from tests.factories import UserFactory
from tests.sales.factories_orders import SalesOrderFactory, ShipmentFactory, VehicleFactory

pytestmark = pytest.mark.django_db
S = SalesOrder.Status
VIN = "MHKA1BA1JNK012345"


@pytest.fixture
def order_a(branch_a, sales_a, customer_a):
    from tests.sales.factories import OpportunityFactory
    opportunity = OpportunityFactory(branch=branch_a, customer=customer_a, owner=sales_a)
    return SalesOrderFactory(branch=branch_a, by=sales_a, vehicle=VehicleFactory(), opportunity=opportunity)


@pytest.fixture
def clerk_a(branch_a):
    return UserFactory(branch=branch_a, department=Department.SHIPMENT)


def day(offset=0) -> str:
    return (timezone.localdate() + dt.timedelta(days=offset)).strftime("%d/%m/%Y")


def test_it_moves_the_order_through_its_steps(client, sales_a, order_a):
    client.force_login(sales_a)
    url = reverse("sales:order_advance", args=[order_a.public_id])
    page = client.get(order_a.get_absolute_url())
    assert page.status_code == 200 and order_a.number in page.content.decode()
    bad = client.post(url, {"to": "allocated", "vin": "MHKA1BA1JNK0123O5"})
    assert bad.status_code == 400 and "17 letters" in " ".join(bad.context["advance_form"].errors["vin"])
    assert client.post(url, {"to": "allocated", "vin": VIN}).status_code == 302
    assert client.post(url, {"to": "invoiced"}).status_code == 302
    skip = client.post(url, {"to": "closed"})
    assert skip.status_code == 400 and "cannot become" in skip.content.decode()
    order_a.refresh_from_db()
    assert (order_a.status, order_a.vin) == (S.INVOICED, VIN)
    assert OrderEvent.objects.filter(order=order_a).count() == 3


def test_it_cancels_with_a_reason_and_then_refuses_a_shipment(client, sales_a, order_a):
    client.force_login(sales_a)
    url = reverse("sales:order_cancel", args=[order_a.public_id])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "Leasing ditolak"}).status_code == 302
    response = client.post(reverse("sales:order_shipment_create", args=[order_a.public_id]),
                           {"method": "own_driver", "promised_date": day(3)})
    assert response.status_code == 400 and "cancelled order cannot be shipped" in response.content.decode()
    assert not Shipment.objects.exists()


def test_it_keeps_the_payment_schedule_through_the_forms(client, sales_a, order_a):
    client.force_login(sales_a)
    due_url = reverse("sales:order_payment_due_add", args=[order_a.public_id])
    bad = client.post(due_url, {"kind": "down_payment", "due_date": day(), "amount": "1000.50"})
    assert bad.status_code == 400 and "amount" in bad.context["due_form"].errors
    too_much = client.post(due_url, {"kind": "down_payment", "due_date": day(), "amount": str(order_a.total + 1)})
    assert too_much.status_code == 400
    assert "more than the order" in " ".join(too_much.context["due_form"].errors["amount"])
    assert client.post(due_url, {"kind": "down_payment", "due_date": day(-1), "amount": "50000000"}).status_code == 302
    due = PaymentDue.objects.get()
    page = client.get(order_a.get_absolute_url()).content.decode()
    assert "overdue" in page
    pay_url = reverse("sales:order_payment_record", args=[order_a.public_id])
    over = client.post(pay_url, {"due": due.pk, "amount": "50000001", "paid_on": day(), "method": "transfer"})
    assert over.status_code == 400 and "still due" in " ".join(over.context["payment_form"].errors["amount"])
    assert client.post(pay_url, {"due": due.pk, "amount": "50000000", "paid_on": day(), "method": "transfer",
                                 "reference": "TRF 123"}).status_code == 302
    due.refresh_from_db()
    assert due.paid_at is not None and Payment.objects.get().reference == "TRF 123"


def test_it_plans_the_delivery(client, sales_a, order_a):
    client.force_login(sales_a)
    url = reverse("sales:order_shipment_create", args=[order_a.public_id])
    missing = client.post(url, {"method": "carrier", "promised_date": day(2)})
    assert missing.status_code == 400 and "carrier" in missing.context["shipment_form"].errors
    assert client.post(url, {"method": "carrier", "carrier": "Car Carrier Jaya", "tracking_number": "CCJ-1",
                             "promised_date": day(2)}).status_code == 302
    assert Shipment.objects.get().carrier == "Car Carrier Jaya"


# --- access -------------------------------------------------------------------------------------
POSTS = ["order_advance", "order_cancel", "order_payment_due_add", "order_payment_record", "order_shipment_create"]


@pytest.mark.parametrize("name", POSTS + ["order_detail"])
def test_another_branch_gets_404(client, staff_b, order_a, name):
    client.force_login(staff_b)
    url = reverse(f"sales:{name}", args=[order_a.public_id])
    data = {"to": "allocated", "vin": VIN, "reason": "x", "kind": "full", "due_date": day(), "amount": "1",
            "method": "own_driver", "promised_date": day()}
    assert (client.get(url) if name == "order_detail" else client.post(url, data)).status_code == 404
    order_a.refresh_from_db()
    assert order_a.status == S.CONFIRMED and not PaymentDue.objects.exists() and not Shipment.objects.exists()


@pytest.mark.parametrize("name", POSTS + ["order_detail"])
def test_anonymous_goes_to_login(client, order_a, name):
    url = reverse(f"sales:{name}", args=[order_a.public_id])
    response = client.get(url) if name == "order_detail" else client.post(url)
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("name", ["order_advance", "order_cancel", "order_payment_due_add", "order_payment_record"])
def test_the_shipment_department_may_read_but_not_change_orders(client, clerk_a, order_a, name):
    client.force_login(clerk_a)
    assert client.get(order_a.get_absolute_url()).status_code == 200
    assert client.post(reverse(f"sales:{name}", args=[order_a.public_id]),
                       {"to": "allocated", "vin": VIN, "reason": "x"}).status_code == 403
    order_a.refresh_from_db()
    assert order_a.status == S.CONFIRMED


def test_quality_control_gets_403(client, readonly_a, order_a):
    client.force_login(readonly_a)
    assert client.get(order_a.get_absolute_url()).status_code == 403
    assert client.get(reverse("sales:order_list")).status_code == 403


@pytest.mark.parametrize("name", POSTS)
def test_get_on_a_post_only_url_is_405(client, sales_a, order_a, name):
    client.force_login(sales_a)
    assert client.get(reverse(f"sales:{name}", args=[order_a.public_id])).status_code == 405


def test_the_order_list_is_branch_scoped(client, sales_a, staff_b, head_office_user, order_a, branch_b):
    other = SalesOrderFactory(branch=branch_b)
    client.force_login(staff_b)
    html = client.get(reverse("sales:order_list")).content.decode()
    assert other.number in html and order_a.number not in html
    client.force_login(head_office_user)
    html = client.get(reverse("sales:order_list"), {"status": "all"}).content.decode()
    assert other.number in html and order_a.number in html


@pytest.mark.parametrize("rows", [3, 30])
def test_the_order_list_costs_the_same_with_more_rows(client, sales_a, branch_a, rows, django_assert_num_queries):
    for n in range(rows):
        order = SalesOrderFactory(branch=branch_a)
        PaymentDue.objects.create(order=order, kind="full", due_date=timezone.localdate(), amount=order.total)
        if n % 2:
            ShipmentFactory(order=order)
    client.force_login(sales_a)
    # session, user, perms ×2, the page of orders (customer, branch, owner, shipment joined;
    # scheduled, paid and overdue as subqueries)
    with django_assert_num_queries(5):
        response = client.get(reverse("sales:order_list"))
    assert response.status_code == 200 and len(response.context["page"].items) == min(rows, 50)


@pytest.mark.parametrize("rows", [1, 8])
def test_the_order_page_costs_the_same_with_more_rows(client, sales_a, order_a, rows, django_assert_num_queries):
    for _ in range(rows):
        due = PaymentDue.objects.create(order=order_a, kind="instalment", due_date=timezone.localdate(),
                                        amount=Decimal(1000))
        Payment.objects.create(order=order_a, due=due, amount=Decimal(500), paid_on=timezone.localdate())
    client.force_login(sales_a)
    # session, user, perms ×2, the order (+joins), lines, events (+by), its vehicles by VIN (+line),
    # dues, payments (+due, by), shipment (the payment form's options come from the dues already read)
    with django_assert_num_queries(11):
        assert client.get(order_a.get_absolute_url()).status_code == 200
