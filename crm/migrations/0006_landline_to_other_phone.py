"""Landlines saved as the customer's mobile move to "other phone" (issue 7).

The form now refuses a number that cannot take SMS in the mobile field; rows saved before
may still hold one. For each customer whose ``phone`` is a valid number that is not
SMS-capable (``crm.phone.is_sms_capable``) and whose ``phone_alt`` is empty: the number
moves to ``phone_alt`` and ``phone`` becomes empty. A customer with both filled is left
as it is. Invalid numbers are left too (they are not ours to guess).

``search_text`` is recomputed with ``crm.services.customer_search_text`` (a pure function
of the values passed): it holds the keys of both numbers, so the customer is found by the
number as before.

Non-atomic, in batches: a million customers are read with a server-side cursor and each
batch is rewritten in its own short transaction, rows locked and checked again first (a
staff edit in between wins). Running it again is harmless. Reverse: nothing to undo.
"""

import phonenumbers
from django.db import migrations, transaction
from django.utils import timezone

BATCH = 2000


def _landline_in_mobile_field(phone: str, phone_alt: str) -> bool:
    from crm.phone import is_sms_capable

    if not phone or phone_alt or is_sms_capable(phone):
        return False
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(phone, None))
    except phonenumbers.NumberParseException:
        return False


def _move(Customer, Asset, ids: list[int]) -> int:
    from crm.services import customer_search_text

    with transaction.atomic():
        customers = [c for c in Customer.objects.select_for_update().filter(pk__in=ids)
                     .only("id", "name", "email", "phone", "phone_alt", "search_text", "updated_at")
                     if _landline_in_mobile_field(c.phone, c.phone_alt)]
        if not customers:
            return 0
        plates: dict[int, list[str]] = {}
        for customer_id, plate in Asset.objects.filter(customer_id__in=[c.pk for c in customers]) \
                .exclude(plate_number="").order_by("customer_id", "id").values_list("customer_id", "plate_number"):
            plates.setdefault(customer_id, []).append(plate)
        now = timezone.now()
        for c in customers:
            c.phone_alt, c.phone = c.phone, ""
            c.search_text = customer_search_text(name=c.name, email=c.email, phones=[c.phone, c.phone_alt],
                                                 plates=plates.get(c.pk, ()))
            c.updated_at = now
        Customer.objects.bulk_update(customers, ["phone", "phone_alt", "search_text", "updated_at"])
    return len(customers)


def landline_to_other_phone(apps, schema_editor):
    Customer = apps.get_model("crm", "Customer")
    Asset = apps.get_model("crm", "Asset")
    candidates = Customer.objects.filter(phone_alt="").exclude(phone="").order_by() \
        .values_list("id", "phone", "phone_alt").iterator(chunk_size=BATCH)
    batch, moved = [], 0
    for pk, phone, phone_alt in candidates:
        if _landline_in_mobile_field(phone, phone_alt):
            batch.append(pk)
            if len(batch) >= BATCH:
                moved += _move(Customer, Asset, batch)
                batch = []
    if batch:
        moved += _move(Customer, Asset, batch)
    return moved


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('crm', '0005_interaction_correction'),
    ]

    operations = [
        migrations.RunPython(landline_to_other_phone, migrations.RunPython.noop, elidable=True),
    ]
