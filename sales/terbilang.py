"""Whole rupiah in Indonesian words ("terbilang"), as quotations and invoices write them:
1.250.000 → "satu juta dua ratus lima puluh ribu rupiah".

Written out rather than taken from num2words: the rules are short, and a dealer's paper
needs exactly these forms ("seratus", "seribu", "sebelas", no "koma nol").
"""

from __future__ import annotations

from decimal import Decimal

_ONES = ["", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan", "sepuluh", "sebelas"]
_SCALES = [(10 ** 12, "triliun"), (10 ** 9, "miliar"), (10 ** 6, "juta"), (10 ** 3, "ribu")]


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds:
        words += [_ONES[hundreds], "ratus"]
    if rest < 12:
        if rest:
            words.append(_ONES[rest])
    elif rest < 20:
        words += [_ONES[rest - 10], "belas"]
    else:
        tens, ones = divmod(rest, 10)
        words += [_ONES[tens], "puluh"]
        if ones:
            words.append(_ONES[ones])
    return words


def number_words(n: int) -> str:
    """A whole number ≥ 0 in words: 0 → "nol", 1000 → "seribu", 1001 → "seribu satu"."""
    if n < 0:
        return "minus " + number_words(-n)
    if n == 0:
        return "nol"
    if n >= 10 ** 15:
        raise ValueError("Too large to write in words")
    words: list[str] = []
    for scale, name in _SCALES:
        count, n = divmod(n, scale)
        if not count:
            continue
        if scale == 1000 and count == 1:
            words.append("seribu")
        else:
            words += [*_spell(count), name]
    words += _below_thousand(n)
    return " ".join(words)


def _spell(n: int) -> list[str]:
    return number_words(n).split() if n >= 1000 else _below_thousand(n)


def terbilang(amount) -> str:
    """Whole rupiah in words with the currency: 1250000 → "satu juta dua ratus lima puluh ribu rupiah"."""
    value = Decimal(amount)
    if value != value.to_integral_value():
        raise ValueError("Rupiah amounts are whole numbers")
    return f"{number_words(int(value))} rupiah"
