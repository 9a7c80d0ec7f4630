"""Claims proven with real concurrent transactions (threads, each with its own connection)."""

import threading

import pytest
from django.db import connection

from accounts.models import Department, Notification
from complaints import services
from complaints.models import Complaint
from tests.factories import BranchFactory, CustomerFactory, UserFactory

from .conftest import wib
from .factories import ComplaintFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _together(count, work):
    """Run ``work(i)`` in ``count`` threads released at once; re-raise the first error."""
    barrier, errors, results = threading.Barrier(count), [], [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def test_round_robin_hands_simultaneous_complaints_to_each_in_turn():
    branch = BranchFactory(code="rr")
    staff = [UserFactory(branch=branch, department=Department.SALES) for _ in range(3)]
    customers = [CustomerFactory(branch=branch) for _ in range(6)]
    _together(6, lambda i: ComplaintFactory(customer=customers[i]).pk)
    counts = sorted(Complaint.objects.filter(assignee__in=staff).values_list("assignee", flat=True))
    # Six complaints at once, three people: two each (without the cursor lock, several
    # transactions would read the same "last person" and pick the same next one).
    assert [counts.count(s.pk) for s in staff] == [2, 2, 2]


def test_two_sweeps_at_once_escalate_a_breach_once():
    branch = BranchFactory(code="esc")
    UserFactory(branch=branch, department=Department.SALES)
    manager = UserFactory(branch=branch, department=Department.BRANCH_MANAGEMENT)
    for _ in range(20):
        ComplaintFactory(customer=CustomerFactory(branch=branch), now=wib(2026, 3, 4, 10, 0))
    results = _together(4, lambda i: services.complaints_escalate_breached(now=wib(2026, 3, 4, 16, 0)))
    assert sum(results) == 20
    assert Notification.objects.filter(recipient=manager, verb=services.ESCALATED).count() == 20
