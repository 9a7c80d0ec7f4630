"""Issue 11's open items in a real browser: the opportunity lists its quotations; a quotation
goes out by email with its PDF (a double click sends one); accepting wins the opportunity; a
fleet order takes one VIN per vehicle. Screenshots go to test-artifacts/."""

import io
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from marketing.models import Send
from marketing.tasks import send_dispatch_task
from sales.models import OrderVehicle, SalesOrder
from sales.quotations import LineInput
from tests.browser.conftest import log_in
from tests.factories import CustomerFactory
from tests.sales.conftest import stages  # noqa: F401 - the pipeline's stages after the flush
from tests.sales.factories import OpportunityFactory
from tests.sales.factories_orders import QuotationFactory, VehicleFactory, ensure_tax_rates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_quotation_is_emailed_accepted_and_its_vehicles_allocated(page, live_server, sales_a, branch_a, password,
                                                                    shot, stages, assets_problems):  # noqa: F811
    ensure_tax_rates()
    ayu = CustomerFactory(name="Ayu Lestari", email="ayu@contoh.id", branch=branch_a, owner=sales_a,
                          consents={"email": True})
    opportunity = OpportunityFactory(branch=branch_a, customer=ayu, owner=sales_a, title="Armada Avanza")
    avanza = VehicleFactory(name="Toyota Avanza 1.5 G", model_name="Avanza", unit_price=Decimal(250_000_000))
    quotation = QuotationFactory(branch=branch_a, opportunity=opportunity, by=sales_a, vehicle=avanza, lines=[
        LineInput(description=avanza.name, quantity=2, unit_price=Decimal(250_000_000), product=avanza)])
    mail.outbox = []

    log_in(page, live_server, sales_a, password)
    page.goto(f"{live_server.url}{opportunity.get_absolute_url()}")
    page.wait_for_selector("#opp-quotations")
    assert quotation.display_number in page.inner_text("#opp-quotations")
    shot(page, "orders-opportunity-quotations")
    page.click(f"#opp-quotations a:has-text('{quotation.display_number}')")

    page.dblclick("#quotation-email")  # a double click
    page.wait_for_selector(".alert:has-text('ayu@contoh.id')")
    page.wait_for_selector("#quotation-status:has-text('Sent')")
    shot(page, "orders-quotation-emailed")
    [send] = Send.objects.all()
    send_dispatch_task.run(send.pk)  # the worker
    [email] = mail.outbox
    [(filename, content, mimetype)] = email.attachments
    text = " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())
    assert mimetype == "application/pdf" and quotation.display_number in text and "560.000.000" in text

    page.click("#quotation-accept")
    page.wait_for_selector("#order-status")
    order = SalesOrder.objects.get()
    page.goto(f"{live_server.url}{opportunity.get_absolute_url()}")
    assert page.inner_text("#opp-stage") == "SPK / Menang"  # won, with the accept
    page.goto(f"{live_server.url}{order.get_absolute_url()}")
    assert "One VIN for each of the 2 vehicles" in page.inner_text("#order-vin-hint")
    page.fill("#id_vin", "MHKA1BA1JNK000001\nMHKA1BA1JNK000001")
    page.click("#order-to-allocated")
    page.wait_for_selector("#div_id_vin .invalid-feedback, #div_id_vin .text-danger, .order-error")
    assert "entered twice" in page.inner_text("body")
    shot(page, "orders-vins-refused")
    page.fill("#id_vin", "MHKA1BA1JNK000001\nmhka1ba1jnk000002")
    page.click("#order-to-allocated")
    page.wait_for_selector("#order-status:has-text('Allocated')")
    assert page.inner_text("#order-vins").count("MHKA1BA1JNK00000") == 2
    shot(page, "orders-vins-allocated")
    assert list(OrderVehicle.objects.values_list("unit", "vin")) == [(1, "MHKA1BA1JNK000001"),
                                                                       (2, "MHKA1BA1JNK000002")]
    # The refused VINs answered 400 (the form again, with its error), as the browser reports it.
    status_url = f"/sales/orders/{order.public_id}/status/"
    assert [p for p in assets_problems if status_url not in p and "status of 400" not in p] == []
