"""Creating a customer through the "New customer" page, the way staff do it in a browser."""

import datetime as dt

import pytest
from django.utils import timezone

from crm.models import Customer
from tests.crm.pages import field_error, field_error_html, flash_messages, post_form, timeline_entries
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_URL = "/customers/new/"

RINA = {
    "kind": "person", "name": "Rina Wijaya", "phone": "0812-9999-1111", "email": "rina@contoh.id",
    "birth_date": "1990-05-17", "address": "Jl. Dago No. 5", "city": "Bandung", "province": "Jawa Barat",
}


def open_form(client):
    page = client.get(NEW_URL)
    assert page.status_code == 200
    return post_form(page)


def test_it_creates_a_customer_from_the_filled_in_form(browser_client, sales_a):
    browser_client.force_login(sales_a)
    form = open_form(browser_client).fill(
        **{**RINA, "name": "  Rina   Wijaya ", "phone": "0812-3456-7890", "email": "Rina.W@Contoh.ID"},
        sms_consent=True, phone_consent=True, consent_source="signed_form",
    )
    before = timezone.now()
    response = form.submit(browser_client, url=NEW_URL, follow=True)

    customer = Customer.objects.get()
    assert response.redirect_chain == [(customer.get_absolute_url(), 302)]
    assert flash_messages(response) == ["Customer Rina Wijaya created."]
    body = response.content.decode()
    assert "<h1" in body and "Rina Wijaya" in body and "+62 812-3456-7890" in body and "17 May 1990" in body
    # Stored cleaned: one space in the name, E.164 phone, lower-cased email.
    assert customer.name == "Rina Wijaya"
    assert customer.phone == "+6281234567890"
    assert customer.email == "rina.w@contoh.id"
    assert customer.birth_date == dt.date(1990, 5, 17)
    assert customer.branch == sales_a.branch
    # Consent per channel, each stamped with when and how it was recorded.
    assert (customer.sms_consent, customer.email_consent, customer.phone_consent) == (True, False, True)
    for channel in ("sms", "email", "phone"):
        assert before <= getattr(customer, f"{channel}_consent_at") <= timezone.now()
        assert getattr(customer, f"{channel}_consent_source") == "signed_form"
    # The creation is the first entry on the contact history, by this staff member.
    [entry] = timeline_entries(response)
    assert entry["summary"] == "Customer record created."
    assert "Sales" in entry["header"] and str(sales_a) in entry["header"]
    # The search box finds the new customer straight away, by name or number.
    for query in ["rina wij", "0812-3456-7890", "rina.w@contoh"]:
        found = browser_client.get("/customers/", {"q": query}).context["page"].items
        assert [c.pk for c in found] == [customer.pk], query


def test_it_puts_the_customer_in_the_branch_of_the_branch_staff_who_creates_it(browser_client, sales_a, branch_b):
    browser_client.force_login(sales_a)
    form = open_form(browser_client)
    assert "branch" not in form.all_names()  # nothing to choose
    # Even a hand-made POST naming another branch lands in the user's own branch.
    form.fields["branch"] = [str(branch_b.pk)]
    form.fill(**RINA)
    assert form.submit(browser_client, url=NEW_URL).status_code == 302
    assert Customer.objects.get().branch == sales_a.branch


def test_it_lets_head_office_choose_any_branch_but_head_office_itself(browser_client, head_office_user, branch_a,
                                                                       branch_b, head_office):
    browser_client.force_login(head_office_user)
    form = open_form(browser_client)
    assert set(form.options["branch"]) == {"", str(branch_a.pk), str(branch_b.pk)}

    response = form.fill(**RINA, branch="").submit(browser_client, url=NEW_URL)
    assert response.status_code == 200
    assert field_error(response, "branch") == "This field is required."
    assert not Customer.objects.exists()

    form = post_form(response).fill(branch=branch_b.pk)
    assert form.submit(browser_client, url=NEW_URL).status_code == 302
    assert Customer.objects.get().branch == branch_b


def test_it_offers_and_accepts_only_owners_from_the_users_branch(browser_client, sales_a, manager_a, staff_b):
    browser_client.force_login(sales_a)
    form = open_form(browser_client)
    assert set(form.options["owner"]) == {"", str(sales_a.pk), str(manager_a.pk)}
    form.fields["owner"] = [str(staff_b.pk)]  # not offered, typed into the request by hand
    response = form.fill(**RINA).submit(browser_client, url=NEW_URL)
    assert response.status_code == 200
    assert field_error(response, "owner") == "Select a valid choice. That choice is not one of the available choices."
    assert not Customer.objects.exists()

    response = post_form(response).fill(owner=manager_a.pk).submit(browser_client, url=NEW_URL)
    assert response.status_code == 302
    assert Customer.objects.get().owner == manager_a


@pytest.mark.parametrize("field,value,message", [
    ("phone", "12345", "“12345” is not a valid phone number (example: 0812-3456-7890)."),
    ("phone", "abc", "“abc” is not a phone number."),
    ("phone_alt", "0812", "“0812” is not a valid phone number (example: 0812-3456-7890)."),
    ("email", "rina@", "Enter a valid email address."),
    ("email", "rina contoh.id", "Enter a valid email address."),
    ("birth_date", "tomorrow", "Enter a valid date."),
    ("birth_date", "17-05-banana", "Enter a valid date."),
    ("birth_date", "1899-12-31", "Enter a birth date after 1900."),
    ("name", "   ", "This field is required."),
    ("kind", "robot", "Select a valid choice. robot is not one of the available choices."),
])
def test_it_shows_bad_input_at_the_field_and_saves_nothing(browser_client, sales_a, customer_a, field, value, message):
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(**{**RINA, field: value}).submit(browser_client, url=NEW_URL)
    assert response.status_code == 200
    assert field_error(response, field) == message
    assert Customer.objects.count() == 1  # only customer_a
    # What was typed is still in the form, to be corrected rather than retyped.
    kept = post_form(response).fields
    assert kept["city"] == ["Bandung"] and kept["address"] == ["Jl. Dago No. 5"]


def test_it_refuses_a_birth_date_in_the_future(browser_client, sales_a):
    browser_client.force_login(sales_a)
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = open_form(browser_client).fill(**{**RINA, "birth_date": tomorrow}).submit(browser_client, url=NEW_URL)
    assert response.status_code == 200
    assert field_error(response, "birth_date") == "The birth date cannot be in the future."
    assert not Customer.objects.exists()
    # Today is fine: a customer registered on the day they are born.
    response = post_form(response).fill(birth_date=timezone.localdate().isoformat()).submit(browser_client, url=NEW_URL)
    assert response.status_code == 302


def test_it_warns_about_a_duplicate_phone_with_a_link_and_saves_once_confirmed(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(**{**RINA, "phone": "+62 812-3456-7890"}).submit(browser_client,
                                                                                              url=NEW_URL)
    assert response.status_code == 200
    assert field_error(response, "phone") == "Already used by Budi Santoso. Check it is not the same customer."
    assert f'<a href="{customer_a.get_absolute_url()}">Budi Santoso</a>' in field_error_html(response, "phone")
    assert "This phone number or email already belongs to another customer." in response.content.decode()
    assert Customer.objects.count() == 1

    # The warning page now has a "save anyway" box; ticking it saves the second customer.
    form = post_form(response)
    assert "confirm_duplicate" in form.checkboxes and "confirm_duplicate" not in form.fields
    response = form.fill(confirm_duplicate=True).submit(browser_client, url=NEW_URL, follow=True)
    assert flash_messages(response) == ["Customer Rina Wijaya created."]
    assert Customer.objects.filter(phone="+6281234567890").count() == 2


def test_it_warns_at_the_email_field_about_a_duplicate_email_typed_in_capitals(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(**{**RINA, "email": "BUDI@Contoh.ID"}).submit(browser_client,
                                                                                           url=NEW_URL)
    assert f'<a href="{customer_a.get_absolute_url()}">Budi Santoso</a>' in field_error_html(response, "email")
    assert field_error(response, "phone") == ""
    assert Customer.objects.count() == 1


def test_it_warns_at_the_other_phone_field_when_that_one_is_taken(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(**{**RINA, "phone_alt": "081234567890"}).submit(browser_client,
                                                                                             url=NEW_URL)
    assert field_error(response, "phone_alt") == "Already used by Budi Santoso. Check it is not the same customer."
    assert field_error(response, "phone") == ""
    assert Customer.objects.count() == 1


def test_it_warns_when_the_phone_is_another_customers_other_phone(browser_client, sales_a, branch_a):
    CustomerFactory(name="Dewi Lestari", phone="+6281377778888", phone_alt="+6281234567890", email="",
                    branch=branch_a)
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(**{**RINA, "phone": "0812-3456-7890"}).submit(browser_client,
                                                                                           url=NEW_URL)
    assert field_error(response, "phone") == "Already used by Dewi Lestari. Check it is not the same customer."
    assert Customer.objects.count() == 1


def test_it_warns_about_two_different_duplicates_at_their_own_fields(browser_client, sales_a, customer_a, branch_a):
    CustomerFactory(name="Dewi Lestari", phone="+6281377778888", email="dewi@contoh.id", branch=branch_a)
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(**{**RINA, "phone": customer_a.phone, "email": "dewi@contoh.id"}).submit(
        browser_client, url=NEW_URL)
    assert field_error(response, "phone") == "Already used by Budi Santoso. Check it is not the same customer."
    assert field_error(response, "email") == "Already used by Dewi Lestari. Check it is not the same customer."
    assert Customer.objects.count() == 2


def test_it_warns_about_a_duplicate_together_with_the_other_errors(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(
        **{**RINA, "phone": customer_a.phone, "email": "rina@"}).submit(browser_client, url=NEW_URL)
    assert field_error(response, "phone").startswith("Already used by Budi Santoso.")
    assert field_error(response, "email") == "Enter a valid email address."
    assert Customer.objects.count() == 1


def test_it_names_only_the_branch_of_a_duplicate_from_another_branch(browser_client, staff_b, customer_a):
    browser_client.force_login(staff_b)
    response = open_form(browser_client).fill(**{**RINA, "email": "budi@contoh.id"}).submit(browser_client,
                                                                                           url=NEW_URL)
    assert response.status_code == 200
    assert field_error(response, "email") == (
        "Already used by a customer of branch Cabang Bandung. Check it is not the same customer.")
    assert "<a" not in field_error_html(response, "email")
    body = response.content.decode()
    assert str(customer_a.public_id) not in body and "Budi Santoso" not in body
    assert Customer.objects.count() == 1

    response = post_form(response).fill(confirm_duplicate=True).submit(browser_client, url=NEW_URL)
    assert response.status_code == 302
    assert Customer.objects.get(email="budi@contoh.id", branch=staff_b.branch).name == "Rina Wijaya"


def test_it_links_head_office_to_a_duplicate_in_any_branch(browser_client, head_office_user, customer_b, branch_a):
    browser_client.force_login(head_office_user)
    response = open_form(browser_client).fill(**{**RINA, "phone": "0813-9876-5432"}, branch=branch_a.pk).submit(
        browser_client, url=NEW_URL)
    assert f'<a href="{customer_b.get_absolute_url()}">Siti Rahayu</a>' in field_error_html(response, "phone")
    assert Customer.objects.count() == 1


def test_it_does_not_warn_for_numbers_and_emails_nobody_else_uses(browser_client, sales_a, branch_a):
    CustomerFactory(name="Someone Else", phone="+6281299990000", email="else@contoh.id", branch=branch_a)
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(**RINA).submit(browser_client, url=NEW_URL)
    assert response.status_code == 302
    assert Customer.objects.count() == 2


def test_it_sends_anonymous_visitors_to_log_in_and_creates_nothing(client):
    response = client.get(NEW_URL)
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={NEW_URL}"
    response = client.post(NEW_URL, RINA)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Customer.objects.exists()


def test_it_refuses_creating_to_a_staff_member_without_a_branch(browser_client):
    browser_client.force_login(UserFactory(email="no.branch@relasi.test", branch=None))
    assert browser_client.get(NEW_URL).status_code == 403
    response = browser_client.post(NEW_URL, {**RINA, "consent_source": "branch_desk"})
    assert response.status_code == 403
    assert not Customer.objects.exists()


def test_it_refuses_the_create_page_to_a_read_only_role(browser_client, readonly_a, sales_a):
    browser_client.force_login(readonly_a)
    assert browser_client.get(NEW_URL).status_code == 403
    # The list offers the "New customer" button to sales, not to QC.
    assert f'href="{NEW_URL}"' not in browser_client.get("/customers/").content.decode()
    # A hand-made POST with a valid CSRF token is refused by the role permission.
    response = browser_client.post(NEW_URL, {**RINA, "consent_source": "branch_desk",
                                             "csrfmiddlewaretoken": browser_client.cookies["csrftoken"].value})
    assert response.status_code == 403
    assert not Customer.objects.exists()
    browser_client.force_login(sales_a)
    assert f'href="{NEW_URL}"' in browser_client.get("/customers/").content.decode()
