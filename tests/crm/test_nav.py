"""The top menu: links registered by the apps (crm.registry.nav_links), grouped into menus,
shown by permission, the current page marked."""

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from crm.registry import NavLink, nav_for, nav_links

pytestmark = pytest.mark.django_db


@pytest.fixture
def links():
    """An empty registry for the test's own links; the apps' links come back afterwards."""
    saved = dict(nav_links._items)
    nav_links._items.clear()
    yield nav_links
    nav_links._items.clear()
    nav_links._items.update(saved)


def render(user, path="/"):
    request = RequestFactory().get(path)
    request.user = user
    return Template("{% load relasi_nav %}{% nav_menu %}").render(Context({"user": user, "request": request}))


def test_it_groups_links_into_menus_in_the_order_of_their_first_link(links, sales_a):
    links.register(NavLink("list", "Customers", "crm:customer_list", menu="customers", menu_label="People", order=1))
    links.register(NavLink("new", "New", "crm:customer_create", menu="customers", menu_label="People", order=2))
    links.register(NavLink("home", "Home", "crm:home", menu="home", menu_label="Start", order=0))
    menus = nav_for(sales_a)
    assert [(m.key, [link.key for link in m.links]) for m in menus] == [("home", ["home"]),
                                                                        ("customers", ["list", "new"])]
    html = render(sales_a)
    # One link alone is a plain link; two share a dropdown named after the menu.
    assert 'id="nav-home"' in html and 'id="nav-menu-home"' not in html
    assert 'id="nav-menu-customers"' in html and ">People</a>" in html
    assert html.index('id="nav-list"') < html.index('id="nav-new"')


def test_it_shows_only_the_links_the_user_may_open(links, sales_a, readonly_a, head_office_user):
    links.register(NavLink("list", "Customers", "crm:customer_list", menu="c", menu_label="C"))
    links.register(NavLink("new", "New", "crm:customer_create", menu="c", menu_label="C",
                           permission="crm.add_customer"))
    links.register(NavLink("day", "Workshop", "crm:home", menu="w", menu_label="W", needs_branch=True))
    links.register(NavLink("admin", "Back office", "admin:index", menu="b", menu_label="B", staff_only=True))
    assert [link.key for m in nav_for(sales_a) for link in m.links] == ["day", "list", "new"]
    assert [link.key for m in nav_for(readonly_a) for link in m.links] == ["day", "list"]
    head_office_user.is_staff = True
    assert [link.key for m in nav_for(head_office_user) for link in m.links] == ["admin", "day", "list", "new"]
    head_office_user.branch_id = None  # staff of no branch: no workshop day
    assert "day" not in [link.key for m in nav_for(head_office_user) for link in m.links]
    # The read-only user's "C" menu has one link left: shown alone, without a dropdown.
    html = render(readonly_a)
    assert 'id="nav-menu-c"' not in html and 'id="nav-new"' not in html and 'id="nav-list"' in html


def test_it_marks_the_link_of_the_page_being_shown(links, sales_a):
    links.register(NavLink("list", "Customers", "crm:customer_list", menu="c", menu_label="C", order=1))
    links.register(NavLink("new", "New", "crm:customer_create", menu="c", menu_label="C", order=2))
    html = render(sales_a, "/customers/new/")
    # The longest address that starts the page's is the current one: "New", not the list.
    assert 'class="dropdown-item active" href="/customers/new/" id="nav-new" aria-current="page"' in html
    assert 'class="dropdown-item" href="/customers/" id="nav-list"' in html
    assert "nav-link dropdown-toggle text-nowrap active" in html


def test_it_costs_no_query_beyond_the_users_permissions(links, sales_a, django_assert_num_queries):
    links.register(NavLink("new", "New", "crm:customer_create", menu="c", menu_label="C",
                           permission="crm.add_customer"))
    sales_a.has_perm("crm.add_customer")  # permissions are loaded once per request
    with django_assert_num_queries(0):
        render(sales_a)


def test_the_departments_menus_follow_each_role(client, sales_a, head_office_user):
    """The apps' own links: a sales rep gets the Sales menu (and no back office); head office
    every department's menu. Each link opens."""
    rep = {m.key: [link.key for link in m.links] for m in nav_for(sales_a)}
    assert rep["customers"] == ["customers", "customer-new"]
    assert rep["sales"][:3] == ["sales", "pipeline", "agenda"] and "admin" not in rep
    head_office_user.is_staff = True
    head_office_user.save()
    menus = [m.key for m in nav_for(head_office_user)]
    assert menus[0] == "customers" and menus[-1] == "admin"
    assert {"sales", "marketing", "service", "complaints", "branches"} <= set(menus)
    client.force_login(sales_a)
    page = client.get("/").content.decode()
    for link in (link for m in nav_for(sales_a) for link in m.links):
        assert f'id="nav-{link.key}"' in page
        assert client.get(reverse(link.url_name)).status_code == 200, link.key
