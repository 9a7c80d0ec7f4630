"""Amounts in rupiah, the one way Relasi writes them: ``format_rupiah(1250000)`` → ``Rp 1.250.000``.

Numbers are laid out by Babel from CLDR data, in the active language (or ``language``):

==============  ==================  ===================
                Indonesian          English
==============  ==================  ===================
full            ``Rp 1.250.000``    ``Rp 1,250,000``
``short=True``  ``Rp 1,25 jt``      ``Rp 1.25M``
(miliar)        ``Rp 1,2 M``        ``Rp 1.2B``
==============  ==================  ===================

English keeps the ``Rp`` symbol and English separators, as English-language Indonesian
papers print rupiah (The Jakarta Post: "Rp 1,250,000", "Rp 1.25 million"): the reader is
in Indonesia, knows the symbol, and reads "1.250" as one and a quarter. ``IDR`` (Babel's
default symbol for English) reads as foreign exchange.

Rupiah have no minor unit in practice: amounts are rounded half up to whole rupiah. The
space after ``Rp`` is an ordinary space, so the text stays GSM-7 in an SMS (a no-break
space would make the message Unicode and halve its length); templates that must not wrap
it put it in a ``text-nowrap`` element.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_compact_decimal, format_decimal
from django.utils import translation

# Babel locale per language code of settings.LANGUAGES.
_BABEL_LOCALES = {"id": "id_ID", "en": "en_US"}
_WHOLE = Decimal(1)


def _babel_locale(language: str | None) -> str:
    language = (language or translation.get_language() or "id").lower()
    return _BABEL_LOCALES.get(language, _BABEL_LOCALES.get(language.split("-")[0], "id_ID"))


def _as_decimal(amount) -> Decimal:
    """``amount`` (int, Decimal, float or a numeric string) as a finite Decimal, else ValueError."""
    if isinstance(amount, bool):  # an int to Python, never an amount
        raise ValueError(f"not an amount: {amount!r}")
    if isinstance(amount, float):
        amount = repr(amount)  # 0.1 stays 0.1, not its binary expansion
    try:
        value = Decimal(amount.strip() if isinstance(amount, str) else amount)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not an amount: {amount!r}") from None
    if not value.is_finite():
        raise ValueError(f"not an amount: {amount!r}")
    return value


def format_rupiah(amount, *, short: bool = False, language: str | None = None) -> str:
    """``amount`` in rupiah for people to read; ``""`` for None or ``""``.

    ``short``: the compact form for tight spaces (cards, charts): ``Rp 1,25 jt``, ``Rp 1,2 M``.
    ``language``: ``"id"`` or ``"en"``; default the active language (a message to a customer
    passes the customer's). Anything that is not a number raises ValueError (the template
    filters show such a value as it is).
    """
    if amount is None or amount == "":
        return ""
    value = _as_decimal(amount).quantize(_WHOLE, rounding=ROUND_HALF_UP)
    locale = _babel_locale(language)
    sign = "-" if value < 0 else ""
    if short:
        number = format_compact_decimal(abs(value), locale=locale, fraction_digits=2)
        # CLDR puts a no-break space before "jt"/"M"; an ordinary one keeps SMS text GSM-7.
        number = number.replace("\u00a0", " ")
    else:
        number = format_decimal(abs(value), format="#,##0", locale=locale)
    return f"{sign}Rp {number}"
