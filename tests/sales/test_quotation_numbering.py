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


# --- the scale line: 200 concurrent creations in one branch --------------------------------
SCALE = 200
POOL = 25  # connections of the pooled variant: fits any server, still 25 transactions at once


def _free_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int"
                       " - current_setting('superuser_reserved_connections')::int"
                       " - (SELECT count(*) FROM pg_stat_activity)")
        return cursor.fetchone()[0]


class LockWaits:
    """Samples, on its own connection, how many of this database's transactions wait on a
    lock (the counter row's): the proof that the creations really contended."""

    def __init__(self):
        self.most, self._stop = 0, threading.Event()
        self._thread = threading.Thread(target=self._run)

    def _run(self):
        try:
            while not self._stop.is_set():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                                   "AND wait_event_type = 'Lock'")
                    self.most = max(self.most, cursor.fetchone()[0])
                self._stop.wait(0.005)
        finally:
            connection.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _assert_consecutive(results, errors, branch, count):
    assert errors == []
    year = timezone.localdate().year
    assert sorted(results) == [f"BDG/QUO/{year}/{n:06d}" for n in range(1, count + 1)]
    assert Quotation.objects.filter(branch=branch).count() == count


def test_it_numbers_200_quotations_made_at_once_each_on_its_own_connection(branch_a):
    """The scale line as written: 200 transactions, 200 connections, released together. Needs
    a server with room for them (clusters made by scripts/services.sh get max_connections = 400)."""
    free = _free_connections()
    if free < SCALE + 20:
        pytest.skip(f"needs {SCALE + 20} free PostgreSQL connections, the server has {free}: restart the cluster "
                    f"with max_connections = 400 (scripts/services.sh sets it for new clusters). The pooled test "
                    f"below covers the same 200 creations on {POOL} connections.")
    ensure_tax_rates()
    opportunities = [OpportunityFactory(branch=branch_a) for _ in range(SCALE)]
    with LockWaits() as waits:
        results, errors = together(SCALE, lambda n: quotations.quotation_create(
            opportunity=opportunities[n], by=None, lines=line()).number)
    _assert_consecutive(results, errors, branch_a, SCALE)
    assert waits.most >= 2  # they queued on the counter row, not one after another


def test_it_numbers_200_quotations_made_through_a_pool_of_connections(branch_a):
    """200 creations from 25 connections started together at a barrier: each takes the next
    creation as soon as its last commits, so up to 25 transactions contend for the counter
    row all along. Proves no duplicate and no gap over 200 contended creations; not 200 at the
    same instant (the test above does that where the server allows)."""
    ensure_tax_rates()
    opportunities = [OpportunityFactory(branch=branch_a) for _ in range(SCALE)]
    todo, taken = list(range(SCALE)), threading.Lock()

    def drain(_worker):
        numbers = []
        while True:
            with taken:
                if not todo:
                    return numbers
                n = todo.pop()
            numbers.append(quotations.quotation_create(opportunity=opportunities[n], by=None, lines=line()).number)

    with LockWaits() as waits:
        batches, errors = together(POOL, drain)
    _assert_consecutive([number for batch in batches for number in batch], errors, branch_a, SCALE)
    assert waits.most >= 2


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
