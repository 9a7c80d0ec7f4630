"""crm 0006: a landline saved as the mobile moves to "other phone" (issue 7)."""

import importlib

import pytest
from django.apps import apps

from crm.models import Customer
from tests.factories import AssetFactory, CustomerFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("crm.migrations.0006_landline_to_other_phone")


def _customer(branch, phone, phone_alt=""):
    customer = CustomerFactory(branch=branch)
    # As rows saved before the form refused landlines: written past the service.
    Customer.objects.filter(pk=customer.pk).update(phone=phone, phone_alt=phone_alt)
    return customer


def test_it_moves_a_landline_to_the_other_phone_and_leaves_the_rest(branch_a):
    landline = _customer(branch_a, "+62215551234")
    AssetFactory(customer=landline, plate_number="D 1234 ABC")
    mobile = _customer(branch_a, "+6281234567890", "+62225551234")
    occupied = _customer(branch_a, "+62361234567", "+6281299991111")
    invalid = _customer(branch_a, "+62123")
    toll_free = _customer(branch_a, "+62800123456")
    untouched = {c.pk: Customer.objects.values("phone", "phone_alt", "search_text", "updated_at").get(pk=c.pk)
                 for c in (mobile, occupied, invalid)}

    assert migration.landline_to_other_phone(apps, None) == 2

    moved = Customer.objects.get(pk=landline.pk)
    assert (moved.phone, moved.phone_alt) == ("", "+62215551234")
    for key in ("62215551234", "0215551234", "d 1234 abc", "d1234abc"):  # still found by number and plate
        assert key in moved.search_text
    assert Customer.objects.values_list("phone", "phone_alt").get(pk=toll_free.pk) == ("", "+62800123456")
    for pk, before in untouched.items():
        assert Customer.objects.values("phone", "phone_alt", "search_text", "updated_at").get(pk=pk) == before
    # Run again: nothing left to do.
    assert migration.landline_to_other_phone(apps, None) == 0


def test_it_works_in_batches(branch_a, monkeypatch):
    monkeypatch.setattr(migration, "BATCH", 2)
    landlines = [_customer(branch_a, f"+6222555123{i}") for i in range(5)]
    mobiles = [_customer(branch_a, f"+628123456789{i}") for i in range(3)]
    assert migration.landline_to_other_phone(apps, None) == 5
    assert set(Customer.objects.filter(pk__in=[c.pk for c in landlines]).values_list("phone", flat=True)) == {""}
    assert sorted(Customer.objects.filter(pk__in=[c.pk for c in mobiles]).values_list("phone", flat=True)) == [
        f"+628123456789{i}" for i in range(3)]
