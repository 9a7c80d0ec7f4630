"""Query counts of the customer pages are pinned, and stay the same with many more rows (STYLE 2.7).

Every page starts with the same four queries:
  1. the session,
  2. request.user, with its branch joined in (UserManager select_related),
  3. the user's own permissions, 4. the permissions of the user's role group.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from crm import services
from marketing import services as marketing_services
from marketing.tasks import send_dispatch_task
from tests.factories import AssetFactory, CustomerFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db

MAX_QUERIES_PER_PAGE = 20  # the 360 page with every department's panel on


@pytest.fixture(autouse=True)
def _crm_search_only():
    """The list pins count crm's own queries; other apps' search providers (one query each
    when a search looks like theirs) are pinned in tests/crm/test_home_and_panels.py."""
    from crm.registry import search_providers

    saved = dict(search_providers._items)
    search_providers._items.clear()
    yield
    search_providers._items.update(saved)


@pytest.fixture
def queries(django_assert_num_queries):
    """``with queries(n):`` pins the exact count, which must also stay within the page budget."""

    def pin(n):
        assert n <= MAX_QUERIES_PER_PAGE, f"{n} queries is over the budget of {MAX_QUERIES_PER_PAGE} per page"
        return django_assert_num_queries(n)

    return pin


def grow(branch, *, customers=30):
    """Many more rows around every customer of the branch: owners, tags, vehicles, contact persons, history."""
    staff = [UserFactory(branch=branch, department=dept)
             for dept in (Department.SALES, Department.SERVICE, Department.MARKETING)]
    tags = [TagFactory(name=f"grow{i}") for i in range(4)]
    for i in range(customers):
        customer = CustomerFactory(name=f"Tambahan {i}", email=f"tambahan{i}@contoh.id", branch=branch,
                                   owner=staff[i % 3], tags=tags, consents={"sms": True})
        AssetFactory(customer=customer)
        AssetFactory(customer=customer)
        services.contact_person_create(customer=customer, by=None, name=f"Kontak {i}")
        for k in range(3):
            services.interaction_record(customer=customer, kind="call", channel="phone", direction="out",
                                        department=staff[k].department, staff=staff[k], summary=f"Call {k}")
    return staff, tags


def grow_customer(customer, staff, tags):
    """A customer with a long history by several staff members, vehicles, contact persons and tags."""
    customer.tags.set(tags)
    for i in range(4):
        AssetFactory(customer=customer)
        services.contact_person_create(customer=customer, by=None, name=f"Kontak {i}")
    start = timezone.now() - dt.timedelta(days=10)
    for i in range(45):
        services.interaction_record(customer=customer, kind="visit", channel="in_person", direction="in",
                                    department=staff[i % 3].department, staff=staff[i % 3],
                                    summary=f"Visit {i}", occurred_at=start + dt.timedelta(hours=i))


@pytest.fixture
def outbox_sms(settings):
    """SMS to the development Outbox, sent in-process at once (no quiet hours, no rate limit)."""
    settings.SMS_BACKEND = "marketing.backends.DevelopmentBackend"
    settings.SMS_QUIET_HOURS = "0-0"
    settings.SMS_RATE_PER_SECOND = 0
    keys = iter(range(10**6))

    def send(customers, by, body="Halo {{ first_name }}, mobil Anda sudah siap."):
        for customer in customers:
            if not customer.sms_consent:
                services.customer_update(customer=customer, by=None, consents={"sms": True})
        sent = marketing_services.send_create(idempotency_key=f"pin-{next(keys)}", channel="sms", name="Pin",
                                              body=body, customers=[c.pk for c in customers], by=by)
        send_dispatch_task.run(sent.pk)
        # Every message is sent and on its customer's timeline, with the message as its source.
        assert sent.messages.exclude(status="delivered").count() == 0
        return sent

    return send


def test_it_keeps_the_list_and_search_query_counts_flat(client, sales_a, customer_a, queries):
    # The four shared queries, then:
    #   5. one page of customers, with branch and owner joined in (no COUNT(*): see selectors.Page),
    #   6. the tag filter's options, 7. the owner filter's options (the branch's staff).
    expected = 7
    client.force_login(sales_a)
    for grown in (False, True):
        if grown:
            grow(sales_a.branch)
        with queries(expected):
            first_page = client.get("/customers/")
        # A search adds one before the page: the matching ids, counted up to
        # selectors.SEARCH_CANDIDATES through the (branch, trigram) index. With no match
        # (before growing: nobody has SMS consent) there is no page to read.
        with queries(expected + 1 if grown else expected):
            search = client.get("/customers/", {"q": "contoh.id", "consent": "sms"})
        with queries(expected):
            client.get("/customers/", {"page": 2})
    # The counts were taken on full pages of rows.
    assert len(first_page.context["page"].items) == 25
    assert len(search.context["page"].items) == 25


def test_it_keeps_the_htmx_search_rows_query_count_flat(client, sales_a, customer_a, queries):
    # The four shared queries, then 5. the matching ids (selectors.customer_search_ids),
    # 6. one page of customers. The filter form is not rendered.
    client.force_login(sales_a)
    for grown in (False, True):
        if grown:
            grow(sales_a.branch)
        with queries(6):
            client.get("/customers/", {"q": "contoh"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-results")


def test_it_keeps_the_head_office_list_query_count_flat(client, head_office_user, customer_a, customer_b, queries):
    # The four shared queries, then 5. one page of customers (branch and owner joined in),
    # 6. the branch filter's options, 7. the tag filter's options, 8. the owner filter's options.
    client.force_login(head_office_user)
    for grown in (False, True):
        if grown:
            grow(customer_a.branch)
            grow(customer_b.branch)
        with queries(8):
            client.get("/customers/")
        # Filtering by branch adds one: the filter form loads the chosen branch to validate it;
        # searching one more: the matching ids (no page to read before growing: no match).
        with queries(10 if grown else 9):
            client.get("/customers/", {"branch": customer_a.branch_id, "q": "tambahan"})


def test_it_keeps_the_360_page_query_count_flat(client, sales_a, customer_a, queries, outbox_sms):
    # The four shared queries, then:
    #   5. the customer, with branch and owner joined in (the access helper),
    #   6. its tags, 7. its vehicles, 8. its contact persons,
    #   9. one page of the timeline, with each entry's staff member joined in,
    #  10. the sources of the page's entries: one query per kind of source (here the SMS
    #      Messages whose status the timeline shows), however many entries have one.
    #  …plus what every other app's panel declares (crm.registry.Panel.queries; crm's own
    #  panels and the SMS box read the prefetched vehicles and contact persons: 0).
    from crm.registry import panels

    other_panels = sum(panel.queries for panel in panels.visible_to(sales_a))
    # "With every panel on": the rep sees every panel the installed apps register, so the sum covers them all.
    assert {panel.key for panel in panels.visible_to(sales_a)} == {panel.key for panel in panels}
    client.force_login(sales_a)
    for grown in (False, True):
        if grown:
            staff, tags = grow(sales_a.branch)
            grow_customer(customer_a, staff, tags)
        for _ in range(3 if grown else 2):  # newer than the grown history: on the first page
            outbox_sms([customer_a], sales_a)
        with queries(10 + other_panels):
            response = client.get(customer_a.get_absolute_url())
        with_source = [item for item in response.context["timeline"].items if item.source_id]
        assert len(with_source) == (5 if grown else 2)
        assert response.content.decode().count("message-status") == len(with_source)
    assert len(response.context["timeline"].items) == 20
    panels = {part.key: part for part in response.context["side_panels"]}
    # Every panel registered today is on (the SMS box needs consent and a mobile number).
    assert set(panels) >= {"vehicles", "contact_persons", "sms"} and not panels["sms"].is_empty
    assert len(panels["vehicles"].data["assets"]) == 4 and len(panels["sms"].data["vehicles"]) == 4


def test_it_keeps_the_timeline_page_query_count_flat(client, sales_a, customer_a, queries):
    # The four shared queries, then 5. the customer (access check), 6. one page of the timeline with staff joined.
    client.force_login(sales_a)
    url = f"/customers/{customer_a.public_id}/timeline/"
    for grown in (False, True):
        if grown:
            staff, tags = grow(sales_a.branch)
            grow_customer(customer_a, staff, tags)
        for page in (1, 2):
            with queries(6):
                response = client.get(url, {"page": page}, HTTP_HX_REQUEST="true")
            with queries(6):
                client.get(url, {"page": page})  # the full page without htmx
    assert len(response.context["timeline"].items) == 20


def test_it_keeps_the_edit_page_query_count_flat(client, sales_a, customer_a, queries):
    # The four shared queries, then 5. the customer (branch and owner joined in), 6. its tags (the
    # ticked boxes), 7. the owner options (the branch's staff), 8. the tag options.
    client.force_login(sales_a)
    url = f"/customers/{customer_a.public_id}/edit/"
    for grown in (False, True):
        if grown:
            staff, tags = grow(sales_a.branch)
            grow_customer(customer_a, staff, tags)
        with queries(8):
            client.get(url)


def test_it_keeps_the_outbox_query_count_flat(client, sales_a, customer_a, queries, outbox_sms):
    # The four shared queries, then 5. one page of messages, with customer and send joined in.
    client.force_login(sales_a)
    url = reverse("marketing:outbox")
    others = [CustomerFactory(name=f"Penerima {i}", phone=f"+6281355500{i:03d}", branch=sales_a.branch,
                              consents={"sms": True}) for i in range(4)]
    outbox_sms([customer_a, *others], sales_a)
    outbox_sms([customer_a], sales_a)
    for grown in (False, True):
        if grown:
            staff, _ = grow(sales_a.branch)
            outbox_sms(others, staff[0])
            more = [CustomerFactory(name=f"Massal {i}", phone=f"+6281366600{i:03d}", branch=sales_a.branch,
                                    consents={"sms": True}) for i in range(50)]
            outbox_sms(more, staff[2], body="Promo {{ name }}")
        with queries(5):
            response = client.get(url)
        with queries(5):
            client.get(url, {"status": "delivered"})
        with queries(5):
            client.get(url, {"page": 2})
        assert len(response.context["page"].items) == (6 if not grown else 50)
