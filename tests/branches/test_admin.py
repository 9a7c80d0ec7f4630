"""The back office edits calendars with the staff page's rules."""

import datetime as dt

import pytest

from accounts.models import User
from branches.models import Closure, OpeningHours
from tests.branches.factories import ClosureFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, head_office):
    client.force_login(User.objects.create_superuser(language="en", email="root@relasi.test", password="x",
                                                     branch=head_office))
    return client


def test_it_refuses_an_overlapping_range(admin_client, branch_a):
    OpeningHours.objects.create(branch=branch_a, weekday=0, opens=dt.time(8), closes=dt.time(12))
    response = admin_client.post("/admin/branches/openinghours/add/", {
        "branch": branch_a.pk, "weekday": 0, "opens": "11:00", "closes": "13:00"})
    assert response.status_code == 200
    assert "Monday: 11:00–13:00 overlaps 08:00–12:00." in response.content.decode()
    response = admin_client.post("/admin/branches/openinghours/add/", {
        "branch": branch_a.pk, "weekday": 0, "opens": "13:00", "closes": "17:00"})
    assert response.status_code == 302
    assert OpeningHours.objects.filter(branch=branch_a).count() == 2


def test_it_refuses_an_overlapping_or_backwards_closure(admin_client, branch_a):
    existing = ClosureFactory(branch=branch_a, starts_on=dt.date(2027, 1, 4), ends_on=dt.date(2027, 1, 5))
    add = "/admin/branches/closure/add/"
    response = admin_client.post(add, {"branch": branch_a.pk, "starts_on": "2027-01-05", "ends_on": "2027-01-06",
                                       "reason": "x"})
    assert response.status_code == 200 and "Overlaps the closure" in response.content.decode()
    response = admin_client.post(add, {"branch": branch_a.pk, "starts_on": "2027-02-05", "ends_on": "2027-02-01",
                                       "reason": "x"})
    assert response.status_code == 200 and "The last day closed is before the first day." in response.content.decode()
    # Editing a closure does not clash with itself.
    response = admin_client.post(f"/admin/branches/closure/{existing.pk}/change/", {
        "branch": branch_a.pk, "starts_on": "2027-01-04", "ends_on": "2027-01-07", "reason": "Audit"})
    assert response.status_code == 302
    assert Closure.objects.get(pk=existing.pk).ends_on == dt.date(2027, 1, 7)
