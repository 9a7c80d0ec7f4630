"""accounts.access: the branch rule, the generic access helper, and what a new app gets by
following the conventions (a BranchScopedQuerySet, ``<uuid:<model>_id>`` URLs and a ROLES
declaration in a migration): tests/throwaway_app is walked, scope-tested and given its role
permissions by the existing tests, none of which names it."""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.http import Http404
from django.test import Client, override_settings

import crm.models
from accounts import access
from accounts.access import BranchScopedQuerySet, branch_scope, customer_get_for_user, get_for_user_or_404
from accounts.models import User
from accounts.roles import declared_roles, grant_role_permissions
from crm.models import Customer, Tag
from tests.factories import CustomerFactory

from . import test_branch_scoping, test_url_walk
from .urlwalk import walk

pytestmark = pytest.mark.django_db


def test_it_hides_another_branchs_row_with_404(staff_b, customer_a):
    with pytest.raises(Http404):
        get_for_user_or_404(Customer.objects.all(), staff_b, public_id=customer_a.public_id)
    # Asking to write does not turn the 404 into a 403: the row's existence stays hidden.
    with pytest.raises(Http404):
        get_for_user_or_404(Customer.objects, staff_b, write_perm="crm.view_customer", public_id=customer_a.public_id)


def test_it_refuses_writing_with_403_to_who_may_only_read(readonly_a, sales_a, customer_a):
    assert get_for_user_or_404(Customer.objects, readonly_a, public_id=customer_a.public_id) == customer_a
    with pytest.raises(PermissionDenied):
        get_for_user_or_404(Customer.objects, readonly_a, write_perm="crm.change_customer",
                            public_id=customer_a.public_id)
    assert get_for_user_or_404(Customer.objects, sales_a, write_perm="crm.change_customer",
                               public_id=customer_a.public_id) == customer_a
    with pytest.raises(PermissionDenied):
        customer_get_for_user(readonly_a, customer_a.public_id, write=True)


def test_it_shows_every_branch_to_head_office(head_office_user, customer_a, customer_b):
    for customer in (customer_a, customer_b):
        assert get_for_user_or_404(Customer.objects, head_office_user, write_perm="crm.delete_customer",
                                   public_id=customer.public_id) == customer
    assert branch_scope(head_office_user, "customer__branch", "escalated_to") == branch_scope(head_office_user)
    assert set(Customer.objects.visible_to(head_office_user)) == {customer_a, customer_b}


def test_it_shows_a_row_reached_along_any_of_several_paths(sales_a, staff_b, branch_a, branch_b, customer_a,
                                                          customer_b):
    # A customer of branch B owned by someone at branch A: seen from A along "owner__branch".
    shared = CustomerFactory(name="Agus", branch=branch_b, owner=sales_a)
    scope = branch_scope(sales_a, "branch", "owner__branch")
    assert set(Customer.objects.filter(scope)) == {customer_a, shared}
    assert set(Customer.objects.filter(branch_scope(staff_b, "branch", "owner__branch"))) == {customer_b, shared}
    assert set(Customer.objects.visible_to(sales_a)) == {customer_a}  # the customer's own rule: its branch

    class StaffQuerySet(BranchScopedQuerySet):
        # Staff of my branch, and staff who own customers of my branch: a to-many path.
        branch_paths = ("branch", "owned_customers__branch")

    CustomerFactory(name="Dewi", branch=branch_a, owner=staff_b)
    CustomerFactory(name="Eko", branch=branch_a, owner=staff_b)
    visible = list(StaffQuerySet(model=User).visible_to(sales_a))
    assert staff_b in visible and sales_a in visible
    assert len(visible) == len(set(visible))  # each once, though staff B owns two customers of A


def test_it_spells_paths_to_a_row_with_a_branch_as_before(sales_a):
    assert branch_scope(sales_a) == branch_scope(sales_a, "branch") == branch_scope(sales_a, "")
    assert branch_scope(sales_a, "customer__") == branch_scope(sales_a, "customer__branch")
    assert crm.models.branch_scope is branch_scope  # older imports keep working


def test_it_shows_nothing_to_anonymous_users_or_staff_without_a_branch(customer_a, sales_a):
    sales_a.branch = None
    for user in (AnonymousUser(), sales_a):
        assert not Customer.objects.visible_to(user).exists()


def test_it_answers_404_to_a_malformed_id(sales_a):
    for value in ("not-a-uuid", "", "1"):
        with pytest.raises(Http404):
            get_for_user_or_404(Customer.objects, sales_a, public_id=value)
    assert access.parse_public_id  # kept for callers that parse ids themselves


def test_it_insists_on_a_branch_scoped_queryset(sales_a):
    tag = Tag.objects.create(name="vip")
    with pytest.raises(AttributeError):
        get_for_user_or_404(Tag.objects.all(), sales_a, pk=tag.pk)


def test_it_names_permissions_by_app_label_and_refuses_unknown_ones():
    with pytest.raises(ValueError):
        grant_role_permissions(apps, {"Sales": ["view_customer"]})
    with pytest.raises(LookupError, match="crm.view_unicorn"):
        grant_role_permissions(apps, {"Sales": ["crm.view_customer", "crm.view_unicorn"]})


def test_it_finds_the_roles_every_app_declares():
    roles = declared_roles()
    assert "crm.delete_customer" in roles["Head Office"] and "marketing.add_send" in roles["Sales"]
    assert "crm.change_customer" not in roles["Quality Control"]


# --- A new app, covered without editing the tests


@pytest.fixture
def throwaway_app():
    """tests/throwaway_app installed and migrated (its table and role grants, by its own
    migration), with its URLs added to the project's; all rolled back afterwards."""
    installed = [*settings.INSTALLED_APPS, "tests.throwaway_app"]
    with override_settings(INSTALLED_APPS=installed, ROOT_URLCONF="tests.throwaway_app.root_urls"):
        call_command("migrate", "throwaway_app", verbosity=0)
        yield apps.get_model("throwaway_app", "Widget")
    ContentType.objects.clear_cache()  # the app's content type goes with the rollback


def test_it_covers_a_new_app_by_its_conventions_alone(throwaway_app, request, branch_a, branch_b, staff_b, sales_a,
                                                     customer_a, head_office_user):
    Widget = throwaway_app
    # The walk finds its URL and knows the model the URL names...
    [pattern] = [p for p in walk() if p.name == "throwaway_app:widget_detail"]
    assert pattern.object_parameters == {"widget_id": Widget}
    assert pattern in test_branch_scoping.scoped_patterns()

    # ...and the role groups get its permissions, from its migration and again from what
    # conftest's role_groups does after a flush.
    assert "throwaway_app.view_widget" in declared_roles()["Sales"]
    sales = Group.objects.get(name="Sales")
    view_widget = Permission.objects.get(content_type__app_label="throwaway_app", codename="view_widget")
    assert view_widget in sales.permissions.all()
    sales.permissions.remove(view_widget)
    grant_role_permissions(apps, declared_roles())
    assert view_widget in sales.permissions.all()

    # The existing tests, unchanged, walk it and scope-test it with a widget of each branch.
    test_url_walk.test_it_builds_a_url_for_every_pattern()
    test_url_walk.test_it_sends_anonymous_visitors_to_log_in_everywhere_but_the_way_in()
    test_branch_scoping.test_it_knows_the_branch_scoped_model_of_every_object_url()
    test_branch_scoping.test_it_hides_another_branchs_object_on_every_object_url(staff_b, customer_a, sales_a,
                                                                                 branch_a)
    test_branch_scoping.test_it_opens_every_object_url_to_the_objects_branch(request, "sales_a", customer_a,
                                                                             branch_a)
    customer_b = request.getfixturevalue("customer_b")
    test_branch_scoping.test_it_opens_every_object_url_of_every_branch_to_head_office(
        head_office_user, customer_a, customer_b, branch_a, branch_b)
    assert Widget.objects.filter(branch=branch_a).exists() and Widget.objects.filter(branch=branch_b).exists()


def test_it_scopes_a_new_apps_rows_along_both_of_its_paths(throwaway_app, branch_a, branch_b, sales_a, staff_b,
                                                          readonly_a):
    Widget = throwaway_app
    escalated = Widget.objects.create(branch=branch_a, escalated_to=branch_b, name="escalated")
    local = Widget.objects.create(branch=branch_a, name="local")
    url = f"/throwaway/widgets/{escalated.public_id}/"
    for user, seen in ((sales_a, {escalated, local}), (staff_b, {escalated})):
        assert set(Widget.objects.visible_to(user)) == seen
        client = Client()
        client.force_login(user)
        response = client.get(url)
        assert (response.status_code, response.content) == (200, b"escalated")
    staff_b_client = Client()
    staff_b_client.force_login(staff_b)
    assert staff_b_client.get(f"/throwaway/widgets/{local.public_id}/").status_code == 404
    assert Client().get(url)["Location"] == f"/accounts/login/?next={url}"
    # QC has no role on widgets: the permission on the view refuses before any row is looked up.
    qc = Client()
    qc.force_login(readonly_a)
    assert qc.get(url).status_code == 403
