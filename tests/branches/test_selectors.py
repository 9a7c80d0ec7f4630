"""The calendar page's reads: open now / next opening, holidays in the reader's language, overlaps."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from branches.selectors import calendar_page, overlapping_ranges, upcoming_holidays
from tests.branches.factories import ClosureFactory

pytestmark = pytest.mark.django_db

WITA = ZoneInfo("Asia/Makassar")
T = dt.time


def test_it_says_whether_the_branch_is_open_now_and_when_it_opens_next(wita):
    page = calendar_page(wita, now=dt.datetime(2026, 11, 23, 10, 0, tzinfo=WITA))
    assert page.open_until == dt.datetime(2026, 11, 23, 12, 0, tzinfo=WITA)
    assert page.next_opening == dt.datetime(2026, 11, 23, 10, 0, tzinfo=WITA)
    page = calendar_page(wita, now=dt.datetime(2026, 11, 28, 12, 30, tzinfo=WITA))  # Saturday afternoon
    assert page.open_until is None
    assert page.next_opening == dt.datetime(2026, 11, 30, 8, 0, tzinfo=WITA)


def test_the_next_seven_days_show_holidays_and_closures_with_their_names(wita):
    ClosureFactory(branch=wita, starts_on=dt.date(2026, 3, 25), ends_on=dt.date(2026, 3, 25), reason="Stok opname")
    with translation.override("id"):
        page = calendar_page(wita, now=dt.datetime(2026, 3, 19, 9, 0, tzinfo=WITA))
    days = {d.date.day: d for d in page.next_days}
    assert days[19].note == "Hari Suci Nyepi" and days[19].ranges == ()
    assert days[21].note == "Hari Raya Idul Fitri"
    assert days[23].note == "Cuti Bersama Hari Raya Idul Fitri"
    assert days[25].note == "Stok opname"
    assert days[19].ranges == () and page.regular_week[3][1] == ((T(8), T(12)), (T(13), T(17)))


def test_holiday_names_follow_the_readers_language():
    with translation.override("en"):
        english = upcoming_holidays(dt.date(2026, 3, 20), count=2)
    with translation.override("id"):
        indonesian = upcoming_holidays(dt.date(2026, 3, 20), count=2)
    assert [h.name for h in english] == ["Eid al-Fitr Joint Holiday", "Eid al-Fitr"]
    assert [h.name for h in indonesian] == ["Cuti Bersama Hari Raya Idul Fitri", "Hari Raya Idul Fitri"]
    assert [h.collective_leave for h in english] == [True, False]


def test_upcoming_holidays_cross_the_new_year():
    dates = [h.date for h in upcoming_holidays(dt.date(2026, 12, 20), count=4)]
    assert dates[0] >= dt.date(2026, 12, 20) and dates[-1].year == 2027
    assert dt.date(2027, 1, 1) in dates


@pytest.mark.parametrize("ranges, expected", [
    ([(0, T(8), T(12)), (0, T(13), T(17))], []),
    ([(0, T(8), T(12)), (0, T(12), T(17))], []),  # touching is not overlapping
    ([(0, T(8), T(12)), (1, T(9), T(10))], []),  # another day
    ([(0, T(8), T(12)), (0, T(11), T(14))], [(0, 1)]),
    ([(0, T(13), T(14)), (0, T(8), T(17))], [(1, 0)]),  # inside an earlier-starting range
    ([(0, T(8), T(17)), (0, T(9), T(10)), (0, T(11), T(12))], [(0, 1), (0, 2)]),
])
def test_it_finds_overlapping_ranges(ranges, expected):
    assert overlapping_ranges(ranges) == expected
