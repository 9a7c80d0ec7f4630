"""Workshop fixtures: a service advisor per branch, a quick-service bay, a service type, a vehicle."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Department
from service.models import Bay, BayKind, ServiceType
from tests.factories import AssetFactory, UserFactory

WIB = ZoneInfo("Asia/Jakarta")
# A Monday that is no holiday, 07:00 in Bandung: the workshop opens at 08:00 (default hours:
# 08:00–12:00 and 13:00–17:00 on weekdays, 08:00–12:00 on Saturday).
MONDAY = dt.date(2030, 1, 7)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=WIB)


@pytest.fixture
def now():
    return at(MONDAY, 7)


@pytest.fixture
def service_a(branch_a):
    return UserFactory(email="bengkel.a@relasi.test", branch=branch_a, department=Department.SERVICE)


@pytest.fixture
def service_b(branch_b):
    return UserFactory(email="bengkel.b@relasi.test", branch=branch_b, department=Department.SERVICE)


@pytest.fixture
def no_role_a(branch_a):
    """Staff of branch A with no department: no role, no permission."""
    return UserFactory(email="norole.a@relasi.test", branch=branch_a, department="")


@pytest.fixture
def oil_change(db):
    return ServiceType.objects.create(name="Ganti oli", kind=ServiceType.Kind.PERIODIC, duration_minutes=60,
                                      bay_kind=BayKind.QUICK, interval_km=5000, interval_months=6)


@pytest.fixture
def bay_a(branch_a):
    return Bay.objects.create(branch=branch_a, name="Stall 1", kind=BayKind.QUICK)


@pytest.fixture
def bay_b(branch_b):
    return Bay.objects.create(branch=branch_b, name="Stall 1", kind=BayKind.QUICK)


@pytest.fixture
def vehicle_a(customer_a):
    return AssetFactory(customer=customer_a, plate_number="D 1234 ABC", make="Toyota", model="Avanza")


@pytest.fixture
def vehicle_b(customer_b):
    return AssetFactory(customer=customer_b, plate_number="L 777 XY", make="Honda", model="Brio")
