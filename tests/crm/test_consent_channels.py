"""One place each (issue 7, messaging edge cases): the consent channels are defined once
(crm.models.Channel, with their fields on Customer) and every list of them derives from it;
"can this number take SMS" is decided by crm.phone alone."""

import pathlib
import re

import pytest
from django.conf import settings
from django.urls import reverse

from crm import filters, forms, selectors, services
from crm.models import Channel, Customer
from marketing.models import Send
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CONSENT_SUFFIXES = ("consent", "consent_at", "consent_source")


def test_it_gives_every_channel_its_three_fields_and_no_field_lacks_a_channel():
    names = {f.name for f in Customer._meta.get_fields()}
    for channel in Channel.values:
        assert {f"{channel}_{suffix}" for suffix in CONSENT_SUFFIXES} <= names, channel
    flags = {n.removesuffix("_consent") for n in names if n.endswith("_consent")}
    assert flags == set(Channel.values)


def test_it_derives_every_list_of_channels_from_the_model():
    assert services.CONSENT_CHANNELS == tuple(Channel.values)
    assert filters.CustomerFilter.base_filters["consent"].extra["choices"] == Channel.choices
    assert forms.CONSENT_FIELDS == tuple(f"{c}_consent" for c in Channel.values)
    assert set(forms.CONSENT_FIELDS) <= set(forms.CustomerForm.base_fields)
    # The list page loads each flag (a missing one would cost a query per row).
    deferred = selectors.customer_list(user=None, queryset=Customer.objects.all()).query.deferred_loading
    assert set(forms.CONSENT_FIELDS) <= deferred[0] and deferred[1] is False


def test_it_only_sends_on_channels_a_customer_can_consent_to():
    # marketing reads a send's consent as ConsentChannel(send.channel).
    assert set(Send.Channel.values) <= set(Channel.values)


def test_it_takes_every_channels_consent_from_the_customer_form(sales_a):
    data = {"kind": "person", "name": "Ayu Lestari", "phone": "0812-3456-7891", "language": "id",
            "consent_source": "branch_desk",
            **{f"{c}_consent": "on" for c in Channel.values[1:]}}
    form = forms.CustomerForm(data, user=sales_a)
    assert form.is_valid(), form.errors
    kwargs = form.service_kwargs()
    assert kwargs["consents"] == {c: c != Channel.values[0] for c in Channel.values}
    assert not any(name.endswith("_consent") for name in kwargs["fields"])


@pytest.mark.parametrize("channel", Channel.values)
def test_it_filters_the_customer_list_by_each_channels_consent(client, sales_a, branch_a, channel):
    given = CustomerFactory(name="Dengan Izin", branch=branch_a, consents={channel: True})
    CustomerFactory(name="Tanpa Izin", branch=branch_a, consents={c: c != channel for c in Channel.values})
    client.force_login(sales_a)
    body = client.get(reverse("crm:customer_list"), {"consent": channel}).content.decode()
    assert given.name in body and "Tanpa Izin" not in body


def test_it_says_which_consent_filter_is_wrong_instead_of_failing(client, sales_a, customer_a):
    client.force_login(sales_a)
    response = client.get(reverse("crm:customer_list"), {"consent": "fax"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


def test_it_stamps_each_channels_consent_through_the_service(customer_a, sales_a):
    services.customer_update(customer=customer_a, by=sales_a, consents={c: True for c in Channel.values},
                             consent_source="signed_form")
    customer_a.refresh_from_db()
    for channel in Channel.values:
        assert getattr(customer_a, f"{channel}_consent") is True
        assert getattr(customer_a, f"{channel}_consent_source") == "signed_form"
        assert getattr(customer_a, f"{channel}_consent_at") is not None


def test_it_decides_whether_a_number_takes_sms_in_crm_phone_only():
    """marketing (and everything else) imports the rule; nobody asks phonenumbers for a number's type again."""
    from crm import phone
    from marketing import selectors as marketing_selectors
    from marketing import services as marketing_services

    assert marketing_services.is_sms_capable is phone.is_sms_capable
    assert marketing_services.sms_capable_sql is phone.sms_capable_sql
    assert marketing_selectors.is_sms_capable is phone.is_sms_capable
    root = pathlib.Path(settings.BASE_DIR)
    copies = [
        str(path.relative_to(root)) for path in root.glob("*/**/*.py")
        if not {".venv", "migrations", "tests"} & set(path.relative_to(root).parts)
        and re.search(r"number_type\(|PhoneNumberType\.(MOBILE|FIXED_LINE)", path.read_text(encoding="utf-8"))
    ]
    assert copies == ["crm/phone.py"]
