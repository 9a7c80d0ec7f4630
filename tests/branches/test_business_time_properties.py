"""Properties of business time, for any start, any number of minutes, in any of the three
zones, with default hours, hours of a branch's own, a closure, holidays and cuti bersama."""

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Branch
from branches import services
from branches.selectors import business_add, business_between
from tests.branches.factories import ClosureFactory
from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db

# The fixtures are made once per test and only read by the examples.
PROPERTY_SETTINGS = settings(max_examples=200, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])

starts = st.datetimes(min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31),
                      timezones=st.just(dt.UTC))
# Up to about two years of the WIT branch's 4½ hours a week (half a year of the default 44).
minutes = st.integers(min_value=0, max_value=20_000)


@pytest.fixture
def branches(db):
    """A WIB branch on the default hours, a WITA branch with hours of its own and a closure
    over Idul Fitri 2027, a WIT branch open only on Sunday morning and Wednesday afternoon."""
    wib = BranchFactory(code="p-wib", time_zone=Branch.TimeZone.WIB)
    wita = BranchFactory(code="p-wita", time_zone=Branch.TimeZone.WITA)
    wit = BranchFactory(code="p-wit", time_zone=Branch.TimeZone.WIT)
    services.opening_hours_replace(branch=wita, ranges=[
        *[(day, dt.time(7, 30), dt.time(11, 45)) for day in range(6)],
        *[(day, dt.time(13, 15), dt.time(16, 20)) for day in range(5)],
    ])
    ClosureFactory(branch=wita, starts_on=dt.date(2027, 3, 5), ends_on=dt.date(2027, 3, 19), reason="Lebaran")
    services.opening_hours_replace(branch=wit, ranges=[(6, dt.time(9), dt.time(10)),
                                                               (2, dt.time(14), dt.time(17, 30))])
    return [wib, wita, wit]


@PROPERTY_SETTINGS
@given(start=starts, m=minutes, which=st.integers(0, 2))
def test_business_between_undoes_business_add(branches, start, m, which):
    branch = branches[which]
    due = business_add(branch, start, m)
    assert due >= start
    assert business_between(branch, start, due) == m


@PROPERTY_SETTINGS
@given(start=starts, m1=minutes, m2=minutes, which=st.integers(0, 2))
def test_business_add_is_monotonic_in_minutes(branches, start, m1, m2, which):
    branch = branches[which]
    low, high = sorted((m1, m2))
    assert business_add(branch, start, low) <= business_add(branch, start, high)


@PROPERTY_SETTINGS
@given(times=st.lists(starts.map(lambda d: d.replace(second=0, microsecond=0)), min_size=3, max_size=3),
       which=st.integers(0, 2))
def test_business_between_adds_up_over_consecutive_spans(branches, times, which):
    # On whole minutes (a started minute is not counted, so parts of minutes would not add up).
    branch = branches[which]
    a, b, c = sorted(times)
    assert business_between(branch, a, b) + business_between(branch, b, c) == business_between(branch, a, c)
