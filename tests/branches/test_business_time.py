"""business_add / business_between: opening hours, lunch, weekends, public holidays and cuti
bersama from the holidays package, closures, and Indonesia's three zones.

Dates: 23 November 2026 is a Monday. Idul Fitri 1447 H falls on 21–22 March 2026, with cuti
bersama on 20, 23 and 24 March; 18–19 March are Nyepi and its cuti bersama.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from branches import services
from branches.selectors import (
    HORIZON_DAYS, BusinessCalendar, NoBusinessTime, business_add, business_between, holidays_between,
    is_public_holiday,
)
from tests.branches.factories import ClosureFactory, OpeningHoursFactory

pytestmark = pytest.mark.django_db

WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")
UTC = dt.UTC


def at(zone, *args):
    return dt.datetime(*args, tzinfo=zone)


def test_it_counts_across_lunch(wib):
    start = at(WIB, 2026, 11, 23, 11, 0)  # Monday, an hour before lunch
    due = business_add(wib, start, 120)
    assert due == at(WIB, 2026, 11, 23, 14, 0)  # 11–12, lunch 12–13, 13–14
    assert business_between(wib, start, due) == 120
    assert business_between(wib, at(WIB, 2026, 11, 23, 12, 0), at(WIB, 2026, 11, 23, 13, 0)) == 0


def test_it_is_due_at_closing_time_when_the_minutes_end_there(wib):
    assert business_add(wib, at(WIB, 2026, 11, 23, 11, 0), 60) == at(WIB, 2026, 11, 23, 12, 0)
    assert business_add(wib, at(WIB, 2026, 11, 23, 16, 0), 60) == at(WIB, 2026, 11, 23, 17, 0)
    assert business_add(wib, at(WIB, 2026, 11, 23, 16, 0), 61) == at(WIB, 2026, 11, 24, 8, 1)


def test_it_counts_across_a_weekend(wib):
    start = at(WIB, 2026, 11, 28, 11, 0)  # Saturday: open 08–12 only; Sunday closed
    due = business_add(wib, start, 120)
    assert due == at(WIB, 2026, 11, 30, 9, 0)  # 60 on Saturday, 60 on Monday morning
    assert business_between(wib, start, due) == 120
    assert business_between(wib, at(WIB, 2026, 11, 28, 12, 0), at(WIB, 2026, 11, 30, 8, 0)) == 0


def test_the_holidays_package_knows_idul_fitri_and_its_cuti_bersama():
    named = {h.date: h for h in holidays_between(dt.date(2026, 3, 17), dt.date(2026, 3, 25))}
    assert sorted(named) == [dt.date(2026, 3, d) for d in (18, 19, 20, 21, 22, 23, 24)]
    assert {d.day for d, h in named.items() if h.collective_leave} == {18, 20, 23, 24}
    assert not named[dt.date(2026, 3, 21)].collective_leave  # Idul Fitri itself is a public holiday
    assert is_public_holiday(dt.date(2026, 3, 23)) and not is_public_holiday(dt.date(2026, 3, 25))


def test_it_counts_across_idul_fitri_and_cuti_bersama(wib):
    start = at(WIB, 2026, 3, 17, 16, 0)  # Tuesday before Nyepi
    due = business_add(wib, start, 120)
    # 16–17 on the 17th; 18 Mar to 24 Mar are holidays, cuti bersama or the weekend.
    assert due == at(WIB, 2026, 3, 25, 9, 0)
    assert business_between(wib, start, due) == 120
    assert business_between(wib, at(WIB, 2026, 3, 18, 0, 0), at(WIB, 2026, 3, 25, 0, 0)) == 0


def test_it_counts_across_a_closure(wib):
    start = at(WIB, 2026, 11, 28, 11, 0)  # Saturday
    assert business_add(wib, start, 120) == at(WIB, 2026, 11, 30, 9, 0)
    ClosureFactory(branch=wib, starts_on=dt.date(2026, 11, 30), ends_on=dt.date(2026, 12, 2), reason="Renovasi")
    due = business_add(wib, start, 120)
    assert due == at(WIB, 2026, 12, 3, 9, 0)  # Monday to Wednesday closed
    assert business_between(wib, start, due) == 120


def test_it_jumps_over_closures_that_follow_on_from_each_other(wib):
    ClosureFactory(branch=wib, starts_on=dt.date(2026, 11, 30), ends_on=dt.date(2026, 12, 1), reason="A")
    ClosureFactory(branch=wib, starts_on=dt.date(2026, 12, 2), ends_on=dt.date(2026, 12, 3), reason="B")
    ClosureFactory(branch=wib, starts_on=dt.date(2026, 12, 1), ends_on=dt.date(2026, 12, 2), reason="inside")
    assert business_add(wib, at(WIB, 2026, 11, 30, 7, 0), 1) == at(WIB, 2026, 12, 4, 8, 1)


def test_the_same_wall_clock_request_in_wib_wita_and_wit_gives_different_instants(wib, wita, wit):
    dues = {}
    for branch, zone in ((wib, WIB), (wita, WITA), (wit, WIT)):
        start = at(zone, 2026, 11, 23, 11, 0)
        due = business_add(branch, start, 120)
        assert due.astimezone(zone).replace(tzinfo=None) == dt.datetime(2026, 11, 23, 14, 0)
        assert due.utcoffset() == start.utcoffset()  # given in the branch's own zone
        assert business_between(branch, start, due) == 120
        dues[branch.code] = due.astimezone(UTC)
    assert dues == {"jkt": at(UTC, 2026, 11, 23, 7, 0), "mks": at(UTC, 2026, 11, 23, 6, 0),
                    "jpr": at(UTC, 2026, 11, 23, 5, 0)}


def test_one_instant_is_a_different_local_time_in_each_zone(wib, wita, wit):
    instant = at(UTC, 2026, 11, 23, 4, 30)  # 11:30 WIB, 12:30 WITA (lunch), 13:30 WIT
    assert business_add(wib, instant, 60) == at(WIB, 2026, 11, 23, 13, 30)
    assert business_add(wita, instant, 60) == at(WITA, 2026, 11, 23, 14, 0)
    assert business_add(wit, instant, 60) == at(WIT, 2026, 11, 23, 14, 30)
    end = at(UTC, 2026, 11, 23, 9, 0)  # 16:00 WIB, 17:00 WITA, 18:00 WIT
    assert [business_between(b, instant, end) for b in (wib, wita, wit)] == [30 + 180, 240, 210]


def test_a_start_outside_hours_counts_from_the_next_opening(wib):
    assert business_add(wib, at(WIB, 2026, 11, 23, 6, 0), 30) == at(WIB, 2026, 11, 23, 8, 30)
    assert business_add(wib, at(WIB, 2026, 11, 23, 12, 15), 30) == at(WIB, 2026, 11, 23, 13, 30)
    assert business_add(wib, at(WIB, 2026, 11, 23, 17, 30), 30) == at(WIB, 2026, 11, 24, 8, 30)
    assert business_add(wib, at(WIB, 2026, 11, 29, 10, 0), 30) == at(WIB, 2026, 11, 30, 8, 30)  # Sunday
    assert business_between(wib, at(WIB, 2026, 11, 23, 6, 0), at(WIB, 2026, 11, 23, 8, 30)) == 30


def test_a_start_in_another_zone_is_read_in_the_branchs_zone(wita):
    # 23:30 on Sunday in UTC is 07:30 on Monday in Makassar.
    assert business_add(wita, at(UTC, 2026, 11, 22, 23, 30), 30) == at(WITA, 2026, 11, 23, 8, 30)


def test_zero_minutes_is_the_start_and_bad_input_is_refused(wib):
    start = at(WIB, 2026, 11, 29, 10, 0)  # Sunday: closed, still "now"
    assert business_add(wib, start, 0) == start
    assert business_between(wib, start, start) == 0
    assert business_between(wib, at(WIB, 2026, 11, 24, 9), at(WIB, 2026, 11, 23, 9)) == 0  # end before start
    with pytest.raises(ValueError, match="negative"):
        business_add(wib, start, -1)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_add(wib, dt.datetime(2026, 11, 23, 9, 0), 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_between(wib, start, dt.datetime(2026, 11, 30, 9, 0))


def test_partial_minutes_do_not_count(wib):
    start = at(WIB, 2026, 11, 23, 9, 0, 30)
    assert business_between(wib, start, at(WIB, 2026, 11, 23, 9, 2)) == 1
    assert business_add(wib, start, 1) == at(WIB, 2026, 11, 23, 9, 1, 30)


def test_a_branch_closed_forever_is_an_error_not_an_endless_loop(wib):
    ClosureFactory(branch=wib, starts_on=dt.date(2026, 1, 1), ends_on=dt.date.max, reason="Tutup permanen")
    with pytest.raises(NoBusinessTime, match="1098 days"):
        business_add(wib, at(WIB, 2026, 11, 23, 9, 0), 1)
    assert business_between(wib, at(WIB, 2026, 11, 23, 9, 0), at(WIB, 2099, 1, 1, 0, 0)) == 0


def test_huge_minutes_are_an_error_at_once(wib):
    with pytest.raises(NoBusinessTime):
        business_add(wib, at(WIB, 2026, 11, 23, 9, 0), 10**15)
    # More than three years of default hours (44 a week) hold.
    with pytest.raises(NoBusinessTime, match="too many minutes"):
        business_add(wib, at(WIB, 2026, 11, 23, 9, 0), 44 * 60 * 52 * 4)
    assert HORIZON_DAYS >= 3 * 365


def test_it_loads_hours_and_closures_in_two_queries_whatever_the_span(wib, django_assert_num_queries):
    OpeningHoursFactory(branch=wib, weekday=0, opens=dt.time(8), closes=dt.time(16))
    for month in range(1, 13):
        ClosureFactory(branch=wib, starts_on=dt.date(2027, month, 3), ends_on=dt.date(2027, month, 5), reason="x")
    start = at(WIB, 2026, 11, 23, 9, 0)
    with django_assert_num_queries(2):  # the branch's hours, its closures
        due = business_add(wib, start, 52 * 8 * 60)  # a year of Mondays
    with django_assert_num_queries(2):
        assert business_between(wib, start, due) == 52 * 8 * 60
    assert due.date() > dt.date(2027, 11, 23)  # some Mondays are holidays or closed


def test_a_branch_with_hours_of_its_own_does_not_use_the_default(wib):
    # Monday to Thursday 08–16, Friday with a long break for Friday prayers, no Saturday.
    services.opening_hours_replace(branch=wib, ranges=[
        *[(day, dt.time(8), dt.time(16)) for day in range(4)],
        (4, dt.time(8), dt.time(11, 30)), (4, dt.time(13, 30), dt.time(16)),
    ])
    assert business_add(wib, at(WIB, 2026, 11, 27, 11, 0), 60) == at(WIB, 2026, 11, 27, 14, 0)  # Friday
    assert business_add(wib, at(WIB, 2026, 11, 27, 15, 30), 60) == at(WIB, 2026, 11, 30, 8, 30)  # no Saturday
    assert business_between(wib, at(WIB, 2026, 11, 23, 0, 0), at(WIB, 2026, 11, 30, 0, 0)) == (4 * 8 + 6) * 60


def test_indonesian_zones_have_no_daylight_saving_time():
    for zone, hours in ((WIB, 7), (WITA, 8), (WIT, 9)):
        offsets = {at(zone, 2026, month, 15, 12, 0).utcoffset() for month in range(1, 13)}
        assert offsets == {dt.timedelta(hours=hours)}


def test_the_arithmetic_is_real_elapsed_time_even_in_a_zone_with_dst():
    """Not a zone a branch can have today; the calculation must not depend on that."""

    class Place:
        time_zone = "Europe/Amsterdam"

    ams = ZoneInfo("Europe/Amsterdam")
    night = type("Row", (), {"weekday": 6, "opens": dt.time(1), "closes": dt.time(4)})
    calendar = BusinessCalendar.build(Place, [night], [])
    # Sunday 29 March 2026 02:00 -> 03:00: the 01:00–04:00 range lasts two real hours.
    assert calendar.between(at(ams, 2026, 3, 29, 0), at(ams, 2026, 3, 30, 0)) == 120
    assert calendar.between(at(ams, 2026, 3, 15, 0), at(ams, 2026, 3, 16, 0)) == 180  # a Sunday without the change
