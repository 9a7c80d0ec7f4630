"""The quotation PDF (WeasyPrint), read back as text: the stored figures and the total in words."""

import datetime as dt
import io
import time
from decimal import Decimal

import pytest
from pypdf import PdfReader

from crm.formatting import format_rupiah
from sales.pdf import quotation_pdf, quotation_pdf_filename
from sales.quotations import LineInput
from tests.sales.factories_orders import QuotationFactory, VehicleFactory

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.fixture
def quotation(branch_a, sales_a):
    vehicle = VehicleFactory(name="Toyota Avanza 1.5 G CVT", unit_price=Decimal(250_000_000))
    return QuotationFactory(branch=branch_a, by=sales_a, vehicle=vehicle, quote_date=dt.date(2026, 3, 2),
                            lines=[LineInput(description="Kaca film V-Kool", quantity=1, unit_price=Decimal(1_126_126)),
                                   LineInput(description="Karpet", quantity=2, unit_price=Decimal(500_000),
                                             discount_amount=Decimal(100_000))])


def test_it_prints_the_stored_totals_and_the_total_in_words(quotation, customer_a):
    # Vehicle 250.000.000 + 12% = 280.000.000; film 1.126.126 + 11% (123.873,86 -> 123.874) = 1.250.000;
    # carpets 1.000.000 - 100.000 = 900.000 + 99.000 = 999.000.
    assert quotation.total == Decimal(282_249_000)
    text = pdf_text(quotation_pdf(quotation))
    with_id = lambda v: format_rupiah(v, language="id")  # noqa: E731 - the PDF is in Indonesian
    assert quotation.display_number in text
    assert quotation.customer.name in text
    assert "Toyota Avanza 1.5 G CVT" in text
    for amount in (quotation.subtotal, quotation.discount_total, quotation.tax_total, quotation.total,
                   Decimal(1_250_000), Decimal(123_874)):
        assert with_id(amount) in text, amount
    assert "dua ratus delapan puluh dua juta dua ratus empat puluh sembilan ribu rupiah" in text
    assert "2 Maret 2026" in text or "2 March 2026" in text  # the date
    assert "16 Maret 2026" in text or "16 March 2026" in text  # valid until (14 days)


def test_it_makes_a_pdf_within_the_budget(quotation):
    quotation_pdf(quotation)  # warm: fonts, the heavy import
    started = time.perf_counter()
    data = quotation_pdf(quotation)
    elapsed = time.perf_counter() - started
    assert data.startswith(b"%PDF-")
    assert elapsed < 1.5, elapsed


def test_it_names_the_file_after_the_number(quotation):
    assert quotation_pdf_filename(quotation) == quotation.display_number.replace("/", "-") + ".pdf"
    assert "/" not in quotation_pdf_filename(quotation)
