"""The shipment queue and its two-tap buttons: scoping, roles, methods, pinned query count."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from crm.models import Asset
from sales import orders
from sales.models import SalesOrder, Shipment
from tests.factories import UserFactory
from tests.sales.factories_orders import SalesOrderFactory, ShipmentFactory, VehicleFactory

pytestmark = pytest.mark.django_db
S = SalesOrder.Status


@pytest.fixture
def clerk_a(branch_a):
    return UserFactory(branch=branch_a, department=Department.SHIPMENT)


def invoiced_shipment(branch, promised=0, vehicle=False):
    order = SalesOrderFactory(branch=branch, vehicle=VehicleFactory() if vehicle else None)
    orders.order_advance(order=order, by=None, to=S.ALLOCATED, vin="MHKA1BA1JNK012345" if vehicle else "")
    orders.order_advance(order=order, by=None, to=S.INVOICED)
    return ShipmentFactory(order=order, promised_date=timezone.localdate() + dt.timedelta(days=promised))


def test_a_clerk_ships_and_delivers_from_the_queue_in_two_taps(client, clerk_a, branch_a):
    shipment = invoiced_shipment(branch_a, promised=-1, vehicle=True)
    client.force_login(clerk_a)
    queue = reverse("sales:shipment_queue")
    page = client.get(queue)
    assert page.status_code == 200 and shipment in page.context["groups"]["late"]
    tap1 = client.post(reverse("sales:shipment_ship", args=[shipment.public_id]), {"next": queue})
    assert tap1.status_code == 302 and tap1["Location"] == queue
    tap2 = client.post(reverse("sales:shipment_deliver", args=[shipment.public_id]),
                       {"next": queue, "receiver_name": "Budi"})
    assert tap2.status_code == 302 and tap2["Location"] == queue
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED and SalesOrder.objects.get().status == S.DELIVERED
    assert Asset.objects.filter(customer=shipment.order.customer).count() == 1
    assert client.get(queue).context["count"] == 0


def test_it_says_what_is_wrong_and_changes_nothing(client, clerk_a, branch_a):
    shipment = ShipmentFactory(order=SalesOrderFactory(branch=branch_a))  # not invoiced yet
    client.force_login(clerk_a)
    response = client.post(reverse("sales:shipment_ship", args=[shipment.public_id]), follow=True)
    assert "Invoice the order before it is shipped" in response.content.decode()
    no_name = client.post(reverse("sales:shipment_deliver", args=[shipment.public_id]), {"receiver_name": ""},
                          follow=True)
    assert "Write who received it" in no_name.content.decode()
    assert Shipment.objects.get().status == Shipment.Status.PLANNED


def test_it_never_follows_a_next_to_another_site(client, clerk_a, branch_a):
    shipment = invoiced_shipment(branch_a)
    client.force_login(clerk_a)
    response = client.post(reverse("sales:shipment_ship", args=[shipment.public_id]),
                           {"next": "https://evil.example/"})
    assert response["Location"] == shipment.get_absolute_url()


@pytest.mark.parametrize("name", ["shipment_ship", "shipment_deliver"])
def test_another_branch_gets_404(client, branch_a, branch_b, name):
    shipment = invoiced_shipment(branch_a)
    clerk_b = UserFactory(branch=branch_b, department=Department.SHIPMENT)
    client.force_login(clerk_b)
    assert client.post(reverse(f"sales:{name}", args=[shipment.public_id]),
                       {"receiver_name": "X"}).status_code == 404
    assert Shipment.objects.get().status == Shipment.Status.PLANNED
    assert shipment.order.number not in client.get(reverse("sales:shipment_queue")).content.decode()


@pytest.mark.parametrize("name", ["shipment_ship", "shipment_deliver"])
def test_sales_staff_may_not_ship(client, sales_a, branch_a, name):
    shipment = invoiced_shipment(branch_a)
    client.force_login(sales_a)
    assert client.get(reverse("sales:shipment_queue")).status_code == 200  # they may look
    assert client.post(reverse(f"sales:{name}", args=[shipment.public_id]),
                       {"receiver_name": "X"}).status_code == 403
    assert Shipment.objects.get().status == Shipment.Status.PLANNED


@pytest.mark.parametrize("name", ["shipment_ship", "shipment_deliver"])
def test_anonymous_goes_to_login_and_get_is_405(client, clerk_a, branch_a, name):
    shipment = invoiced_shipment(branch_a)
    url = reverse(f"sales:{name}", args=[shipment.public_id])
    response = client.post(url)
    assert response.status_code == 302 and "/login" in response["Location"]
    client.force_login(clerk_a)
    assert client.get(url).status_code == 405


def test_quality_control_gets_403(client, readonly_a):
    client.force_login(readonly_a)
    assert client.get(reverse("sales:shipment_queue")).status_code == 403


@pytest.mark.parametrize("rows", [2, 20])
def test_the_queue_costs_the_same_with_more_rows(client, clerk_a, branch_a, rows, django_assert_num_queries):
    for n in range(rows):
        ShipmentFactory(order=SalesOrderFactory(branch=branch_a),
                        promised_date=timezone.localdate() + dt.timedelta(days=n % 4 - 1))
    client.force_login(clerk_a)
    # session, user, perms ×2, the open shipments (order, customer, branch joined)
    with django_assert_num_queries(5):
        response = client.get(reverse("sales:shipment_queue"))
    assert response.status_code == 200 and response.context["count"] == rows


# --- the hand-over photo ------------------------------------------------------------------------
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def files_root(settings, tmp_path):
    settings.SALES_FILES_ROOT = tmp_path
    return tmp_path


def in_transit(branch):
    shipment = invoiced_shipment(branch)
    orders.shipment_ship(shipment=shipment, by=None)
    return shipment


def test_a_photo_of_the_hand_over_is_kept_and_shown_only_to_the_branch(client, clerk_a, branch_a, branch_b,
                                                                        files_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    shipment = in_transit(branch_a)
    client.force_login(clerk_a)
    photo = SimpleUploadedFile("serah-terima.png", PNG, content_type="image/png")
    response = client.post(reverse("sales:shipment_deliver", args=[shipment.public_id]),
                           {"receiver_name": "Budi", "photo": photo})
    assert response.status_code == 302
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.DELIVERED and shipment.proof_content_type == "image/png"
    assert (files_root / shipment.proof_photo.name).read_bytes() == PNG  # outside the web root
    proof = reverse("sales:shipment_proof", args=[shipment.public_id])
    download = client.get(proof)
    assert download.status_code == 200 and download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG and download["Cache-Control"] == "private, no-store"
    assert proof in client.get(shipment.order.get_absolute_url()).content.decode()
    client.force_login(UserFactory(branch=branch_b, department=Department.SHIPMENT))
    assert client.get(proof).status_code == 404
    client.logout()
    assert client.get(proof).status_code == 302


def test_it_refuses_a_photo_that_is_not_one_and_changes_nothing(client, clerk_a, branch_a, files_root):
    from django.core.files.uploadedfile import SimpleUploadedFile

    shipment = in_transit(branch_a)
    client.force_login(clerk_a)
    fake = SimpleUploadedFile("foto.jpg", b"#!/bin/sh\necho hi\n", content_type="image/jpeg")
    response = client.post(reverse("sales:shipment_deliver", args=[shipment.public_id]),
                           {"receiver_name": "Budi", "photo": fake}, follow=True)
    assert response.status_code == 200 and shipment.order.number in response.content.decode()
    shipment.refresh_from_db()
    assert shipment.status == Shipment.Status.IN_TRANSIT and not shipment.proof_photo
    assert not any(files_root.rglob("*.*"))


def test_a_delivery_without_photo_says_so(client, clerk_a, branch_a, files_root):
    shipment = in_transit(branch_a)
    orders.shipment_deliver(shipment=shipment, by=None, receiver_name="Budi")
    client.force_login(clerk_a)
    response = client.get(reverse("sales:shipment_proof", args=[shipment.public_id]))
    assert response.status_code == 200 and "No photo was taken" in response.content.decode()
