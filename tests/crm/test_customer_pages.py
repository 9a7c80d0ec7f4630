"""Creating and editing customers through the pages, as a browser would."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Customer, Interaction

pytestmark = pytest.mark.django_db

NEW = {
    "kind": "person", "name": "Rina Wijaya", "phone": "0812-3456-7890", "phone_alt": "", "email": "Rina@Contoh.ID",
    "birth_date": "1990-05-17", "address": "Jl. Dago No. 5", "city": "Bandung", "province": "Jawa Barat",
    "consent_source": "branch_desk", "sms_consent": "on",
}


def test_it_creates_a_customer_in_the_users_branch(client, sales_a):
    client.force_login(sales_a)
    assert client.get(reverse("crm:customer_create")).status_code == 200
    response = client.post(reverse("crm:customer_create"), NEW, follow=True)
    customer = Customer.objects.get(name="Rina Wijaya")
    assert response.redirect_chain[-1][0] == customer.get_absolute_url()
    assert "Customer Rina Wijaya created." in response.content.decode()
    assert customer.phone == "+6281234567890"
    assert customer.email == "rina@contoh.id"
    assert customer.branch == sales_a.branch
    assert customer.sms_consent and not customer.email_consent
    assert customer.sms_consent_source == "branch_desk" and customer.sms_consent_at is not None
    assert customer.email_consent is False
    assert customer.interactions.filter(summary="Customer record created.", staff=sales_a).exists()


@pytest.mark.parametrize("field,value,message", [
    ("phone", "0812", "not a valid phone number"),
    ("phone", "abc", "is not a phone number"),
    ("email", "rina@", "Enter a valid email address."),
    ("birth_date", (timezone.localdate() + dt.timedelta(days=3)).isoformat(), "cannot be in the future"),
    ("birth_date", "17-05-banana", "Enter a valid date."),
    ("name", "   ", "This field is required."),
])
def test_it_shows_bad_input_at_the_field_and_saves_nothing(client, sales_a, field, value, message):
    client.force_login(sales_a)
    response = client.post(reverse("crm:customer_create"), {**NEW, field: value})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not Customer.objects.exists()


def test_it_warns_about_a_duplicate_phone_with_a_link_before_saving(client, sales_a, customer_a):
    client.force_login(sales_a)
    response = client.post(reverse("crm:customer_create"), {**NEW, "phone": "+62 812-3456-7890"})
    body = response.content.decode()
    assert f'href="{customer_a.get_absolute_url()}"' in body
    assert Customer.objects.count() == 1
    # Ticking "save anyway" saves the second customer.
    response = client.post(reverse("crm:customer_create"), {**NEW, "confirm_duplicate": "on"})
    assert response.status_code == 302
    assert Customer.objects.filter(phone="+6281234567890").count() == 2


def test_it_names_the_branch_but_does_not_link_a_duplicate_of_another_branch(client, staff_b, customer_a):
    client.force_login(staff_b)
    response = client.post(reverse("crm:customer_create"), {**NEW, "email": "BUDI@contoh.id"})
    body = response.content.decode()
    assert "Already used by a customer of branch Cabang Bandung" in body
    assert customer_a.get_absolute_url() not in body
    assert Customer.objects.count() == 1


def test_it_escapes_html_typed_into_fields_everywhere(client, sales_a):
    client.force_login(sales_a)
    evil = "<script>alert(1)</script><b>x</b>"
    client.post(reverse("crm:customer_create"), {**NEW, "name": evil, "city": evil})
    customer = Customer.objects.get()
    client.post(reverse("crm:interaction_create", args=[customer.public_id]),
                {"kind": "call", "channel": "phone", "direction": "out", "summary": evil})
    for url in [reverse("crm:customer_list"), customer.get_absolute_url(),
                reverse("crm:customer_edit", args=[customer.public_id]),
                reverse("crm:customer_timeline", args=[customer.public_id])]:
        body = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in body, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body, url
    # And in the duplicate warning, which is built as HTML.
    body = client.post(reverse("crm:customer_create"), {**NEW, "name": "Other"}).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_it_edits_a_customer_and_logs_the_change(client, sales_a, customer_a):
    client.force_login(sales_a)
    form = client.get(reverse("crm:customer_edit", args=[customer_a.public_id])).context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data.update({"name": "Budi Santoso Jr", "phone": "081234567890", "consent_source": "phone_call", "tags": []})
    data.pop("tags")
    response = client.post(reverse("crm:customer_edit", args=[customer_a.public_id]), data)
    assert response.status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.name == "Budi Santoso Jr"
    assert customer_a.interactions.filter(summary__startswith="Profile updated: name").exists()


def test_it_records_consent_withdrawal_with_time_and_source(client, sales_a, customer_a):
    customer_a.sms_consent = True
    customer_a.save()
    client.force_login(sales_a)
    data = {"kind": "person", "name": customer_a.name, "phone": customer_a.phone, "email": customer_a.email,
            "consent_source": "signed_form"}  # sms_consent unticked
    assert client.post(reverse("crm:customer_edit", args=[customer_a.public_id]), data).status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.sms_consent is False
    assert customer_a.sms_consent_source == "signed_form"
    assert customer_a.interactions.filter(summary__contains="SMS consent withdrawn (signed_form)").exists()


def test_it_keeps_the_saved_row_when_an_edit_is_invalid(client, sales_a, customer_a):
    client.force_login(sales_a)
    data = {"kind": "person", "name": "Changed", "phone": "0812", "consent_source": "phone_call"}
    response = client.post(reverse("crm:customer_edit", args=[customer_a.public_id]), data)
    assert response.status_code == 200
    customer_a.refresh_from_db()
    assert customer_a.name == "Budi Santoso" and customer_a.phone == "+6281234567890"


def test_it_refuses_editing_to_a_read_only_role(client, readonly_a, customer_a):
    client.force_login(readonly_a)
    url = reverse("crm:customer_edit", args=[customer_a.public_id])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "x"}).status_code == 403
    assert client.get(customer_a.get_absolute_url()).status_code == 200


def test_it_hides_other_branches_customers(client, staff_b, customer_a):
    client.force_login(staff_b)
    assert client.get(customer_a.get_absolute_url()).status_code == 404
    assert client.get(reverse("crm:customer_edit", args=[customer_a.public_id])).status_code == 404


def test_it_sends_anonymous_users_to_login(client, customer_a):
    response = client.get(customer_a.get_absolute_url())
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_answers_404_for_unknown_or_malformed_ids(client, sales_a):
    client.force_login(sales_a)
    assert client.get("/customers/not-a-uuid/").status_code == 404
    assert client.get("/customers/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_it_adds_a_vehicle_that_search_then_finds(client, sales_a, customer_a):
    client.force_login(sales_a)
    url = reverse("crm:asset_create", args=[customer_a.public_id])
    bad = client.post(url, {"make": "Toyota", "model": "Avanza", "vin": "SHORT"})
    assert "A VIN has 17 characters." in bad.content.decode()
    assert client.post(url, {"make": "Toyota", "model": "Avanza", "plate_number": "d 1234  xyz"}).status_code == 302
    assert customer_a.assets.get().plate_number == "D 1234 XYZ"
    for query in ["D 1234", "d1234xyz"]:
        page = client.get(reverse("crm:customer_list"), {"q": query}).context["page"]
        assert [c.pk for c in page.items] == [customer_a.pk], query


def test_it_adds_a_contact_person_to_a_company(client, sales_a, customer_a):
    client.force_login(sales_a)
    url = reverse("crm:contact_person_create", args=[customer_a.public_id])
    assert client.post(url, {"name": "Pak Joko", "role": "Fleet manager", "phone": "0811-222-3333"}).status_code == 302
    person = customer_a.contact_persons.get()
    assert person.phone == "+628112223333"
    assert "Pak Joko" in client.get(customer_a.get_absolute_url()).content.decode()


def test_it_refuses_adding_vehicles_to_a_read_only_role(client, readonly_a, customer_a):
    client.force_login(readonly_a)
    assert client.get(reverse("crm:asset_create", args=[customer_a.public_id])).status_code == 403
    assert Interaction.objects.filter(customer=customer_a).count() == 1
