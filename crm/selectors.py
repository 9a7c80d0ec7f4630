"""Reads of the shared customer record, shaped for the pages that show them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from accounts.models import User

from .models import Asset, Customer, Interaction
from .phone import phone_query_digits

MIN_SEARCH_LENGTH = 3
PLATE = re.compile(r"[A-Za-z]{1,2}\s*\d{1,4}(\s*[A-Za-z]{1,3})?")


@dataclass
class Page:
    """A page without COUNT(*): counting a million rows costs more than the page itself."""

    items: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def page_of(queryset, page: int, size: int) -> Page:
    offset = (page - 1) * size
    rows = list(queryset[offset : offset + size + 1])
    return Page(items=rows[:size], number=page, has_next=len(rows) > size)


def parse_page(value) -> int:
    try:
        page = int(value)
    except (TypeError, ValueError):
        return 1
    return min(max(page, 1), 10_000)


def customers_visible_to(user: User):
    return Customer.objects.visible_to(user)


def customer_search_filter(query: str) -> Q | None:
    """A filter over the customer's search text, or None when the query is too short.

    Each word must appear (in any order). Phone-like input is reduced to digits, so
    "0812-3456", "+62 812 3456" and "3456" all match. Served by the trigram index.
    """
    query = " ".join(query.split())
    if len(query) < MIN_SEARCH_LENGTH:
        return None
    digits = phone_query_digits(query)
    if digits:
        return Q(search_text__contains=digits)
    if PLATE.fullmatch(query):
        # "D 1234", "d1234ab": plates are stored without spaces too, so the typed plate
        # must appear as one run, not as words scattered over name and phone.
        return Q(search_text__contains=query.lower().replace(" ", ""))
    condition = Q()
    words = [w for w in query.lower().split(" ") if w]
    for word in words:
        condition &= Q(search_text__contains=word)
    return condition


def clean_search_query(raw: str) -> str:
    """What the search box sent, tidied: PostgreSQL refuses NUL characters, so they go."""
    return " ".join(raw.replace("\x00", "").split())[:100]


def customer_search(*, queryset, query: str):
    """``queryset`` narrowed to ``query`` (no rows when the query is too short to search)."""
    if not query:
        return queryset
    condition = customer_search_filter(query)
    return queryset.none() if condition is None else queryset.filter(condition)


def customer_list(*, user: User, queryset=None):
    """Customers for the list page: newest first, with what each row shows joined in."""
    qs = queryset if queryset is not None else customers_visible_to(user)
    return qs.select_related("branch", "owner").only(
        "public_id", "kind", "name", "phone", "email", "city", "sms_consent", "email_consent",
        "phone_consent", "created_at", "branch__name", "branch__code", "owner__first_name",
        "owner__last_name", "owner__email",
    ).order_by("-id")


def customer_timeline(*, customer: Customer, page: int = 1) -> Page:
    qs = (
        Interaction.objects.filter(customer=customer)
        .select_related("staff")
        # The record each touch came from (a message shows its delivery status): one
        # query per kind of source on the page, none when no entry has a source.
        .prefetch_related("source")
        .order_by("-occurred_at", "-id")
    )
    return page_of(qs, page, settings.TIMELINE_PAGE_SIZE)


def customer_assets(*, customer: Customer) -> list[Asset]:
    return list(customer.assets.all())


def customer_duplicates(*, phones: list[str], email: str, exclude_pk: int | None = None):
    """Other customers (any branch) sharing a phone number or the email: likely duplicates."""
    condition = Q()
    phones = [p for p in phones if p]
    if phones:
        condition |= Q(phone__in=phones) | Q(phone_alt__in=phones)
    if email:
        condition |= Q(email=email.lower())  # stored lower-cased
    if not condition:
        return []
    qs = Customer.objects.filter(condition).select_related("branch").order_by("id")
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return list(qs[:5])
