"""What department apps contribute to shared pages, without crm importing them.

``crm`` owns the customer 360 page, the home page ("Beranda"), the top search box and
``seed_demo``; each app adds its parts from its ``AppConfig.ready()``::

    from crm.registry import HomeCard, Panel, home_cards, panels

    panels.register(Panel(key="sms", title=_("Send an SMS"), order=40, permission="marketing.add_send",
                          selector=selectors.sms_panel, template="marketing/panels/sms.html"))

An app removed from INSTALLED_APPS never runs its ``ready()``, so its panels, cards and
demo steps disappear with it. ``crm`` itself registers its own the same way (crm/apps.py).

A panel's ``selector(customer, user)`` and a card's ``selector(user)`` return what the
template shows (a dict, a list...) in a fixed number of queries, whatever the data size,
declared as ``queries``: the page's query count is the shared queries plus their sum, and
the tests pin it (tests/crm/test_home_and_panels.py, tests/crm/test_query_counts.py). A selector may
return ``None`` to leave its panel out for this customer (not the same as empty: an empty
panel shows its ``empty_text``, which says what to do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Iterator, TypeVar

from django.utils.functional import Promise

T = TypeVar("T")


class Registry(Generic[T]):
    """Items keyed by ``key``, listed by ``order`` then key. Registering a key again
    replaces it (ready() may run twice in tests); ``unregister`` is for tests."""

    def __init__(self, name: str):
        self.name = name
        self._items: dict[str, T] = {}

    def register(self, item: T) -> T:
        self._items[item.key] = item
        return item

    def unregister(self, key: str) -> None:
        self._items.pop(key, None)

    def __iter__(self) -> Iterator[T]:
        return iter(sorted(self._items.values(), key=lambda item: (item.order, item.key)))

    def __contains__(self, key: str) -> bool:
        return key in self._items

    def get(self, key: str) -> T | None:
        return self._items.get(key)

    def visible_to(self, user) -> list[T]:
        return [item for item in self if item.permission is None or user.has_perm(item.permission)]


@dataclass(frozen=True)
class Panel:
    """A card on the customer 360 page."""

    key: str
    title: str | Promise
    template: str  # rendered with panel, data, customer, user (and the page's context)
    selector: Callable[[Any, Any], Any]  # (customer, user) -> data, or None to leave it out
    order: int = 100
    permission: str | None = None  # who sees it (a perm codename); None: everyone who sees the customer
    column: str = "side"  # "side" (left, narrow) or "main" (right, above the timeline)
    empty_text: str | Promise = ""  # what to do when the selector finds nothing
    queries: int = 1  # SQL queries the selector runs, whatever the data size (the page's pin sums them)


@dataclass(frozen=True)
class HomeCard:
    """A card on the home page; its selector sees only the user."""

    key: str
    title: str | Promise
    template: str  # rendered with card, data, user
    selector: Callable[[Any], Any]  # (user) -> data, or None to leave it out
    order: int = 100
    permission: str | None = None
    empty_text: str | Promise = ""
    link: str = ""  # URL name of the full list, if any ("Semua")
    queries: int = 1  # SQL queries the selector runs, whatever the data size (the page's pin sums them)


@dataclass(frozen=True)
class DemoStep:
    """One app's part of ``seed_demo``. ``run(context)`` adds the app's demo rows.

    ``context`` is a ``DemoContext``: the branches and staff crm created, the size asked
    for and where to print progress. Steps run in ``order`` (crm's customers first, 0)."""

    key: str
    run: Callable[["DemoContext"], None]
    order: int = 100
    permission: None = None  # unused; keeps Registry.visible_to uniform


@dataclass
class DemoContext:
    customers: int  # how many customers crm's step loaded
    branches: list = field(default_factory=list)  # accounts.Branch rows
    staff: dict = field(default_factory=dict)  # {(branch code, department): User}
    stdout: Any = None
    style: Any = None
    seed: int = 0

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)


@dataclass
class RenderedPart:
    """A panel or card with its data, ready for the template."""

    spec: Panel | HomeCard
    data: Any

    @property
    def key(self) -> str:
        return self.spec.key

    @property
    def is_empty(self) -> bool:
        data = self.data
        if isinstance(data, dict):
            return bool(data.get("empty", False))
        return not data


@dataclass(frozen=True)
class SearchProvider:
    """Another app's records found by the top search box (a lead number, a booking code, a
    complaint code...). ``selector(user, query)`` returns at most a few ``SearchHit`` rows,
    branch-scoped for the user, in one query; it runs only for a search of at least
    MIN_SEARCH_LENGTH characters. Hits are shown above the customer results."""

    key: str
    title: str | Promise
    selector: Callable[[Any, str], list["SearchHit"]]
    order: int = 100
    permission: str | None = None
    queries: int = 1  # at most this many SQL queries per search (none when the words cannot be its kind)


@dataclass(frozen=True)
class SearchHit:
    label: str
    url: str
    hint: str = ""


@dataclass(frozen=True)
class SegmentCriterion:
    """One condition a marketing segment can be built from (issue 12): crm registers the
    customer's own fields (crm/segments.py), each app what it knows (an open lead, a booking).

    ``field()`` makes the form field that checks and cleans a value (a bad value is that
    field's error); ``q(cleaned value)`` returns a ``Q`` over Customer. The Q must not join
    a to-many relation (use ``Exists``): a segment is ONE query and counts each customer once.
    """

    key: str
    label: str | Promise
    field: Callable[[], Any]  # () -> django.forms.Field
    q: Callable[[Any], Any]  # (cleaned value) -> Q over crm.Customer
    order: int = 100
    permission: str | None = None  # who may use it (e.g. "sales.view_lead"); None: everyone who builds segments


@dataclass(frozen=True)
class ConversionSource:
    """Something a customer does that counts as a campaign's conversion (a lead, a booking...).

    ``customers(since, until)`` returns a queryset of ``customer_id`` values (``values("customer_id")``)
    of the records created in ``[since, until)``; the campaign statistics count the recipients
    (and the hold-out) found in it, in one query each."""

    key: str
    label: str | Promise
    customers: Callable[[Any, Any], Any]
    order: int = 100
    permission: None = None  # unused; keeps Registry.visible_to uniform
    # Optional: ``revenue(since, until, customer_ids)`` the amount (Rp) these customers' records
    # of the window are worth (an order's total), for the campaign's ROI.
    revenue: Callable[[Any, Any, Any], Any] | None = None


@dataclass(frozen=True)
class ReminderKind:
    """A date another app owns that reminder rules can count from (issue 13): a payment due,
    a quotation's validity. Birthdays and the vehicle dates are marketing's own kinds.

    ``candidates(branch_id, occasion)`` returns ``values_list("customer_id", <record pk>)`` of
    the records whose date is ``occasion`` among the branch's customers: one index lookup.
    ``values(record ids, language)`` returns ``{record id: {placeholder: text}}`` for the
    message, in that language; ``placeholders`` names them with a sample value each (the rule
    form accepts them for this kind only). One reminder per (rule, customer, record, date)."""

    key: str
    label: str | Promise
    candidates: Callable[[int, Any], Any]
    values: Callable[[list[int], str], dict[int, dict[str, str]]]
    placeholders: dict[str, str]
    order: int = 100
    permission: None = None  # unused; keeps Registry.visible_to uniform


@dataclass(frozen=True)
class AttachmentProvider:
    """A document another app attaches to an email of the messaging pipeline (a quotation's
    PDF), without marketing importing that app.

    A send names its attachments in ``Send.extra_values["attachments"]`` as
    ``[[provider key, ref], ...]``; the email sender calls ``render(ref)`` at send time and
    attaches the ``(filename, bytes, mimetype)`` it returns. ``render`` must give the same
    document every time for the same ref (a retried message attaches what the first would
    have), and raise when the ref no longer exists."""

    key: str
    render: Callable[[str], tuple[str, bytes, str]]
    order: int = 100
    permission: None = None  # unused; keeps Registry.visible_to uniform


@dataclass(frozen=True)
class NavLink:
    """A link in the top menu. Links of one ``menu`` share one dropdown named ``menu_label``
    (a menu the user sees only one link of shows that link alone), menus in the order of
    their first link. ``needs_branch``: only for staff of a branch (a workshop's day)."""

    key: str  # the link's id is "nav-<key>"
    label: str | Promise
    url_name: str
    menu: str
    menu_label: str | Promise
    order: int = 100
    permission: str | None = None
    needs_branch: bool = False
    staff_only: bool = False  # Django's is_staff (the back office)


@dataclass
class NavMenu:
    key: str
    label: str | Promise
    links: list[NavLink]


panels: Registry[Panel] = Registry("panels")
nav_links: Registry[NavLink] = Registry("nav links")
reminder_kinds: Registry[ReminderKind] = Registry("reminder kinds")
search_providers: Registry[SearchProvider] = Registry("search providers")
home_cards: Registry[HomeCard] = Registry("home cards")
demo_steps: Registry[DemoStep] = Registry("demo steps")
segment_criteria: Registry[SegmentCriterion] = Registry("segment criteria")
conversion_sources: Registry[ConversionSource] = Registry("conversion sources")
attachment_providers: Registry[AttachmentProvider] = Registry("attachment providers")


def panels_for(customer, user) -> list[RenderedPart]:
    """The 360 page's panels this user may see, each with what its selector found."""
    parts = []
    for panel in panels.visible_to(user):
        data = panel.selector(customer, user)
        if data is not None:
            parts.append(RenderedPart(panel, data))
    return parts


def search_hits_for(user, query: str) -> list[tuple[SearchProvider, list[SearchHit]]]:
    """What each registered provider found for the query, providers with no hit left out."""
    found = []
    for provider in search_providers.visible_to(user):
        hits = provider.selector(user, query)
        if hits:
            found.append((provider, hits))
    return found


def cards_for(user) -> list[RenderedPart]:
    parts = []
    for card in home_cards.visible_to(user):
        data = card.selector(user)
        if data is not None:
            parts.append(RenderedPart(card, data))
    return parts


def nav_for(user) -> list[NavMenu]:
    """The top menu this user sees: no query beyond the permissions Django caches per user."""
    menus: dict[str, NavMenu] = {}
    for link in nav_links.visible_to(user):
        if (link.needs_branch and not user.branch_id) or (link.staff_only and not user.is_staff):
            continue
        menus.setdefault(link.menu, NavMenu(link.menu, link.menu_label, [])).links.append(link)
    return list(menus.values())
