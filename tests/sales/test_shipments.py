"""Shipments: shipped and delivered move the order; delivery gives the customer the vehicle as
an asset; a late shipment notifies the clerks and the owner once."""

import datetime as dt

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Department, Notification
from crm.models import Asset
from sales import orders
from sales.models import SalesOrder, Shipment
from tests.factories import UserFactory
from tests.sales.factories_orders import SalesOrderFactory, ShipmentFactory, VehicleFactory

pytestmark = pytest.mark.django_db
S = SalesOrder.Status
VIN = "MHKA1BA1JNK012345"


def invoiced(order, by=None):
    orders.order_advance(order=order, by=by, to=S.ALLOCATED, vin=VIN)
    orders.order_advance(order=order, by=by, to=S.INVOICED)
    return order


@pytest.fixture
def vehicle_order(branch_a, sales_a):
    return SalesOrderFactory(branch=branch_a, by=sales_a, vehicle=VehicleFactory(warranty_months=36))


def test_it_ships_and_delivers_and_the_vehicle_becomes_an_asset(vehicle_order, manager_a):
    order = invoiced(vehicle_order)
    shipment = ShipmentFactory(order=order, tracking_number="DRV-0001")
    orders.shipment_ship(shipment=shipment, by=manager_a)
    order.refresh_from_db()
    assert (order.status, Shipment.objects.get().status) == (S.SHIPPED, Shipment.Status.IN_TRANSIT)
    orders.shipment_deliver(shipment=shipment, by=manager_a, receiver_name="  Budi   Santoso ")
    order.refresh_from_db()
    shipment.refresh_from_db()
    assert (order.status, shipment.status, shipment.receiver_name) == (S.DELIVERED, Shipment.Status.DELIVERED,
                                                                      "Budi Santoso")
    today = timezone.localdate()
    asset = Asset.objects.get(customer=order.customer)
    assert (asset.make, asset.model, asset.vin, asset.purchase_date, asset.warranty_end) == (
        "Toyota", "Avanza", VIN, today, today + relativedelta(months=36))
    assert list(order.events.values_list("to_status", flat=True).order_by("id")) == [
        S.CONFIRMED, S.ALLOCATED, S.INVOICED, S.SHIPPED, S.DELIVERED]
    orders.order_advance(order=order, by=manager_a, to=S.CLOSED)
    assert SalesOrder.objects.get(pk=order.pk).status == S.CLOSED


def test_it_makes_no_asset_for_an_order_without_a_vehicle(branch_a):
    order = SalesOrderFactory(branch=branch_a)
    orders.order_advance(order=order, by=None, to=S.ALLOCATED)
    orders.order_advance(order=order, by=None, to=S.INVOICED)
    shipment = ShipmentFactory(order=order)
    orders.shipment_ship(shipment=shipment, by=None)
    orders.shipment_deliver(shipment=shipment, by=None, receiver_name="Satpam")
    assert not Asset.objects.exists()


def test_it_refuses_to_ship_a_cancelled_or_uninvoiced_order(vehicle_order):
    shipment = ShipmentFactory(order=vehicle_order)
    with pytest.raises(ValidationError, match="Invoice the order"):
        orders.shipment_ship(shipment=shipment, by=None)
    orders.order_cancel(order=vehicle_order, by=None, reason="Batal beli")
    with pytest.raises(ValidationError, match="cancelled order cannot be shipped"):
        orders.shipment_ship(shipment=shipment, by=None)
    assert Shipment.objects.get().status == Shipment.Status.PLANNED


def test_it_refuses_a_second_shipment_and_a_delivery_without_receiver(vehicle_order):
    order = invoiced(vehicle_order)
    shipment = ShipmentFactory(order=order)
    with pytest.raises(ValidationError, match="already has"):
        ShipmentFactory(order=order)
    with pytest.raises(ValidationError, match="in transit"):
        orders.shipment_deliver(shipment=shipment, by=None, receiver_name="Budi")
    orders.shipment_ship(shipment=shipment, by=None)
    with pytest.raises(ValidationError, match="already on its way"):
        orders.shipment_ship(shipment=shipment, by=None)
    with pytest.raises(ValidationError) as exc:
        orders.shipment_deliver(shipment=shipment, by=None, receiver_name="   ")
    assert "receiver_name" in exc.value.message_dict
    assert Shipment.objects.get().status == Shipment.Status.IN_TRANSIT and not Asset.objects.exists()


def test_it_requires_the_carriers_name(vehicle_order):
    with pytest.raises(ValidationError) as exc:
        orders.shipment_create(order=vehicle_order, by=None, method="carrier", promised_date=timezone.localdate())
    assert "carrier" in exc.value.message_dict


def test_it_notifies_a_late_shipment_once(vehicle_order, sales_a, branch_a, branch_b):
    clerk = UserFactory(branch=branch_a, department=Department.SHIPMENT)
    UserFactory(branch=branch_b, department=Department.SHIPMENT)  # another branch's clerk: not told
    today = timezone.localdate()
    late = ShipmentFactory(order=vehicle_order, promised_date=today - dt.timedelta(days=1))
    ShipmentFactory(order=SalesOrderFactory(branch=branch_a), promised_date=today)  # due today: not late
    assert orders.shipments_notify_late(today) == 1
    assert orders.shipments_notify_late(today) == 0
    assert orders.shipments_notify_late(today + dt.timedelta(days=3)) == 1  # the other one, later
    told = Notification.objects.filter(verb=orders.SHIPMENT_LATE, target_id=vehicle_order.pk)
    assert sorted(told.values_list("recipient_id", flat=True)) == sorted([clerk.pk, sales_a.pk])
    late.refresh_from_db()
    assert late.late_notified_at is not None


def test_it_does_not_notify_a_delivered_shipment(vehicle_order):
    order = invoiced(vehicle_order)
    shipment = ShipmentFactory(order=order, promised_date=timezone.localdate())
    orders.shipment_ship(shipment=shipment, by=None)
    orders.shipment_deliver(shipment=shipment, by=None, receiver_name="Budi")
    assert orders.shipments_notify_late(timezone.localdate() + dt.timedelta(days=5)) == 0


def test_it_sorts_the_queue(branch_a, manager_a, staff_b, django_assert_num_queries):
    today = timezone.localdate()
    late = ShipmentFactory(order=SalesOrderFactory(branch=branch_a), promised_date=today - dt.timedelta(days=2))
    due = ShipmentFactory(order=SalesOrderFactory(branch=branch_a), promised_date=today)
    moving_order = invoiced(SalesOrderFactory(branch=branch_a))
    moving = ShipmentFactory(order=moving_order, promised_date=today + dt.timedelta(days=2))
    orders.shipment_ship(shipment=moving, by=None)
    planned = ShipmentFactory(order=SalesOrderFactory(branch=branch_a), promised_date=today + dt.timedelta(days=5))
    with django_assert_num_queries(1):
        queue = orders.shipment_queue(manager_a, today)
        groups = {key: [s.pk for s in rows] for key, rows in queue["groups"].items()}
        names = [s.order.customer.name for rows in queue["groups"].values() for s in rows]
    assert groups == {"late": [late.pk], "today": [due.pk], "in_transit": [moving.pk], "planned": [planned.pk]}
    assert len(names) == 4
    assert orders.shipment_queue(staff_b, today)["count"] == 0
