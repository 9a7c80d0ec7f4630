"""Leads nobody contacted within N business hours of their branch are escalated to the
branch manager, once — also with two sweeps running at the same moment."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from accounts.models import Notification
from branches.selectors import business_add
from sales import services
from sales.models import AssignmentRule, Lead

from .factories import LeadFactory

CREATED = dt.datetime(2026, 11, 17, 9, 0, tzinfo=ZoneInfo("Asia/Jakarta"))  # a Tuesday morning


def lead_created_at(branch, when, **kwargs):
    services.assignment_rule_for(branch)
    lead = LeadFactory(branch=branch, **kwargs)
    Lead.objects.filter(pk=lead.pk).update(created_at=when)
    lead.refresh_from_db()
    return lead


def escalations(manager):
    return Notification.objects.filter(recipient=manager, verb=services.LEAD_ESCALATED)


@pytest.mark.django_db
def test_it_escalates_after_n_business_hours_once(branch_a, manager_a, sales_a):
    lead = lead_created_at(branch_a, CREATED, owner=sales_a)
    due = business_add(branch_a, CREATED, 4 * 60)
    assert services.leads_escalate(now=due - dt.timedelta(minutes=1)) == 0
    assert services.leads_escalate(now=due) == 1
    lead.refresh_from_db()
    assert lead.escalated_at == due
    note = escalations(manager_a).get()
    assert note.target_id == lead.pk
    assert lead.events.filter(summary__startswith="Lead escalated to the branch manager").count() == 1
    assert services.leads_escalate(now=due + dt.timedelta(days=3)) == 0
    assert escalations(manager_a).count() == 1


@pytest.mark.django_db
def test_it_counts_business_hours_not_clock_hours(branch_a, manager_a):
    friday_evening = dt.datetime(2026, 11, 20, 21, 0, tzinfo=ZoneInfo("Asia/Jakarta"))
    lead_created_at(branch_a, friday_evening)
    due = business_add(branch_a, friday_evening, 4 * 60)
    assert due - friday_evening > dt.timedelta(hours=12)  # the night does not count
    assert services.leads_escalate(now=friday_evening + dt.timedelta(hours=5)) == 0
    assert services.leads_escalate(now=due) == 1


@pytest.mark.django_db
def test_it_leaves_contacted_leads_and_branches_that_turned_it_off(branch_a, branch_b, manager_a, sales_a):
    contacted = lead_created_at(branch_a, CREATED, owner=sales_a)
    services.lead_status_set(lead=contacted, status="contacted", by=sales_a)
    lead_created_at(branch_b, CREATED)
    AssignmentRule.objects.filter(branch=branch_b).update(escalate_after_hours=0)
    assert services.leads_escalate(now=CREATED + dt.timedelta(days=10)) == 0


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_each_lead_once(branch_a, manager_a):
    for _ in range(5):
        lead_created_at(branch_a, CREATED)
    now = CREATED + dt.timedelta(days=10)
    barrier, results, errors = threading.Barrier(2), [], []

    def sweep():
        try:
            barrier.wait(timeout=10)
            results.append(services.leads_escalate(now=now))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == [] and sum(results) == 5
    assert escalations(manager_a).count() == 5
    assert Lead.objects.filter(escalated_at=now).count() == 5
