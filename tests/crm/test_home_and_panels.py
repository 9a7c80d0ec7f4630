"""The home page (Beranda) and the 360 page are composed of parts the apps register
(crm.registry); crm imports no department app."""

import ast
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from crm import services
from crm.models import Customer
from crm.registry import HomeCard, Panel, home_cards, panels
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENT_APPS = {"sales", "marketing", "service", "complaints", "branches"}


def _log(customer, staff, *, kind="call", days_ago=0, channel="phone"):
    return services.interaction_record(
        customer=customer, kind=kind, channel=channel, direction="out", staff=staff, summary=f"{kind} {days_ago}",
        occurred_at=timezone.now() - dt.timedelta(days=days_ago))


# --- last contact ----------------------------------------------------------------------
def test_it_moves_last_contact_forward_on_a_persons_touch_only(customer_a, sales_a):
    assert Customer.objects.get(pk=customer_a.pk).last_contact_at is None
    call = _log(customer_a, sales_a, days_ago=3)
    assert Customer.objects.get(pk=customer_a.pk).last_contact_at == call.occurred_at
    _log(customer_a, sales_a, days_ago=10)  # logged late: last contact does not go back
    assert Customer.objects.get(pk=customer_a.pk).last_contact_at == call.occurred_at
    # A campaign message or a system record is not somebody contacting the customer.
    _log(customer_a, None, kind="campaign_message", channel="sms")
    _log(customer_a, None, kind="order", channel="system")
    assert Customer.objects.get(pk=customer_a.pk).last_contact_at == call.occurred_at
    visit = _log(customer_a, sales_a, kind="visit", channel="in_person")
    assert Customer.objects.get(pk=customer_a.pk).last_contact_at == visit.occurred_at


def test_it_moves_last_contact_for_a_batch_in_one_statement(customer_a, sales_a, branch_a,
                                                           django_assert_num_queries):
    other = CustomerFactory(branch=branch_a)
    now = timezone.now()
    entries = [dict(customer=c, kind="sms", channel="sms", direction="out", staff=sales_a, summary="x",
                    occurred_at=now - dt.timedelta(minutes=m)) for c in (customer_a, other) for m in (5, 1)]
    with django_assert_num_queries(2):  # the INSERT, the UPDATE
        services.interactions_record_bulk(entries)
    assert set(Customer.objects.filter(pk__in=[customer_a.pk, other.pk]).values_list("last_contact_at", flat=True)) \
        == {now - dt.timedelta(minutes=1)}


# --- home page -------------------------------------------------------------------------
def test_it_sends_anonymous_visitors_of_home_to_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_it_shows_my_customers_least_recently_touched_first(client, sales_a, branch_a, branch_b):
    recent = CustomerFactory(name="Baru Ditelepon", branch=branch_a, owner=sales_a)
    old = CustomerFactory(name="Lama Ditelepon", branch=branch_a, owner=sales_a)
    never = CustomerFactory(name="Belum Pernah", branch=branch_a, owner=sales_a)
    CustomerFactory(name="Milik Orang Lain", branch=branch_a, owner=UserFactory(branch=branch_a))
    _log(recent, sales_a, days_ago=1)
    _log(old, sales_a, days_ago=40)
    client.force_login(sales_a)
    response = client.get("/")
    assert response.status_code == 200
    cards = {part.key: part for part in response.context["cards"]}
    assert [c.name for c in cards["stale_customers"].data] == [never.name, old.name, recent.name]
    page = response.content.decode()
    assert page.index("Belum Pernah") < page.index("Lama Ditelepon") < page.index("Baru Ditelepon")
    assert "Milik Orang Lain" not in page


def test_it_shows_what_i_logged_last_and_nothing_of_others(client, sales_a, customer_a, branch_a):
    colleague = UserFactory(branch=branch_a)
    _log(customer_a, sales_a, days_ago=2)
    mine = _log(customer_a, sales_a, kind="visit", channel="in_person", days_ago=0)
    theirs = _log(customer_a, colleague, kind="note", channel="in_person", days_ago=0)
    client.force_login(sales_a)
    cards = {part.key: part for part in client.get("/").context["cards"]}
    logged = cards["my_interactions"].data
    assert logged[0].pk == mine.pk and theirs.pk not in {i.pk for i in logged}
    assert all(i.staff_id == sales_a.pk for i in logged)


def test_it_says_what_to_do_when_a_card_is_empty(client, branch_a):
    newcomer = UserFactory(branch=branch_a)
    client.force_login(newcomer)
    page = client.get("/").content.decode()
    assert "You own no customers yet" in page and "Nothing logged yet" in page


def test_it_keeps_the_home_page_query_count_flat(client, sales_a, branch_a, django_assert_num_queries):
    # 1. session, 2. user with branch, 3.-4. permissions, then each card the user may see
    # runs the queries it declares (crm's: my unread notifications with their count riding
    # along, my least recently touched customers, what I logged last — one each). Every card
    # registered by the installed apps is on; the total holds with many more rows.
    from accounts.models import Notification
    from accounts.notifications import CUSTOMER_ASSIGNED
    from accounts.services import notification_send

    boss = UserFactory(branch=branch_a)
    client.force_login(sales_a)
    cards_seen = home_cards.visible_to(sales_a)
    expected = 4 + sum(card.queries for card in cards_seen)
    for grown in (False, True):
        for i in range(30 if grown else 9):
            c = CustomerFactory(branch=branch_a, owner=sales_a, birth_date=timezone.localdate())
            _log(c, sales_a, days_ago=i)
            notification_send(to=sales_a, verb=CUSTOMER_ASSIGNED, target=c, by=boss)
        with django_assert_num_queries(expected):
            response = client.get("/")
        assert response.status_code == 200
    cards = {part.key: part for part in response.context["cards"]}
    assert {"notifications", "stale_customers", "my_interactions"} <= set(cards)
    assert {card.key for card in cards_seen} >= set(cards)
    assert len(cards["stale_customers"].data) == 8 and len(cards["my_interactions"].data) == 8
    unread = Notification.objects.filter(recipient=sales_a, read_at=None).count()
    assert unread >= 39 and cards["notifications"].data["unread"] == unread
    assert len(cards["notifications"].data["rows"]) == 8


def test_it_shows_only_the_cards_a_role_may_see(client, sales_a):
    home_cards.register(HomeCard(key="secret", title="Secret card", template="crm/cards/my_interactions.html",
                                 selector=lambda user: [], permission="crm.delete_customer", empty_text="hidden"))
    try:
        client.force_login(sales_a)
        keys = {part.key for part in client.get("/").context["cards"]}
        assert "secret" not in keys and "stale_customers" in keys
    finally:
        home_cards.unregister("secret")


# --- 360 panels ------------------------------------------------------------------------
def test_it_renders_each_registered_panel_with_its_empty_state(client, sales_a, customer_a):
    client.force_login(sales_a)
    response = client.get(customer_a.get_absolute_url())
    parts = {part.key: part for part in response.context["side_panels"]}
    assert parts["vehicles"].is_empty
    page = response.content.decode()
    assert 'id="panel-vehicles"' in page and "No vehicles recorded." in page


def test_it_replaces_the_sms_form_by_what_to_do_without_consent(client, sales_a, branch_a):
    no_consent = CustomerFactory(branch=branch_a, phone="+6281234567890")
    client.force_login(sales_a)
    page = client.get(no_consent.get_absolute_url()).content.decode()
    assert "No SMS consent: record the customer" in page and 'name="body"' not in page


def test_it_leaves_out_a_panel_the_user_may_not_see(client, sales_a, customer_a):
    panels.register(Panel(key="secret", title="Secret panel", template="crm/panels/vehicles.html",
                          selector=lambda customer, user: {"assets": []}, permission="crm.delete_customer"))
    try:
        client.force_login(sales_a)
        page = client.get(customer_a.get_absolute_url()).content.decode()
        assert "Secret panel" not in page and 'id="panel-vehicles"' in page
    finally:
        panels.unregister("secret")


# --- crm depends on no department app -----------------------------------------------------
def test_it_keeps_crm_free_of_department_imports():
    offenders = []
    for path in sorted((ROOT / "crm").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in DEPARTMENT_APPS:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    # The project's URLconf and settings name the apps (that is their job), nothing else in crm does.
    offenders = [o for o in offenders if not o.startswith(("crm/urls.py", "crm/settings.py"))]
    assert offenders == []


def test_it_drops_an_apps_panels_when_the_app_is_not_installed(tmp_path):
    (tmp_path / "without_marketing.py").write_text(
        "from crm.settings import *  # noqa\n"
        "INSTALLED_APPS = [a for a in INSTALLED_APPS if a != 'marketing']\n")
    code = ("import django; django.setup()\n"
            "from crm.registry import panels\n"
            "print(sorted(p.key for p in panels))\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "without_marketing",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    keys = out.stdout.strip()
    assert "'vehicles'" in keys and "'sms'" not in keys


# --- other apps' records in the search box ----------------------------------------------------
def test_it_shows_what_a_registered_search_provider_finds(client, sales_a, customer_a):
    from crm.registry import SearchHit, SearchProvider, search_providers

    seen = []

    def find(user, query):
        seen.append((user.pk, query))
        return [SearchHit(label="JKS/QUO/2026/000123", url="/quotations/x/", hint=customer_a.name)] \
            if query == "000123" else []

    search_providers.register(SearchProvider(key="quotes", title="Quotations", selector=find))
    try:
        client.force_login(sales_a)
        page = client.get("/customers/", {"q": "000123"}).content.decode()
        assert "JKS/QUO/2026/000123" in page and 'data-search-provider="quotes"' in page
        page = client.get("/customers/", {"q": "zz"}).content.decode()  # too short: providers not asked
        assert seen == [(sales_a.pk, "000123")] and "search-hits" not in page
    finally:
        search_providers.unregister("quotes")


@pytest.mark.parametrize("words", ["contoh", "B 1234 ABC", "0812-3456-7890", "OPP-000123", "AbCdEfGhJkLm"])
def test_it_keeps_each_search_provider_within_its_declared_queries(client, sales_a, customer_a, words):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm.registry import search_providers

    client.force_login(sales_a)
    saved = dict(search_providers._items)
    try:
        search_providers._items.clear()
        with CaptureQueriesContext(connection) as crm_only:
            client.get("/customers/", {"q": words})
        search_providers._items.update(saved)
        with CaptureQueriesContext(connection) as with_providers:
            client.get("/customers/", {"q": words})
    finally:
        search_providers._items.update(saved)
    declared = sum(p.queries for p in search_providers.visible_to(sales_a))
    assert len(crm_only) <= len(with_providers) <= len(crm_only) + declared
