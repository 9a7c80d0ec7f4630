"""Editing a customer: the change is saved and written to the contact history."""

import pytest
from django.utils import timezone

from crm import services
from crm.models import Customer, Interaction
from tests.crm.pages import field_error, flash_messages, post_form, timeline_entries

pytestmark = pytest.mark.django_db


def edit_url(customer):
    return f"/customers/{customer.public_id}/edit/"


@pytest.fixture
def rina(branch_a, sales_a):
    """A customer registered at the desk with consent recorded on every channel, as the create page does."""
    return services.customer_create(
        by=sales_a, branch=branch_a, name="Rina Wijaya", phone="+6281311112222", email="rina@contoh.id",
        city="Bandung", owner=sales_a, consents={"sms": True, "email": False, "phone": False},
        consent_source="branch_desk",
    )


def test_it_saves_an_edit_and_logs_what_changed(browser_client, sales_a, rina):
    browser_client.force_login(sales_a)
    page = browser_client.get(edit_url(rina))
    assert page.status_code == 200
    form = post_form(page)
    # The form opens with the saved values (the number grouped as people read it).
    assert form.fields["name"] == ["Rina Wijaya"] and form.fields["phone"] == ["+62 813-1111-2222"]
    assert form.fields["sms_consent"] == ["on"] and "email_consent" not in form.fields
    # Same number typed differently is not a change; the name and city are.
    form.fill(name="Rina Wijaya Putri", city="Cimahi", phone="0813-1111-2222")
    response = form.submit(browser_client, url=edit_url(rina), follow=True)

    assert response.redirect_chain == [(rina.get_absolute_url(), 302)]
    assert flash_messages(response) == ["Changes to Rina Wijaya Putri saved."]
    newest = timeline_entries(response)[0]
    assert newest["summary"] == "Profile updated: name, city."
    assert str(sales_a) in newest["header"] and "Sales" in newest["header"]
    rina.refresh_from_db()
    assert (rina.name, rina.city, rina.phone) == ("Rina Wijaya Putri", "Cimahi", "+6281311112222")
    # The search box finds the new name straight away.
    found = browser_client.get("/customers/", {"q": "wijaya putri"}).context["page"].items
    assert [c.pk for c in found] == [rina.pk]


def test_it_logs_nothing_when_the_form_is_saved_unchanged(browser_client, sales_a, rina):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(edit_url(rina)))
    assert form.submit(browser_client, url=edit_url(rina)).status_code == 302
    assert list(rina.interactions.values_list("summary", flat=True)) == ["Customer record created."]


def test_it_stamps_and_logs_a_consent_withdrawal(browser_client, manager_a, rina):
    given_at = rina.sms_consent_at
    email_stamp = (rina.email_consent_at, rina.email_consent_source)
    browser_client.force_login(manager_a)
    form = post_form(browser_client.get(edit_url(rina))).fill(sms_consent=False, consent_source="signed_form")
    response = form.submit(browser_client, url=edit_url(rina), follow=True)

    assert timeline_entries(response)[0]["summary"] == "SMS consent withdrawn (signed_form)."
    assert "Branch Management" in timeline_entries(response)[0]["header"]
    rina.refresh_from_db()
    assert rina.sms_consent is False
    assert given_at < rina.sms_consent_at <= timezone.now()
    assert rina.sms_consent_source == "signed_form"
    # Channels that did not change keep their own record.
    assert (rina.email_consent_at, rina.email_consent_source) == email_stamp


def test_it_stamps_and_logs_consent_given_together_with_a_profile_change(browser_client, sales_a, rina):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(edit_url(rina))).fill(email_consent=True, consent_source="phone_call",
                                                                province="Jawa Barat")
    form.submit(browser_client, url=edit_url(rina))
    rina.refresh_from_db()
    assert rina.email_consent is True and rina.email_consent_source == "phone_call"
    assert rina.interactions.filter(
        summary="Profile updated: province. EMAIL consent given (phone_call).").count() == 1


def test_it_does_not_claim_consent_was_withdrawn_when_it_was_never_given(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(edit_url(customer_a))).fill(name="Budi Santoso Jr")
    response = form.submit(browser_client, url=edit_url(customer_a), follow=True)
    assert timeline_entries(response)[0]["summary"] == "Profile updated: name."


def test_it_keeps_the_saved_row_when_an_edit_is_invalid(browser_client, sales_a, customer_a):
    saved = Customer.objects.values().get(pk=customer_a.pk)
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(edit_url(customer_a))).fill(name="Changed", phone="0812", email="x@")
    response = form.submit(browser_client, url=edit_url(customer_a))
    assert response.status_code == 200
    assert field_error(response, "phone") == "“0812” is not a valid phone number (example: 0812-3456-7890)."
    assert field_error(response, "email") == "Enter a valid email address."
    # The heading names the customer as saved, the fields keep what was typed.
    assert "Edit Budi Santoso</h1>" in response.content.decode()
    assert post_form(response).fields["name"] == ["Changed"]
    assert Customer.objects.values().get(pk=customer_a.pk) == saved
    assert customer_a.interactions.count() == 1


def test_it_warns_when_an_edit_takes_another_customers_number(browser_client, sales_a, customer_a, rina):
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get(edit_url(rina))).fill(phone=customer_a.phone)
    response = form.submit(browser_client, url=edit_url(rina))
    assert field_error(response, "phone") == "Already used by Budi Santoso. Check it is not the same customer."
    rina.refresh_from_db()
    assert rina.phone == "+6281311112222"


def test_it_refuses_the_edit_page_to_a_read_only_role(client, readonly_a, customer_a):
    saved = Customer.objects.values().get(pk=customer_a.pk)
    client.force_login(readonly_a)
    assert client.get(edit_url(customer_a)).status_code == 403
    response = client.post(edit_url(customer_a), {"kind": "person", "name": "Hacked", "consent_source": "import"})
    assert response.status_code == 403
    assert Customer.objects.values().get(pk=customer_a.pk) == saved
    # QC can still open the 360 page, which offers no Edit button.
    page = client.get(customer_a.get_absolute_url())
    assert page.status_code == 200 and edit_url(customer_a) not in page.content.decode()


def test_it_hides_another_branchs_customer_from_the_edit_page(client, staff_b, customer_a):
    client.force_login(staff_b)
    assert client.get(edit_url(customer_a)).status_code == 404
    response = client.post(edit_url(customer_a), {"kind": "person", "name": "Hacked", "consent_source": "import"})
    assert response.status_code == 404
    customer_a.refresh_from_db()
    assert customer_a.name == "Budi Santoso"


def test_it_sends_anonymous_visitors_to_log_in(client, customer_a):
    response = client.get(edit_url(customer_a))
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={edit_url(customer_a)}"
    response = client.post(edit_url(customer_a), {"kind": "person", "name": "Hacked", "consent_source": "import"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    customer_a.refresh_from_db()
    assert customer_a.name == "Budi Santoso"


def test_it_lets_head_office_move_a_customer_to_another_branch(browser_client, head_office_user, customer_a, branch_b):
    browser_client.force_login(head_office_user)
    form = post_form(browser_client.get(edit_url(customer_a)))
    assert form.fields["branch"] == [str(customer_a.branch_id)]
    form.fill(branch=branch_b.pk)
    assert form.submit(browser_client, url=edit_url(customer_a)).status_code == 302
    customer_a.refresh_from_db()
    assert customer_a.branch == branch_b
    assert Interaction.objects.filter(customer=customer_a, summary__startswith="Profile updated: branch").exists()
