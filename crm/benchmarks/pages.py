"""Time the customer pages in-process and check their query plans.

Server time is measured around the full Django request (middleware, view, template),
through the test client: no network or browser in the number. Every SELECT a page
runs is EXPLAINed so a sequential scan of a big table is reported, not guessed.
"""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import dataclass, field

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from crm.models import Customer

BIG_TABLES = ("crm_customer", "crm_interaction", "crm_asset")


@dataclass
class PageResult:
    name: str
    times_ms: list[float] = field(default_factory=list)
    query_counts: set[int] = field(default_factory=set)
    seq_scans: set[str] = field(default_factory=set)
    statuses: set[int] = field(default_factory=set)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)]


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


def _measure(client: Client, name: str, urls: list[str], warmup: int = 3) -> PageResult:
    result = PageResult(name)
    for url in urls[:warmup]:
        client.get(url)
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - start) * 1000
        result.times_ms.append(elapsed)
        result.query_counts.add(len(ctx.captured_queries))
        result.statuses.add(response.status_code)
        result.seq_scans |= _seq_scans(ctx.captured_queries)
    return result


def sample_inputs(runs: int, seed: int = 7) -> dict[str, list]:
    """Real values from the data: name fragments, last-4 phone digits and customers to open."""
    rng = random.Random(seed)
    max_id = Customer.objects.order_by("-id").values_list("id", flat=True).first() or 0
    ids = [rng.randint(1, max_id) for _ in range(runs * 3)]
    rows = list(Customer.objects.filter(id__in=ids).values("public_id", "name", "phone")[:runs])
    fragments = []
    for row in rows:
        words = [w for w in row["name"].split() if len(w) >= 4 and not w.endswith(".")]
        word = rng.choice(words) if words else row["name"]
        start = rng.randint(0, max(0, len(word) - 4))
        fragments.append(word[start:start + 4].lower())
    return {
        "public_ids": [r["public_id"] for r in rows],
        "name_fragments": fragments,
        "phone_last4": [r["phone"][-4:] for r in rows if r["phone"]],
    }


def run_page_benchmarks(*, runs: int, users: list[str]) -> list[PageResult]:
    inputs = sample_inputs(runs)
    results = []
    list_url = reverse("crm:customer_list")
    for email in users:
        user = User.objects.get(email=email)
        client = Client()
        client.force_login(user)
        label = "head office" if user.sees_all_branches else f"branch {user.branch.code}"
        results.append(_measure(client, f"customer list, first page ({label})", [list_url] * runs))
        results.append(_measure(client, f"search name fragment ({label})",
                                [f"{list_url}?q={f}" for f in inputs["name_fragments"]]))
        results.append(_measure(client, f"search last 4 phone digits ({label})",
                                [f"{list_url}?q={d}" for d in inputs["phone_last4"]]))
        visible = set(Customer.objects.visible_to(user).filter(public_id__in=inputs["public_ids"])
                      .values_list("public_id", flat=True))
        detail_urls = [reverse("crm:customer_detail", args=[pid]) for pid in inputs["public_ids"] if pid in visible]
        if detail_urls:
            results.append(_measure(client, f"customer 360 page ({label})", detail_urls))
    return results
