"""Time a list of URLs through one transport and keep what a reader of the results needs:
percentiles, the worst input (measured again, so noise is told apart from a slow input),
and, in-process, the query count, any sequential scan of a big table and where the time went.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

from .inputs import Typed

REMEASURE_WORST = 3  # the slowest inputs of a case, each requested again ...
REMEASURE_TIMES = 5  # ... this many times (their median is reported)


@dataclass
class Case:
    name: str
    user: str  # email of the user the requests are made as
    urls: list[tuple[Typed, str]]
    target_p95: float | None = None
    target_max: float | None = None
    group: str = "pages"
    # A POST case (a form sent, as the page's script sends it): ``data`` holds each request's
    # form fields (one per URL), ``headers`` the extra headers (HX-Request...), and the CSRF
    # token is read from the form of the page ``csrf_from``, as a browser has it. A POST is
    # not repeated to re-measure the slowest (a second move of the same card changes nothing).
    method: str = "GET"
    data: list[dict] | None = None
    headers: dict | None = None
    csrf_from: str = ""


@dataclass
class Result:
    case: Case
    transport: str
    times: list[tuple[float, Typed]] = field(default_factory=list)
    statuses: set[int] = field(default_factory=set)
    query_counts: set[int] = field(default_factory=set)
    seq_scans: set[str] = field(default_factory=set)
    sql_ms: list[float] = field(default_factory=list)
    template_ms: list[float] = field(default_factory=list)
    worst: list[tuple[float, float, Typed]] = field(default_factory=list)  # (first ms, re-measured ms, input)

    @property
    def ms(self) -> list[float]:
        return [t for t, _ in self.times]

    @property
    def median(self) -> float:
        return statistics.median(self.ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.ms)
        return ordered[max(0, round(0.95 * len(ordered)) - 1)]

    @property
    def max(self) -> float:
        return max(self.ms)

    @property
    def met(self) -> str:
        """Whether the targets were met; a max over target that does not reproduce is noise."""
        if self.case.target_p95 is None:
            return ""
        ok = self.p95 <= self.case.target_p95
        if self.case.target_max is not None:
            worst_again = max((again for _first, again, _input in self.worst), default=self.max)
            ok = ok and worst_again <= self.case.target_max
        return "yes" if ok else "**no**"


def _send(client, case: Case, index: int) -> Hit:
    url = case.urls[index][1]
    if case.method == "GET":
        return client.get(url)
    return client.post(url, case.data[index], headers=case.headers or {}, csrf_from=case.csrf_from)


def run_case(client, case: Case, *, warmup: int = 4) -> Result:
    """Each URL once, in order, after a few warm-up requests; then the worst again (GET only)."""
    result = Result(case, client.name)
    for index in range(min(warmup, len(case.urls))):
        _send(client, case, index)
    for index, (typed, url) in enumerate(case.urls):
        hit = _send(client, case, index)
        result.times.append((hit.ms, typed))
        result.statuses.add(hit.status)
        if hit.queries is not None:
            result.query_counts.add(hit.queries)
            result.seq_scans |= hit.seq_scans
            result.sql_ms.append(hit.sql_ms)
            result.template_ms.append(hit.template_ms)
    if case.method != "GET":
        return result
    by_url = dict((typed.text, url) for typed, url in case.urls)
    slowest = sorted(result.times, key=lambda t: t[0], reverse=True)[:REMEASURE_WORST]
    for first, typed in slowest:
        again = [client.get(by_url[typed.text]).ms for _ in range(REMEASURE_TIMES)]
        result.worst.append((first, statistics.median(again), typed))
    return result


@dataclass
class Hit:
    status: int
    ms: float
    queries: int | None = None
    seq_scans: set[str] = field(default_factory=set)
    sql_ms: float = 0.0
    template_ms: float = 0.0


def timed(fn) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()
    return (time.perf_counter() - start) * 1000, value
