"""Helpdesk pages: happy paths, anonymous, other branch, read-only, wrong method, query counts."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Department
from complaints import services
from complaints.models import Category, Complaint, ComplaintNote
from crm.models import Customer
from tests.factories import AssetFactory, CustomerFactory

from .factories import ComplaintFactory

pytestmark = pytest.mark.django_db


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def complaint(helpdesk, customer_a):
    return ComplaintFactory(customer=customer_a, category=Category.DELIVERY)


def test_it_lists_my_queue_with_a_fixed_number_of_queries(django_assert_num_queries, helpdesk, branch_a,
                                                          shipment_a):
    for _ in range(12):
        ComplaintFactory(customer=CustomerFactory(branch=branch_a), category=Category.DELIVERY)
    client = as_user(shipment_a)
    url = reverse("complaints:queue")
    client.get(url)  # warm the session, content types
    # session, user (+ branch), the user's and the groups' permissions, the page of complaints
    # (customer and assignee joined, one row more than the page to know if there is a next)
    with django_assert_num_queries(5):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count('href="/complaints/') >= 12
    for _ in range(8):
        ComplaintFactory(customer=CustomerFactory(branch=branch_a), category=Category.DELIVERY)
    with django_assert_num_queries(5):
        client.get(url + "?scope=department&breached=1&status=any")


def test_it_filters_the_queue(helpdesk, customer_a, sales_a, shipment_a):
    mine = ComplaintFactory(customer=customer_a, category=Category.ORDER_STATUS)
    theirs = ComplaintFactory(customer=customer_a, category=Category.DELIVERY)
    page = as_user(sales_a).get(reverse("complaints:queue")).content.decode()
    assert mine.code in page and theirs.code not in page
    page = as_user(sales_a).get(reverse("complaints:queue") + "?scope=all").content.decode()
    assert mine.code in page and theirs.code in page
    services.complaint_status_set(complaint=mine, status="resolved", by=sales_a)
    page = as_user(sales_a).get(reverse("complaints:queue")).content.decode()
    assert mine.code not in page
    page = as_user(sales_a).get(reverse("complaints:queue") + "?status=resolved").content.decode()
    assert mine.code in page


def test_it_shows_only_breached_complaints_when_asked(helpdesk, customer_a, sales_a):
    from .conftest import wib

    late = ComplaintFactory(customer=customer_a, now=wib(2020, 1, 6, 9, 0))
    fresh = ComplaintFactory(customer=customer_a)
    page = as_user(sales_a).get(reverse("complaints:queue") + "?breached=1").content.decode()
    assert late.code in page and fresh.code not in page


def test_it_shows_a_complaint_with_its_history_in_fixed_queries(django_assert_num_queries, complaint, sales_a,
                                                                shipment_a):
    client = as_user(shipment_a)
    url = complaint.get_absolute_url()
    client.get(url)
    for i in range(5):
        services.complaint_note_add(complaint=complaint, body=f"note {i}", reply=False, by=shipment_a)
    services.complaint_reroute(complaint=complaint, department=Department.SALES, assignee=sales_a, reason="x",
                               by=shipment_a)
    # session, user, two permission queries, the complaint (customer, branch, assignee...),
    # routing history, notes, files, the reroute form's staff list, the escalate form's branches
    with django_assert_num_queries(10):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200 and "note 4" in body and "Routing history" in body


def test_anonymous_visitors_are_sent_to_log_in(client, complaint, customer_a):
    for url in (reverse("complaints:queue"), complaint.get_absolute_url(),
                reverse("complaints:customer_complaint_create", args=[customer_a.public_id])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_another_branch_gets_404(complaint, staff_b, customer_a):
    client = as_user(staff_b)
    assert client.get(complaint.get_absolute_url()).status_code == 404
    assert client.post(reverse("complaints:complaint_status", args=[complaint.public_id]),
                       {"status": "in_progress"}).status_code == 404
    assert client.get(reverse("complaints:customer_complaint_create", args=[customer_a.public_id])).status_code == 404
    complaint.refresh_from_db()
    assert complaint.status == "assigned"


def test_a_branch_it_was_escalated_to_sees_it(complaint, staff_b, branch_b, manager_a):
    services.complaint_escalate(complaint=complaint, to_branch=branch_b, by=manager_a)
    assert as_user(staff_b).get(complaint.get_absolute_url()).status_code == 200


def test_a_read_only_role_may_look_but_not_change(complaint, marketing_a):
    client = as_user(marketing_a)
    assert client.get(complaint.get_absolute_url()).status_code == 200
    for name in ("complaint_status", "complaint_reroute", "complaint_take", "complaint_escalate", "complaint_note"):
        assert client.post(reverse(f"complaints:{name}", args=[complaint.public_id]),
                           {"status": "in_progress"}).status_code == 403, name


def test_post_only_urls_refuse_get(complaint, sales_a):
    client = as_user(sales_a)
    for name in ("complaint_status", "complaint_reroute", "complaint_take", "complaint_escalate", "complaint_note"):
        assert client.get(reverse(f"complaints:{name}", args=[complaint.public_id])).status_code == 405, name


def test_it_takes_a_complaint_from_the_360_page(helpdesk, customer_a, shipment_a, sales_a):
    asset = AssetFactory(customer=customer_a)
    client = as_user(sales_a)
    url = reverse("complaints:customer_complaint_create", args=[customer_a.public_id])
    assert client.get(url).status_code == 200
    response = client.post(url, {"category": "delivery", "priority": "high", "channel": "phone",
                                 "asset": asset.pk, "description": "Mobil belum datang."})
    complaint = Complaint.objects.get()
    assert response["Location"] == complaint.get_absolute_url()
    assert (complaint.asset, complaint.assignee, complaint.created_by) == (asset, shipment_a, sales_a)


def test_it_refuses_another_customers_vehicle_at_the_field(helpdesk, customer_a, customer_b, sales_a):
    other = AssetFactory(customer=customer_b)
    response = as_user(sales_a).post(
        reverse("complaints:customer_complaint_create", args=[customer_a.public_id]),
        {"category": "delivery", "priority": "normal", "channel": "phone", "asset": other.pk, "description": "x"})
    assert response.status_code == 200 and not Complaint.objects.exists()
    assert "Select a valid choice" in response.content.decode()


def test_the_helpdesk_finds_the_customer_by_phone_in_their_branch_only(helpdesk, customer_a, customer_b, sales_a):
    client = as_user(sales_a)
    url = reverse("complaints:complaint_create")
    data = {"category": "order_status", "priority": "normal", "channel": "phone", "description": "Belum ada kabar."}
    response = client.post(url, {**data, "phone": "0813-9876-5432"})  # customer_b's number, branch B
    assert response.status_code == 200 and "No customer of yours has this phone number" in response.content.decode()
    response = client.post(url, {**data, "phone": "0812-3456-7890"})
    assert Complaint.objects.get().customer == customer_a


def test_it_changes_status_notes_and_reroutes_through_the_page(complaint, shipment_a, sales_a):
    client = as_user(shipment_a)
    response = client.post(reverse("complaints:complaint_status", args=[complaint.public_id]),
                           {"status": "in_progress"})
    assert response["Location"] == complaint.get_absolute_url()
    response = client.post(reverse("complaints:complaint_status", args=[complaint.public_id]), {"status": "closed"})
    # "closed" cannot follow "in progress": said at the field, nothing changes.
    assert response.status_code == 400 and "cannot become" in response.content.decode()
    client.post(reverse("complaints:complaint_note", args=[complaint.public_id]), {"body": "Sudah dicek."})
    assert ComplaintNote.objects.get().kind == "internal"
    response = client.post(reverse("complaints:complaint_reroute", args=[complaint.public_id]),
                           {"department": "sales", "assignee": sales_a.pk, "reason": ""})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    client.post(reverse("complaints:complaint_reroute", args=[complaint.public_id]),
                {"department": "sales", "assignee": sales_a.pk, "reason": "Order question after all"})
    complaint.refresh_from_db()
    assert (complaint.department, complaint.assignee) == ("sales", sales_a)


def test_a_reply_to_a_closed_complaint_is_refused_at_the_field(complaint, shipment_a):
    Customer.objects.filter(pk=complaint.customer_id).update(sms_consent=True)
    services.complaint_status_set(complaint=complaint, status="resolved", by=shipment_a)
    response = as_user(shipment_a).post(reverse("complaints:complaint_note", args=[complaint.public_id]),
                                        {"body": "Halo", "reply": "on"})
    assert response.status_code == 400 and "reopen it before replying" in response.content.decode()


def test_it_shows_the_panel_the_card_and_finds_the_code(complaint, shipment_a, customer_a):
    client = as_user(shipment_a)
    page = client.get(customer_a.get_absolute_url()).content.decode()
    assert 'id="panel-complaints"' in page and complaint.get_absolute_url() in page
    home = client.get(reverse("crm:home")).content.decode()
    assert complaint.get_absolute_url() in home
    found = client.get(reverse("crm:customer_list") + f"?q={complaint.code}").content.decode()
    assert complaint.get_absolute_url() in found


def test_the_search_does_not_find_another_branchs_complaint(complaint, staff_b):
    found = as_user(staff_b).get(reverse("crm:customer_list") + f"?q={complaint.code}").content.decode()
    assert complaint.get_absolute_url() not in found


def test_the_queue_rows_show_labels_links_and_the_sla_badge(helpdesk, branch_a, shipment_a):
    import datetime as dt

    from django.utils import timezone

    late = ComplaintFactory(customer=CustomerFactory(branch=branch_a), category=Category.DELIVERY,
                            priority="high")
    Complaint.objects.filter(pk=late.pk).update(first_response_due=timezone.now() - dt.timedelta(hours=1))
    fresh = ComplaintFactory(customer=CustomerFactory(branch=branch_a, phone="+6281299990001"),
                             category=Category.DELIVERY)
    page = as_user(shipment_a).get(reverse("complaints:queue")).content.decode()
    row = page.split(late.code)[1].split("</tr>")[0]
    assert "Order not delivered" in row and "High" in row and "Shipment" in row
    assert 'data-sla="breached"' in row and "SLA breached" in row
    assert f'href="{late.get_absolute_url()}"' in page and f'href="{late.customer.get_absolute_url()}"' in page
    fresh_row = page.split(fresh.code)[1].split("</tr>")[0]
    assert 'title="First response due"' in fresh_row and 'data-sla="breached"' not in fresh_row
    shipment_a.language = "id"
    shipment_a.save()
    page = as_user(shipment_a).get(reverse("complaints:queue")).content.decode()
    # Labels worked out once per page are still in the reader's language.
    row = page.split(late.code)[1].split("</tr>")[0]
    assert "SLA terlampaui" in row and "Order not delivered" not in row
