"""Quotation and order numbers under concurrent creation: real transactions on their own
connections, started together at a barrier."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from sales import quotations
from sales.models import Quotation, SalesOrder
from sales.quotations import LineInput
from tests.sales.factories import OpportunityFactory
from tests.sales.factories_orders import QuotationFactory, ensure_tax_rates

pytestmark = pytest.mark.django_db(transaction=True)

CREATIONS = 60


def together(count: int, work) -> tuple[list, list]:
    barrier, results, errors = threading.Barrier(count), [], []

    def run(n):
        try:
            barrier.wait(timeout=30)
            results.append(work(n))
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return results, errors


def line():
    return [LineInput(description="Kaca film", quantity=1, unit_price=Decimal(1_000_000))]


def test_it_numbers_concurrent_quotations_distinct_and_consecutive(branch_a):
    ensure_tax_rates()
    opportunities = [OpportunityFactory(branch=branch_a) for _ in range(CREATIONS)]
    results, errors = together(CREATIONS, lambda n: quotations.quotation_create(
        opportunity=opportunities[n], by=None, lines=line()).number)
    assert errors == []
    year = timezone.localdate().year
    assert sorted(results) == [f"BDG/QUO/{year}/{n:06d}" for n in range(1, CREATIONS + 1)]
    assert Quotation.objects.filter(branch=branch_a).count() == CREATIONS


def test_it_numbers_each_branch_on_its_own(branch_a, branch_b):
    ensure_tax_rates()
    opportunities = [OpportunityFactory(branch=branch_a if n % 2 else branch_b) for n in range(20)]
    results, errors = together(20, lambda n: quotations.quotation_create(
        opportunity=opportunities[n], by=None, lines=line()).number)
    assert errors == []
    year = timezone.localdate().year
    assert sorted(results) == sorted([f"BDG/QUO/{year}/{n:06d}" for n in range(1, 11)]
                                     + [f"SBY/QUO/{year}/{n:06d}" for n in range(1, 11)])


def test_it_gives_a_rolled_back_number_to_the_next_quotation(branch_a):
    ensure_tax_rates()
    first = QuotationFactory(branch=branch_a)
    with pytest.raises(RuntimeError), transaction.atomic():
        QuotationFactory(branch=branch_a)
        raise RuntimeError("the request failed after numbering")
    second = QuotationFactory(branch=branch_a)
    assert (first.number[-6:], second.number[-6:]) == ("000001", "000002")


def test_it_uses_no_number_for_a_refused_quotation(branch_a):
    ensure_tax_rates()
    with pytest.raises(ValidationError):
        QuotationFactory(branch=branch_a, lines=[LineInput(description="x", quantity=-1, unit_price=Decimal(1))])
    assert QuotationFactory(branch=branch_a).number.endswith("/000001")


def test_it_accepts_a_quotation_once_under_a_double_click(branch_a):
    quotation = QuotationFactory(branch=branch_a)
    results, errors = together(8, lambda n: quotations.quotation_accept(quotation=quotation, by=None).number)
    assert len(results) == 1 and len(errors) == 7
    assert all(isinstance(e, ValidationError) and e.code == "already_accepted" for e in errors)
    assert SalesOrder.objects.filter(quotation=quotation).count() == 1
    assert results[0].endswith("/SO/%d/000001" % timezone.localdate().year)
