"""What lands on the contact history: vehicles and contact persons added or changed, who
a write is filed under, who owns a new customer, and what staff may log by hand."""

import pytest

from accounts.models import Department, User
from crm import services
from crm.models import Customer, Interaction
from tests.crm.pages import field_error, post_form, timeline_entries
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def log_url(customer):
    return f"{customer.get_absolute_url()}interactions/"


def entries(client, user, customer) -> list[dict]:
    client.force_login(user)
    return timeline_entries(client.get(customer.get_absolute_url()))


def test_it_writes_a_vehicle_added_on_the_360_page_to_the_timeline(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    url = f"/customers/{customer_a.public_id}/assets/new/"
    post_form(browser_client.get(url)).fill(make="Toyota", model="Rush", plate_number="d 1 ab").submit(
        browser_client, url=url)
    newest = entries(browser_client, sales_a, customer_a)[0]
    assert newest["summary"] == "Vehicle added: Toyota Rush (D 1 AB)."
    assert str(sales_a) in newest["header"] and "Sales" in newest["header"]


def test_it_writes_a_contact_person_added_on_the_360_page_to_the_timeline(browser_client, manager_a, customer_a):
    browser_client.force_login(manager_a)
    url = f"/customers/{customer_a.public_id}/contacts/new/"
    post_form(browser_client.get(url)).fill(name="Pak Joko", role="Fleet manager").submit(browser_client, url=url)
    newest = entries(browser_client, manager_a, customer_a)[0]
    assert newest["summary"] == "Contact person added: Pak Joko."
    assert "Branch Management" in newest["header"]


def test_it_writes_what_changed_on_a_vehicle_and_nothing_when_nothing_did(client, sales_a, customer_a):
    vehicle = AssetFactory(customer=customer_a, plate_number="D 1 AB", by=sales_a)
    services.asset_update(asset=vehicle, by=sales_a, plate_number="D 1 AB", make="Toyota")
    assert entries(client, sales_a, customer_a)[0]["summary"] == "Vehicle added: Toyota Avanza (D 1 AB)."
    services.asset_update(asset=vehicle, by=sales_a, plate_number="D 2 CD", odometer_km=20000)
    assert entries(client, sales_a, customer_a)[0]["summary"] == \
        "Vehicle Toyota Avanza (D 2 CD) updated: plate number, odometer (km)."


def test_it_writes_what_changed_on_a_contact_person(client, sales_a, customer_a):
    person = services.contact_person_create(customer=customer_a, by=sales_a, name="Pak Joko")
    services.contact_person_update(person=person, by=sales_a, name="Pak Joko", role="Owner")
    assert entries(client, sales_a, customer_a)[0]["summary"] == "Contact person Pak Joko updated: role."


def test_it_moves_a_vehicles_plate_and_history_with_it_to_another_customer(client, head_office_user, customer_a,
                                                                           customer_b):
    vehicle = AssetFactory(customer=customer_a, plate_number="D 1 AB", by=None)
    services.asset_update(asset=vehicle, by=head_office_user, customer=customer_b)
    customer_a.refresh_from_db()
    customer_b.refresh_from_db()
    assert "d1ab" not in customer_a.search_text and "d1ab" in customer_b.search_text
    assert entries(client, head_office_user, customer_a)[0]["summary"] == \
        "Vehicle Toyota Avanza (D 1 AB) moved to another customer."
    assert entries(client, head_office_user, customer_b)[0]["summary"] == "Vehicle added: Toyota Avanza (D 1 AB)."


def test_it_files_writes_by_someone_without_a_department_under_head_office(client, head_office_user, branch_a):
    nobody = User.objects.create_user(language="en", email="nodept@relasi.test", password="x", branch=branch_a)
    customer = services.customer_create(by=None, branch=branch_a, name="Tanpa Departemen")
    AssetFactory(customer=customer, plate_number="D 3 EF", by=nobody)
    services.contact_person_create(customer=customer, by=nobody, name="Bu Ani")
    services.customer_update(customer=customer, by=nobody, city="Garut")
    # Every one of them the same way, as the staff UI shows it.
    assert set(customer.interactions.values_list("department", flat=True)) == {Department.HEAD_OFFICE}
    assert all("Head Office" in e["header"] for e in entries(client, head_office_user, customer))


def test_it_makes_the_sales_rep_who_creates_a_customer_its_owner(browser_client, sales_a):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get("/customers/new/")).fill(name="Dewi Lestari", phone="0812-7777-6666")
    response = form.submit(browser_client, url="/customers/new/", follow=True)
    assert response.status_code == 200
    assert str(sales_a) in response.content.decode()
    assert Customer.objects.get(name="Dewi Lestari").owner == sales_a


def test_it_keeps_the_owner_chosen_in_the_form(browser_client, sales_a, manager_a):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get("/customers/new/")).fill(name="Dewi Lestari", owner=manager_a.pk)
    form.submit(browser_client, url="/customers/new/")
    assert Customer.objects.get(name="Dewi Lestari").owner == manager_a


def test_it_offers_only_what_a_person_does_in_the_quick_log(client, sales_a, customer_a):
    client.force_login(sales_a)
    form = post_form(client.get(customer_a.get_absolute_url()), action=log_url(customer_a))
    assert form.options["kind"] == ["call", "visit", "email", "sms", "note", "web_form"]
    assert form.options["channel"] == ["phone", "in_person", "email", "sms", "web"]


@pytest.mark.parametrize("kind,label", [
    ("order", "Order"), ("quotation", "Quotation"), ("complaint", "Complaint"),
    ("campaign_message", "Campaign message"), ("service_visit", "Service visit"),
])
def test_it_refuses_to_hand_log_a_kind_only_the_system_records(client, sales_a, customer_a, kind, label):
    client.force_login(sales_a)
    data = {"kind": kind, "channel": "phone", "direction": "out", "summary": "Typed by hand"}
    response = client.post(log_url(customer_a), data)
    assert response.status_code == 400
    assert field_error(response, "kind") == (
        f"“{label}” is recorded by the system. Log what you did: a call, visit, email, SMS, note or web form.")
    assert not Interaction.objects.filter(summary="Typed by hand").exists()


def test_it_refuses_to_hand_log_on_the_system_channel(client, sales_a, customer_a):
    client.force_login(sales_a)
    data = {"kind": "note", "channel": "system", "direction": "internal", "summary": "Typed by hand"}
    response = client.post(log_url(customer_a), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200  # htmx swaps only 2xx: the panel comes back with the error
    assert field_error(response, "channel") == \
        "Only the system writes on the “System” channel. Choose phone, in person, email, SMS or web."
    assert not Interaction.objects.filter(summary="Typed by hand").exists()
