"""The job card in Chromium: a part picked from the sales catalogue through the htmx search
(its price and PPN in the total), the check-in photo as a thumbnail that opens the full photo,
and the times a booking can move to, each naming the zone."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sales.models import BranchPrice, Product
from service import selectors, services
from service.models import Bay, BayKind, ServiceType
from tests.factories import AssetFactory
from tests.sales.factories_orders import ProductFactory, ensure_tax_rates
from tests.service.factories import PNG

from .conftest import log_in, wait_for_js

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_catalogue_part_and_a_photo_thumbnail_on_the_job_card(page, live_server, branch_a, customer_a, password,
                                                                  shot, assets_problems, settings, tmp_path):
    from accounts.models import Department
    from tests.factories import UserFactory

    settings.SERVICE_FILES_ROOT = tmp_path / "service-files"
    ensure_tax_rates()
    Bay.objects.create(branch=branch_a, name="Stall 1", kind=BayKind.QUICK)
    oil_change = ServiceType.objects.create(name="Ganti oli", duration_minutes=60, bay_kind=BayKind.QUICK)
    oil = ProductFactory(sku="OLI-5W30-1L", name="Oli mesin 5W-30 1 liter", category=Product.Category.SPARE_PART,
                         unit_price=Decimal(65_000))
    BranchPrice.objects.create(branch=branch_a, product=oil, price=Decimal(60_000))
    advisor = UserFactory(email="advisor.a@relasi.test", branch=branch_a, department=Department.SERVICE)
    slots = selectors.free_slots(branch_a, oil_change)
    car = AssetFactory(customer=customer_a, plate_number="D 1234 ABC")
    booking = services.booking_create(customer=customer_a, asset=car, service_type=oil_change,
                                      starts_at=slots[0].starts_at, by=advisor, notify_customer=False)
    later = services.booking_create(customer=customer_a, asset=AssetFactory(customer=customer_a, plate_number="D 9 Z"),
                                    service_type=oil_change, starts_at=slots[-1].starts_at, by=advisor,
                                    notify_customer=False)
    services.booking_status_change(booking=booking, to="arrived", by=advisor, odometer_km=40000)
    services.booking_photo_add(booking=booking, upload=SimpleUploadedFile("lecet.png", PNG), by=advisor)
    log_in(page, live_server, advisor, password)

    # A booked visit: the times it can move to name the branch's zone.
    page.goto(live_server.url + later.get_absolute_url())
    labels = page.locator("#id_move_starts_at option").all_inner_texts()
    assert labels and all(label.endswith(" WIB") for label in labels)

    page.goto(live_server.url + booking.get_absolute_url())
    # The photo as a thumbnail (made on upload, 320 px at most), the full photo on click.
    thumb = page.locator("#booking-photos img.img-thumbnail")
    thumb.scroll_into_view_if_needed()
    wait_for_js(page, "() => document.querySelector('#booking-photos img').naturalWidth > 0")
    assert 0 < page.evaluate("document.querySelector('#booking-photos img').naturalWidth") <= 320
    with page.context.expect_page() as opened:
        thumb.click()
    full = opened.value
    full.wait_for_load_state()
    assert full.evaluate("document.querySelector('img').naturalWidth") == 640
    full.close()

    # The catalogue search (htmx): pick the part, two of them.
    page.fill("#id_part_query", "5w30")
    page.wait_for_selector(f"#id_product option[value='{oil.public_id}']", state="attached")
    shot(page, "service-job-card-part-search")
    page.select_option("#id_product", str(oil.public_id))
    page.fill("#job-line-form #id_quantity", "2")
    page.click("#job-line-form button[type=submit]")
    page.wait_for_selector(".alert-success")
    assert "OLI-5W30-1L" in page.inner_text("#job-lines")
    assert page.inner_text("#job-tax") == "Rp 13,200"  # 11% of 2 x 60,000
    assert page.inner_text("#job-total") == "Rp 133,200"
    shot(page, "service-job-card-part")
    assert assets_problems == []
