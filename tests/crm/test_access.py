"""Every customer URL: unknown, malformed and other-branch ids are a plain 404, and nothing is written."""

import uuid

import pytest

from crm.models import Asset, ContactPerson, Customer, Interaction

pytestmark = pytest.mark.django_db

# (method, path under /customers/<id>/, POST data)
CUSTOMER_URLS = [
    ("get", "", None),
    ("get", "edit/", None),
    ("post", "edit/", {"kind": "person", "name": "Hacked", "consent_source": "import"}),
    ("get", "timeline/", None),
    ("get", "timeline/?page=2", None),
    ("post", "interactions/", {"kind": "call", "channel": "phone", "direction": "out", "summary": "sneaky"}),
    ("get", "assets/new/", None),
    ("post", "assets/new/", {"make": "Toyota", "model": "Avanza", "plate_number": "B 1 XX"}),
    ("get", "contacts/new/", None),
    ("post", "contacts/new/", {"name": "Sneaky", "phone": "0811-222-3333"}),
]
IDS = [f"{method} {path or 'detail'}" for method, path, _ in CUSTOMER_URLS]


def rows():
    return (Customer.objects.count(), Interaction.objects.count(), Asset.objects.count(),
            ContactPerson.objects.count(), list(Customer.objects.values_list("name", flat=True).order_by("id")))


def call(client, method, url, data):
    return client.post(url, data) if method == "post" else client.get(url)


@pytest.mark.parametrize("method,path,data", CUSTOMER_URLS, ids=IDS)
def test_it_hides_another_branchs_customer_on_every_url(client, staff_b, customer_a, method, path, data):
    before = rows()
    client.force_login(staff_b)
    response = call(client, method, f"/customers/{customer_a.public_id}/{path}", data)
    assert response.status_code == 404
    assert "Budi Santoso" not in response.content.decode()
    assert "There is nothing here, or it belongs to another branch." in response.content.decode()
    assert rows() == before


@pytest.mark.parametrize("method,path,data", CUSTOMER_URLS, ids=IDS)
def test_it_answers_404_for_an_unknown_id_on_every_url(client, sales_a, customer_a, method, path, data):
    before = rows()
    client.force_login(sales_a)
    assert call(client, method, f"/customers/{uuid.uuid4()}/{path}", data).status_code == 404
    assert rows() == before


@pytest.mark.parametrize("bad_id", ["not-a-uuid", "1", "12345678-1234-1234-1234-12345678901Z", "%00", "..%2F..",
                                    "00000000-0000-0000-0000-000000000000"])
@pytest.mark.parametrize("method,path,data", CUSTOMER_URLS, ids=IDS)
def test_it_answers_404_for_a_malformed_id_on_every_url(client, sales_a, method, path, data, bad_id):
    client.force_login(sales_a)
    assert call(client, method, f"/customers/{bad_id}/{path}", data).status_code == 404
    assert not Interaction.objects.exists()


@pytest.mark.parametrize("method,path,data", [u for u in CUSTOMER_URLS if u[0] == "get"],
                         ids=[i for i, u in zip(IDS, CUSTOMER_URLS) if u[0] == "get"])
def test_it_opens_every_page_of_any_branchs_customer_to_head_office(client, head_office_user, customer_a, method,
                                                                     path, data):
    client.force_login(head_office_user)
    assert call(client, method, f"/customers/{customer_a.public_id}/{path}", data).status_code == 200


def test_it_opens_the_pages_of_its_own_branch_to_branch_staff(client, sales_a, customer_a):
    client.force_login(sales_a)
    for method, path, data in CUSTOMER_URLS:
        if method == "get":
            assert call(client, method, f"/customers/{customer_a.public_id}/{path}", data).status_code == 200, path


@pytest.mark.parametrize("method,path,data", CUSTOMER_URLS, ids=IDS)
def test_it_sends_anonymous_visitors_to_log_in_from_every_url(client, customer_a, method, path, data):
    before = rows()
    response = call(client, method, f"/customers/{customer_a.public_id}/{path}", data)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/customers/")
    assert rows() == before
