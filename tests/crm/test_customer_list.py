"""The customer list: filters, the search box and stable query counts."""

import pytest
from django.urls import reverse

from crm.models import Customer
from tests.factories import AssetFactory, CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db
LIST = "/customers/"


def names(response):
    return sorted(c.name for c in response.context["page"].items)


@pytest.fixture
def people(branch_a, sales_a):
    vip = TagFactory(name="VIP")
    rina = CustomerFactory(name="Rina Wijaya", phone="+6281311112222", email="rina@contoh.id", city="Cimahi",
                           branch=branch_a, owner=sales_a, tags=[vip], consents={"sms": True})
    joko = CustomerFactory(name="Joko Susanto", phone="+6285733334444", email="joko.s@kantor.co.id",
                           city="Bandung", branch=branch_a)
    AssetFactory(customer=joko, plate_number="D 1234 ABC")
    return rina, joko


def test_it_searches_name_phone_email_and_plate(client, sales_a, people):
    client.force_login(sales_a)
    cases = {"wijaya": ["Rina Wijaya"], "RINA wij": ["Rina Wijaya"], "2222": ["Rina Wijaya"],
             "0813111": ["Rina Wijaya"], "+62813111": ["Rina Wijaya"], "813-1111": ["Rina Wijaya"],
             "kantor.co": ["Joko Susanto"], "D 1234": ["Joko Susanto"], "d1234abc": ["Joko Susanto"],
             "nobody here": []}
    for query, expected in cases.items():
        assert names(client.get(LIST, {"q": query})) == expected, query


def test_it_asks_for_three_characters(client, sales_a, people):
    client.force_login(sales_a)
    response = client.get(LIST, {"q": "ri"})
    assert "Type at least 3 characters to search." in response.content.decode()
    assert names(response) == []


def test_it_filters_by_city_tag_owner_and_consent(client, sales_a, people):
    client.force_login(sales_a)
    vip = TagFactory(name="VIP")
    assert names(client.get(LIST, {"city": "cimahi"})) == ["Rina Wijaya"]
    assert names(client.get(LIST, {"tag": vip.pk})) == ["Rina Wijaya"]
    assert names(client.get(LIST, {"owner": sales_a.pk})) == ["Rina Wijaya"]
    assert names(client.get(LIST, {"consent": "sms"})) == ["Rina Wijaya"]


def test_it_scopes_list_and_search_to_the_branch(client, staff_b, head_office_user, people, customer_b):
    client.force_login(staff_b)
    assert names(client.get(LIST)) == ["Siti Rahayu"]
    assert names(client.get(LIST, {"q": "wijaya"})) == []
    assert "branch" not in client.get(LIST).context["filter"].form.fields
    client.force_login(head_office_user)
    assert names(client.get(LIST)) == ["Joko Susanto", "Rina Wijaya", "Siti Rahayu"]
    assert names(client.get(LIST, {"branch": customer_b.branch_id})) == ["Siti Rahayu"]


@pytest.mark.parametrize("params", [{"branch": "abc"}, {"owner": "999999"}, {"page": "xyz"}, {"page": "-5"},
                                    {"q": "x" * 5000}, {"consent": "carrier-pigeon"}, {"tag": "1e9"}])
def test_it_never_fails_on_bad_filter_values(client, head_office_user, people, params):
    client.force_login(head_office_user)
    assert client.get(LIST, params).status_code == 200


def test_it_returns_only_the_rows_to_htmx(client, sales_a, people):
    client.force_login(sales_a)
    body = client.get(LIST, {"q": "rina"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results").content
    assert b"Rina Wijaya" in body and b"<html" not in body


def _grow(branch, owner, n=30):
    tags = [TagFactory(name=f"grow{i}") for i in range(3)]
    for i in range(n):
        customer = CustomerFactory(name=f"Tambahan {i}", branch=branch, owner=owner, tags=tags)
        AssetFactory(customer=customer)


def test_it_keeps_list_and_search_query_counts_flat(client, sales_a, people, django_assert_num_queries):
    client.force_login(sales_a)
    # session, user (+branch), the user's own and group permissions (2), customer page
    # (+branch, owner), owner filter options, tag filter options = 7.
    for growth in (False, True):
        if growth:
            _grow(sales_a.branch, sales_a)
        with django_assert_num_queries(7):
            client.get(LIST)
        with django_assert_num_queries(7):
            client.get(LIST, {"q": "wijaya"})


def test_it_keeps_the_360_page_query_count_flat(client, sales_a, customer_a, django_assert_num_queries):
    client.force_login(sales_a)
    # session, user (+branch), the user's own and group permissions (2), customer
    # (+branch, owner), tags, vehicles, contact persons, timeline page (+staff) = 9.
    for growth in (False, True):
        if growth:
            _grow(sales_a.branch, sales_a, n=5)
            for _ in range(3):
                AssetFactory(customer=customer_a)
            customer_a.tags.set(Customer.objects.first().tags.all())
        with django_assert_num_queries(9):
            client.get(customer_a.get_absolute_url())
        with django_assert_num_queries(6):
            # session, user, permissions (2), customer, timeline page.
            client.get(f"/customers/{customer_a.public_id}/timeline/?page=1", HTTP_HX_REQUEST="true")
