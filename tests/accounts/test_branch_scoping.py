"""Branch scoping by enumeration: every URL that names an object by its public id answers 404
to staff of another branch, and works for the object's branch and for head office.

The URLs come from the resolver: every staff pattern with a ``<uuid:<model>_id>`` parameter
(tests/accounts/urlwalk.py maps ``customer_id`` to Customer, ``lead_id`` to Lead...). Each is
asked for an object of that model from the right branch: the test's fixture if it has one,
else one made by ``<Model>Factory`` (tests/factories.py or tests/<app>/factories.py), else
by the model's manager, tied to the branch along the model's first branch path. A new page,
or a new app's pages, are checked without editing this file.
"""

import importlib
import uuid

import pytest
from django.test import Client

from accounts.access import BranchScopedQuerySet, _branch_fields
from accounts.notifications import CUSTOMER_ASSIGNED
from accounts.services import notification_send
from crm import services
from crm.models import Customer

from .urlwalk import concrete_url, walk

pytestmark = pytest.mark.django_db


def scoped_patterns():
    """Every staff URL (the back office has its own scoping) that names objects."""
    return [p for p in walk() if p.namespace != "admin" and p.object_parameters]


def branch_path(model) -> str:
    """How ``model`` reaches its branch: the first of its queryset's branch paths."""
    queryset = model._default_manager.all()
    assert isinstance(queryset, BranchScopedQuerySet), f"{model.__name__} is named in URLs but not branch scoped"
    return _branch_fields(queryset.branch_paths)[0]


def _factory_for(model):
    for module in ("tests.factories", f"tests.{model._meta.app_label}.factories"):
        try:
            factory = getattr(importlib.import_module(module), f"{model.__name__}Factory", None)
        except ModuleNotFoundError:
            continue
        if factory is not None:
            return factory
    return model._default_manager.create


def object_in_branch(model, branch, known: list, path: str | None = None):
    """An object of ``model`` of ``branch``: one of ``known`` (the test's objects of that
    branch), else a new one, added to ``known``."""
    for obj in known:
        if isinstance(obj, model):
            return obj
    if isinstance(branch, model):  # a URL that names a branch itself
        return branch
    first, _, rest = (path or branch_path(model)).partition("__")
    related = object_in_branch(model._meta.get_field(first).related_model, branch, known, rest) if rest else branch
    obj = _factory_for(model)(**{first: related})
    known.append(obj)
    return obj


def url_objects(pattern, branch, known: list) -> dict:
    """Parameter name -> object, for every object the URL names. The innermost (last) one
    is made first; an outer one it points to (a lead's customer) is taken from it."""
    objects = {}
    for name, model in reversed(pattern.object_parameters.items()):
        parents = [getattr(obj, f.name) for obj in objects.values() for f in obj._meta.concrete_fields
                   if f.many_to_one and f.related_model is model]
        objects[name] = parents[0] if parents else object_in_branch(model, branch, known)
    return objects


def logged_by(user, customer):
    """An interaction ``user`` logged just now on ``customer``, for the ``known`` objects:
    only its author may correct an interaction (crm:interaction_correct is a 403 to anyone
    else, and to everyone once the correction window has passed)."""
    return services.interaction_record(customer=customer, kind="note", channel="phone", direction="internal",
                                       staff=user, summary="Called back about the booking.")


def notified(user, customer):
    """A notification for ``user``, for the ``known`` objects: a notification is its
    recipient's alone (notifications:mark_read is a 404 to anyone else, their branch and
    head office included; tests/accounts/test_notifications_views.py)."""
    return notification_send(to=user, verb=CUSTOMER_ASSIGNED, target=customer)[0]


def url(pattern, objects: dict) -> str:
    built = concrete_url(pattern, **{name: obj.public_id for name, obj in objects.items()})
    assert built is not None, pattern
    return built


# What a member of staff would post on each page; a customer page without an entry here is
# still checked, with an empty POST.
def post_data(name, *, owner):
    return {
        "crm:customer_edit": {
            "kind": "person", "name": "Budi Santoso Wijaya", "phone": "0812-3456-7890", "email": "budi@contoh.id",
            "city": "Bandung", "owner": owner.pk, "consent_source": "branch_desk", "sms_consent": "on", "language": "id",
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


def rows(objects) -> list:
    return [type(obj)._default_manager.filter(pk=obj.pk).values().get() for obj in objects]


def as_user(user) -> Client:
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def test_it_finds_the_customer_urls():
    names = {p.name for p in scoped_patterns() if p.object_parameters == {"customer_id": Customer}}
    assert {"crm:customer_detail", "crm:customer_edit", "crm:customer_timeline", "crm:interaction_create",
            "crm:asset_create", "crm:contact_person_create", "marketing:customer_sms_send"} <= names


def test_it_knows_the_branch_scoped_model_of_every_object_url():
    # A <uuid:...> parameter that names no model (the old <uuid:public_id>, a typo) would
    # leave its URL untested: follow the naming rule instead.
    unknown = [f"{p}: {name}" for p in scoped_patterns() for name, model in p.object_parameters.items()
               if model is None]
    assert unknown == []
    for pattern in scoped_patterns():
        for model in pattern.object_parameters.values():
            branch_path(model)


def test_it_hides_another_branchs_object_on_every_object_url(staff_b, customer_a, sales_a, branch_a):
    known = [customer_a, logged_by(sales_a, customer_a), notified(sales_a, customer_a)]
    targets = [(pattern, url_objects(pattern, branch_a, known)) for pattern in scoped_patterns()]
    before = snapshot(customer_a), rows(known)
    other_branch = as_user(staff_b)
    owner = as_user(sales_a)
    problems = []
    for pattern, objects in targets:
        target = url(pattern, objects)
        # A method the view does not take is refused for everyone (405); any other answer is 404.
        for method, data in (("get", {}), ("post", post_data(pattern.name, owner=staff_b))):
            status = getattr(other_branch, method)(target, data).status_code
            if status == 405 and getattr(owner, method)(target).status_code == 405:
                continue
            if status != 404:
                problems.append(f"{method.upper()} {target} [{pattern}] -> {status}")
    assert problems == [], "\n".join(problems)
    assert (snapshot(customer_a), rows(known)) == before  # nothing was written through another branch's posts


def test_it_hides_another_branchs_object_from_htmx_requests(staff_b, customer_a, branch_a):
    other_branch = as_user(staff_b)
    known = [customer_a, logged_by(customer_a.owner, customer_a), notified(customer_a.owner, customer_a)]
    for pattern in scoped_patterns():
        response = other_branch.get(url(pattern, url_objects(pattern, branch_a, known)), headers={"HX-Request": "true"})
        assert response.status_code in (404, 405), pattern


@pytest.mark.parametrize("who", ["sales_a", "manager_a"])
def test_it_opens_every_object_url_to_the_objects_branch(request, who, customer_a, branch_a):
    user = request.getfixturevalue(who)
    client = as_user(user)
    known = [customer_a, logged_by(user, customer_a), notified(user, customer_a)]
    problems = []
    for pattern in scoped_patterns():
        objects = url_objects(pattern, branch_a, known)
        target = url(pattern, objects)
        get = client.get(target).status_code
        if get not in (200, 405):
            problems.append(f"GET {target} [{pattern}] -> {get}")
        data = post_data(pattern.name, owner=user)
        post = client.post(target, data)
        # With a real form filled in the page saves and goes back to the object (or the
        # object it hangs off); with an empty one it may show the form again (200) or say
        # it is incomplete (400).
        allowed = {302, 405} if data else {200, 302, 400, 405}
        # Visible but read-only for this role (a sales rep reading the branch calendar): 403.
        innermost = next(iter(objects.values()))
        if get in (200, 405) and not user.has_perm(f"{innermost._meta.app_label}.change_{innermost._meta.model_name}"):
            allowed = allowed | {403}
        back = {obj.get_absolute_url() for obj in objects.values() if hasattr(obj, "get_absolute_url")}
        if post.status_code not in allowed:
            problems.append(f"POST {target} [{pattern}] -> {post.status_code}")
        elif post.status_code == 302 and post["Location"] not in back:
            problems.append(f"POST {target} [{pattern}] -> {post['Location']}")
    assert problems == [], "\n".join(problems)
    customer_a.refresh_from_db()
    assert customer_a.name == "Budi Santoso Wijaya"
    assert customer_a.interactions.filter(staff=user, summary="Asked about the service booking").exists()
    assert customer_a.assets.filter(plate_number="D 1234 ABC").exists()
    assert customer_a.contact_persons.filter(name="Rina").exists()


def test_it_opens_every_object_url_of_every_branch_to_head_office(head_office_user, customer_a, customer_b,
                                                                  branch_a, branch_b):
    client = as_user(head_office_user)
    for branch, known in ((branch_a, [customer_a, logged_by(head_office_user, customer_a),
                                      notified(head_office_user, customer_a)]),
                          (branch_b, [customer_b, logged_by(head_office_user, customer_b),
                                      notified(head_office_user, customer_b)])):
        for pattern in scoped_patterns():
            target = url(pattern, url_objects(pattern, branch, known))
            assert client.get(target).status_code in (200, 405), (pattern, target)


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
