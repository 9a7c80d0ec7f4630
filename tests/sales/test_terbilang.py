"""Rupiah in Indonesian words, as a quotation writes them (table-driven)."""

import pytest

from sales.terbilang import number_words, terbilang

CASES = [
    (0, "nol"),
    (1, "satu"),
    (10, "sepuluh"),
    (11, "sebelas"),
    (12, "dua belas"),
    (19, "sembilan belas"),
    (20, "dua puluh"),
    (21, "dua puluh satu"),
    (99, "sembilan puluh sembilan"),
    (100, "seratus"),
    (101, "seratus satu"),
    (111, "seratus sebelas"),
    (250, "dua ratus lima puluh"),
    (1000, "seribu"),
    (1001, "seribu satu"),
    (1100, "seribu seratus"),
    (2000, "dua ribu"),
    (11_000, "sebelas ribu"),
    (100_000, "seratus ribu"),
    (101_000, "seratus satu ribu"),
    (1_000_000, "satu juta"),
    (1_250_000, "satu juta dua ratus lima puluh ribu"),
    (1_001_000, "satu juta seribu"),
    (275_000_000, "dua ratus tujuh puluh lima juta"),
    (308_000_000, "tiga ratus delapan juta"),
    (311_110_000, "tiga ratus sebelas juta seratus sepuluh ribu"),
    (1_000_000_000, "satu miliar"),
    (2_500_000_001, "dua miliar lima ratus juta satu"),
    (1_000_000_000_000, "satu triliun"),
]


@pytest.mark.parametrize("number, words", CASES)
def test_it_writes_numbers_in_indonesian(number, words):
    assert number_words(number) == words


def test_it_writes_rupiah_with_the_currency():
    assert terbilang(1_250_000) == "satu juta dua ratus lima puluh ribu rupiah"
    assert terbilang("308000000") == "tiga ratus delapan juta rupiah"


def test_it_refuses_fractions_of_a_rupiah():
    with pytest.raises(ValueError):
        terbilang("1250000.50")
