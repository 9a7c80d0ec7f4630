"""Concurrent arrivals: real transactions on their own connections, started together."""

import threading
from collections import Counter

import pytest
from django.db import connection

from accounts.models import Department
from sales import services
from sales.models import AssignmentRule, Lead
from tests.factories import UserFactory

from .factories import LeadFactory

pytestmark = pytest.mark.django_db(transaction=True)

ARRIVALS = 12


def arrive_together(branch, count: int) -> list:
    barrier, errors = threading.Barrier(count), []

    def arrive(n):
        try:
            barrier.wait(timeout=10)
            LeadFactory(branch=branch, name=f"Concurrent {n}", assign=True)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=arrive, args=(n,)) for n in range(count)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return errors


@pytest.mark.parametrize("first_use", [True, False], ids=["rule-made-by-the-arrivals", "rule-exists"])
def test_it_shares_concurrent_leads_out_evenly_round_robin(branch_a, first_use):
    reps = [UserFactory(branch=branch_a, department=Department.SALES) for _ in range(3)]
    if not first_use:
        services.assignment_rule_for(branch_a)
    assert arrive_together(branch_a, ARRIVALS) == []
    leads = Lead.objects.filter(branch=branch_a)
    assert leads.count() == ARRIVALS and not leads.filter(owner__isnull=True).exists()
    # Nobody skipped, nobody given two in a row: in the order they were handed out, the
    # owners go round the reps.
    owners = list(leads.order_by("assigned_at", "id").values_list("owner_id", flat=True))
    assert owners == [reps[i % 3].pk for i in range(ARRIVALS)]
    assert Counter(owners) == {r.pk: ARRIVALS // 3 for r in reps}
    rule = AssignmentRule.objects.get(branch=branch_a)
    assert rule.assigned_count == ARRIVALS


def test_it_shares_concurrent_leads_out_by_fewest_open(branch_a):
    reps = [UserFactory(branch=branch_a, department=Department.SALES) for _ in range(4)]
    services.assignment_rule_set(branch=branch_a, method=AssignmentRule.Method.LEAST_OPEN, by=None)
    assert arrive_together(branch_a, ARRIVALS) == []
    counts = Counter(Lead.objects.filter(branch=branch_a).values_list("owner_id", flat=True))
    assert counts == {r.pk: ARRIVALS // 4 for r in reps}
