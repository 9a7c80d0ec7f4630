"""Technicians: their skills and working days, the job line's check, the day's load."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from service import services
from service.models import BayKind, JobLine, ServiceType, Technician
from tests.service.factories import TechnicianFactory

from .conftest import MONDAY, at

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(vehicle_a, bay_a, oil_change, now, service_a):
    booking = services.booking_create(customer=vehicle_a.customer, asset=vehicle_a, service_type=oil_change,
                                      starts_at=at(MONDAY, 9), by=service_a, now=now, notify_customer=False)
    return services.booking_status_change(booking=booking, to="arrived", by=service_a, now=at(MONDAY, 9))


def line(booking, technician, **fields):
    return services.job_line_add(booking=booking, by=None, kind="task", description="Ganti oli",
                                 technician=technician, minutes=fields.pop("minutes", 30), **fields)


# --- the rule -------------------------------------------------------------------------------------
def test_a_technician_who_works_that_day_and_has_the_skill_is_assigned(booking):
    budi = TechnicianFactory(branch=booking.branch, name="Budi")
    assert line(booking, budi).technician == budi


def test_a_technician_off_that_day_is_refused_at_the_field(booking):
    weekend = TechnicianFactory(branch=booking.branch, name="Joko", working_days=[5, 6])
    with pytest.raises(ValidationError) as error:
        line(booking, weekend)
    assert "does not work on 07/01/2030" in error.value.message_dict["technician"][0]
    assert not JobLine.objects.exists()


def test_a_technician_without_the_skill_is_refused_at_the_field(booking):
    painter = TechnicianFactory(branch=booking.branch, name="Eko", bay_kinds=[BayKind.BODY_PAINT],
                                service_kinds=[ServiceType.Kind.BODY_PAINT])
    with pytest.raises(ValidationError) as error:
        line(booking, painter)
    assert "does not do this kind of work" in error.value.message_dict["technician"][0]
    # The bay type alone is not enough: the kind of work counts too.
    quick_repairs_only = TechnicianFactory(branch=booking.branch, name="Rudi", service_kinds=[ServiceType.Kind.REPAIR])
    with pytest.raises(ValidationError):
        line(booking, quick_repairs_only)


def test_a_technician_of_another_branch_or_inactive_is_refused(booking, branch_b):
    with pytest.raises(ValidationError) as error:
        line(booking, TechnicianFactory(branch=branch_b))
    assert "this branch" in error.value.message_dict["technician"][0]
    with pytest.raises(ValidationError):
        line(booking, TechnicianFactory(branch=booking.branch, is_active=False))


def test_the_job_card_says_why_at_the_technician_field(client, booking, service_a):
    off = TechnicianFactory(branch=booking.branch, name="Joko", working_days=[2])
    client.force_login(service_a)
    response = client.post(reverse("service:job_line_add", args=[booking.public_id]), {
        "kind": "task", "description": "Rem", "technician": off.pk, "minutes": "20", "quantity": "1",
        "unit_price": "0"})
    assert response.status_code == 400
    assert "does not work" in " ".join(response.context["line_form"].errors["technician"])


# --- the day's load -----------------------------------------------------------------------------
def test_the_day_shows_each_technicians_load(client, booking, service_a, django_assert_num_queries):
    budi = TechnicianFactory(branch=booking.branch, name="Budi")
    TechnicianFactory(branch=booking.branch, name="Sabtu", working_days=[5])
    line(booking, budi, minutes=45)
    line(booking, budi, minutes=30)
    client.force_login(service_a)
    url = reverse("service:today") + f"?day={MONDAY:%Y-%m-%d}"
    client.get(url)
    with django_assert_num_queries(8):
        page = client.get(url)
    loads = {load.technician.name: load for load in page.context["loads"]}
    assert (loads["Budi"].bookings, loads["Budi"].lines, loads["Budi"].minutes) == (1, 2, 75)
    assert loads["Sabtu"].works_today is False and loads["Sabtu"].minutes == 0
    for n in range(5):
        TechnicianFactory(branch=booking.branch)
    with django_assert_num_queries(8):  # more technicians: the same queries
        client.get(url)


# --- set-up pages -------------------------------------------------------------------------------------
def test_a_branch_manager_adds_and_edits_a_technician(client, manager_a, branch_a):
    client.force_login(manager_a)
    add = reverse("service:technician_add", args=[branch_a.public_id])
    response = client.post(add, {"name": "Budi", "bay_kinds": ["quick"], "service_kinds": ["periodic"],
                                 "working_days": ["0", "1", "2"], "is_active": "on"})
    assert response.status_code == 302
    budi = Technician.objects.get(branch=branch_a)
    assert (budi.bay_kinds, budi.service_kinds, budi.working_days) == (["quick"], ["periodic"], [0, 1, 2])
    setup = client.get(reverse("service:setup", args=[branch_a.public_id])).content.decode()
    assert "Budi" in setup and "Quick service" in setup
    edit = reverse("service:technician_edit", args=[budi.public_id])
    assert client.get(edit).status_code == 200
    assert client.post(edit, {"name": "Budi S", "working_days": ["5"], "bay_kinds": ["general"],
                              "is_active": "on"}).status_code == 302
    budi.refresh_from_db()
    assert budi.name == "Budi S" and budi.working_days == [5] and budi.service_kinds == []


def test_bad_technician_input_is_said_at_the_field(client, manager_a, branch_a):
    client.force_login(manager_a)
    TechnicianFactory(branch=branch_a, name="Budi")
    add = reverse("service:technician_add", args=[branch_a.public_id])
    response = client.post(add, {"name": "budi", "working_days": ["0"]})
    assert response.status_code == 400 and response.context["technician_form"].errors["name"]
    response = client.post(add, {"name": "Eko"})
    assert response.status_code == 400 and response.context["technician_form"].errors["working_days"]
    response = client.post(add, {"name": "Eko", "working_days": ["9"]})
    assert response.status_code == 400 and response.context["technician_form"].errors["working_days"]
    assert Technician.objects.count() == 1


def test_technician_pages_refuse_anonymous_other_branch_advisors_and_gets(client, service_a, staff_b, branch_a):
    budi = TechnicianFactory(branch=branch_a)
    add = reverse("service:technician_add", args=[branch_a.public_id])
    edit = reverse("service:technician_edit", args=[budi.public_id])
    data = {"name": "X", "working_days": ["0"]}
    assert client.post(add, data)["Location"].startswith(reverse("login"))
    assert client.get(edit)["Location"].startswith(reverse("login"))
    client.force_login(service_a)
    assert client.post(add, data).status_code == 403  # advisors use technicians, managers keep the list
    assert client.post(edit, data).status_code == 403
    page = client.get(edit)  # but read them
    assert page.status_code == 200 and 'id="technician-form"' not in page.content.decode()
    assert client.get(add).status_code == 405
    client.force_login(staff_b)
    assert client.post(add, data).status_code == 404
    assert client.get(edit).status_code == 404
    assert Technician.objects.count() == 1


def test_the_technician_list_of_the_job_card_says_who_does_not_fit(client, booking, service_a):
    TechnicianFactory(branch=booking.branch, name="Budi")
    TechnicianFactory(branch=booking.branch, name="Joko", working_days=[5])
    client.force_login(service_a)
    html = client.get(booking.get_absolute_url()).content.decode()
    assert ">Budi</option>" in html and ">Joko (not available)</option>" in html
