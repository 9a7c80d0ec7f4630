"""Reads of the shared customer record, shaped for the pages that show them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import BigIntegerField, F, Q, Value
from django.db.models.expressions import Col
from django.db.models.functions import Cast, Lower
from django.db.models.lookups import Contains, Exact
from django.db.models.sql.where import WhereNode
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.access import branch_scope
from accounts.models import User

from .models import Channel, Customer, Interaction
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


def _search_terms(query: str) -> list[str] | None:
    """What must appear in the search text, or None when the query is too short.

    Each word must appear (in any order). Phone-like input is reduced to digits, so
    "0812-3456", "+62 812 3456" and "3456" all match.
    """
    query = " ".join(query.split())
    if len(query) < MIN_SEARCH_LENGTH:
        return None
    digits = phone_query_digits(query)
    if digits:
        return [digits]
    if PLATE.fullmatch(query):
        # "D 1234", "d1234ab": plates are stored without spaces too, so the typed plate
        # must appear as one run, not as words scattered over name and phone.
        return [query.lower().replace(" ", "")]
    return [w for w in query.lower().split(" ") if w]


def customer_search_filter(query: str) -> Q | None:
    """A filter over the customer's search text (served by the trigram index), or None
    when the query is too short."""
    terms = _search_terms(query)
    if terms is None:
        return None
    condition = Q()
    for term in terms:
        condition &= Q(search_text__contains=term)
    return condition


def clean_search_query(raw: str) -> str:
    """What the search box sent, tidied: PostgreSQL refuses NUL characters, so they go."""
    return " ".join(raw.replace("\x00", "").split())[:100]


# Up to this many matches, the search reads them all through the trigram index and pages
# them by id; beyond it, walking the customers newest first fills a page within a few
# thousand rows (see customer_search).
SEARCH_CANDIDATES = 1000


def customer_search(*, queryset, query: str):
    """``queryset`` narrowed to ``query`` (no rows when the query is too short to search).

    The list shows matches newest first, and no single plan is fast for every query: a
    piece of a name found 20,000 times is best found by walking the customers newest first
    until a page is full, but the same walk reads a whole branch (250,000 rows, 0.3-4 s at a
    million customers) when the piece is common elsewhere and absent from the user's branch
    ("salo" for Jakarta Selatan). PostgreSQL guesses the number of matches of a LIKE from a
    100-row sample and assumes branches are alike, so it picks wrongly both ways. So one
    query first counts the matches, up to SEARCH_CANDIDATES, through the index on
    (branch, search text trigrams); it costs at most that many row reads:

    - that many or fewer: they are all known, and the page is taken from their ids;
    - more: they are dense enough that the newest-first walk fills a page quickly, and the
      condition is written so that the trigram index cannot be chosen for it (a bitmap over
      tens of thousands of matches, sorted, is what the walk avoids).
    """
    return customer_search_matches(queryset=queryset, query=query)[0]


def customer_search_matches(*, queryset, query: str):
    """``customer_search``, and whether more than SEARCH_CANDIDATES customers match (a
    caller that shows a count needs no COUNT then: the back office says "more than")."""
    if not query:
        return queryset, False
    terms = _search_terms(query)
    if terms is None:
        return queryset.none(), False
    ids = customer_search_ids(queryset=queryset, query=query)
    if ids is not None:
        return queryset.filter(pk__in=ids), False
    # search_text is stored lower-cased: LOWER() changes no result, only hides the column
    # from its trigram index, so the planner walks (branch, id DESC) or the primary key.
    return queryset.filter(*(Contains(Lower("search_text"), term) for term in terms)), True


def customer_search_ids(*, queryset, query: str, limit: int | None = None) -> list[int] | None:
    """The ids of every customer of ``queryset`` matching ``query`` (in no order), or None
    when more than ``limit`` (SEARCH_CANDIDATES) match. One query through the (branch,
    trigram) index."""
    limit = SEARCH_CANDIDATES if limit is None else limit
    condition = customer_search_filter(query)
    if condition is None:
        return []
    matches = _branch_compared_as_bigint(queryset.filter(condition).order_by())
    ids = list(matches.values_list("pk", flat=True)[: limit + 1])
    return ids if len(ids) <= limit else None


def _branch_compared_as_bigint(queryset):
    """``queryset`` with ``branch_id = 7`` written ``branch_id = 7::bigint``.

    psycopg2 sends Python ints as plain literals, which PostgreSQL types as integer; the
    btree_gin part of the (branch, trigram) index answers only bigint = bigint, so without
    the cast the branch is filtered row by row after the index instead of inside it.
    """
    queryset = queryset.all()
    queryset.query.where = _cast_branch_ids(queryset.query.where)
    return queryset


def _cast_branch_ids(node):
    if isinstance(node, WhereNode):
        return WhereNode([_cast_branch_ids(child) for child in node.children], node.connector, node.negated)
    if (isinstance(node, Exact) and isinstance(node.lhs, Col) and node.lhs.alias == Customer._meta.db_table
            and node.lhs.target.column == "branch_id" and type(node.rhs) is int):
        return Exact(node.lhs, Cast(Value(node.rhs), BigIntegerField()))
    return node


def customer_list(*, user: User, queryset=None):
    """Customers for the list page: newest first, with what each row shows joined in."""
    qs = queryset if queryset is not None else customers_visible_to(user)
    return qs.select_related("branch", "owner").only(
        "public_id", "kind", "name", "phone", "email", "city", *(f"{c}_consent" for c in Channel.values),
        "created_at", "branch__name", "branch__code", "owner__first_name",
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


# --- panels of the 360 page and cards of the home page (registered in crm/apps.py) ----------
# Each takes (customer, user) or (user) and returns what its template shows, in a fixed
# number of queries. The 360 view prefetches the customer's assets, contact persons and tags
# (crm's own relations), so panels reading customer.assets.all() cost nothing more.
HOME_CARD_ROWS = 8


def _add_action(user: User, perm: str, url_name: str, customer: Customer) -> list[dict]:
    if not user.has_perm(perm):
        return []
    return [{"label": _("Add"), "url": reverse(url_name, args=[customer.public_id])}]


def vehicles_panel(customer: Customer, user: User) -> dict:
    assets = list(customer.assets.all())
    return {"assets": assets, "empty": not assets,
            "actions": _add_action(user, "crm.add_asset", "crm:asset_create", customer)}


def contact_persons_panel(customer: Customer, user: User) -> dict | None:
    persons = list(customer.contact_persons.all())
    if not persons and customer.kind != Customer.Kind.COMPANY:
        return None  # people rarely have contact persons: no empty card for them
    return {"persons": persons, "empty": not persons,
            "actions": _add_action(user, "crm.add_contactperson", "crm:contact_person_create", customer)}


def stale_customers_card(user: User) -> list[Customer]:
    """The customers I own that were touched least recently (never touched first)."""
    return list(
        customers_visible_to(user).filter(owner=user)
        .only("public_id", "name", "phone", "city", "last_contact_at")
        .order_by(F("last_contact_at").asc(nulls_first=True), "id")[:HOME_CARD_ROWS]
    )


def my_interactions_card(user: User) -> list[Interaction]:
    """What I logged last, newest first, with the customer it was about."""
    return list(
        Interaction.objects.filter(staff=user).filter(branch_scope(user, "customer__"))
        .select_related("customer").only("public_id", "kind", "summary", "occurred_at", "customer__public_id",
                                         "customer__name")
        .order_by("-occurred_at", "-id")[:HOME_CARD_ROWS]
    )


def notifications_card(user: User) -> dict:
    """My unread notifications (accounts owns them; crm may read accounts)."""
    from accounts.selectors import notifications_unread_for

    rows, unread = notifications_unread_for(user, limit=HOME_CARD_ROWS)
    return {"rows": rows, "unread": unread, "empty": not rows}


def customer_consents(customer: Customer) -> list[dict]:
    """Each consent channel (crm.models.Channel, the one list) as the profile shows it."""
    return [{"label": channel.label, "given": getattr(customer, f"{channel.value}_consent"),
             "at": getattr(customer, f"{channel.value}_consent_at"),
             "source": getattr(customer, f"{channel.value}_consent_source")} for channel in Channel]
