"""A time typed by a Makassar (WITA) rep is stored as the instant they meant, and shown to a
Jakarta colleague in WIB with the zone named: end to end through the quick-log form of the
360 page and the contact history page."""

import datetime as dt

import pytest
from django.urls import reverse

from accounts.models import Branch, Department
from tests.crm.pages import field_error, post_form, timeline_entries
from tests.factories import BranchFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc


@pytest.fixture
def rep_makassar(db):
    branch = BranchFactory(code="mks", name="Cabang Makassar", city="Makassar", time_zone=Branch.TimeZone.WITA)
    return UserFactory(email="sales.mks@relasi.test", branch=branch, department=Department.SALES, language="id")


@pytest.fixture
def jakarta_colleague(head_office):
    """Head office (Jakarta, WIB) sees every branch's customers."""
    assert head_office.time_zone == Branch.TimeZone.WIB
    return UserFactory(email="pusat.jkt@relasi.test", branch=head_office, department=Department.HEAD_OFFICE,
                       language="id")


def test_a_time_typed_in_makassar_is_shown_in_jakarta_as_wib(browser_client, rep_makassar, jakarta_colleague):
    customer = CustomerFactory(name="Andi Pratama", branch=rep_makassar.branch, by=rep_makassar)
    detail = customer.get_absolute_url()
    log_url = reverse("crm:interaction_create", args=[customer.public_id])

    # The rep logs last week's visit the way an Indonesian writes it: 14.05 their time.
    browser_client.force_login(rep_makassar)
    form = post_form(browser_client.get(detail), action=log_url)
    form.fill(kind="visit", channel="in_person", direction="in", summary="Datang ke showroom",
              occurred_at="10/03/2026 14.05")
    response = form.submit(browser_client, url=log_url)
    assert response.status_code == 302, field_error(response, "occurred_at")

    visit = customer.interactions.get(summary="Datang ke showroom")
    assert visit.occurred_at == dt.datetime(2026, 3, 10, 6, 5, tzinfo=UTC)  # 14.05 WITA is 06.05 UTC

    # The rep reads it back in their own zone, named.
    history = reverse("crm:customer_timeline", args=[customer.public_id])
    [entry] = [e for e in timeline_entries(browser_client.get(history)) if e["summary"] == "Datang ke showroom"]
    assert entry["header"].startswith("10 Mar 2026 14.05 WITA · Kunjungan")

    # A Jakarta colleague reads the same instant as 13.05 WIB.
    browser_client.force_login(jakarta_colleague)
    [entry] = [e for e in timeline_entries(browser_client.get(history)) if e["summary"] == "Datang ke showroom"]
    assert entry["header"].startswith("10 Mar 2026 13.05 WIB · Kunjungan")


def test_a_time_typed_the_english_way_is_read_the_same(browser_client, rep_makassar):
    rep_makassar.language = "en"
    rep_makassar.save()
    customer = CustomerFactory(name="Andi Pratama", branch=rep_makassar.branch, by=rep_makassar)
    log_url = reverse("crm:interaction_create", args=[customer.public_id])
    browser_client.force_login(rep_makassar)
    form = post_form(browser_client.get(customer.get_absolute_url()), action=log_url)
    form.fill(kind="call", channel="phone", direction="out", summary="Called back", occurred_at="10/03/2026 14:05")
    assert form.submit(browser_client, url=log_url).status_code == 302
    assert customer.interactions.get(summary="Called back").occurred_at == dt.datetime(2026, 3, 10, 6, 5, tzinfo=UTC)


def test_a_time_that_cannot_be_read_is_shown_at_the_field(browser_client, rep_makassar):
    customer = CustomerFactory(name="Andi Pratama", branch=rep_makassar.branch, by=rep_makassar)
    log_url = reverse("crm:interaction_create", args=[customer.public_id])
    browser_client.force_login(rep_makassar)
    form = post_form(browser_client.get(customer.get_absolute_url()), action=log_url)
    form.fill(kind="call", channel="phone", direction="out", summary="Salah ketik", occurred_at="3/10/2026 2.05 PM")
    response = form.submit(browser_client, url=log_url)
    assert response.status_code == 400  # the 360 page again, the error at the field
    assert field_error(response, "occurred_at") == "Masukkan tanggal/waktu yang valid."
    assert not customer.interactions.filter(summary="Salah ketik").exists()
