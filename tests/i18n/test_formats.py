"""Rupiah, phone numbers, dates and times the way each language writes them, and dates typed
day first in both."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from crm.forms import AssetForm, DayFirstDateField, DayFirstDateTimeField
from crm.formatting import format_rupiah

UTC = dt.timezone.utc
JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")
MAKASSAR = zoneinfo.ZoneInfo("Asia/Makassar")


def render(source: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load relasi_format relasi_time %}" + source).render(Context(context))


# --- rupiah -------------------------------------------------------------------------------
@pytest.mark.parametrize(("amount", "indonesian", "english"), [
    (1250000, "Rp 1.250.000", "Rp 1,250,000"),
    (Decimal("1250000"), "Rp 1.250.000", "Rp 1,250,000"),
    (Decimal("1250000.50"), "Rp 1.250.001", "Rp 1,250,001"),  # whole rupiah, half up
    ("1250000", "Rp 1.250.000", "Rp 1,250,000"),
    (0, "Rp 0", "Rp 0"),
    (999, "Rp 999", "Rp 999"),
    (-75000, "-Rp 75.000", "-Rp 75,000"),
    (12_345_678_901, "Rp 12.345.678.901", "Rp 12,345,678,901"),
])
def test_it_writes_rupiah_in_full(amount, indonesian, english):
    assert format_rupiah(amount, language="id") == indonesian
    assert format_rupiah(amount, language="en") == english


@pytest.mark.parametrize(("amount", "indonesian", "english"), [
    (1_250_000, "Rp 1,25 jt", "Rp 1.25M"),
    (1_200_000_000, "Rp 1,2 M", "Rp 1.2B"),
    (250_000, "Rp 250 rb", "Rp 250K"),
    (Decimal("3500000000000"), "Rp 3,5 T", "Rp 3.5T"),
    (850, "Rp 850", "Rp 850"),
    (-1_250_000, "-Rp 1,25 jt", "-Rp 1.25M"),
])
def test_it_writes_rupiah_short_where_space_is_short(amount, indonesian, english):
    assert format_rupiah(amount, short=True, language="id") == indonesian
    assert format_rupiah(amount, short=True, language="en") == english


def test_it_follows_the_active_language_and_keeps_sms_text_gsm7():
    with translation.override("id"):
        assert format_rupiah(1250000) == "Rp 1.250.000"
        assert "\u00a0" not in format_rupiah(1250000, short=True)  # a no-break space would make an SMS Unicode
    with translation.override("en"):
        assert format_rupiah(1250000) == "Rp 1,250,000"


@pytest.mark.parametrize("empty", [None, ""])
def test_it_writes_nothing_for_no_amount(empty):
    assert format_rupiah(empty) == ""


@pytest.mark.parametrize("bad", ["banyak", "1.250.000", [1], True, Decimal("NaN"), float("inf"), object()])
def test_it_refuses_what_is_not_an_amount(bad):
    with pytest.raises(ValueError):
        format_rupiah(bad)


def test_the_template_filters_write_rupiah_and_show_odd_values_as_they_are():
    source = "{{ a|rupiah }} | {{ a|rupiah_short }} | {{ none|rupiah }} | {{ bad|rupiah }} | {{ bad|rupiah_short }}"
    shown = render(source, "id", a=Decimal("1250000"), none=None, bad="n/a")
    assert shown == "Rp 1.250.000 | Rp 1,25 jt |  | n/a | n/a"
    assert render(source, "en", a=1250000, none=None, bad="n/a") == "Rp 1,250,000 | Rp 1.25M |  | n/a | n/a"


# --- phones -------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["id", "en"])
def test_the_phone_filter_groups_stored_numbers(language):
    source = "{{ mobile|phone }} | {{ landline|phone }} | {{ empty|phone }} | {{ raw|phone }} | {{ none|phone }}"
    shown = render(source, language, mobile="+6281234567890", landline="+62215551234", empty="",
                   raw="0812 not a number", none=None)
    assert shown == "+62 812-3456-7890 | +62 21 5551234 |  | 0812 not a number | "


# --- dates and times shown ------------------------------------------------------------------
def test_it_shows_dates_with_translated_month_names():
    days = {"may": dt.date(2026, 5, 17), "aug": dt.date(2026, 8, 17), "dec": dt.date(2026, 12, 25)}
    source = "{{ may|date:'DATE_FORMAT' }} · {{ aug|date }} · {{ dec|date:'SHORT_DATE_FORMAT' }}"
    assert render(source, "id", **days) == "17 Mei 2026 · 17 Agu 2026 · 25/12/2026"
    assert render(source, "en", **days) == "17 May 2026 · 17 Aug 2026 · 25/12/2026"


@pytest.mark.parametrize(("language", "shown"), [("id", "23 Nov 2026 14.05 WIB"), ("en", "23 Nov 2026 14:05 WIB")])
def test_zoned_follows_the_languages_date_time_format(language, shown):
    when = dt.datetime(2026, 11, 23, 7, 5, tzinfo=UTC)
    with timezone.override(JAKARTA):
        assert render("{{ when|zoned }}", language, when=when) == shown
    with timezone.override(MAKASSAR):  # the reader's zone, named
        assert render("{{ when|zoned }}", language, when=when) == shown.replace("14", "15").replace("WIB", "WITA")
    # A format given still wins.
    with timezone.override(JAKARTA):
        assert render("{{ when|zoned:'H:i' }}", language, when=when) == "14:05 WIB"


# --- dates and times typed ------------------------------------------------------------------
@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("typed", ["23/11/2026", "23-11-2026", "23.11.2026", "23 11 2026", "23112026", "2026-11-23",
                                   " 23/11/2026 ", "3/1/2026"])
def test_it_reads_a_date_typed_day_first(language, typed):
    expected = dt.date(2026, 1, 3) if typed == "3/1/2026" else dt.date(2026, 11, 23)
    with translation.override(language):
        assert DayFirstDateField().clean(typed) == expected


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("typed", ["11/23/2026", "1122026", "23/11/26", "23 Nov 2026x", "31/02/2026", "banana"])
def test_it_refuses_a_date_it_would_have_to_guess(language, typed):
    from django.core.exceptions import ValidationError

    with translation.override(language), pytest.raises(ValidationError):
        DayFirstDateField().clean(typed)


@pytest.mark.parametrize("typed", ["23/11/2026 14.05", "23/11/2026 14:05", "23-11-2026 14.05", "231120261405",
                                   "23112026 1405", "2026-11-23T14:05", "2026-11-23 14:05"])
def test_it_reads_a_date_and_24_hour_time_in_the_users_zone(typed):
    with translation.override("id"), timezone.override(MAKASSAR):
        when = DayFirstDateTimeField().clean(typed)
    assert when == dt.datetime(2026, 11, 23, 6, 5, tzinfo=UTC)  # 14.05 in Makassar


@pytest.mark.parametrize("typed", ["23/11/2026 2.05 PM", "2311202614", "23/11/2026 25.00"])
def test_it_refuses_a_time_it_cannot_read(typed):
    from django.core.exceptions import ValidationError

    with translation.override("id"), pytest.raises(ValidationError):
        DayFirstDateTimeField().clean(typed)


@pytest.mark.parametrize(("language", "placeholder"), [("id", "hh/bb/tttt"), ("en", "dd/mm/yyyy")])
def test_date_boxes_are_text_boxes_for_a_phones_number_pad(language, placeholder):
    form = AssetForm(initial={"next_service_due": dt.date(2026, 11, 23)})
    with translation.override(language):
        html = str(form["next_service_due"])
    assert 'type="text"' in html and 'inputmode="numeric"' in html and 'data-date-input="date"' in html
    assert f'placeholder="{placeholder}"' in html
    assert 'value="23/11/2026"' in html  # shown back day first, as it is typed
