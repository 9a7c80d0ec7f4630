"""Whatever staff or customers type is shown as text, never run as HTML or script."""

import pytest

from crm import services
from crm.models import Customer
from tests.crm.pages import field_error, post_form
from tests.factories import BranchFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

EVIL = "<script>alert(1)</script><b>x</b>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;"


def assert_escaped(response, where):
    body = response.content.decode()
    assert response.status_code == 200, where
    assert "<script>alert(1)</script>" not in body, where
    assert "<b>x</b>" not in body, where
    assert ESCAPED in body, where


@pytest.fixture
def evil_customer(browser_client, sales_a):
    """A customer whose name and city were typed with HTML in them, through the create page."""
    browser_client.force_login(sales_a)
    form = post_form(browser_client.get("/customers/new/"))
    form.fill(kind="person", name=EVIL, city=EVIL, address=EVIL, phone="0812-3456-7890", email="evil@contoh.id")
    assert form.submit(browser_client, url="/customers/new/").status_code == 302
    customer = Customer.objects.get()
    assert customer.name == EVIL  # stored as typed: escaping is the template's job
    response = browser_client.post(f"/customers/{customer.public_id}/interactions/",
                                   {"kind": "call", "channel": "phone", "direction": "out", "summary": EVIL,
                                    "csrfmiddlewaretoken": browser_client.cookies["csrftoken"].value})
    assert response.status_code == 302
    return customer


def test_it_escapes_html_on_the_list_and_in_search_results(browser_client, evil_customer):
    assert_escaped(browser_client.get("/customers/"), "list")
    assert_escaped(browser_client.get("/customers/", {"q": "script"}), "search")
    assert_escaped(browser_client.get("/customers/", {"q": "alert", "city": EVIL},
                                      HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results"), "htmx rows")


def test_it_escapes_html_on_the_360_page_and_the_timeline(browser_client, evil_customer):
    pid = evil_customer.public_id
    assert_escaped(browser_client.get(evil_customer.get_absolute_url()), "360 page")
    assert_escaped(browser_client.get(f"/customers/{pid}/timeline/?page=1"), "timeline page")
    response = browser_client.get(f"/customers/{pid}/timeline/?page=1", HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;" in body
    # The htmx answer after logging shows the new summary escaped too.
    response = browser_client.post(f"/customers/{pid}/interactions/",
                                   {"kind": "note", "channel": "system", "direction": "internal", "summary": EVIL,
                                    "csrfmiddlewaretoken": browser_client.cookies["csrftoken"].value},
                                   HTTP_HX_REQUEST="true")
    assert "<script>" not in response.content.decode() and ESCAPED in response.content.decode()


def test_it_escapes_html_in_the_edit_form_and_the_child_forms(browser_client, evil_customer):
    pid = evil_customer.public_id
    response = browser_client.get(f"/customers/{pid}/edit/")
    assert_escaped(response, "edit form")
    # The form field gives back the exact text, so saving does not mangle it.
    assert post_form(response).fields["name"] == [EVIL]
    assert_escaped(browser_client.get(f"/customers/{pid}/assets/new/"), "add vehicle")
    assert_escaped(browser_client.get(f"/customers/{pid}/contacts/new/"), "add contact person")


def test_it_escapes_the_name_in_the_duplicate_warning(browser_client, evil_customer):
    form = post_form(browser_client.get("/customers/new/")).fill(name="Someone", phone="081234567890")
    response = form.submit(browser_client, url="/customers/new/")
    assert field_error(response, "phone") == f"Already used by {EVIL}. Check it is not the same customer."
    assert_escaped(response, "duplicate warning")
    # The link itself is still a link.
    assert f'<a href="{evil_customer.get_absolute_url()}">{ESCAPED}</a>' in response.content.decode()


def test_it_escapes_a_branch_name_in_the_other_branch_duplicate_warning(browser_client):
    evil_branch = BranchFactory(code="evil", name=EVIL)
    CustomerFactory(name="Hidden", phone="+6281234567890", branch=evil_branch)
    browser_client.force_login(UserFactory(branch=BranchFactory(code="bdg2", name="Cabang Lain")))
    form = post_form(browser_client.get("/customers/new/")).fill(name="Someone", phone="081234567890")
    response = form.submit(browser_client, url="/customers/new/")
    assert field_error(response, "phone") == (
        f"Already used by a customer of branch {EVIL}. Check it is not the same customer.")
    assert_escaped(response, "other-branch duplicate warning")


def test_it_escapes_html_in_vehicles_and_contact_persons_on_the_360_page(client, sales_a, customer_a):
    services.asset_create(customer=customer_a, by=sales_a, make=EVIL, model="Avanza")
    services.contact_person_create(customer=customer_a, by=sales_a, name=EVIL, role=EVIL)
    client.force_login(sales_a)
    assert_escaped(client.get(customer_a.get_absolute_url()), "vehicles and contact persons")
