"""Branch scoping by enumeration: every URL that takes a customer's public id answers 404 to
staff of another branch, and works for the customer's branch and for head office.

The customer URLs come from the resolver (every pattern with a ``public_id`` parameter), so
a new customer page is checked without editing this file.
"""

import uuid

import pytest
from django.test import Client
from django.urls.converters import UUIDConverter

from crm.models import Customer

from .urlwalk import concrete_url, walk

pytestmark = pytest.mark.django_db


def customer_patterns():
    return [p for p in walk() if p.namespace != "admin" and isinstance(p.parameters.get("public_id"), UUIDConverter)]


def url(pattern, customer) -> str:
    built = concrete_url(pattern, public_id=customer.public_id)
    assert built is not None, pattern
    return built


# What a member of staff would post on each page; a customer page without an entry here is
# still checked, with an empty POST.
def post_data(name, *, owner):
    return {
        "crm:customer_edit": {
            "kind": "person", "name": "Budi Santoso Wijaya", "phone": "0812-3456-7890", "email": "budi@contoh.id",
            "city": "Bandung", "owner": owner.pk, "consent_source": "branch_desk", "sms_consent": "on",
        },
        "crm:interaction_create": {"kind": "call", "channel": "phone", "direction": "out",
                                   "summary": "Asked about the service booking"},
        "crm:asset_create": {"make": "Toyota", "model": "Avanza", "year": 2022, "plate_number": "D 1234 ABC"},
        "crm:contact_person_create": {"name": "Rina", "role": "Driver", "phone": "0813-1111-2222",
                                      "email": "rina@contoh.id"},
        "marketing:customer_sms_send": {"body": "Halo, servis berkala Anda sudah dekat.", "key": str(uuid.uuid4())},
    }.get(name, {})


def snapshot(customer) -> dict:
    """What staff of another branch must not be able to change."""
    customer = Customer.objects.get(pk=customer.pk)
    return {
        "row": Customer.objects.filter(pk=customer.pk).values().get(),
        "interactions": customer.interactions.count(),
        "assets": customer.assets.count(),
        "contact_persons": customer.contact_persons.count(),
        "tags": list(customer.tags.values_list("pk", flat=True)),
    }


def as_user(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_it_finds_the_customer_urls():
    names = {p.name for p in customer_patterns()}
    assert {"crm:customer_detail", "crm:customer_edit", "crm:customer_timeline", "crm:interaction_create",
            "crm:asset_create", "crm:contact_person_create"} <= names


def test_it_hides_another_branchs_customer_on_every_customer_url(staff_b, customer_a, sales_a):
    before = snapshot(customer_a)
    other_branch = as_user(staff_b)
    owner = as_user(sales_a)
    problems = []
    for pattern in customer_patterns():
        target = url(pattern, customer_a)
        # A method the view does not take is refused for everyone (405); any other answer is 404.
        for method, data in (("get", {}), ("post", post_data(pattern.name, owner=staff_b))):
            status = getattr(other_branch, method)(target, data).status_code
            if status == 405 and getattr(owner, method)(target).status_code == 405:
                continue
            if status != 404:
                problems.append(f"{method.upper()} {target} [{pattern}] -> {status}")
    assert problems == [], "\n".join(problems)
    assert snapshot(customer_a) == before  # nothing was written through another branch's posts


def test_it_hides_another_branchs_customer_from_htmx_requests(staff_b, customer_a):
    other_branch = as_user(staff_b)
    for pattern in customer_patterns():
        response = other_branch.get(url(pattern, customer_a), headers={"HX-Request": "true"})
        assert response.status_code in (404, 405), pattern


@pytest.mark.parametrize("who", ["sales_a", "manager_a"])
def test_it_opens_every_customer_url_to_the_customers_branch(request, who, customer_a):
    user = request.getfixturevalue(who)
    client = as_user(user)
    problems = []
    for pattern in customer_patterns():
        target = url(pattern, customer_a)
        get = client.get(target).status_code
        if get not in (200, 405):
            problems.append(f"GET {target} [{pattern}] -> {get}")
        data = post_data(pattern.name, owner=user)
        post = client.post(target, data)
        # With a real form filled in the page saves and goes back to the customer; with an
        # empty one it may show the form again (200) or say it is incomplete (400).
        allowed = {302, 405} if data else {200, 302, 400, 405}
        if post.status_code not in allowed:
            problems.append(f"POST {target} [{pattern}] -> {post.status_code}")
        elif post.status_code == 302 and post["Location"] != customer_a.get_absolute_url():
            problems.append(f"POST {target} [{pattern}] -> {post['Location']}")
    assert problems == [], "\n".join(problems)
    customer_a.refresh_from_db()
    assert customer_a.name == "Budi Santoso Wijaya"
    assert customer_a.interactions.filter(staff=user, summary="Asked about the service booking").exists()
    assert customer_a.assets.filter(plate_number="D 1234 ABC").exists()
    assert customer_a.contact_persons.filter(name="Rina").exists()


def test_it_opens_every_customer_url_of_every_branch_to_head_office(head_office_user, customer_a, customer_b):
    client = as_user(head_office_user)
    for customer in (customer_a, customer_b):
        for pattern in customer_patterns():
            assert client.get(url(pattern, customer)).status_code in (200, 405), (pattern, customer)


SEARCHES = ["", "Budi", "budi santoso", "santoso", "7890", "0812-3456-7890", "+6281234567890", "6281234567890",
            "budi@contoh.id", "contoh.id"]


def test_it_never_lists_another_branchs_customer(client, staff_b, sales_a, customer_a, customer_b, branch_a):
    client.force_login(staff_b)
    requests = [{"q": q} for q in SEARCHES] + [
        {"branch": branch_a.pk}, {"owner": sales_a.pk}, {"city": "Bandung"}, {"page": 2}, {"consent": "sms"}]
    for params in requests:
        for headers in ({}, {"HX-Request": "true", "HX-Target": "customer-results"}):
            response = client.get("/customers/", params, headers=headers)
            html = response.content.decode()
            assert response.status_code == 200, params
            assert "Budi Santoso" not in html and str(customer_a.public_id) not in html, params
    assert "Siti Rahayu" in client.get("/customers/", {"q": "contoh.id"}).content.decode()


def test_it_finds_the_same_searches_for_the_customers_own_branch(client, sales_a, customer_a):
    # The searches above would find customer A: hiding it is scoping, not a search that finds nothing.
    client.force_login(sales_a)
    for q in SEARCHES:
        assert "Budi Santoso" in client.get("/customers/", {"q": q}).content.decode(), q


def test_it_lets_quality_control_read_and_log_but_not_edit(client, readonly_a, customer_a):
    client.force_login(readonly_a)
    detail = client.get(customer_a.get_absolute_url())
    assert detail.status_code == 200
    edit_url = f"{customer_a.get_absolute_url()}edit/"
    assert f'href="{edit_url}"' not in detail.content.decode()  # no Edit button
    before = snapshot(customer_a)
    forbidden = client.get(edit_url)
    assert forbidden.status_code == 403
    assert "Your role does not allow this" in forbidden.content.decode()
    edit_data = post_data("crm:customer_edit", owner=readonly_a)
    assert client.post(edit_url, edit_data).status_code == 403
    assert snapshot(customer_a) == before

    response = client.post(f"{customer_a.get_absolute_url()}interactions/",
                           post_data("crm:interaction_create", owner=readonly_a))
    assert response.status_code == 302
    assert customer_a.interactions.filter(staff=readonly_a).count() == 1
