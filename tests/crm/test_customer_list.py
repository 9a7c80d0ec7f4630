"""The customer list: filters, the search box, branch scoping and htmx."""

import re

import pytest

from tests.crm.pages import forms_on
from tests.factories import AssetFactory, CustomerFactory, TagFactory

pytestmark = pytest.mark.django_db
LIST = "/customers/"


def names(response):
    """The customer names in the result table, as shown, top to bottom."""
    assert response.status_code == 200
    body = response.content.decode()
    rows = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r'<td><a href="/customers/[0-9a-f-]{36}/">([^<]*)</a>', rows)


@pytest.fixture
def people(branch_a, sales_a, manager_a, customer_a):
    """Three customers at branch A (Budi is customer_a: +6281234567890, budi@contoh.id)."""
    vip = TagFactory(name="VIP")
    rina = CustomerFactory(name="Rina Wijaya", phone="+6281311112222", email="rina@contoh.id", city="Cimahi",
                           branch=branch_a, owner=manager_a, tags=[vip], consents={"sms": True})
    joko = CustomerFactory(name="Joko Susanto", phone="+6285733334444", email="joko.s@kantor.co.id",
                           city="Bandung", branch=branch_a, consents={"email": True})
    AssetFactory(customer=joko, plate_number="D 1234 ABC")
    return {"rina": rina, "joko": joko, "budi": customer_a, "vip": vip}


def test_it_lists_the_branchs_customers_newest_first(client, sales_a, people, customer_b):
    client.force_login(sales_a)
    response = client.get(LIST)
    assert names(response) == ["Joko Susanto", "Rina Wijaya", "Budi Santoso"]
    body = response.content.decode()
    assert "+62 813-1111-2222" in body and "joko.s@kantor.co.id" in body and "Cimahi" in body
    assert "Siti Rahayu" not in body  # branch B


@pytest.mark.parametrize("query,expected", [
    ("wijaya", ["Rina Wijaya"]),
    ("RINA wij", ["Rina Wijaya"]),
    ("wijaya rina", ["Rina Wijaya"]),  # words in any order
    ("bud", ["Budi Santoso"]),  # three characters are enough
    ("7890", ["Budi Santoso"]),
    ("0812345", ["Budi Santoso"]),
    ("+62812345", ["Budi Santoso"]),
    ("812-3456", ["Budi Santoso"]),
    ("0812 3456 7890", ["Budi Santoso"]),
    ("kantor.co", ["Joko Susanto"]),
    ("RINA@CONTOH", ["Rina Wijaya"]),
    ("D 1234 ABC", ["Joko Susanto"]),
    ("d1234abc", ["Joko Susanto"]),
    ("d1234", ["Joko Susanto"]),
    ("1234 abc", ["Joko Susanto"]),
    ("contoh.id", ["Rina Wijaya", "Budi Santoso"]),
    ("nobody here", []),
    ("0899", []),
])
def test_it_searches_name_phone_email_and_plate(client, sales_a, people, query, expected):
    client.force_login(sales_a)
    response = client.get(LIST, {"q": query})
    assert names(response) == expected
    if not expected:
        assert "No customers match." in response.content.decode()


def test_it_finds_a_vehicle_by_a_partly_typed_plate(client, sales_a, people):
    client.force_login(sales_a)
    assert "Joko Susanto" in names(client.get(LIST, {"q": "D 1234"}))


def test_it_finds_only_the_owner_of_a_partly_typed_plate(client, sales_a, people):
    client.force_login(sales_a)
    assert names(client.get(LIST, {"q": "D 1234"})) == ["Joko Susanto"]


@pytest.mark.parametrize("query", ["ri", "  r  ", "08"])
def test_it_asks_for_three_characters_and_shows_no_rows(client, sales_a, people, query):
    client.force_login(sales_a)
    response = client.get(LIST, {"q": query})
    assert "Type at least 3 characters to search." in response.content.decode()
    assert names(response) == []


def test_it_filters_by_city_ignoring_case(client, sales_a, people):
    client.force_login(sales_a)
    for city in ["Cimahi", "cimahi", "CIMAHI", "  cimahi "]:
        assert names(client.get(LIST, {"city": city})) == ["Rina Wijaya"], city


def test_it_filters_by_a_city_typed_in_mixed_case(client, sales_a, branch_a):
    CustomerFactory(name="Dewi Lestari", city="Bandung barat", branch=branch_a)
    client.force_login(sales_a)
    assert names(client.get(LIST, {"city": "bandung barat"})) == ["Dewi Lestari"]


def test_it_filters_by_tag_owner_and_consent(client, sales_a, manager_a, people):
    client.force_login(sales_a)
    assert names(client.get(LIST, {"tag": people["vip"].pk})) == ["Rina Wijaya"]
    assert names(client.get(LIST, {"owner": manager_a.pk})) == ["Rina Wijaya"]
    assert names(client.get(LIST, {"owner": sales_a.pk})) == ["Budi Santoso"]
    assert names(client.get(LIST, {"consent": "sms"})) == ["Rina Wijaya"]
    assert names(client.get(LIST, {"consent": "email"})) == ["Joko Susanto"]
    assert names(client.get(LIST, {"consent": "phone"})) == []


def test_it_combines_filters_with_the_search_box(client, sales_a, people):
    client.force_login(sales_a)
    assert names(client.get(LIST, {"q": "contoh.id", "city": "cimahi"})) == ["Rina Wijaya"]
    assert names(client.get(LIST, {"q": "budi", "consent": "sms"})) == []


def test_it_offers_only_the_users_branch_staff_as_owners_and_no_branch_filter(client, sales_a, manager_a, staff_b,
                                                                              people):
    client.force_login(sales_a)
    [search] = [f for f in forms_on(client.get(LIST)) if "hx-get" in f.attrs]
    assert "branch" not in search.all_names()
    assert set(search.options["owner"]) == {"", str(sales_a.pk), str(manager_a.pk)}
    # Another branch's staff member, typed into the URL by hand, finds nothing.
    assert names(client.get(LIST, {"owner": staff_b.pk})) == []


def test_it_scopes_list_and_search_to_the_users_branch(client, staff_b, people, customer_b, branch_a):
    client.force_login(staff_b)
    assert names(client.get(LIST)) == ["Siti Rahayu"]
    assert names(client.get(LIST, {"q": "wijaya"})) == []
    assert names(client.get(LIST, {"q": "7890"})) == []
    assert names(client.get(LIST, {"q": "D 1234"})) == []
    # A branch filter in the URL does not open another branch.
    assert names(client.get(LIST, {"branch": branch_a.pk})) == ["Siti Rahayu"]


def test_it_shows_head_office_every_branch_and_a_branch_filter(client, head_office_user, people, customer_b,
                                                               branch_a, branch_b):
    client.force_login(head_office_user)
    assert names(client.get(LIST)) == ["Siti Rahayu", "Joko Susanto", "Rina Wijaya", "Budi Santoso"]
    assert names(client.get(LIST, {"q": "contoh.id"})) == ["Siti Rahayu", "Rina Wijaya", "Budi Santoso"]
    assert names(client.get(LIST, {"branch": branch_b.pk})) == ["Siti Rahayu"]
    assert names(client.get(LIST, {"branch": branch_a.pk, "q": "santo"})) == ["Joko Susanto", "Budi Santoso"]
    [search] = [f for f in forms_on(client.get(LIST)) if "hx-get" in f.attrs]
    assert set(search.options["branch"]) == {"", str(branch_a.pk), str(branch_b.pk)}


@pytest.mark.parametrize("params", [
    {"branch": "abc"}, {"branch": "999999"}, {"owner": "999999"}, {"owner": "x"}, {"tag": "1e9"}, {"tag": "-1"},
    {"consent": "carrier-pigeon"}, {"page": "xyz"}, {"page": "-5"}, {"page": "0"}, {"page": "99999999999999999999"},
    {"q": "x" * 5000}, {"q": "'; DROP TABLE crm_customer; --"}, {"q": "100%_"}, {"city": "x" * 5000},
    {"city": "bandung\x00"},
])
def test_it_never_fails_on_bad_filter_values(client, head_office_user, people, params):
    client.force_login(head_office_user)
    response = client.get(LIST, params)
    assert response.status_code == 200
    assert "<h1" in response.content.decode()


@pytest.mark.parametrize("params,field", [({"branch": "abc"}, "branch"), ({"owner": "999999"}, "owner"),
                                          ({"tag": "1e9"}, "tag"), ({"consent": "fax"}, "consent")])
def test_it_shows_a_bad_filter_value_at_the_field_and_no_rows(client, head_office_user, people, params, field):
    client.force_login(head_office_user)
    body = client.get(LIST, params).content.decode()
    error = re.search(rf'<p id="error_1_id_{field}"><strong>(.*?)</strong></p>', body)
    assert error and error.group(1).startswith("Select a valid choice.")
    assert "No customers match." in body


@pytest.mark.parametrize("params", [{"q": "budi\x00"}, {"q": "\x00\x00\x00"}])
def test_it_never_fails_on_a_nul_character_in_the_search(client, sales_a, people, params):
    client.force_login(sales_a)
    assert client.get(LIST, params).status_code == 200


def test_it_pages_the_list_keeping_the_filters(client, sales_a, branch_a, settings):
    settings.CUSTOMER_LIST_PAGE_SIZE = 3
    for i in range(5):
        CustomerFactory(name=f"Pelanggan Cimahi {i}", city="Cimahi", branch=branch_a)
    CustomerFactory(name="Elsewhere", city="Garut", branch=branch_a)
    client.force_login(sales_a)
    first = client.get(LIST, {"city": "cimahi"})
    assert names(first) == ["Pelanggan Cimahi 4", "Pelanggan Cimahi 3", "Pelanggan Cimahi 2"]
    assert 'href="?city=cimahi&amp;page=2">Next</a>' in first.content.decode()
    second = client.get(LIST, {"city": "cimahi", "page": 2})
    assert names(second) == ["Pelanggan Cimahi 1", "Pelanggan Cimahi 0"]
    assert ">Next</a>" not in second.content.decode()
    assert 'href="?city=cimahi&amp;page=1">Previous</a>' in second.content.decode()


def test_it_returns_only_the_rows_to_htmx(client, sales_a, people):
    client.force_login(sales_a)
    response = client.get(LIST, {"q": "rina"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body and "<form" not in body
    assert names(response) == ["Rina Wijaya"]
    # Any other htmx target (a boosted link, say) gets the whole page.
    response = client.get(LIST, {"q": "rina"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="main")
    assert "<html" in response.content.decode()


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(LIST, {"q": "budi"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/customers/")
