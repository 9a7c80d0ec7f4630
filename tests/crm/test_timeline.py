"""The 360 page's contact history is fed by every app through one service function."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts.models import Branch, Department
from crm import services
from crm.models import Asset, Interaction
from tests.crm.pages import timeline_entries
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_it_shows_touches_from_two_apps_newest_first_with_their_departments(client, sales_a, customer_a, branch_a):
    vehicle = AssetFactory(customer=customer_a, plate_number="D 7777 RL")
    now = timezone.now()
    # As the sales app records a quotation (pointing at a record of its own) ...
    quotation = services.interaction_record(
        customer=customer_a, kind=Interaction.Kind.QUOTATION, channel=Interaction.Channel.EMAIL,
        direction=Interaction.Direction.OUTBOUND, department=Department.SALES, staff=sales_a,
        summary="Quotation for a new Avanza", occurred_at=now - dt.timedelta(hours=2), source=branch_a,
    )
    # ... and the service app a workshop visit on the customer's vehicle, with no staff member.
    visit = services.interaction_record(
        customer=customer_a, kind=Interaction.Kind.SERVICE_VISIT, channel=Interaction.Channel.IN_PERSON,
        direction=Interaction.Direction.INBOUND, department=Department.SERVICE,
        summary="10,000 km service done", occurred_at=now - dt.timedelta(hours=1), source=vehicle,
    )

    client.force_login(sales_a)
    entries = timeline_entries(client.get(customer_a.get_absolute_url()))
    assert [e["summary"] for e in entries] == [
        f"Vehicle added: {vehicle}.", "Customer record created.",
        "10,000 km service done", "Quotation for a new Avanza"]
    service_header, sales_header = entries[2]["header"], entries[3]["header"]
    assert "Service visit" in service_header and "· Service" in service_header and "In person" in service_header
    assert str(sales_a) not in service_header
    assert "Quotation" in sales_header and "· Sales" in sales_header and str(sales_a) in sales_header

    # Each touch leads back to the record it came from, read fresh from the database.
    assert Interaction.objects.get(pk=quotation.pk).source == branch_a
    assert isinstance(Interaction.objects.get(pk=visit.pk).source, Asset)
    assert Interaction.objects.get(pk=visit.pk).source == vehicle
    assert Interaction.objects.get(pk=quotation.pk).source_type == ContentType.objects.get_for_model(Branch)


def test_it_records_now_when_no_time_is_given_and_keeps_touches_without_a_source(customer_a):
    before = timezone.now()
    note = services.interaction_record(customer=customer_a, kind="note", channel="system", direction="internal",
                                       department=Department.MARKETING, summary="Added to the Lebaran campaign")
    note = Interaction.objects.get(pk=note.pk)
    assert before <= note.occurred_at <= timezone.now()
    assert note.source is None and note.source_type is None and note.source_id is None
    assert note.get_department_display() == "Marketing"


def test_it_shows_the_same_touches_to_every_department_of_the_branch(client, readonly_a, manager_a, customer_a):
    services.interaction_record(customer=customer_a, kind="service_visit", channel="in_person", direction="in",
                                department=Department.SERVICE, summary="Brake pads replaced")
    for user in (readonly_a, manager_a):
        client.force_login(user)
        summaries = [e["summary"] for e in timeline_entries(client.get(customer_a.get_absolute_url()))]
        assert "Brake pads replaced" in summaries, user
