"""The back office of the big tables (customers, vehicles, contact history) at a million rows:
searches that find what staff type, counts that stop early, filters that do not scan, and
query counts that do not grow with the rows. The timings are ``make bench``'s job
(docs/PERFORMANCE.md); these tests pin the behaviour and the queries.
"""

import re

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from crm import selectors, services
from crm.admin import InteractionAdmin, LargeTablePaginator
from crm.models import Interaction
from tests.crm.test_query_counts import grow
from tests.factories import AssetFactory, CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMERS, VEHICLES, HISTORY = "/admin/crm/customer/", "/admin/crm/asset/", "/admin/crm/interaction/"


@pytest.fixture
def superuser(head_office):
    return User.objects.create_superuser(language="en", email="root@relasi.test", password="x", branch=head_office)


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def listed(response) -> list:
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def paginator_text(response) -> str:
    match = re.search(r'<p class="paginator">(.*?)</p>', response.content.decode(), re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


@pytest.fixture
def vehicles(customer_a, customer_b):
    return {
        "swr": AssetFactory(customer=customer_a, plate_number="B 7762 SWR", vin="MHKA1BA1JFK000001"),
        "swa": AssetFactory(customer=customer_a, plate_number="B 7762 SWA", make="Honda", model="Jazz"),
        "other": AssetFactory(customer=customer_b, plate_number="B 7763 SWR", vin="MHRGK5860LJ000002"),
    }


@pytest.mark.parametrize("typed", ["B 7762 SWR", "B7762SWR", "b 7762swr", "  b 7762   SWR ", "b7762 s w r"])
def test_it_finds_a_vehicle_by_its_plate_typed_with_any_spacing(admin_client, vehicles, typed):
    assert listed(admin_client.get(VEHICLES, {"q": typed})) == [vehicles["swr"]]


def test_it_finds_vehicles_by_the_start_of_a_plate_or_a_vin(admin_client, vehicles):
    assert set(listed(admin_client.get(VEHICLES, {"q": "B 7762"}))) == {vehicles["swr"], vehicles["swa"]}
    assert listed(admin_client.get(VEHICLES, {"q": "mhrgk5860lj000002"})) == [vehicles["other"]]
    assert listed(admin_client.get(VEHICLES, {"q": "D 1"})) == []


def test_it_offers_the_makes_there_are_and_filters_by_one(admin_client, vehicles):
    response = admin_client.get(VEHICLES)
    choices = [c["display"] for spec in response.context["cl"].filter_specs for c in spec.choices(response.context["cl"])]
    assert choices == ["All", "Honda", "Toyota"]
    assert listed(admin_client.get(VEHICLES, {"make": "Honda"})) == [vehicles["swa"]]
    assert "_facets" not in response.content.decode()  # no "Show counts": a COUNT per option


@pytest.fixture
def history(customer_a, customer_b, sales_a, staff_b):
    for customer, staff in ((customer_a, sales_a), (customer_b, staff_b)):
        for summary in ("Asked about the Avanza", "Test drive booked"):
            services.interaction_record(customer=customer, kind="call", channel="phone", direction="out",
                                        department=staff.department, staff=staff, summary=summary)


@pytest.mark.parametrize("typed", ["budi", "Budi Santoso", "7890", "0812-3456-7890", "budi@contoh"])
def test_it_finds_the_history_of_a_customer_by_name_phone_or_email(admin_client, customer_a, history, typed):
    rows = listed(admin_client.get(HISTORY, {"q": typed}))
    assert sorted(r.pk for r in rows) == sorted(customer_a.interactions.values_list("pk", flat=True))
    assert len(rows) >= 2


def test_it_says_when_a_history_search_matches_too_many_customers(admin_client, history, monkeypatch):
    monkeypatch.setattr(InteractionAdmin, "SEARCH_CUSTOMER_LIMIT", 1)
    response = admin_client.get(HISTORY, {"q": "contoh.id"})  # both customers
    assert listed(response) == []
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "More than 1 customers match “contoh.id”: type more of the name, or the phone number."
    ]
    assert listed(admin_client.get(HISTORY, {"q": "xx"})) == []  # too short to search


def test_it_counts_a_filtered_list_only_up_to_a_limit(admin_client, history, monkeypatch):
    assert paginator_text(admin_client.get(HISTORY, {"kind__exact": "call"})) == "4 interactions"
    monkeypatch.setattr(LargeTablePaginator, "COUNT_LIMIT", 3)
    response = admin_client.get(HISTORY, {"kind__exact": "call"})
    assert paginator_text(response) == "more than 3 interactions"
    assert len(listed(response)) == 4
    response = admin_client.get(CUSTOMERS, {"q": "contoh.id"})
    assert "more than 3 results" not in response.content.decode()  # two customers: counted
    monkeypatch.setattr(LargeTablePaginator, "COUNT_LIMIT", 1)
    assert "more than 1 results" in admin_client.get(CUSTOMERS, {"q": "contoh.id"}).content.decode()


def test_it_does_not_count_again_what_the_customer_search_found_too_many_of(admin_client, branch_a, monkeypatch):
    for i in range(4):
        CustomerFactory(name=f"Putri Handayani {i}", branch=branch_a)
    monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", 2)
    monkeypatch.setattr(LargeTablePaginator, "COUNT_LIMIT", 2)
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get(CUSTOMERS, {"q": "putri"})
    assert len(listed(response)) == 4
    assert "more than 2 results" in response.content.decode()
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"]]


def test_it_shows_the_row_estimate_of_a_big_unfiltered_table(admin_client, history, monkeypatch):
    monkeypatch.setattr(LargeTablePaginator, "ESTIMATE_FROM", -2)  # any estimate (-1: never analysed) counts
    assert paginator_text(admin_client.get(HISTORY)).startswith("about ")


def test_it_keeps_the_big_changelists_query_counts_flat(admin_client, branch_a, branch_b, customer_a,
                                                       django_assert_num_queries):
    # Every page: 1. the session, 2. the user. A head-office superuser needs no permission
    # queries. On these small tables the unfiltered count is the row estimate (3.) and,
    # being small, a count up to LargeTablePaginator.COUNT_LIMIT; at a million rows the
    # estimate alone (see docs/PERFORMANCE.md).
    pages = {
        # 3. branch filter options, 4. tag filter options, 5. estimate, 6. count, 7. the page
        # with branch and owner joined in.
        (CUSTOMERS, ()): 7,
        # 3. branches, 4. tags, 5. the matching ids (customer search), 6. count, 7. the page.
        (CUSTOMERS, (("q", "tambahan"),)): 7,
        # 3. the makes (skip scan), 4. estimate, 5. count, 6. the page with customers joined in.
        (VEHICLES, ()): 6,
        # 3. makes, 4. count of the plate search, 5. the page.
        (VEHICLES, (("q", "d 10"),)): 5,
        (VEHICLES, (("make", "Toyota"),)): 5,
        # 3. estimate, 4. count, 5. the page with customer and staff joined in.
        (HISTORY, ()): 5,
        # 3. count (filtered: no estimate), 4. the page.
        (HISTORY, (("kind__exact", "call"),)): 4,
        # 3. the matching customers' ids, 4. count, 5. the page.
        (HISTORY, (("q", "tambahan"),)): 5,
    }
    # Measured with a dozen customers (each with vehicles, contact persons, tags and history
    # by several staff), then again with three times as many, at two branches. The plates
    # are "D 1000 ABC", "D 1001 ABC"...: start them at 1000 whatever ran before, so that
    # "d 10" matches the first hundred.
    AssetFactory.reset_sequence(0)
    for branch, customers in ((branch_a, 12), (branch_b, 30)):
        grow(branch, customers=customers)
        for (url, params), expected in pages.items():
            with django_assert_num_queries(expected):
                response = admin_client.get(url, dict(params))
            assert len(listed(response)) >= 12, (url, params)  # pinned on full lists, not one row
    assert Interaction.objects.count() > 100
