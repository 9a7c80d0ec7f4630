"""Roles: one group per department, made by a data migration, and staff always in the group
of their department, whether made by the service or changed in the back office."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from accounts.models import Department, User
from accounts.roles import DEPARTMENT_GROUP
from accounts.services import staff_create, staff_sync_role

pytestmark = pytest.mark.django_db

ROLE_GROUPS = {"Sales", "Marketing", "Service", "Quality Control", "Shipment", "Branch Management", "Head Office"}


def group_permissions() -> dict[str, set[str]]:
    return {g.name: {f"{p.content_type.app_label}.{p.codename}" for p in g.permissions.select_related("content_type")}
            for g in Group.objects.all()}


def group_names(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


def test_it_has_the_role_groups_in_a_fresh_database():
    assert set(group_permissions()) >= ROLE_GROUPS
    assert set(DEPARTMENT_GROUP.values()) == ROLE_GROUPS
    assert set(DEPARTMENT_GROUP) == set(Department)  # every department has its group


def test_it_gives_each_role_group_its_permissions():
    perms = group_permissions()
    for name in ROLE_GROUPS:
        # Everyone reads the whole customer record and logs their contacts with the customer.
        assert {"crm.view_customer", "crm.view_interaction", "crm.add_interaction"} <= perms[name], name
    for name in ("Sales", "Marketing", "Service", "Branch Management", "Head Office"):
        assert {"crm.add_customer", "crm.change_customer", "crm.add_asset"} <= perms[name], name
    for name in ("Quality Control", "Shipment"):
        assert not {"crm.add_customer", "crm.change_customer", "crm.add_asset"} & perms[name], name
    assert "crm.delete_customer" in perms["Head Office"]
    assert [n for n in ROLE_GROUPS if "crm.delete_customer" in perms[n]] == ["Head Office"]


def test_it_lets_staff_do_what_their_role_allows(sales_a, readonly_a, head_office_user):
    assert sales_a.has_perm("crm.change_customer") and not sales_a.has_perm("crm.delete_customer")
    assert readonly_a.has_perm("crm.view_customer") and readonly_a.has_perm("crm.add_interaction")
    assert not readonly_a.has_perm("crm.change_customer")
    assert head_office_user.has_perm("crm.delete_customer")


@pytest.mark.parametrize("department", list(Department))
def test_it_puts_new_staff_in_their_departments_group(branch_a, department):
    user = staff_create(email=f"{department}@relasi.test", password="x", branch=branch_a, department=department)
    assert group_names(user) == [DEPARTMENT_GROUP[department]]


def test_it_moves_staff_to_the_group_of_their_new_department(sales_a):
    sales_a.department = Department.QUALITY_CONTROL
    sales_a.save()
    staff_sync_role(user=sales_a)
    assert group_names(sales_a) == ["Quality Control"]
    user = User.objects.get(pk=sales_a.pk)  # permissions are cached per instance
    assert not user.has_perm("crm.change_customer") and user.has_perm("crm.add_interaction")


def test_it_keeps_groups_that_are_not_role_groups(sales_a):
    extra = Group.objects.create(name="Trainers")
    sales_a.groups.add(extra)
    sales_a.department = Department.SERVICE
    sales_a.save()
    staff_sync_role(user=sales_a)
    assert group_names(sales_a) == ["Service", "Trainers"]


def test_it_takes_staff_out_of_role_groups_when_the_department_is_cleared(sales_a):
    sales_a.department = ""
    sales_a.save()
    staff_sync_role(user=sales_a)
    assert group_names(sales_a) == []


# --- The back office (Django admin)


@pytest.fixture
def admin_client(client, head_office, password):
    root = User.objects.create_superuser(language="en", email="root@relasi.test", password=password, branch=head_office)
    client.force_login(root)
    return client


def change_form_data(response) -> dict:
    """What the admin change form would post back unchanged, read from the rendered form."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if value is None or value is False:
            continue
        if value is True:
            value = "on"
        data[name] = value
    return data


def test_it_moves_staff_to_the_new_group_when_the_back_office_changes_the_department(admin_client, sales_a):
    url = reverse("admin:accounts_user_change", args=[sales_a.pk])
    data = change_form_data(admin_client.get(url))
    assert data["department"] == Department.SALES and data["groups"] == [Group.objects.get(name="Sales").pk]
    # The form still posts the old group ticked: the department decides.
    data["department"] = Department.QUALITY_CONTROL
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    sales_a.refresh_from_db()
    assert sales_a.department == Department.QUALITY_CONTROL
    assert group_names(sales_a) == ["Quality Control"]


def test_it_puts_staff_added_in_the_back_office_in_their_departments_group(admin_client, branch_a):
    response = admin_client.post(reverse("admin:accounts_user_add"), {
        "email": "Service.A@relasi.test", "branch": branch_a.pk, "department": Department.SERVICE,
        "password1": "Rendang-Padang-77", "password2": "Rendang-Padang-77"})
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(email__iexact="service.a@relasi.test")
    assert group_names(user) == ["Service"]
    assert user.has_perm("crm.change_customer")

