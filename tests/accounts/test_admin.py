"""The back office: every model is registered and its pages open, fast, for head office."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.urls import reverse

from accounts.models import User
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(head_office):
    return User.objects.create_superuser(email="root@relasi.test", password="x", branch=head_office)


def test_it_registers_every_model_of_ours():
    ours = {m for m in admin.site._registry if m._meta.app_label in ("accounts", "crm")}
    assert {m.__name__ for m in ours} >= {"User", "Branch", "Customer", "ContactPerson", "Asset", "Interaction", "Tag"}


def test_it_opens_every_changelist_and_change_page(client, superuser, customer_a, django_assert_max_num_queries):
    AssetFactory(customer=customer_a)
    client.force_login(superuser)
    for model in admin.site._registry:
        info = (model._meta.app_label, model._meta.model_name)
        # Lists use list_select_related: the count stays small however many rows exist.
        with django_assert_max_num_queries(15):
            response = client.get(reverse("admin:%s_%s_changelist" % info))
        assert response.status_code == 200, info
        obj = model._default_manager.first()
        if obj is not None:
            assert client.get(reverse("admin:%s_%s_change" % info, args=[obj.pk])).status_code == 200, info


def test_it_searches_customers_through_the_trigram_index(client, superuser, customer_a, customer_b):
    client.force_login(superuser)
    response = client.get(reverse("admin:crm_customer_changelist"), {"q": "7890"})
    assert "Budi Santoso" in response.content.decode()
    assert "Siti Rahayu" not in response.content.decode()


def test_it_shows_branch_staff_only_their_branch_in_the_back_office(client, branch_a, customer_a, customer_b):
    staff = User.objects.create_user(email="bm@relasi.test", password="x", branch=branch_a, is_staff=True,
                                     department="branch_mgmt")
    staff.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(staff)
    body = client.get(reverse("admin:crm_customer_changelist")).content.decode()
    assert "Budi Santoso" in body and "Siti Rahayu" not in body
