"""The back office: every model is registered and its pages open, fast, for head office."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Department, User
from crm.models import Asset, ContactPerson, Customer, Interaction, Tag
from marketing.models import Message, Send
from tests.factories import AssetFactory, BranchFactory, CustomerFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(head_office):
    return User.objects.create_superuser(language="en", email="root@relasi.test", password="x", branch=head_office)


def test_it_registers_every_model_of_ours():
    ours = {m for m in admin.site._registry if m._meta.app_label in ("accounts", "crm")}
    assert {m.__name__ for m in ours} >= {"User", "Branch", "Customer", "ContactPerson", "Asset", "Interaction", "Tag"}


def _populate(branch, staff, n, prefix):
    """``n`` customers with vehicles, a contact person, tags, a contact history and an SMS
    each (so every changelist has several rows whose related rows differ)."""
    from crm import services
    from marketing import services as marketing_services
    from marketing.tasks import send_dispatch_task

    tags = [TagFactory(name=f"{prefix}-tag{i}") for i in range(2)]
    customers = []
    for i in range(n):
        customer = CustomerFactory(name=f"{prefix} {i}", phone=f"+628137{len(prefix)}{ord(prefix[0])}{i:04d}",
                                   branch=branch, owner=staff[i % len(staff)], tags=tags, consents={"sms": True})
        AssetFactory(customer=customer)
        AssetFactory(customer=customer)
        services.contact_person_create(customer=customer, by=None, name=f"Kontak {prefix} {i}")
        for k in range(2):
            services.interaction_record(customer=customer, kind="call", channel="phone", direction="out",
                                        department=staff[k % len(staff)].department, staff=staff[k % len(staff)],
                                        summary=f"Call {k}")
        customers.append(customer)
    for k, by in enumerate(staff):
        send = marketing_services.send_create(idempotency_key=f"{prefix}-{k}", channel="sms", name=f"{prefix} {k}",
                                              body="Halo {{ first_name }}", customers=[c.pk for c in customers], by=by)
        send_dispatch_task.run(send.pk)  # Messages, and Interactions with a Message as source


def test_it_opens_every_changelist_and_change_page(client, superuser, customer_a, settings,
                                                   django_assert_num_queries):
    settings.SMS_BACKEND = "marketing.backends.DevelopmentBackend"
    settings.SMS_QUIET_HOURS, settings.SMS_RATE_PER_SECOND = "0-0", 0
    branch = customer_a.branch
    staff = [UserFactory(branch=branch, department=d) for d in (Department.SALES, Department.MARKETING)]
    _populate(branch, staff, 6, "Awal")
    client.force_login(superuser)
    counts = {}
    # Lists use list_select_related: the count is measured with several rows on every list
    # of ours, and must not change when many more rows (and other owners, staff and
    # branches) are added. Ceiling for every list: 15.
    for grown in (False, True):
        if grown:
            other = BranchFactory(code="mks", name="Cabang Makassar", city="Makassar")
            more_staff = [UserFactory(branch=b, department=Department.SALES) for b in (branch, other, branch)]
            _populate(branch, more_staff, 12, "Tambah")
            _populate(other, more_staff[1:2], 8, "Lain")
        for model in admin.site._registry:
            info = (model._meta.app_label, model._meta.model_name)
            url = reverse("admin:%s_%s_changelist" % info)
            if not grown:
                with CaptureQueriesContext(connection) as captured:
                    response = client.get(url)
                counts[info] = len(captured)
                assert counts[info] <= 15, (info, [q["sql"] for q in captured.captured_queries])
            else:
                with django_assert_num_queries(counts[info]):
                    response = client.get(url)
            assert response.status_code == 200, info
            obj = model._default_manager.first()
            if obj is not None:
                assert client.get(reverse("admin:%s_%s_change" % info, args=[obj.pk])).status_code == 200, info
    # The measured lists really had several rows.
    for model in (Customer, Asset, ContactPerson, Interaction, Tag, Message, Send, User):
        assert model.objects.count() >= 5, model


def test_it_searches_customers_through_the_trigram_index(client, superuser, customer_a, customer_b):
    client.force_login(superuser)
    response = client.get(reverse("admin:crm_customer_changelist"), {"q": "7890"})
    assert "Budi Santoso" in response.content.decode()
    assert "Siti Rahayu" not in response.content.decode()


def test_it_shows_branch_staff_only_their_branch_in_the_back_office(client, branch_a, customer_a, customer_b):
    staff = User.objects.create_user(language="en", email="bm@relasi.test", password="x", branch=branch_a,
                                     is_staff=True, department="branch_mgmt")
    staff.user_permissions.add(Permission.objects.get(codename="view_customer"))
    client.force_login(staff)
    body = client.get(reverse("admin:crm_customer_changelist")).content.decode()
    assert "Budi Santoso" in body and "Siti Rahayu" not in body
