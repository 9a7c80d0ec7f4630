"""`make run` loads the demo data with seed_demo (COPY with explicit column lists): it must
keep working as models gain columns, and a second run must change nothing."""

import pytest
from django.core.management import call_command
from django.db.models import F

from accounts.models import User
from crm.models import Asset, Customer, Interaction

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_loads_the_demo_data_and_a_second_run_keeps_it():
    call_command("seed_demo", customers=60, verbosity=0)
    customers, interactions = Customer.objects.count(), Interaction.objects.count()
    assert customers == 60 and interactions > 60 and Asset.objects.exists()
    assert User.objects.filter(email="pusat@relasi.test").exists()  # the head-office demo login
    # Rows loaded by COPY read back like rows written by the services.
    assert set(Interaction.objects.values_list("original_summary", flat=True)) == {""}
    # ... each with its customer's branch, which the branch activity report counts by.
    assert not Interaction.objects.exclude(branch_id=F("customer__branch_id")).exists()
    call_command("seed_demo", customers=60, verbosity=0)
    assert (Customer.objects.count(), Interaction.objects.count()) == (customers, interactions)


def test_it_loads_each_customers_last_contact_as_the_services_would_keep_it():
    from django.db.models import Max, Q

    from crm.models import Interaction as I

    call_command("seed_demo", customers=40, verbosity=0)
    expected = dict(
        Customer.objects.annotate(last=Max("interactions__occurred_at", filter=Q(
            interactions__kind__in=I.PERSON_KINDS) & ~Q(interactions__channel=I.Channel.SYSTEM)))
        .values_list("pk", "last"))
    loaded = dict(Customer.objects.values_list("pk", "last_contact_at"))
    assert loaded == expected and any(loaded.values())
