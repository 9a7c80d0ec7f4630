"""Shared fixtures: a cast of staff at two branches and head office, and a network guard.

Tests run on the real PostgreSQL and Redis that ``make test`` starts on loopback.
"""

import ipaddress
import socket
import uuid

import pytest

from accounts.models import Department
from tests.factories import PASSWORD, BranchFactory, CustomerFactory, UserFactory

_real_connect = socket.socket.connect


def _guarded_connect(self, address):
    # Tests must never reach the internet: only loopback and unix sockets are allowed.
    if isinstance(address, tuple) and self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None if host != "localhost" else ipaddress.ip_address("127.0.0.1")
        if ip is None or not ip.is_loopback:
            raise OSError(f"Test tried to connect outside loopback: {address!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_internet():
    socket.socket.connect = _guarded_connect
    yield
    socket.socket.connect = _real_connect


@pytest.fixture(autouse=True)
def _fast_test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # Rate-limit counters live in Redis, which outlives a test: each test counts afresh.
    settings.RATELIMIT_CACHE_PREFIX = f"rl:test:{uuid.uuid4().hex}:"
    # So does everything else cached (a report's figures kept five minutes): each test starts
    # with an empty cache, not with what an earlier test's data left there.
    settings.CACHES = {**settings.CACHES,
                       "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test:{uuid.uuid4().hex}"}}


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Code that runs outside a request (services, tasks, validators, commands) speaks
    LANGUAGE_CODE, Indonesian. Tests assert the English source strings, so each test starts
    in English; tests of the Indonesian text say so (translation.override("id"), staff with
    language="id", Accept-Language). Requests choose their own language as in production."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def head_office(db):
    return BranchFactory(code="pusat", name="Kantor Pusat", city="Jakarta", is_head_office=True)


@pytest.fixture
def branch_a(db):
    return BranchFactory(code="bdg", name="Cabang Bandung", city="Bandung")


@pytest.fixture
def branch_b(db):
    return BranchFactory(code="sby", name="Cabang Surabaya", city="Surabaya")


@pytest.fixture
def manager_a(branch_a):
    """Branch manager at branch A: sees and edits everything of the branch."""
    return UserFactory(email="manager.a@relasi.test", branch=branch_a, department=Department.BRANCH_MANAGEMENT)


@pytest.fixture
def sales_a(branch_a):
    return UserFactory(email="sales.a@relasi.test", branch=branch_a, department=Department.SALES)


@pytest.fixture
def readonly_a(branch_a):
    """QC engineer at branch A: reads customers and logs interactions, may not edit profiles."""
    return UserFactory(email="qc.a@relasi.test", branch=branch_a, department=Department.QUALITY_CONTROL)


@pytest.fixture
def staff_b(branch_b):
    return UserFactory(email="sales.b@relasi.test", branch=branch_b, department=Department.SALES)


@pytest.fixture
def head_office_user(head_office):
    return UserFactory(email="pusat@relasi.test", branch=head_office, department=Department.HEAD_OFFICE)


@pytest.fixture
def customer_a(branch_a, sales_a):
    return CustomerFactory(name="Budi Santoso", phone="+6281234567890", email="budi@contoh.id",
                           branch=branch_a, owner=sales_a, by=sales_a)


@pytest.fixture
def customer_b(branch_b, staff_b):
    return CustomerFactory(name="Siti Rahayu", phone="+6281398765432", email="siti@contoh.id",
                           branch=branch_b, owner=staff_b, by=staff_b)


@pytest.fixture(autouse=True)
def _role_groups_after_flush(request):
    """Every transactional test starts with the role groups, before any staff is made."""
    marker = request.node.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or "transactional_db" in request.fixturenames):
        request.getfixturevalue("role_groups")


@pytest.fixture
def role_groups(transactional_db):
    """Transactional tests flush every table afterwards, the data migrations' role groups
    too: put them back the way the migrations make them (every installed app's ``ROLES``,
    found by accounts.roles.declared_roles)."""
    from django.apps import apps

    from accounts.roles import declared_roles, grant_role_permissions

    grant_role_permissions(apps, declared_roles())
