"""Routing, SLA timing, working a complaint and the escalation sweep (services)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Department, Notification
from branches import services as branch_services
from complaints import services
from complaints.models import Category, Complaint, ComplaintNote, Priority, RoutingEvent, RoutingRule, SlaPolicy, \
    Strategy
from crm.models import Customer, Interaction
from marketing.models import Send
from tests.factories import CustomerFactory, UserFactory

from .conftest import wib
from .factories import ComplaintFactory

pytestmark = pytest.mark.django_db


# --- routing --------------------------------------------------------------------------------------
@pytest.mark.parametrize("category, department", [
    (Category.ORDER_STATUS, Department.SALES),
    (Category.VEHICLE_REPAIR, Department.SERVICE),
    (Category.PRODUCTION_DEFECT, Department.QUALITY_CONTROL),
    (Category.DELIVERY, Department.SHIPMENT),
    (Category.BRANCH_DATA, Department.BRANCH_MANAGEMENT),
])
def test_it_routes_each_seed_case_to_its_department_and_person(helpdesk, customer_a, category, department):
    complaint = ComplaintFactory(customer=customer_a, category=category)
    assert complaint.department == department
    assert complaint.assignee == helpdesk[department]
    assert complaint.status == Complaint.Status.ASSIGNED
    event = RoutingEvent.objects.get(complaint=complaint)
    assert (event.to_department, event.to_user, event.rule.category) == (department, helpdesk[department], category)
    assert Notification.objects.filter(recipient=helpdesk[department], verb=services.ASSIGNED,
                                       target_id=complaint.pk).exists()


def test_it_puts_the_complaint_on_the_customers_timeline(helpdesk, customer_a):
    complaint = ComplaintFactory(customer=customer_a, description="Mobil belum dikirim juga.")
    entries = customer_a.interactions.filter(source_id=complaint.pk, kind=Interaction.Kind.COMPLAINT)
    assert entries.filter(direction="in", summary__contains="Mobil belum dikirim juga.").exists()
    assert entries.filter(summary__contains="passed to Sales").exists()


def test_it_follows_an_edited_rule(helpdesk, customer_a, branch_a):
    # Head office decides delivery complaints of branch A at high priority go to Branch Management.
    RoutingRule.objects.create(category=Category.DELIVERY, branch=branch_a, priority=Priority.HIGH,
                               department=Department.BRANCH_MANAGEMENT, strategy=Strategy.ROUND_ROBIN)
    high = ComplaintFactory(customer=customer_a, category=Category.DELIVERY, priority=Priority.HIGH)
    normal = ComplaintFactory(customer=customer_a, category=Category.DELIVERY, priority=Priority.NORMAL)
    assert (high.department, high.assignee) == (Department.BRANCH_MANAGEMENT, helpdesk[Department.BRANCH_MANAGEMENT])
    assert normal.department == Department.SHIPMENT


def test_it_leaves_the_complaint_in_the_department_queue_for_a_queue_rule(helpdesk, customer_a):
    RoutingRule.objects.filter(category=Category.VEHICLE_REPAIR).update(strategy=Strategy.QUEUE)
    complaint = ComplaintFactory(customer=customer_a, category=Category.VEHICLE_REPAIR)
    assert (complaint.department, complaint.assignee, complaint.status) == (Department.SERVICE, None, "new")
    # The department is told it has something in its queue.
    assert Notification.objects.filter(recipient=helpdesk[Department.SERVICE], verb=services.QUEUED).exists()


def test_it_takes_turns_round_robin(branch_a, customer_a, sales_a):
    second = UserFactory(branch=branch_a, department=Department.SALES)
    UserFactory(branch=branch_a, department=Department.SALES, is_active=False)  # never chosen
    assignees = [ComplaintFactory(customer=customer_a).assignee for _ in range(4)]
    assert assignees == [sales_a, second, sales_a, second]


def test_it_picks_the_least_loaded(branch_a, customer_a, sales_a):
    second = UserFactory(branch=branch_a, department=Department.SALES)
    RoutingRule.objects.filter(category=Category.ORDER_STATUS).update(strategy=Strategy.LEAST_LOADED)
    first = ComplaintFactory(customer=customer_a)
    assert first.assignee == sales_a
    assert ComplaintFactory(customer=customer_a).assignee == second
    # sales_a's complaint is resolved: sales_a has the fewest open ones again.
    services.complaint_status_set(complaint=first, status=Complaint.Status.RESOLVED, by=sales_a)
    assert ComplaintFactory(customer=customer_a).assignee == sales_a


def test_it_never_routes_to_another_branchs_staff(branch_a, staff_b):
    customer = CustomerFactory(branch=branch_a)  # branch A has no sales staff; branch B has
    complaint = ComplaintFactory(customer=customer)
    assert (complaint.department, complaint.assignee, complaint.status) == (Department.SALES, None, "new")


def test_it_reroutes_with_a_reason_and_keeps_the_history(helpdesk, customer_a, sales_a, shipment_a):
    complaint = ComplaintFactory(customer=customer_a)
    services.complaint_reroute(complaint=complaint, department=Department.SHIPMENT, assignee=shipment_a,
                               reason="It is the delivery, not the order.", by=sales_a)
    complaint.refresh_from_db()
    assert (complaint.department, complaint.assignee) == (Department.SHIPMENT, shipment_a)
    history = list(complaint.routing_events.order_by("id").values_list("from_department", "to_department", "reason"))
    assert history == [("", Department.SALES, "Routed by the rules."),
                       (Department.SALES, Department.SHIPMENT, "It is the delivery, not the order.")]
    assert Notification.objects.filter(recipient=shipment_a, verb=services.ASSIGNED, actor=sales_a).exists()


def test_it_refuses_a_reroute_without_reason_or_to_the_wrong_person(helpdesk, customer_a, sales_a, shipment_a):
    complaint = ComplaintFactory(customer=customer_a)
    with pytest.raises(ValidationError) as error:
        services.complaint_reroute(complaint=complaint, department=Department.SHIPMENT, assignee=None, reason=" ",
                                   by=sales_a)
    assert "reason" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.complaint_reroute(complaint=complaint, department=Department.SERVICE, assignee=shipment_a,
                                   reason="wrong", by=sales_a)
    assert "assignee" in error.value.message_dict


# --- SLA ------------------------------------------------------------------------------------------
# Branch A keeps the default hours: Mon–Fri 08–12 and 13–17, Sat 08–12 (WIB). Normal priority:
# first response in 240 business minutes, resolution in 1,920.
def test_it_counts_the_first_response_in_business_hours_over_lunch(helpdesk, customer_a):
    complaint = ComplaintFactory(customer=customer_a, now=wib(2026, 3, 4, 10, 0))  # a Wednesday
    assert complaint.first_response_due == wib(2026, 3, 4, 15, 0)  # 2 h morning + 2 h after lunch
    assert complaint.resolution_due == wib(2026, 3, 9, 15, 0)  # Wed 6 h, Thu 8, Fri 8, Sat 4, Mon 6


def test_it_skips_the_weekend(helpdesk, customer_a):
    complaint = ComplaintFactory(customer=customer_a, now=wib(2026, 3, 7, 11, 0))  # Saturday 11:00
    assert complaint.first_response_due == wib(2026, 3, 9, 11, 0)  # 1 h Saturday, Sunday closed, 3 h Monday


def test_it_skips_public_holidays_and_closures(helpdesk, customer_a, branch_a):
    complaint = ComplaintFactory(customer=customer_a, now=wib(2026, 8, 15, 11, 0))  # Sat; Mon 17 Aug is a holiday
    assert complaint.first_response_due == wib(2026, 8, 18, 11, 0)
    branch_services.closure_create(branch=branch_a, starts_on=dt.date(2026, 8, 18), ends_on=dt.date(2026, 8, 18),
                                   reason="Renovasi")
    later = ComplaintFactory(customer=customer_a, now=wib(2026, 8, 15, 11, 0))
    assert later.first_response_due == wib(2026, 8, 19, 11, 0)


def test_it_takes_the_priority_and_category_policy(helpdesk, customer_a):
    urgent = ComplaintFactory(customer=customer_a, priority=Priority.URGENT, now=wib(2026, 3, 4, 10, 0))
    assert urgent.first_response_due == wib(2026, 3, 4, 11, 0)
    SlaPolicy.objects.create(priority=Priority.URGENT, category=Category.DELIVERY, first_response_minutes=30,
                             resolution_minutes=120)
    delivery = ComplaintFactory(customer=customer_a, priority=Priority.URGENT, category=Category.DELIVERY,
                                now=wib(2026, 3, 4, 11, 45))
    assert (delivery.first_response_due, delivery.resolution_due) == (wib(2026, 3, 4, 13, 15),
                                                                      wib(2026, 3, 4, 14, 45))


def test_it_pauses_the_resolution_clock_while_waiting_for_the_customer(helpdesk, customer_a, sales_a):
    complaint = ComplaintFactory(customer=customer_a, now=wib(2026, 3, 4, 10, 0))
    services.complaint_status_set(complaint=complaint, status="waiting_customer", by=sales_a,
                                  now=wib(2026, 3, 4, 12, 0))  # 120 of 1,920 minutes used
    complaint = services.complaint_status_set(complaint=complaint, status="in_progress", by=sales_a,
                                              now=wib(2026, 3, 5, 13, 0))
    # 1,800 minutes left from Thursday 13:00: Thu 4 h, Fri 8, Sat 4, Mon 8, Tue 6 → Tuesday 15:00.
    assert complaint.resolution_due == wib(2026, 3, 10, 15, 0)
    assert complaint.first_response_at == wib(2026, 3, 4, 12, 0)
    assert complaint.waiting_since is None


# --- working a complaint -------------------------------------------------------------------------
def test_it_moves_through_the_statuses_and_refuses_a_jump(helpdesk, customer_a, sales_a):
    complaint = ComplaintFactory(customer=customer_a)
    services.complaint_status_set(complaint=complaint, status="in_progress", by=sales_a)
    complaint = services.complaint_status_set(complaint=complaint, status="resolved", by=sales_a)
    assert complaint.resolved_at is not None
    with pytest.raises(ValidationError):
        services.complaint_status_set(complaint=complaint, status="waiting_customer", by=sales_a)
    complaint = services.complaint_status_set(complaint=complaint, status="closed", by=sales_a)
    assert customer_a.interactions.filter(source_id=complaint.pk, summary__contains="Closed").exists()


def test_it_reopens_only_within_the_window(helpdesk, customer_a, sales_a):
    complaint = ComplaintFactory(customer=customer_a, now=wib(2026, 3, 4, 10, 0))
    services.complaint_status_set(complaint=complaint, status="resolved", by=sales_a, now=wib(2026, 3, 5, 10, 0))
    with pytest.raises(ValidationError) as error:
        services.complaint_status_set(complaint=complaint, status="in_progress", by=sales_a,
                                      now=wib(2026, 3, 5, 10, 0) + dt.timedelta(days=services.REOPEN_DAYS + 1))
    assert "days ago" in str(error.value)
    complaint = services.complaint_status_set(complaint=complaint, status="in_progress", by=sales_a,
                                              now=wib(2026, 3, 10, 10, 0))
    assert (complaint.status, complaint.resolved_at) == ("in_progress", None)


def test_it_replies_by_sms_through_the_pipeline_and_on_the_timeline(helpdesk, customer_a, sales_a):
    complaint = ComplaintFactory(customer=customer_a)
    with pytest.raises(ValidationError) as error:  # no SMS consent: nothing recorded as sent
        services.complaint_note_add(complaint=complaint, body="Halo", reply=True, by=sales_a)
    assert "not agreed" in str(error.value) and not ComplaintNote.objects.exists()
    Customer.objects.filter(pk=customer_a.pk).update(sms_consent=True)
    note = services.complaint_note_add(complaint=complaint, body="Mobil Anda dikirim besok pagi.", reply=True,
                                       by=sales_a)
    assert note.send is not None and Send.objects.filter(pk=note.send_id, recipients=1).exists()
    complaint.refresh_from_db()
    assert complaint.first_response_at is not None
    assert customer_a.interactions.filter(source_id=complaint.pk, direction="out", channel="sms",
                                          summary__contains="dikirim besok").exists()


def test_it_refuses_a_reply_to_a_closed_complaint(helpdesk, customer_a, sales_a):
    complaint = ComplaintFactory(customer=customer_a)
    services.complaint_status_set(complaint=complaint, status="resolved", by=sales_a)
    with pytest.raises(ValidationError) as error:
        services.complaint_note_add(complaint=complaint, body="Halo", reply=True, by=sales_a)
    assert "reopen" in str(error.value)
    assert not ComplaintNote.objects.exists()
    # An internal note is still fine.
    services.complaint_note_add(complaint=complaint, body="Customer called again", reply=False, by=sales_a)


# --- escalation ------------------------------------------------------------------------------------
def test_it_escalates_a_breach_once_over_two_beats(helpdesk, customer_a, manager_a):
    complaint = ComplaintFactory(customer=customer_a, now=wib(2026, 3, 4, 10, 0))
    assert services.complaints_escalate_breached(now=wib(2026, 3, 4, 14, 59)) == 0  # not yet
    assert services.complaints_escalate_breached(now=wib(2026, 3, 4, 15, 0)) == 1
    assert services.complaints_escalate_breached(now=wib(2026, 3, 4, 15, 5)) == 0  # the next beat
    assert services.complaints_escalate_breached(now=wib(2026, 3, 4, 15, 5)) == 0  # a retried task
    assert Notification.objects.filter(recipient=manager_a, verb=services.ESCALATED, target_id=complaint.pk).count() == 1
    complaint.refresh_from_db()
    assert complaint.response_escalated_at == wib(2026, 3, 4, 15, 0)
    # The resolution breach is its own escalation, once too.
    assert services.complaints_escalate_breached(now=wib(2026, 3, 9, 15, 0)) == 1
    assert services.complaints_escalate_breached(now=wib(2026, 3, 9, 16, 0)) == 0
    assert customer_a.interactions.filter(source_id=complaint.pk, summary__contains="escalated").count() == 2


def test_it_does_not_escalate_answered_paused_or_resolved_complaints(helpdesk, customer_a, sales_a):
    answered = ComplaintFactory(customer=customer_a, now=wib(2026, 3, 4, 10, 0))
    services.complaint_status_set(complaint=answered, status="in_progress", by=sales_a, now=wib(2026, 3, 4, 11, 0))
    paused = ComplaintFactory(customer=customer_a, now=wib(2026, 3, 4, 10, 0))
    services.complaint_status_set(complaint=paused, status="waiting_customer", by=sales_a, now=wib(2026, 3, 4, 11, 0))
    done = ComplaintFactory(customer=customer_a, now=wib(2026, 3, 4, 10, 0))
    services.complaint_status_set(complaint=done, status="resolved", by=sales_a, now=wib(2026, 3, 4, 11, 0))
    # Past every first-response time, before any resolution time: nothing to escalate.
    assert services.complaints_escalate_breached(now=wib(2026, 3, 5, 10, 0)) == 0
    # Past the resolution time: only the one still being worked (paused and resolved are not).
    assert services.complaints_escalate_breached(now=wib(2026, 3, 20, 10, 0)) == 1
    assert Complaint.objects.filter(resolution_escalated_at__isnull=False).get() == answered


def test_the_beat_task_runs_the_sweep(helpdesk, customer_a):
    from complaints.tasks import complaints_sla_sweep_task

    ComplaintFactory(customer=customer_a, now=wib(2020, 3, 4, 10, 0))  # long overdue
    assert complaints_sla_sweep_task.apply().get() == 2  # first response and resolution
    assert complaints_sla_sweep_task.apply().get() == 0


def test_it_warns_the_assignee_once_before_the_resolution_time(helpdesk, customer_a, sales_a):
    complaint = ComplaintFactory(customer=customer_a, now=wib(2026, 3, 4, 10, 0))  # resolution due Mon 9 Mar 15:00
    services.complaint_status_set(complaint=complaint, status="in_progress", by=sales_a, now=wib(2026, 3, 4, 11, 0))
    services.complaints_escalate_breached(now=wib(2026, 3, 9, 12, 59))  # more than 2 h before: nothing
    assert not Notification.objects.filter(verb=services.WARNING).exists()
    services.complaints_escalate_breached(now=wib(2026, 3, 9, 13, 30))
    services.complaints_escalate_breached(now=wib(2026, 3, 9, 14, 0))  # the next beat: not again
    assert Notification.objects.filter(recipient=sales_a, verb=services.WARNING, target_id=complaint.pk).count() == 1
