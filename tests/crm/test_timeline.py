"""The 360 page's contact history: fed by every app through one service function."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from crm import services
from crm.models import Interaction
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_it_shows_touches_from_two_apps_newest_first_with_their_source(client, sales_a, customer_a):
    vehicle = AssetFactory(customer=customer_a, plate_number="D 7777 RL")
    now = timezone.now()
    # As the sales app records a quotation and the service app a workshop visit.
    quotation = services.interaction_record(
        customer=customer_a, kind=Interaction.Kind.QUOTATION, channel=Interaction.Channel.EMAIL,
        direction=Interaction.Direction.OUTBOUND, department=Department.SALES, staff=sales_a,
        summary="Quotation for a new Avanza", occurred_at=now - dt.timedelta(hours=2), source=vehicle,
    )
    services.interaction_record(
        customer=customer_a, kind=Interaction.Kind.SERVICE_VISIT, channel=Interaction.Channel.IN_PERSON,
        direction=Interaction.Direction.INBOUND, department=Department.SERVICE,
        summary="10,000 km service done", occurred_at=now - dt.timedelta(hours=1), source=vehicle,
    )
    assert Interaction.objects.get(pk=quotation.pk).source == vehicle
    client.force_login(sales_a)
    body = client.get(customer_a.get_absolute_url()).content.decode()
    service_at, sales_at = body.index("10,000 km service done"), body.index("Quotation for a new Avanza")
    assert service_at < sales_at  # newest first
    assert "Service visit" in body and "Quotation" in body
    assert "Sales" in body and "Service" in body


def test_it_pages_a_long_history(client, sales_a, customer_a, settings):
    base = timezone.now() - dt.timedelta(days=30)
    for i in range(settings.TIMELINE_PAGE_SIZE + 5):
        services.interaction_record(customer=customer_a, kind="call", channel="phone", direction="out",
                                    department="sales", summary=f"Call number {i:02d}",
                                    occurred_at=base + dt.timedelta(hours=i))
    client.force_login(sales_a)
    first = client.get(customer_a.get_absolute_url())
    assert "Call number 24" in first.content.decode()
    assert "Call number 03" not in first.content.decode()
    assert first.context["timeline"].has_next
    url = reverse("crm:customer_timeline", args=[customer_a.public_id]) + "?page=2"
    partial = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "Call number 03" in partial and "<html" not in partial
    full = client.get(url).content.decode()
    assert "Call number 03" in full and "<html" in full


def test_it_logs_an_interaction_from_the_quick_form(client, sales_a, customer_a):
    client.force_login(sales_a)
    url = reverse("crm:interaction_create", args=[customer_a.public_id])
    data = {"kind": "visit", "channel": "in_person", "direction": "in", "summary": "Came to see the new Rush"}
    response = client.post(url, data, follow=True)
    assert "Interaction logged." in response.content.decode()
    logged = customer_a.interactions.get(kind="visit")
    assert logged.staff == sales_a and logged.department == "sales"
    # With htmx the panel comes back in place, the new entry on top.
    response = client.post(url, {**data, "summary": "Second visit"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert body.index("Second visit") < body.index("Came to see the new Rush")


@pytest.mark.parametrize("change,error", [
    ({"summary": "  "}, "This field is required."),
    ({"summary": "x" * 3000}, "2000 characters"),
    ({"kind": "telepathy"}, "Select a valid choice."),
    ({"occurred_at": "2999-01-01T10:00"}, "cannot be in the future"),
])
def test_it_rejects_a_bad_interaction_at_the_field(client, sales_a, customer_a, change, error):
    client.force_login(sales_a)
    url = reverse("crm:interaction_create", args=[customer_a.public_id])
    data = {"kind": "call", "channel": "phone", "direction": "out", "summary": "ok", **change}
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        response = client.post(url, data, **headers)
        assert error in response.content.decode()
    assert customer_a.interactions.count() == 1  # only "Customer record created."


def test_it_only_accepts_posts_on_the_log_url(client, sales_a, customer_a):
    client.force_login(sales_a)
    assert client.get(reverse("crm:interaction_create", args=[customer_a.public_id])).status_code == 405
