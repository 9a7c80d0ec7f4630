"""Branches in Indonesia's three zones, for the business-time tests; two branches for the sync tests."""

import pytest

from accounts.models import Branch
from tests.factories import BranchFactory


@pytest.fixture
def wib(db):
    return BranchFactory(code="jkt", name="Cabang Jakarta", city="Jakarta", time_zone=Branch.TimeZone.WIB)


@pytest.fixture
def wita(db):
    return BranchFactory(code="mks", name="Cabang Makassar", city="Makassar", time_zone=Branch.TimeZone.WITA)


@pytest.fixture
def wit(db):
    return BranchFactory(code="jpr", name="Cabang Jayapura", city="Jayapura", time_zone=Branch.TimeZone.WIT)


# The sync tests: the branch instance under test (jks) and another branch (sby).
@pytest.fixture
def jks(db):
    return BranchFactory(code="jks", name="Cabang Jakarta Selatan", city="Jakarta")


@pytest.fixture
def sby(db):
    return BranchFactory(code="sby", name="Cabang Surabaya", city="Surabaya")
