"""The customer search finds the same rows whichever way it reads them (crm.selectors.customer_search).

At a million customers no single query plan suits every search, so the search first counts
the matches (up to SEARCH_CANDIDATES) through the (branch, trigram) index, then pages them
by id when they are few, or walks the customers newest first when they are many. These
tests pin what the user sees, whichever way was taken; the speed is measured by
``make bench`` (docs/PERFORMANCE.md), not here.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from crm import selectors
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
LIST = "/customers/"


def found(client, user, query, **params) -> list[str]:
    client.force_login(user)
    response = client.get(LIST, {"q": query, **params})
    assert response.status_code == 200
    return [c.name for c in response.context["page"].items]


@pytest.fixture
def balinese(branch_b, staff_b):
    """Eight customers named Wayan at branch B: a name common there and absent from branch A."""
    return [CustomerFactory(name=f"Wayan Sudarma {i}", phone=f"+62813555{i:05d}", branch=branch_b)
            for i in range(8)]


def test_it_finds_nothing_in_my_branch_for_a_name_only_other_branches_have(client, sales_a, staff_b,
                                                                            head_office_user, customer_a, balinese):
    CustomerFactory(name="Dewi Lestari", branch=sales_a.branch)
    assert found(client, sales_a, "waya") == []
    assert "No customers match." in client.get(LIST, {"q": "waya"}).content.decode()
    newest_first = [c.name for c in reversed(balinese)]
    assert found(client, staff_b, "waya") == newest_first
    assert found(client, head_office_user, "waya") == newest_first
    assert found(client, head_office_user, "waya", branch=sales_a.branch_id) == []


@pytest.fixture
def putris(branch_a):
    """30 matches at branch A (more than a page), among customers that do not match."""
    people = []
    for i in range(30):
        people.append(CustomerFactory(name=f"Putri Handayani {i}", phone=f"+62812777{i:05d}", branch=branch_a))
        CustomerFactory(name=f"Bayu Saputra {i}", phone=f"+62812888{i:05d}", branch=branch_a)
    return people


@pytest.mark.parametrize("query", ["putri", "PUTRI hand", "handayani putri", "0812777", "+62 812 777"])
def test_it_pages_the_same_rows_whichever_way_it_reads_them(client, sales_a, putris, monkeypatch, query):
    newest_first = [c.name for c in reversed(putris)]
    ways = {}
    # 1000: all 30 matches are counted and paged by id; 5: more than that match, so the
    # search walks the branch's customers newest first.
    for limit, shape in ((1000, '"crm_customer"."id" IN ('), (5, 'LOWER("crm_customer"."search_text")')):
        monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", limit)
        with CaptureQueriesContext(connection) as captured:
            pages = [found(client, sales_a, query), found(client, sales_a, query, page=2)]
        assert any(shape in q["sql"] for q in captured.captured_queries), limit
        ways[limit] = pages
    assert ways[1000] == ways[5] == [newest_first[:25], newest_first[25:]]


def test_it_counts_the_matches_with_the_branch_inside_the_index(client, sales_a, putris):
    # btree_gin answers only bigint = bigint: written as a plain integer, the branch would be
    # checked row by row after the index (every match in every branch read).
    with CaptureQueriesContext(connection) as captured:
        found(client, sales_a, "putri")
    first_search = next(q["sql"] for q in captured.captured_queries if "LIKE" in q["sql"])
    assert f'"crm_customer"."branch_id" = ({sales_a.branch_id})::bigint' in first_search
    assert "LIMIT 1001" in first_search


def test_it_keeps_the_other_filters_with_either_way(client, sales_a, putris, monkeypatch):
    owner = User.objects.get(pk=sales_a.pk)
    for person in putris[:3]:
        person.owner = owner
        person.save(update_fields=["owner"])
    for limit in (1000, 2):
        monkeypatch.setattr(selectors, "SEARCH_CANDIDATES", limit)
        assert found(client, sales_a, "putri", owner=owner.pk) == [c.name for c in reversed(putris[:3])]


def test_it_gives_all_matching_ids_or_none_when_there_are_too_many(sales_a, putris):
    scope = selectors.customers_visible_to(sales_a)
    assert sorted(selectors.customer_search_ids(queryset=scope, query="putri")) == sorted(c.pk for c in putris)
    assert selectors.customer_search_ids(queryset=scope, query="putri", limit=29) is None
    assert selectors.customer_search_ids(queryset=scope, query="nobody") == []
    assert selectors.customer_search_ids(queryset=scope, query="pu") == []  # too short to search
