"""Quotation to delivery in a real browser: opportunity → quotation → PDF downloaded → accepted
→ order → payment recorded → allocated, invoiced, delivery planned → shipped and delivered from
the shipment queue on a phone → the vehicle on the customer's 360 page.
Screenshots (and the PDF's first page as a PNG) go to test-artifacts/."""

import io
import shutil
import subprocess

import pytest
from django.utils import timezone
from pypdf import PdfReader

from accounts.models import Department
from crm.models import Asset
from sales.models import Quotation, SalesOrder, Shipment
from tests.browser.conftest import ARTIFACTS, log_in
from tests.factories import UserFactory
from tests.sales.conftest import stages  # noqa: F401 - the pipeline's stages after the flush
from tests.sales.factories import OpportunityFactory
from tests.sales.factories_orders import ProductFactory, VehicleFactory, ensure_tax_rates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
VIN = "MHKA1BA1JNK012345"


def test_a_quotation_becomes_a_delivered_vehicle(page, browser, live_server, sales_a, branch_a, customer_a, password,
                                                 shot, stages, assets_problems):  # noqa: F811
    ensure_tax_rates()
    vehicle = VehicleFactory(name="Toyota Veloz 1.5 Q CVT", model_name="Veloz", unit_price=300_000_000)
    film = ProductFactory(name="Kaca film V-Kool", unit_price=4_500_000)
    opportunity = OpportunityFactory(branch=branch_a, customer=customer_a, owner=sales_a, title="Veloz Q")
    clerk = UserFactory(branch=branch_a, department=Department.SHIPMENT, email="kirim.a@relasi.test")
    today = timezone.localdate().strftime("%d/%m/%Y")

    # The rep quotes on the opportunity.
    log_in(page, live_server, sales_a, password)
    page.goto(f"{live_server.url}{opportunity.get_absolute_url()}")
    page.click("#opp-new-quotation")
    page.select_option("#id_vehicle", str(vehicle.pk))
    page.select_option("#id_lines-0-product", str(film.pk))
    page.fill("#id_lines-0-quantity", "1")
    page.fill("#id_lines-0-discount_amount", "500000")
    shot(page, "orders-quotation-form")
    page.click("#quotation-save")
    page.wait_for_selector("#quotation-number")
    quotation = Quotation.objects.get()
    # Veloz 300.000.000 + 12% = 336.000.000; film 4.000.000 + 11% = 4.440.000
    assert quotation.total == 340_440_000
    assert page.inner_text("#quotation-total").replace(",", ".") == "Rp 340.440.000"
    shot(page, "orders-quotation")

    # The PDF, downloaded as the customer gets it.
    with page.expect_download() as download:
        page.click("#quotation-pdf")
    pdf_path = ARTIFACTS / "orders-quotation.pdf"
    download.value.save_as(pdf_path)
    text = " ".join(PdfReader(io.BytesIO(pdf_path.read_bytes())).pages[0].extract_text().split())
    assert quotation.display_number in text and "340.440.000" in text
    assert "tiga ratus empat puluh juta empat ratus empat puluh ribu rupiah" in text
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf_path),
                        str(ARTIFACTS / "orders-quotation-pdf")], check=True)

    # The customer accepts: a double click makes one order.
    page.dblclick("#quotation-accept")
    page.wait_for_selector("#order-status")
    order = SalesOrder.objects.get()
    assert page.inner_text("#order-status") == "Confirmed"

    # The down payment, due today, then paid.
    page.select_option("#id_kind", "down_payment")
    page.fill("#due-form #id_due_date", today)
    page.fill("#due-form #id_amount", "68000000")
    page.click("#due-save")
    page.wait_for_selector("#payment-form")
    page.fill("#payment-form #id_amount", "68000000")
    page.fill("#payment-form #id_paid_on", today)
    page.fill("#payment-form #id_reference", "TRF BCA 0912")
    page.click("#payment-save")
    page.wait_for_selector("#payment-dues .badge:has-text('paid')")

    # Allocated with the VIN, invoiced, the delivery planned for today.
    page.fill("#id_vin", VIN.lower())
    page.click("#order-to-allocated")
    page.wait_for_selector("#order-status:has-text('Allocated')")
    page.click("#order-to-invoiced")
    page.wait_for_selector("#order-status:has-text('Invoiced')")
    page.select_option("#shipment-form #id_method", "own_driver")
    page.fill("#shipment-form #id_carrier", "Pak Slamet")
    page.fill("#shipment-form #id_promised_date", today)
    page.click("#shipment-save")
    page.wait_for_selector("#shipment-status:has-text('Planned')")
    shot(page, "orders-order")

    # The shipment clerk, on a phone: two taps.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    mobile = phone.new_page()
    mobile.set_default_timeout(10_000)
    log_in(mobile, live_server, clerk, password)
    mobile.click("button.navbar-toggler")
    mobile.click("#nav-menu-sales")  # the Sales menu: orders and shipments for the clerk
    mobile.click("#nav-shipments")
    mobile.wait_for_selector("#queue-today .shipment-card")
    shot(mobile, "orders-shipment-queue")
    mobile.tap("#queue-today .shipment-ship")
    mobile.wait_for_selector("#queue-today input[name=receiver_name]")
    shot(mobile, "orders-shipment-queue-in-transit")
    mobile.fill("#queue-today input[name=receiver_name]", "Budi Santoso")
    mobile.tap("#queue-today .shipment-deliver")
    mobile.wait_for_selector("#queue-today:has-text('None.')")
    shot(mobile, "orders-shipment-queue-done")
    phone.close()

    order.refresh_from_db()
    assert order.status == SalesOrder.Status.DELIVERED and order.vin == VIN
    assert Shipment.objects.get().receiver_name == "Budi Santoso"
    assert list(order.events.values_list("to_status", flat=True).order_by("id")) == [
        "confirmed", "allocated", "invoiced", "shipped", "delivered"]

    # The vehicle is the customer's, on their 360 page, with its warranty.
    asset = Asset.objects.get(customer=customer_a)
    assert (asset.model, asset.vin, asset.purchase_date) == ("Veloz", VIN, timezone.localdate())
    page.goto(f"{live_server.url}{customer_a.get_absolute_url()}")
    body = page.inner_text("body")
    assert VIN in body and "Toyota Veloz" in body
    assert order.number in page.inner_text("body")  # still open (delivered, not closed): the orders panel
    shot(page, "orders-customer-360")
    assert assets_problems == []
