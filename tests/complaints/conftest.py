import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Department
from tests.factories import UserFactory

WIB = ZoneInfo("Asia/Jakarta")


def wib(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=WIB)


@pytest.fixture
def service_a(branch_a):
    return UserFactory(email="service.a@relasi.test", branch=branch_a, department=Department.SERVICE)


@pytest.fixture
def shipment_a(branch_a):
    return UserFactory(email="shipment.a@relasi.test", branch=branch_a, department=Department.SHIPMENT)


@pytest.fixture
def marketing_a(branch_a):
    """Reads and takes complaints, may not work them (the read-only role here)."""
    return UserFactory(email="marketing.a@relasi.test", branch=branch_a, department=Department.MARKETING)


@pytest.fixture
def helpdesk(sales_a, service_a, readonly_a, shipment_a, manager_a):
    """One member of staff of each department that complaints are routed to, at branch A."""
    return {Department.SALES: sales_a, Department.SERVICE: service_a, Department.QUALITY_CONTROL: readonly_a,
            Department.SHIPMENT: shipment_a, Department.BRANCH_MANAGEMENT: manager_a}
