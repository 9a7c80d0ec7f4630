"""Quotation figures: whole rupiah per line, half up, PPN from the rate valid on the date."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from sales.catalogue import tax_rate_on, tax_rates_on
from sales.models import QuotationLine, TaxClass, TaxRate
from sales.quotations import LineAmounts, LineInput, line_amounts, quotation_totals
from tests.sales.factories_orders import QuotationFactory, VehicleFactory

D = Decimal

# quantity, unit price, discount %, discount Rp, PPN % -> gross, discount, net, tax, total
LINES = [
    (1, "1000000", "0", "0", "11", ("1000000", "0", "1000000", "110000", "1110000")),
    (3, "333333", "0", "0", "11", ("999999", "0", "999999", "110000", "1109999")),  # 109999.89 -> 110000
    (1, "5", "0", "0", "10", ("5", "0", "5", "1", "6")),  # 0.5 rounds half up
    (1, "15", "0", "0", "10", ("15", "0", "15", "2", "17")),  # 1.5 -> 2
    (1, "25", "0", "0", "10", ("25", "0", "25", "3", "28")),  # 2.5 -> 3, never to even
    (2, "1250000", "10", "0", "11", ("2500000", "250000", "2250000", "247500", "2497500")),
    (1, "999", "12.5", "0", "11", ("999", "125", "874", "96", "970")),  # 124.875 -> 125; 96.14 -> 96
    (1, "275000000", "0", "5000000", "12", ("275000000", "5000000", "270000000", "32400000", "302400000")),
    (1, "100000", "10", "90000", "11", ("100000", "100000", "0", "0", "0")),  # discount to zero is allowed
    (4, "520000", "2.5", "1000", "11", ("2080000", "53000", "2027000", "222970", "2249970")),
]


@pytest.mark.parametrize("qty, price, pct, amount, rate, expected", LINES)
def test_it_computes_each_line_in_whole_rupiah(qty, price, pct, amount, rate, expected):
    got = line_amounts(quantity=qty, unit_price=D(price), discount_percent=D(pct), discount_amount=D(amount),
                       tax_rate=D(rate))
    assert got == LineAmounts(*(D(v) for v in expected))
    assert all(v == v.to_integral_value() for v in (got.gross, got.discount, got.net, got.tax, got.total))


def test_it_sums_the_rounded_lines_not_a_rounded_sum():
    # Three lines of 5 at 10%: each rounds 0.5 up to 1, so PPN is 3 (not round(1.5) = 2).
    lines = [line_amounts(quantity=1, unit_price=D(5), tax_rate=D(10)) for _ in range(3)]
    totals = quotation_totals(lines)
    assert (totals.subtotal, totals.tax, totals.total) == (D(15), D(3), D(18))


@pytest.mark.parametrize("kwargs, field", [
    ({"quantity": -1}, "quantity"),
    ({"quantity": 0}, "quantity"),
    ({"unit_price": D("1250000.125")}, "unit_price"),
    ({"unit_price": D(-1)}, "unit_price"),
    ({"discount_percent": D(101)}, "discount_percent"),
    ({"discount_amount": D("0.5")}, "discount_amount"),
    ({"discount_amount": D(1_000_001)}, "discount_amount"),  # above the line's amount
    ({"discount_percent": D(50), "discount_amount": D(500_001)}, "discount_amount"),
])
def test_it_refuses_bad_lines_with_the_field_named(kwargs, field):
    args = {"quantity": 1, "unit_price": D(1_000_000), "tax_rate": D(11), **kwargs}
    with pytest.raises(ValidationError) as exc:
        line_amounts(**args)
    assert field in exc.value.message_dict


# date, vehicle rate, other rate (as migration 0005 seeds them)
RATES = [
    (dt.date(2021, 12, 31), "10", "10"),
    (dt.date(2022, 3, 31), "10", "10"),
    (dt.date(2022, 4, 1), "11", "11"),
    (dt.date(2024, 12, 31), "11", "11"),
    (dt.date(2025, 1, 15), "11", "11"),  # the transition month: 12% x 11/12
    (dt.date(2025, 2, 1), "12", "11"),
    (dt.date(2026, 6, 1), "12", "11"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("day, vehicle, other", RATES)
def test_it_looks_the_rate_up_by_date_and_class(day, vehicle, other):
    assert tax_rate_on(TaxClass.LUXURY, day) == D(vehicle)
    assert tax_rate_on(TaxClass.STANDARD, day) == D(other)
    assert tax_rates_on(day) == {TaxClass.LUXURY: D(vehicle), TaxClass.STANDARD: D(other)}


@pytest.mark.django_db
def test_it_follows_a_rate_the_back_office_adds():
    TaxRate.objects.create(tax_class=TaxClass.STANDARD, rate=D("12.5"), valid_from=dt.date(2030, 1, 1))
    assert tax_rate_on(TaxClass.STANDARD, dt.date(2029, 12, 31)) == D(11)
    assert tax_rate_on(TaxClass.STANDARD, dt.date(2030, 1, 1)) == D("12.5")


@pytest.mark.django_db
def test_it_says_so_when_no_rate_covers_the_date():
    with pytest.raises(ValidationError, match="No PPN rate"):
        tax_rate_on(TaxClass.STANDARD, dt.date(2010, 1, 1))


@pytest.mark.django_db
@pytest.mark.parametrize("day, tax, total", [
    (dt.date(2022, 3, 31), D(25_000_000), D(275_000_000)),
    (dt.date(2022, 4, 1), D(27_500_000), D(277_500_000)),
    (dt.date(2025, 1, 10), D(27_500_000), D(277_500_000)),
    (dt.date(2025, 3, 1), D(30_000_000), D(280_000_000)),
])
def test_it_stores_the_tax_of_the_quotation_date(branch_a, day, tax, total):
    vehicle = VehicleFactory(unit_price=D(250_000_000))
    quotation = QuotationFactory(branch=branch_a, vehicle=vehicle, lines=[], quote_date=day)
    line = quotation.lines.get()
    assert (line.tax_class, line.tax, line.total) == (TaxClass.LUXURY, tax, total)
    assert (quotation.tax_total, quotation.total) == (tax, total)


@pytest.mark.django_db
def test_it_stores_what_the_one_function_computes(branch_a):
    lines = [LineInput(description="Kaca film", quantity=3, unit_price=D(333_333)),
             LineInput(description="Karpet", quantity=1, unit_price=D(999), discount_percent=D("12.5"))]
    quotation = QuotationFactory(branch=branch_a, lines=lines, quote_date=dt.date(2026, 3, 2))
    stored = list(QuotationLine.objects.filter(quotation=quotation).order_by("position"))
    assert [(line.net, line.tax, line.total) for line in stored] == [(D(999_999), D(110_000), D(1_109_999)),
                                                                      (D(874), D(96), D(970))]
    quotation.refresh_from_db()
    assert quotation.total == D(1_109_999 + 970) == quotation_totals(stored).total


@given(quantity=st.integers(1, 50), price=st.integers(0, 2_000_000_000),
       percent=st.decimals(0, 100, places=2), amount=st.integers(0, 10_000_000),
       rate=st.sampled_from([D(10), D(11), D(12), D("12.5")]))
def test_every_line_adds_up_in_whole_rupiah(quantity, price, percent, amount, rate):
    try:
        got = line_amounts(quantity=quantity, unit_price=D(price), discount_percent=percent,
                           discount_amount=D(amount), tax_rate=rate)
    except ValidationError as exc:
        # Refused only because the discount is above the line's amount.
        assert list(exc.message_dict) == ["discount_amount"]
        assert D(quantity * price) * percent / 100 + amount > quantity * price - D("0.5")
        return
    assert got.gross == quantity * price and 0 <= got.discount <= got.gross
    assert got.net == got.gross - got.discount and got.total == got.net + got.tax
    assert abs(got.tax - got.net * rate / 100) <= D("0.5")
    assert all(v == v.to_integral_value() for v in (got.discount, got.tax, got.total))
