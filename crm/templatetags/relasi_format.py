"""Amounts and phone numbers the way people read them: ``{% load relasi_format %}``

``{{ amount|rupiah }}`` → ``Rp 1.250.000`` · ``{{ amount|rupiah_short }}`` → ``Rp 1,25 jt`` ·
``{{ customer.phone|phone }}`` → ``+62 812-3456-7890``.

Each shows ``""`` for None or ``""``, and a value it cannot read as it is (never an error
page because of one odd row). Dates and times: ``|date`` with the language's formats
(crm/formats/) and ``|zoned`` (accounts/templatetags/relasi_time.py).
"""

from django import template

from crm.formatting import format_rupiah
from crm.phone import format_phone_grouped

register = template.Library()


def _rupiah(value, *, short: bool):
    try:
        return format_rupiah(value, short=short)
    except ValueError:
        return value


@register.filter
def rupiah(value):
    """``Rp 1.250.000`` (English: ``Rp 1,250,000``)."""
    return _rupiah(value, short=False)


@register.filter
def rupiah_short(value):
    """``Rp 1,25 jt`` / ``Rp 1,2 M`` (English: ``Rp 1.25M`` / ``Rp 1.2B``), where space is short."""
    return _rupiah(value, short=True)


@register.filter
def phone(value):
    """A stored (E.164) number grouped: ``+62 812-3456-7890``; anything else as it is."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        return value
    return format_phone_grouped(value)
