"""Landlines are not mobiles: the mobile field takes only numbers that can receive SMS, the
other phone takes any number, and the database applies the same SMS rule as Python."""

import random

import phonenumbers
import pytest
from django.db import connection

from crm.models import Channel, Customer
from crm.phone import is_sms_capable, sms_capable_sql, sms_undecided_sql
from tests.crm.pages import field_error, post_form

from .test_customer_create import NEW_URL, RINA, open_form

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["021-5551234", "(021) 5551234", "0361 234567", "+62 22 4231234"])
def test_it_refuses_a_landline_as_the_mobile_number_and_says_where_it_goes(browser_client, sales_a, typed):
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(**{**RINA, "phone": typed}).submit(browser_client, url=NEW_URL)
    assert response.status_code == 200
    assert field_error(response, "phone") == (
        f"“{typed}” is a landline number and cannot receive SMS. Enter it under “Other phone” instead.")
    assert not Customer.objects.exists()
    # Moved to "other phone", as the message says, it is saved there.
    response = post_form(response).fill(phone="0812-9999-1111", phone_alt=typed).submit(browser_client, url=NEW_URL)
    assert response.status_code == 302
    customer = Customer.objects.get()
    assert customer.phone == "+6281299991111"
    assert customer.phone_alt == phonenumbers.format_number(phonenumbers.parse(typed, "ID"),
                                                            phonenumbers.PhoneNumberFormat.E164)


def test_it_refuses_other_numbers_that_cannot_take_sms_as_the_mobile(browser_client, sales_a):
    browser_client.force_login(sales_a)
    response = open_form(browser_client).fill(**{**RINA, "phone": "0800-1234-56"}).submit(browser_client, url=NEW_URL)
    assert field_error(response, "phone") == (
        "“0800-1234-56” cannot receive SMS. Enter it under “Other phone” instead.")


def test_it_still_takes_a_mobile_and_a_landline_together(browser_client, sales_a):
    browser_client.force_login(sales_a)
    form = open_form(browser_client).fill(**{**RINA, "phone": "0812-3456-7890", "phone_alt": "021-5551234"})
    assert form.submit(browser_client, url=NEW_URL).status_code == 302
    assert Customer.objects.values_list("phone", "phone_alt").get() == ("+6281234567890", "+62215551234")


def test_it_refuses_a_landline_when_editing_the_mobile_too(browser_client, sales_a, customer_a):
    browser_client.force_login(sales_a)
    url = f"/customers/{customer_a.public_id}/edit/"
    response = post_form(browser_client.get(url)).fill(phone="0361 234567").submit(browser_client, url=url)
    assert field_error(response, "phone") == (
        "“0361 234567” is a landline number and cannot receive SMS. Enter it under “Other phone” instead.")
    assert Customer.objects.get(pk=customer_a.pk).phone == "+6281234567890"


def _random_numbers(count: int) -> list[str]:
    """Valid-looking and invalid numbers of every kind, at every length, in E.164."""
    rng = random.Random(7)
    starts = ["8", "81", "812", "815", "819", "82", "83", "84", "85", "87", "88", "89", "80", "804", "809", "800",
              "21", "22", "24", "31", "361", "61", "619", "1500", "177", "7", "9", "4", "5", "6"]
    numbers = []
    for _ in range(count):
        national = rng.choice(starts)
        national += "".join(rng.choice("0123456789") for _ in range(rng.randint(6, 13) - len(national) + 1))
        numbers.append("+62" + national)
    return numbers + ["+6591234567", "+6561234567", "+12025550123", "+447911123456", "+442071234567", ""]


def test_it_decides_in_the_database_exactly_as_is_sms_capable_does():
    numbers = _random_numbers(3000)
    expected = {n for n in numbers if is_sms_capable(n)}
    assert len(expected) > 300 and len(set(numbers) - expected) > 300  # both kinds well represented
    undecided_sql, undecided_params = sms_undecided_sql("n")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT n FROM unnest(%s::text[]) n WHERE {undecided_sql}", [numbers, *undecided_params])
        others = [n for (n,) in cursor.fetchall()]
        assert sorted(others) == ["+12025550123", "+442071234567", "+447911123456", "+6561234567", "+6591234567"]
        sql, params = sms_capable_sql("n", also=[n for n in others if is_sms_capable(n)])
        cursor.execute(f"SELECT n FROM unnest(%s::text[]) n WHERE {sql}", [numbers, *params])
        found = {n for (n,) in cursor.fetchall()}
    assert found == expected


def test_it_has_consent_fields_for_every_consent_channel():
    for channel in Channel.values:
        for suffix in ("consent", "consent_at", "consent_source"):
            Customer._meta.get_field(f"{channel}_{suffix}")  # raises when a channel lacks its fields
    assert set(Channel.values) == {"sms", "email", "phone"}
