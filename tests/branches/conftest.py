"""Branches in Indonesia's three zones, for the business-time tests."""

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
