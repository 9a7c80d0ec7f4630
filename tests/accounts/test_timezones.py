"""Each request runs in the user's branch time zone: a Jayapura (WIT) or Makassar (WITA)
rep logs a visit at their own local "now" and sees their own local times, with the zone named."""

import datetime as dt
import re
import zoneinfo

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from accounts.middleware import UserTimezoneMiddleware
from accounts.models import Branch, Department
from crm import services
from tests.crm.pages import field_error, timeline_entries
from tests.factories import BranchFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc
WITA = zoneinfo.ZoneInfo("Asia/Makassar")
WIT = zoneinfo.ZoneInfo("Asia/Jayapura")


@pytest.fixture
def makassar(db):
    return BranchFactory(code="mks", name="Cabang Makassar", city="Makassar", time_zone=Branch.TimeZone.WITA)


@pytest.fixture
def jayapura(db):
    return BranchFactory(code="djj", name="Cabang Jayapura", city="Jayapura", time_zone=Branch.TimeZone.WIT)


@pytest.fixture
def rep_wita(makassar):
    return UserFactory(email="sales.mks@relasi.test", branch=makassar, department=Department.SALES)


@pytest.fixture
def rep_wit(jayapura):
    return UserFactory(email="sales.djj@relasi.test", branch=jayapura, department=Department.SALES)


@pytest.fixture
def frozen_now(monkeypatch):
    """Yesterday 08:50 UTC: 17:50 in Jayapura (WIT), 16:50 in Makassar (WITA), 15:50 in Jakarta.
    Before today, so sessions made by force_login stay valid."""
    now = (dt.datetime.now(UTC) - dt.timedelta(days=1)).replace(hour=8, minute=50, second=0, microsecond=0)
    monkeypatch.setattr(timezone, "now", lambda: now)
    return now


def log_visit(client, customer, occurred_at: str):
    return client.post(f"/customers/{customer.public_id}/interactions/", {
        "kind": "visit", "channel": "in_person", "direction": "in",
        "summary": "Came to the showroom", "occurred_at": occurred_at})


@pytest.mark.parametrize(("rep", "zone"), [("rep_wita", WITA), ("rep_wit", WIT)])
def test_it_accepts_a_visit_at_the_reps_local_now_and_stores_the_right_instant(
        request, client, frozen_now, rep, zone):
    user = request.getfixturevalue(rep)
    customer = CustomerFactory(name="Yohanes Wenda", branch=user.branch, by=user)
    client.force_login(user)
    local_now = frozen_now.astimezone(zone)
    assert local_now.hour == (17 if zone is WIT else 16) and local_now.minute == 50

    response = log_visit(client, customer, local_now.strftime("%Y-%m-%dT%H:%M"))

    assert response.status_code == 302, field_error(response, "occurred_at")
    visit = customer.interactions.get(kind="visit")
    assert visit.occurred_at == frozen_now  # 08:50 UTC, not 08:50 in Jakarta
    assert visit.occurred_at.astimezone(UTC).hour == 8


@pytest.mark.parametrize(("rep", "zone"), [("rep_wita", WITA), ("rep_wit", WIT)])
def test_it_still_refuses_a_visit_an_hour_ahead_of_the_reps_clock(request, client, frozen_now, rep, zone):
    user = request.getfixturevalue(rep)
    customer = CustomerFactory(name="Yohanes Wenda", branch=user.branch, by=user)
    client.force_login(user)
    later = (frozen_now + dt.timedelta(hours=1)).astimezone(zone)
    response = log_visit(client, customer, later.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 400
    assert field_error(response, "occurred_at") == "An interaction that already happened cannot be in the future."
    assert not customer.interactions.filter(kind="visit").exists()


@pytest.mark.parametrize(("rep", "shown"), [("rep_wita", "17:50 WITA"), ("rep_wit", "18:50 WIT")])
def test_it_shows_the_timeline_in_the_reps_local_time_naming_the_zone(request, client, rep, shown):
    user = request.getfixturevalue(rep)
    customer = CustomerFactory(name="Yohanes Wenda", branch=user.branch, by=user)
    services.interaction_record(customer=customer, kind="visit", channel="in_person", direction="in",
                                summary="Test drive", staff=user,
                                occurred_at=dt.datetime(2026, 3, 10, 9, 50, tzinfo=UTC))
    client.force_login(user)
    entry = next(e for e in timeline_entries(client.get(customer.get_absolute_url())) if e["summary"] == "Test drive")
    assert entry["header"].startswith(f"10 Mar 2026 {shown} ")
    # The full history page too.
    page = client.get(f"/customers/{customer.public_id}/timeline/").content.decode()
    assert f"10 Mar 2026 {shown}" in page


def test_head_office_sees_times_in_head_offices_zone(client, head_office_user, rep_wit):
    customer = CustomerFactory(name="Yohanes Wenda", branch=rep_wit.branch, by=rep_wit)
    services.interaction_record(customer=customer, kind="visit", channel="in_person", direction="in",
                                summary="Test drive", staff=rep_wit,
                                occurred_at=dt.datetime(2026, 3, 10, 9, 50, tzinfo=UTC))
    client.force_login(head_office_user)  # head office is in Jakarta (WIB)
    entry = next(e for e in timeline_entries(client.get(customer.get_absolute_url())) if e["summary"] == "Test drive")
    assert entry["header"].startswith("10 Mar 2026 16:50 WIB ")


def test_the_zone_is_the_users_for_the_request_only(rf_user_request):
    seen = []
    middleware = UserTimezoneMiddleware(lambda request: seen.append(timezone.get_current_timezone_name()))
    middleware(rf_user_request)
    assert seen == ["Asia/Jayapura"]
    assert timezone.get_current_timezone_name() == "Asia/Jakarta"  # back to the default afterwards


@pytest.fixture
def rf_user_request(rep_wit):
    request = RequestFactory().get("/")
    request.user = rep_wit
    return request


def test_anonymous_requests_run_in_the_default_zone():
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    seen = []
    UserTimezoneMiddleware(lambda r: seen.append(timezone.get_current_timezone_name()))(request)
    assert seen == ["Asia/Jakarta"]


@pytest.mark.parametrize(("zone", "expected"), [
    ("Asia/Jakarta", "14.05 WIB"), ("Asia/Makassar", "15.05 WITA"), ("Asia/Jayapura", "16.05 WIT"),
])
def test_the_zoned_filter_names_the_zone(zone, expected):
    when = dt.datetime(2026, 11, 23, 7, 5, tzinfo=UTC)
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        html = Template('{% load relasi_time %}{{ when|zoned:"H.i" }}|{{ when|zoned }}').render(Context({"when": when}))
    short, long = html.split("|")
    assert short == expected
    assert re.fullmatch(r"23 Nov 2026 \d\d:05 WITA?|23 Nov 2026 \d\d:05 WIB", long)
    assert Template("{% load relasi_time %}{{ nothing|zoned }}").render(Context({"nothing": None})) == ""
