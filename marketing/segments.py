"""Segments: who a campaign goes to (issue 12). Services and selectors.

A rules segment is a definition ``{"groups": [[{"key": "city", "value": "Bandung"}, ...], ...]}``:
AND inside a group, OR between groups, each condition a criterion of the registry
(crm.registry.segment_criteria: crm's own in crm/segments.py, the other apps' in theirs). It
compiles to ONE Customer queryset, scoped to the segment's branch (none: every branch, head
office only). The live count while editing runs the very query the send will run: the
editor's branch is the segment's branch.

A static segment is a list of customers (an uploaded CSV of phones or emails, or
``segment_static_create`` from another app: a recall from a QC cluster).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _

from accounts.access import get_for_user_or_404
from accounts.models import Branch
from crm.models import Customer
from crm.phone import normalize_phone
from crm.registry import segment_criteria

from .models import Segment, SegmentMember

MAX_GROUPS = 10
MAX_CONDITIONS = 20
SAMPLE_SIZE = 10


def segment_get_for_user(user, segment_id, *, write: bool = False) -> Segment:
    """Another branch's segment is a 404 whatever the role; then 403 without the permission."""
    return get_for_user_or_404(Segment.objects.select_related("branch"), user,
                               write_perm="marketing.change_segment" if write else "marketing.view_segment",
                               public_id=segment_id)


def segments_for_user(user) -> QuerySet:
    return Segment.objects.visible_to(user).select_related("branch").order_by("name", "id")


def criteria_for(user) -> list:
    return segment_criteria.visible_to(user)


def scope_q(branch: Branch | None) -> Q:
    """The customers a segment of ``branch`` may reach (None: head office, every branch)."""
    return Q() if branch is None else Q(branch_id=branch.pk)


def branch_for(user) -> Branch | None:
    """The branch of the segments (and campaigns) ``user`` makes: none for head office."""
    return None if user.sees_all_branches else user.branch


# --- the definition ----------------------------------------------------------------------------
@dataclass
class Compiled:
    """A checked definition: for each group, its (criterion, cleaned value) pairs."""

    groups: list[list[tuple]] = field(default_factory=list)

    def q(self) -> Q:
        if not self.groups:
            return Q(pk__in=[])
        result = Q(pk__in=[])
        for group in self.groups:
            both = Q()
            for criterion, value in group:
                both &= criterion.q(value)
            result |= both
        return result


def definition_compile(definition: dict, user=None) -> Compiled:
    """Check a definition against the registry; errors keyed by "<group>-<row>" (the builder's
    field names), each in the words of the criterion's form field."""
    groups = (definition or {}).get("groups") or []
    if not isinstance(groups, list) or len(groups) > MAX_GROUPS:
        raise ValidationError(_("At most %(n)s groups.") % {"n": MAX_GROUPS})
    allowed = {c.key for c in criteria_for(user)} if user is not None else None
    errors: dict[str, list[str]] = {}
    compiled = Compiled()
    for gi, group in enumerate(groups):
        if not isinstance(group, list) or len(group) > MAX_CONDITIONS:
            raise ValidationError(_("At most %(n)s conditions in a group.") % {"n": MAX_CONDITIONS})
        cleaned_group = []
        for ri, row in enumerate(group):
            name = f"{gi}-{ri}"
            key = row.get("key") if isinstance(row, dict) else None
            criterion = segment_criteria.get(key or "")
            if criterion is None or (allowed is not None and key not in allowed):
                errors[name] = [_("Choose a condition.")]
                continue
            try:
                value = criterion.field().clean(row.get("value"))
            except ValidationError as exc:
                errors[name] = exc.messages
                continue
            if value in (None, ""):
                errors[name] = [_("Enter a value.")]
                continue
            cleaned_group.append((criterion, value))
        if cleaned_group:
            compiled.groups.append(cleaned_group)
    if errors:
        raise ValidationError(errors)
    return compiled


def segment_customers(segment: Segment) -> QuerySet:
    """The segment's customers now, as one queryset (no ordering): what the send gets."""
    scope = scope_q(segment.branch)
    if segment.kind == Segment.Kind.STATIC:
        members = SegmentMember.objects.filter(segment=segment, customer=OuterRef("pk"))
        return Customer.objects.filter(scope, Exists(members))
    return Customer.objects.filter(scope).filter(definition_compile(segment.definition).q())


def definition_preview(definition: dict, *, user, branch: Branch | None) -> dict:
    """The live count and a sample of recipients while editing: two queries, the send's own filter."""
    compiled = definition_compile(definition, user)
    return count_and_sample(Customer.objects.filter(scope_q(branch)).filter(compiled.q()))


def segment_preview(segment: Segment) -> dict:
    return count_and_sample(segment_customers(segment))


LIVE_COUNT_TIMEOUT_MS = 3000
# At least this many matches: the sample walks the customers newest first and stops at the
# tenth match (a few hundred rows). Fewer: that walk may read the whole scope looking for
# them (550 ms for 42 customers of a branch on relasi_bench), so it gets SAMPLE_FAST_MS and,
# if it has not found them by then, the sample is taken from the whole (small) result.
SAMPLE_FAST_MIN = 2000
SAMPLE_FAST_MS = 40


def count_and_sample(customers) -> dict:
    """The exact count and a sample of the newest ``SAMPLE_SIZE``, bounded by a statement
    timeout: a live count while typing must never hold the database for long. Too slow:
    ``{"slow": True}`` (the send still reaches everyone; only the count while editing is
    given up).

    JIT is off for these queries: compiling the plan cost 60-170 ms of each count at a million
    customers (EXPLAIN ANALYZE on relasi_bench), more than the count it was meant to speed up.
    No sample query when nothing matched."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT set_config('statement_timeout', %s, true), set_config('jit', 'off', true)",
                           [str(LIVE_COUNT_TIMEOUT_MS)])
            count = customers.count()
            if not count:
                return {"count": 0, "sample": []}
            newest = customers.select_related("branch").order_by("-id")
            if count >= SAMPLE_FAST_MIN:
                return {"count": count, "sample": list(newest[:SAMPLE_SIZE])}
            try:
                with transaction.atomic():  # a savepoint: its timeout ends with it
                    cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(SAMPLE_FAST_MS)])
                    return {"count": count, "sample": list(newest[:SAMPLE_SIZE])}
            except OperationalError as exc:
                if getattr(exc.__cause__, "pgcode", None) != "57014":
                    raise
            # Without ORDER BY/LIMIT the planner plans for the whole result (in parallel);
            # it has fewer than SAMPLE_FAST_MIN rows.
            ids = sorted(customers.order_by().values_list("id", flat=True), reverse=True)[:SAMPLE_SIZE]
            return {"count": count, "sample": list(Customer.objects.filter(pk__in=ids).select_related("branch")
                                                    .order_by("-id"))}
    except OperationalError as exc:
        if getattr(exc.__cause__, "pgcode", None) != "57014":  # query_canceled
            raise
        return {"slow": True, "sample": []}


# --- writes ------------------------------------------------------------------------------------
def segment_save(*, segment: Segment, definition: dict, by) -> Segment:
    definition_compile(definition, by)  # a bad definition is never saved
    segment.definition = {"groups": definition.get("groups", [])}
    segment.kind = Segment.Kind.RULES
    if segment.pk is None:
        segment.created_by = by
        segment.branch = branch_for(by)
    segment.full_clean(exclude=["definition", "import_report"])
    segment.save()
    return segment


def segment_static_create(*, name: str, customers_qs_or_ids, branch: Branch | None, by,
                          import_report: dict | None = None) -> Segment:
    """A static segment of these customers (a Customer queryset or ids), limited to ``branch``'s
    (None: any branch). One INSERT ... SELECT, whatever the size. Other apps call it too."""
    if isinstance(customers_qs_or_ids, QuerySet):
        ids_qs = customers_qs_or_ids.order_by().values("id")
        ids_sql, params = ids_qs.query.sql_with_params()
        source, source_params = f"SELECT id FROM crm_customer WHERE id IN ({ids_sql})", list(params)
    else:
        ids = [int(x) for x in customers_qs_or_ids]
        source, source_params = "SELECT id FROM crm_customer WHERE id = ANY(%s)", [ids]
    if branch is not None:
        source += " AND branch_id = %s"
        source_params.append(branch.pk)
    with transaction.atomic():
        segment = Segment.objects.create(name=name, kind=Segment.Kind.STATIC, branch=branch, created_by=by,
                                         definition={}, import_report=import_report or {})
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO marketing_segmentmember (segment_id, customer_id) "
                           f"SELECT %s, id FROM ({source}) AS s ON CONFLICT DO NOTHING",
                           [segment.pk, *source_params])
    return segment


# --- static lists from a CSV ------------------------------------------------------------------
MAX_LINES = 500_000
# An Indonesian mobile number written any usual way (0812…, 62812…, +62 812…): its E.164 is
# "+62" and the digits from the 8. Anything else goes through crm.phone.normalize_phone.
_MOBILE = re.compile(r"^(?:\+?62|0)(8\d{7,11})$")
_SEPARATORS = re.compile(r"[\s().-]")
REPORT_SAMPLES = 50


@dataclass
class ListReport:
    lines: int = 0
    customer_ids: list[int] = field(default_factory=list)
    matched_lines: int = 0
    unmatched: list[tuple[int, str]] = field(default_factory=list)  # (line, value): a sample
    unmatched_count: int = 0
    junk: list[tuple[int, str]] = field(default_factory=list)  # (line, why): a sample
    junk_count: int = 0

    def as_json(self) -> dict:
        return {"lines": self.lines, "customers": len(self.customer_ids), "matched_lines": self.matched_lines,
                "unmatched": self.unmatched, "unmatched_count": self.unmatched_count,
                "junk": self.junk, "junk_count": self.junk_count}


def _keys_of(text: str) -> Iterable[tuple[int, str | None, str]]:
    """(line number, key or None, what was read or why not) of each line: a phone in E.164,
    or an email in lower case. The first cell of each line counts; a header line is skipped."""
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cell = (row[0] if row else "").strip()
        if not cell:
            continue
        if number == 1 and cell.lower() in {"phone", "email", "telepon", "hp", "no_hp", "nomor"}:
            continue
        if "@" in cell:
            if cell.count("@") == 1 and "." in cell.split("@")[1] and " " not in cell:
                yield number, "e:" + cell.lower(), cell
            else:
                yield number, None, _("not an email address")
            continue
        fast = _MOBILE.match(_SEPARATORS.sub("", cell))
        if fast:  # the common case, without phonenumbers' full parse (~15x faster on 200,000 lines)
            yield number, "p:+62" + fast[1], cell
            continue
        try:
            yield number, "p:" + normalize_phone(cell), cell
        except ValidationError:
            yield number, None, _("neither a phone number nor an email address")


def static_list_read(data: bytes, *, branch: Branch | None) -> ListReport:
    """Read an uploaded list: phones (any Indonesian way of writing them) or emails, one per line.

    Matches against the customers ``branch`` may reach in two queries (one per kind, each an
    ``= ANY(array)``), never a model per line; junk lines are reported by line number."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    report = ListReport()
    lines_by_key: dict[str, list[int]] = {}
    raw_by_key: dict[str, str] = {}
    for number, key, read in _keys_of(text):
        report.lines = number
        if number > MAX_LINES:
            raise ValidationError(_("The list has more than %(n)s lines.") % {"n": MAX_LINES})
        if key is None:
            report.junk_count += 1
            if len(report.junk) < REPORT_SAMPLES:
                report.junk.append((number, read))
            continue
        lines_by_key.setdefault(key, []).append(number)
        raw_by_key.setdefault(key, read)
    phones = [k[2:] for k in lines_by_key if k.startswith("p:")]
    emails = [k[2:] for k in lines_by_key if k.startswith("e:")]
    found: dict[str, set[int]] = {}
    scope_sql, scope_params = ("", []) if branch is None else (" AND branch_id = %s", [branch.pk])
    with connection.cursor() as cursor:
        if phones:
            cursor.execute(f"SELECT id, phone FROM crm_customer WHERE phone = ANY(%s){scope_sql}",
                           [phones, *scope_params])
            for pk, phone in cursor.fetchall():
                found.setdefault("p:" + phone, set()).add(pk)
        if emails:
            cursor.execute(f"SELECT id, lower(email) FROM crm_customer WHERE lower(email) = ANY(%s){scope_sql}",
                           [emails, *scope_params])
            for pk, email in cursor.fetchall():
                found.setdefault("e:" + email, set()).add(pk)
    ids: set[int] = set()
    for key, numbers in lines_by_key.items():
        if key in found:
            ids |= found[key]
            report.matched_lines += len(numbers)
        else:
            report.unmatched_count += len(numbers)
            if len(report.unmatched) < REPORT_SAMPLES:
                report.unmatched.append((numbers[0], raw_by_key[key]))
    report.unmatched.sort()
    report.customer_ids = sorted(ids)
    return report
