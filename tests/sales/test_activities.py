"""Activities: planned from a lead, an opportunity or a customer; my agenda and its home card;
completing one writes the timeline and counts as contact for a lead. Every view: happy path,
anonymous, other branch, missing permission, wrong method; pinned query counts."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department, Notification
from crm.models import Interaction
from sales import activity_selectors, activity_services
from sales.models import Activity, Lead
from tests.factories import UserFactory

from .factories import LeadFactory, OpportunityFactory
from .factories_agenda import ActivityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead_a(branch_a, sales_a):
    return LeadFactory(branch=branch_a, owner=sales_a, name="Rina Wulandari")


@pytest.fixture
def opp_a(branch_a, sales_a, customer_a):
    return OpportunityFactory(branch=branch_a, owner=sales_a, customer=customer_a, title="Innova Zenix")


@pytest.fixture
def activity_a(branch_a, sales_a, customer_a, manager_a):
    return ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, subject="Call Budi back",
                           by=manager_a)


def of_activity(customer, activity):
    """The customer's timeline entries that came from ``activity``."""
    return customer.interactions.filter(source_type=ContentType.objects.get_for_model(Activity),
                                        source_id=activity.pk)


def form_time(when: dt.datetime) -> str:
    return timezone.localtime(when, ZoneInfo("Asia/Jakarta")).strftime("%d/%m/%Y %H:%M")


# --- services -------------------------------------------------------------------------------------
def test_it_plans_an_activity_on_a_lead_and_tells_the_assignee(lead_a, sales_a, manager_a):
    due = timezone.now() + dt.timedelta(hours=3)
    activity = activity_services.activity_create(by=manager_a, kind="call", subject="  Call about the Avanza ",
                                                 due_at=due, assignee=sales_a, lead=lead_a)
    assert (activity.branch, activity.lead, activity.customer, activity.subject) == (
        lead_a.branch, lead_a, None, "Call about the Avanza")
    note = Notification.objects.get(recipient=sales_a, verb=activity_services.ACTIVITY_ASSIGNED)
    assert note.target_url == activity.get_absolute_url()


def test_an_opportunitys_activity_belongs_to_its_customer_too(opp_a, sales_a, customer_a):
    activity = activity_services.activity_create(by=sales_a, kind="visit", subject="Test drive",
                                                 due_at=timezone.now(), assignee=sales_a, opportunity=opp_a)
    assert activity.customer == customer_a
    assert not Notification.objects.filter(recipient=sales_a).exists()  # nobody is told what they did


def test_it_refuses_an_activity_about_nothing_or_for_another_branchs_staff(branch_a, sales_a, staff_b, customer_a):
    with pytest.raises(ValidationError):
        activity_services.activity_create(by=sales_a, kind="call", subject="x", due_at=timezone.now(),
                                          assignee=sales_a)
    with pytest.raises(ValidationError) as refused:
        activity_services.activity_create(by=sales_a, kind="call", subject="x", due_at=timezone.now(),
                                          assignee=staff_b, customer=customer_a)
    assert "assignee" in refused.value.message_dict
    assert not Activity.objects.exists()


def test_completing_writes_the_customers_timeline_once(activity_a, sales_a, customer_a):
    activity_services.activity_complete(activity=activity_a, by=sales_a, outcome="Wants a quotation for 2 units.")
    entry = of_activity(customer_a, activity_a).get()
    assert (entry.kind, entry.channel, entry.direction, entry.staff, entry.department) == (
        Interaction.Kind.CALL, Interaction.Channel.PHONE, Interaction.Direction.OUTBOUND, sales_a, Department.SALES)
    assert entry.summary == "Call done: Call Budi back. Wants a quotation for 2 units."
    activity_a.refresh_from_db()
    assert activity_a.done_by == sales_a and activity_a.done_at is not None
    customer_a.refresh_from_db()
    assert customer_a.last_contact_at == entry.occurred_at
    with pytest.raises(ValidationError):
        activity_services.activity_complete(activity=activity_a, by=sales_a)
    assert of_activity(customer_a, activity_a).count() == 1


def test_a_call_with_a_new_lead_counts_as_its_first_contact(lead_a, sales_a):
    before = lead_a.score
    activity = ActivityFactory(branch=lead_a.branch, assignee=sales_a, lead=lead_a, kind="call")
    activity_services.activity_complete(activity=activity, by=sales_a)
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.CONTACTED
    assert lead_a.first_contacted_at is not None
    assert lead_a.score == before + activity_services.SCORE_RECENT_ACTIVITY
    # Not a customer yet: the step waits in the lead's history, moved to the timeline on conversion.
    assert lead_a.events.filter(summary="Call done: %s." % activity.subject).exists()


def test_a_converted_leads_activities_go_to_its_customer(lead_a, sales_a):
    activity = ActivityFactory(branch=lead_a.branch, assignee=sales_a, lead=lead_a, kind="visit")
    assert activity.customer is None  # a prospect, not a customer yet
    from sales import services

    services.lead_status_set(lead=lead_a, status=Lead.Status.QUALIFIED, by=sales_a)
    opportunity = services.lead_convert(lead=lead_a, by=sales_a)
    activity.refresh_from_db()
    assert activity.customer == opportunity.customer
    activity_services.activity_complete(activity=activity, by=sales_a)
    assert of_activity(opportunity.customer, activity).get().kind == Interaction.Kind.VISIT


def test_a_task_is_not_contact(lead_a, sales_a):
    activity = ActivityFactory(branch=lead_a.branch, assignee=sales_a, lead=lead_a, kind="task")
    activity_services.activity_complete(activity=activity, by=sales_a)
    lead_a.refresh_from_db()
    assert lead_a.status == Lead.Status.NEW and lead_a.first_contacted_at is None


def test_a_new_due_time_gets_its_own_reminder(activity_a, sales_a):
    Activity.objects.filter(pk=activity_a.pk).update(reminded_at=timezone.now())
    activity_services.activity_update(activity=activity_a, by=sales_a, subject="Call Budi back")
    activity_a.refresh_from_db()
    assert activity_a.reminded_at is not None
    activity_services.activity_update(activity=activity_a, by=sales_a, due_at=activity_a.due_at + dt.timedelta(1))
    activity_a.refresh_from_db()
    assert activity_a.reminded_at is None


# --- my agenda ------------------------------------------------------------------------------------
def test_the_agenda_splits_overdue_today_and_upcoming_in_the_branchs_zone(branch_a, sales_a, customer_a):
    branch_a.time_zone = "Asia/Jayapura"  # WIT, UTC+9
    branch_a.save()
    sales_a.refresh_from_db()
    zone = ZoneInfo("Asia/Jayapura")
    now = dt.datetime(2026, 11, 17, 22, 0, tzinfo=zone)  # 13:00 UTC; still the 17th in Jayapura
    rows = {}
    for name, due in [("overdue", now - dt.timedelta(hours=5)), ("late today", now + dt.timedelta(hours=1, minutes=30)),
                      ("tomorrow", now + dt.timedelta(hours=3)), ("in two weeks", now + dt.timedelta(days=14)),
                      ("too far", now + dt.timedelta(days=16))]:
        rows[name] = Activity.objects.create(branch=branch_a, kind="call", subject=name, due_at=due, assignee=sales_a,
                                             customer=customer_a)
    done = Activity.objects.create(branch=branch_a, kind="call", subject="done", due_at=now - dt.timedelta(hours=1),
                                   assignee=sales_a, customer=customer_a, done_at=now)
    agenda = activity_selectors.agenda(sales_a, now=now)
    assert agenda.today == dt.date(2026, 11, 17)
    assert [a.subject for a in agenda.overdue] == ["overdue"]
    assert [a.subject for a in agenda.due_today] == ["late today"]  # 23:30 WIT; 01:00 is tomorrow
    assert [a.subject for a in agenda.upcoming] == ["tomorrow", "in two weeks"]
    assert done not in agenda.overdue


def test_the_agenda_is_mine_alone(client, branch_a, sales_a, customer_a):
    colleague = UserFactory(branch=branch_a, department=Department.SALES)
    ActivityFactory(branch=branch_a, assignee=colleague, customer=customer_a, subject="Colleague's call")
    ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, subject="My call")
    client.force_login(sales_a)
    page = client.get(reverse("sales:agenda")).content.decode()
    assert "My call" in page and "Colleague&#x27;s call" not in page and "Colleague's call" not in page


def test_the_home_card_shows_what_is_overdue_or_due_today(client, branch_a, sales_a, customer_a):
    # Overdue (an hour ago) is on the card whatever the time of day the test runs.
    ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, subject="Due soon",
                    due_at=timezone.now() - dt.timedelta(hours=1))
    ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, subject="Next week",
                    due_at=timezone.now() + dt.timedelta(days=7))
    client.force_login(sales_a)
    page = client.get(reverse("crm:home")).content.decode()
    card = page.split('id="card-my_agenda"', 1)[1].split("</section>", 1)[0]
    assert "Due soon" in card and "Next week" not in card


def test_the_agenda_says_when_a_column_is_cut_short(client, branch_a, sales_a, customer_a, monkeypatch):
    monkeypatch.setattr(activity_selectors, "AGENDA_ROWS", 2)
    client.force_login(sales_a)
    for i in range(3):
        ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, subject=f"Late {i}",
                        due_at=timezone.now() - dt.timedelta(hours=3 - i))
        page = client.get(reverse("sales:agenda")).content.decode()
        assert ('id="agenda-truncated"' in page) == (i >= 1), i
    assert "Late 0" in page and "Late 1" in page and "Late 2" not in page  # the oldest first


@pytest.mark.parametrize("rows", [2, 12])
def test_the_agenda_costs_the_same_with_more_rows(client, branch_a, sales_a, customer_a, rows,
                                                  django_assert_num_queries):
    opp = OpportunityFactory(branch=branch_a, customer=customer_a)
    lead = LeadFactory(branch=branch_a)
    now = timezone.now()
    for i in range(rows):
        ActivityFactory(branch=branch_a, assignee=sales_a, due_at=now + dt.timedelta(hours=(i % 3 - 1) * 30 + i),
                        **[{"customer": customer_a}, {"lead": lead}, {"opportunity": opp}][i % 3])
    client.force_login(sales_a)
    # session, user, perms ×2, overdue, today, upcoming (customer, lead, opportunity joined)
    with django_assert_num_queries(7):
        assert client.get(reverse("sales:agenda")).status_code == 200


# --- pages ----------------------------------------------------------------------------------------
def test_it_plans_an_activity_from_the_lead_page(client, sales_a, lead_a):
    client.force_login(sales_a)
    page = client.get(lead_a.get_absolute_url()).content.decode()
    new_url = reverse("sales:activity_create_for_lead", args=[lead_a.public_id])
    assert new_url in page
    assert client.get(new_url).status_code == 200
    due = timezone.now() + dt.timedelta(days=1)
    response = client.post(new_url, {"kind": "visit", "subject": "Test drive Rush", "due_at": form_time(due),
                                     "assignee": sales_a.pk, "notes": ""})
    assert response.status_code == 302 and response["Location"] == lead_a.get_absolute_url()
    activity = Activity.objects.get(lead=lead_a)
    assert activity.kind == "visit" and abs(activity.due_at - due) < dt.timedelta(minutes=1)
    assert "Test drive Rush" in client.get(lead_a.get_absolute_url()).content.decode()


def test_it_says_what_is_wrong_at_the_field(client, sales_a, lead_a, staff_b):
    client.force_login(sales_a)
    url = reverse("sales:activity_create_for_lead", args=[lead_a.public_id])
    for data, field, message in [
        ({"kind": "call", "subject": " ", "due_at": "tomorrow", "assignee": sales_a.pk}, "subject", "required"),
        ({"kind": "call", "subject": "x", "due_at": "31/02/2026 10:00", "assignee": sales_a.pk}, "due_at", "valid"),
        ({"kind": "call", "subject": "x", "due_at": "01/01/2031 10:00", "assignee": sales_a.pk}, "due_at",
         "more than a year ahead"),
        ({"kind": "call", "subject": "x", "due_at": form_time(timezone.now()), "assignee": staff_b.pk}, "assignee",
         "valid choice"),
        ({"kind": "phone", "subject": "x", "due_at": form_time(timezone.now()), "assignee": sales_a.pk}, "kind",
         "valid choice"),
    ]:
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert message in " ".join(response.context["form"].errors[field]), (field, response.context["form"].errors)
    assert not Activity.objects.exists()


def test_it_plans_from_the_opportunity_and_the_customer_pages(client, sales_a, opp_a, customer_a):
    client.force_login(sales_a)
    assert reverse("sales:activity_create_for_opportunity", args=[opp_a.public_id]) in \
        client.get(opp_a.get_absolute_url()).content.decode()
    customer_page = client.get(customer_a.get_absolute_url()).content.decode()
    url = reverse("sales:activity_create_for_customer", args=[customer_a.public_id])
    assert 'id="panel-sales_activities"' in customer_page and url in customer_page
    response = client.post(url, {"kind": "call", "subject": "Service follow-up", "assignee": sales_a.pk,
                                 "due_at": form_time(timezone.now() + dt.timedelta(hours=2))})
    assert response["Location"] == customer_a.get_absolute_url()
    assert "Service follow-up" in client.get(customer_a.get_absolute_url()).content.decode()


def test_it_completes_from_the_activity_page(client, sales_a, activity_a, customer_a):
    client.force_login(sales_a)
    assert "activity-complete-form" in client.get(activity_a.get_absolute_url()).content.decode()
    url = reverse("sales:activity_complete", args=[activity_a.public_id])
    response = client.post(url, {"outcome": "Booked a test drive."})
    assert response["Location"] == activity_a.get_absolute_url()
    assert customer_a.interactions.filter(summary__contains="Booked a test drive.").count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Done: it is on the timeline." in page and "activity-complete-form" not in page
    again = client.post(url, {}, follow=True).content.decode()
    assert "This activity is already done." in again
    assert of_activity(customer_a, activity_a).count() == 1


def test_it_edits_an_open_activity(client, sales_a, activity_a, manager_a):
    client.force_login(sales_a)
    url = reverse("sales:activity_edit", args=[activity_a.public_id])
    due = timezone.now() + dt.timedelta(days=2)
    response = client.post(url, {"kind": "call", "subject": "Call Budi on Thursday", "due_at": form_time(due),
                                 "assignee": manager_a.pk, "notes": ""})
    assert response.status_code == 302
    activity_a.refresh_from_db()
    assert activity_a.subject == "Call Budi on Thursday" and activity_a.assignee == manager_a
    assert Notification.objects.filter(recipient=manager_a, verb=activity_services.ACTIVITY_ASSIGNED).exists()


ACTIVITY_URLS = ["sales:activity_detail", "sales:activity_edit", "sales:activity_complete"]


@pytest.mark.parametrize("name", ACTIVITY_URLS)
def test_it_hides_another_branchs_activity(client, staff_b, activity_a, name):
    client.force_login(staff_b)
    url = reverse(name, args=[activity_a.public_id])
    assert client.post(url, {"outcome": "x"}).status_code in (404, 405)
    assert client.get(url).status_code in (404, 405)
    activity_a.refresh_from_db()
    assert activity_a.done_at is None


@pytest.mark.parametrize("name", ["sales:activity_create_for_lead", "sales:activity_create_for_opportunity",
                                  "sales:activity_create_for_customer"])
def test_it_hides_another_branchs_records_from_the_new_activity_form(client, staff_b, lead_a, opp_a, customer_a,
                                                                      name):
    record = {"lead": lead_a, "opportunity": opp_a, "customer": customer_a}[name.rsplit("_", 1)[1]]
    client.force_login(staff_b)
    assert client.get(reverse(name, args=[record.public_id])).status_code == 404
    assert client.post(reverse(name, args=[record.public_id]), {
        "kind": "call", "subject": "x", "due_at": form_time(timezone.now()), "assignee": staff_b.pk}).status_code == 404
    assert not Activity.objects.exists()


def test_head_office_opens_every_branchs_activity(client, head_office_user, activity_a):
    client.force_login(head_office_user)
    assert client.get(activity_a.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("name", ["sales:agenda"])
def test_it_sends_anonymous_visitors_to_log_in(client, name, activity_a):
    for url in (reverse(name), activity_a.get_absolute_url(),
                reverse("sales:activity_complete", args=[activity_a.public_id])):
        response = client.get(url) if "complete" not in url else client.post(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_refuses_staff_without_the_permission(client, readonly_a, activity_a, lead_a):
    client.force_login(readonly_a)  # quality control: no sales permissions
    assert client.get(reverse("sales:agenda")).status_code == 403
    assert client.get(activity_a.get_absolute_url()).status_code == 403
    assert client.post(reverse("sales:activity_complete", args=[activity_a.public_id])).status_code == 403
    assert client.get(reverse("sales:activity_create_for_lead", args=[lead_a.public_id])).status_code == 403


def test_marketing_reads_leads_but_plans_no_activity(client, branch_a, lead_a, activity_a):
    marketing = UserFactory(branch=branch_a, department=Department.MARKETING)
    client.force_login(marketing)
    assert client.get(lead_a.get_absolute_url()).status_code == 200
    assert client.get(reverse("sales:activity_create_for_lead", args=[lead_a.public_id])).status_code == 403
    assert client.post(reverse("sales:activity_complete", args=[activity_a.public_id])).status_code == 403


def test_it_refuses_get_on_the_complete_url(client, sales_a, activity_a):
    client.force_login(sales_a)
    assert client.get(reverse("sales:activity_complete", args=[activity_a.public_id])).status_code == 405


@pytest.mark.parametrize("rows", [1, 10])
def test_the_activity_page_costs_the_same(client, branch_a, sales_a, customer_a, rows,
                                                       django_assert_num_queries):
    activities = [ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a) for _ in range(rows)]
    client.force_login(sales_a)
    # session, user, perms ×2, the activity (+branch, assignee, customer, lead, opportunity, done by)
    with django_assert_num_queries(5):
        assert client.get(activities[0].get_absolute_url()).status_code == 200


def test_a_manager_opens_a_reps_agenda_of_their_branch_only(client, branch_a, sales_a, manager_a, staff_b,
                                                            customer_a, head_office_user):
    ActivityFactory(branch=branch_a, assignee=sales_a, customer=customer_a, subject="Rep's call")
    ActivityFactory(branch=branch_a, assignee=manager_a, customer=customer_a, subject="Manager's own")
    url = reverse("sales:agenda")
    client.force_login(manager_a)
    page = client.get(url).content.decode()
    assert "Manager&#x27;s own" in page and "Rep&#x27;s call" not in page and 'id="agenda-rep"' in page
    assert f'value="{staff_b.pk}"' not in page  # only the branch's reps are offered
    page = client.get(url, {"rep": str(sales_a.pk)}).content.decode()
    assert "Rep&#x27;s call" in page and "Manager&#x27;s own" not in page and f"Agenda of {sales_a}" in page
    assert client.get(url, {"rep": str(staff_b.pk)}).status_code == 404
    assert client.get(url, {"rep": "not-a-uuid"}).status_code == 404

    client.force_login(sales_a)  # a rep has no choice: ?rep= is not theirs to use
    page = client.get(url, {"rep": str(manager_a.pk)}).content.decode()
    assert "Rep&#x27;s call" in page and "Manager&#x27;s own" not in page and 'id="agenda-rep"' not in page

    client.force_login(head_office_user)
    assert "Rep&#x27;s call" in client.get(url, {"rep": str(sales_a.pk)}).content.decode()
    assert client.get(url, {"rep": str(staff_b.pk)}).status_code == 200
