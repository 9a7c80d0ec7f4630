"""The pages the benchmark opens, and the in-process way of opening them.

In-process, a request goes through Django's test client: the whole Django request
(middleware, session, view, SQL, templates) without a server or the network. Every SELECT
it runs is EXPLAINed afterwards, so a sequential scan of a big table is reported, not
guessed, and the time spent in SQL and in template rendering is taken apart from the rest.
"""

from __future__ import annotations

import contextlib
import time
from urllib.parse import urlencode

from django.conf import settings
from django.db import connection
from django.template.backends.django import Template as DjangoTemplate
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User

from .http import CSRF_INPUT
from .inputs import InputSampler, Typed, admin_inputs
from .measure import Case, Hit, timed

BIG_TABLES = ("crm_customer", "crm_interaction", "crm_asset")
TARGETS = {  # p95, max (ms), over HTTP at 1,000,000 customers (issue 7)
    "list": (50, None), "home": (80, None), "360": (80, None),
    "search": (100, 250), "admin": (300, None),
}


def _seq_scans(queries) -> set[str]:
    found = set()
    with connection.cursor() as cursor:
        for q in queries:
            sql = q["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in BIG_TABLES:
                if f"Seq Scan on {table}" in plan:
                    found.add(table)
    return found


class _Timers:
    """SQL time (every query) and template time (top-level renders, minus the SQL they ran)."""

    def __init__(self):
        self.sql = 0.0
        self.template = 0.0
        self.sql_in_template = 0.0
        self._rendering = 0

    def sql_wrapper(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            spent = (time.perf_counter() - start) * 1000
            self.sql += spent
            if self._rendering:
                self.sql_in_template += spent

    @contextlib.contextmanager
    def patched_render(self):
        original = DjangoTemplate.render
        timers = self

        def render(template, context=None, request=None):
            timers._rendering += 1
            start = time.perf_counter()
            try:
                return original(template, context, request)
            finally:
                timers._rendering -= 1
                if not timers._rendering:
                    timers.template += (time.perf_counter() - start) * 1000

        DjangoTemplate.render = render
        try:
            yield
        finally:
            DjangoTemplate.render = original


class InProcessClient:
    name = "in-process"

    def __init__(self, user: User, *, explain: bool = True):
        # Not setup_test_environment(): its instrumented template rendering would slow
        # every page down. The client asks for an allowed host instead of "testserver".
        # CSRF checked as in production (POST cases send the token of the page's form).
        self.client = Client(SERVER_NAME=(settings.ALLOWED_HOSTS or ["127.0.0.1"])[0], enforce_csrf_checks=True)
        self.client.force_login(user)
        self.explain = explain
        self.csrf_tokens: dict[str, str] = {}

    def get(self, url: str) -> Hit:
        return self._timed(lambda: self.client.get(url))

    def post(self, url: str, data: dict, *, headers: dict, csrf_from: str) -> Hit:
        if csrf_from not in self.csrf_tokens:
            page = self.client.get(csrf_from).content.decode()
            found = CSRF_INPUT.search(page)
            if not found:
                raise RuntimeError(f"no CSRF token in {csrf_from}")
            self.csrf_tokens[csrf_from] = found.group(1)
        headers = {"X-CSRFToken": self.csrf_tokens[csrf_from], **headers}
        return self._timed(lambda: self.client.post(url, data, headers=headers))

    def _timed(self, send) -> Hit:
        timers = _Timers()
        # The query log keeps the last 9,000 queries: once full, a capture would count none.
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as ctx, connection.execute_wrapper(timers.sql_wrapper), \
                timers.patched_render():
            ms, response = timed(send)
        hit = Hit(response.status_code, ms, len(ctx.captured_queries), sql_ms=timers.sql,
                  template_ms=timers.template - timers.sql_in_template)
        if self.explain:
            hit.seq_scans = _seq_scans(ctx.captured_queries)
        return hit


def _url(name: str, **query) -> str:
    base = reverse(name)
    return f"{base}?{urlencode(query)}" if query else base


def page_cases(sampler: InputSampler, users: list[User], *, runs: int, fragments: int) -> list[Case]:
    """The staff pages, for each user: home, list, searches, 360."""
    cases = []
    home, listing = reverse("crm:home"), reverse("crm:customer_list")
    for user in users:
        label = "head office" if user.sees_all_branches else f"branch {user.branch.code}"
        inputs = sampler.for_user(user, names=fragments, phones=max(fragments // 4, 20),
                                  plates=max(fragments // 10, 10), customers=runs)
        same = Typed("-", "same page")
        cases += [
            Case(f"home page `/` ({label})", user.email, [(same, home)] * runs, *TARGETS["home"]),
            Case(f"customer list, first page ({label})", user.email, [(same, listing)] * runs, *TARGETS["list"]),
            Case(f"search name fragment ({label})", user.email,
                 [(t, _url("crm:customer_list", q=t.text)) for t in inputs.name_queries], *TARGETS["search"],
                 group="search"),
            Case(f"search phone digits ({label})", user.email,
                 [(t, _url("crm:customer_list", q=t.text)) for t in inputs.phone_queries], *TARGETS["search"],
                 group="search"),
            Case(f"search plate ({label})", user.email,
                 [(t, _url("crm:customer_list", q=t.text)) for t in inputs.plate_queries], *TARGETS["search"],
                 group="search"),
            Case(f"customer 360 page ({label})", user.email,
                 [(t, reverse("crm:customer_detail", args=[t.text])) for t in inputs.customers], *TARGETS["360"]),
        ]
    return cases


def admin_cases(sampler: InputSampler, superuser: User, *, runs: int, inputs: int) -> list[Case]:
    """The back office of the big tables, as a superuser."""
    typed = admin_inputs(sampler, superuser, n=inputs)
    same = Typed("-", "same page")
    target = TARGETS["admin"]
    kinds = ["call", "email", "sms", "visit", "web_form", "complaint", "service_visit", "quotation", "order",
             "campaign_message", "note"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT make FROM crm_asset TABLESAMPLE SYSTEM (1)")
        makes = sorted(row[0] for row in cursor.fetchall())
    customers, assets, interactions = "/admin/crm/customer/", "/admin/crm/asset/", "/admin/crm/interaction/"

    def q(base, items, key="q"):
        return [(t, f"{base}?{urlencode({key: t.text})}") for t in items]

    return [
        Case("admin customer list", superuser.email, [(same, customers)] * runs, *target, group="admin"),
        Case("admin customer search", superuser.email, q(customers, typed["customer_search"]), *target,
             group="admin"),
        Case("admin vehicle list", superuser.email, [(same, assets)] * runs, *target, group="admin"),
        Case("admin vehicle list by make", superuser.email, q(assets, [Typed(m, "make") for m in makes], "make"),
             *target, group="admin"),
        Case("admin vehicle search, plate (any spacing)", superuser.email, q(assets, typed["plate_search"]),
             *target, group="admin"),
        Case("admin vehicle search, VIN", superuser.email, q(assets, typed["vin_search"]), *target, group="admin"),
        Case("admin interaction list", superuser.email, [(same, interactions)] * runs, *target, group="admin"),
        Case("admin interaction list by kind", superuser.email,
             q(interactions, [Typed(k, "kind") for k in kinds] * 3, "kind__exact"), *target, group="admin"),
        Case("admin interaction search (customer name, phone)", superuser.email,
             q(interactions, typed["interaction_search"]), *target, group="admin"),
    ]
