"""CSV import of leads: parse and check every row first (the preview), write the valid ones
in one transaction, hand back the rejects as a CSV with the reason on each row.

Between the preview and the import the file travels in the form itself, signed (Django's
``signing``), so nothing half-imported waits on the server and a tampered copy is refused.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import Q
from django.utils.translation import gettext as _

from crm.models import Customer
from crm.phone import normalize_phone

from .models import Lead

MAX_BYTES = 1_000_000  # about 10,000 rows; a bigger list is split by whoever made it
MAX_ROWS = 5000
REQUIRED = ("name", "phone")
OPTIONAL = ("email", "city", "company", "model_of_interest", "budget", "source", "notes")
COLUMNS = REQUIRED + OPTIONAL
SIGNING_SALT = "sales.lead-import"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ImportRefused(ValueError):
    """The file as a whole cannot be read (too big, not a CSV, wrong columns): nothing is imported."""


@dataclass
class ImportRow:
    number: int  # the line in the file (the header is line 1)
    raw: dict
    fields: dict = field(default_factory=dict)
    errors: list = field(default_factory=list)
    matches: list = field(default_factory=list)  # Match: a customer or open lead with this phone or email

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def importable(self) -> bool:
        """Valid and nobody we already know: imported without asking."""
        return self.ok and not self.matches


@dataclass(frozen=True)
class Match:
    """Someone already in the CRM with a row's phone or email (the duplicate check)."""
    kind: str  # "customer" or "lead"
    public_id: object
    name: str
    branch: str
    branch_id: int

    @property
    def label(self) -> str:
        text = _("customer %(name)s") if self.kind == "customer" else _("open lead %(name)s")
        return (text % {"name": self.name}) + f" ({self.branch})"


def read_upload(upload) -> str:
    if upload.size > MAX_BYTES:
        raise ImportRefused(_("The file is %(size)s MB; at most 1 MB (about 10,000 leads) can be imported at once.")
                            % {"size": round(upload.size / 1_000_000, 1)})
    data = upload.read(MAX_BYTES + 1)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(_("The file is not a text (CSV) file."))


def parse(text: str) -> list[ImportRow]:
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [h for h in header if h and h not in COLUMNS]
    if missing or unknown:
        raise ImportRefused(
            _("The columns must be %(columns)s (name and phone required). Missing: %(missing)s. Unknown: %(unknown)s.")
            % {"columns": ", ".join(COLUMNS), "missing": ", ".join(missing) or "—",
               "unknown": ", ".join(unknown) or "—"})
    reader.fieldnames = header
    rows = []
    for index, raw in enumerate(reader, start=2):
        if index - 1 > MAX_ROWS:
            raise ImportRefused(_("At most %(n)s leads can be imported at once.") % {"n": MAX_ROWS})
        raw = {k: (v or "").strip() for k, v in raw.items() if k}
        if not any(raw.values()):
            continue  # a blank line
        rows.append(check_row(index, raw))
    if not rows:
        raise ImportRefused(_("The file has no leads in it."))
    mark_duplicates(rows)
    return rows


def mark_duplicates(rows: list[ImportRow]) -> None:
    """The duplicate check of the staff form, for a whole file in two queries.

    A phone or email already on an earlier line is an error on the later line (one person,
    one lead). A valid row whose phone or email belongs to a customer or an open lead (any
    branch, as on the form) is set aside with what it matched: it is imported only when the
    user says so."""
    first_line: dict[str, int] = {}
    for row in rows:
        if not row.ok:
            continue
        keys = [k for k in (row.fields["phone"], row.fields["email"]) if k]
        earlier = next((first_line[k] for k in keys if k in first_line), None)
        if earlier is not None:
            row.errors.append(_("The same phone or email as line %(line)s.") % {"line": earlier})
            continue
        for key in keys:
            first_line[key] = row.number
    valid = [r for r in rows if r.ok]
    phones = {r.fields["phone"] for r in valid if r.fields["phone"]}
    emails = {r.fields["email"] for r in valid if r.fields["email"]}
    if not valid:
        return
    found: dict[str, list[Match]] = defaultdict(list)
    customers = (Customer.objects.filter(Q(phone__in=phones) | Q(phone_alt__in=phones) | Q(email__in=emails))
                 .values_list("public_id", "name", "branch__name", "branch_id", "phone", "phone_alt", "email"))
    for public_id, name, branch, branch_id, *keys in customers:
        for key in {k for k in keys if k} & (phones | emails):
            found[key].append(Match("customer", public_id, name, branch, branch_id))
    leads = (Lead.objects.open().filter(Q(phone__in=phones) | Q(email__in=emails))
             .values_list("public_id", "name", "branch__name", "branch_id", "phone", "email"))
    for public_id, name, branch, branch_id, *keys in leads:
        for key in {k for k in keys if k} & (phones | emails):
            found[key].append(Match("lead", public_id, name, branch, branch_id))
    for row in valid:
        matches = found.get(row.fields["phone"], []) + found.get(row.fields["email"], [])
        row.matches = list(dict.fromkeys(matches))[:5]


def check_row(number: int, raw: dict) -> ImportRow:
    row = ImportRow(number=number, raw=raw)
    name = raw.get("name", "")
    if not name:
        row.errors.append(_("The name is missing."))
    elif name.startswith(_FORMULA_START):
        row.errors.append(_("The name starts with a formula character (= + - @)."))
    try:
        phone = normalize_phone(raw.get("phone", ""))
        if not phone:
            row.errors.append(_("The phone number is missing."))
    except ValidationError as exc:
        row.errors.append(exc.messages[0])
        phone = ""
    email = raw.get("email", "").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.errors.append(_("“%(value)s” is not an email address.") % {"value": raw["email"]})
    budget = None
    if raw.get("budget"):
        try:
            budget = Decimal(raw["budget"].replace(".", "").replace(",", "").replace("Rp", "").strip())
            if budget < 0 or budget >= 10**13:
                raise InvalidOperation
        except InvalidOperation:
            row.errors.append(_("The budget “%(value)s” is not an amount in rupiah.") % {"value": raw["budget"]})
            budget = None
    source = raw.get("source", "") or Lead.Source.IMPORT
    if source not in Lead.Source.values:
        row.errors.append(_("Unknown source “%(value)s”.") % {"value": source})
    for name_, limit in (("city", 80), ("company", 200), ("model_of_interest", 120)):
        if len(raw.get(name_, "")) > limit:
            row.errors.append(_("The %(field)s is longer than %(n)s characters.") % {"field": name_, "n": limit})
    if row.ok:
        row.fields = {"name": name[:200], "phone": phone, "email": email, "city": raw.get("city", ""),
                      "company": raw.get("company", ""), "model_of_interest": raw.get("model_of_interest", ""),
                      "budget": budget, "source": source, "notes": raw.get("notes", "")[:2000]}
    return row


def sign(text: str) -> str:
    return signing.dumps(text, salt=SIGNING_SALT, compress=True)


def unsign(token: str) -> str:
    try:
        return signing.loads(token, salt=SIGNING_SALT, max_age=3600)
    except signing.BadSignature:
        raise ImportRefused(_("The preview has expired or was changed. Upload the file again."))


def _safe(text: str) -> str:
    """A cell a spreadsheet would run as a formula is written with a quote in front."""
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def rejects_csv(rows: list[ImportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([*COLUMNS, "line", "errors"])
    for row in rows:
        if not row.importable:
            problems = row.errors or [_("Already known: %(matches)s.")
                                      % {"matches": ", ".join(m.label for m in row.matches)}]
            writer.writerow([_safe(row.raw.get(c, "")) for c in COLUMNS]
                            + [str(row.number), _safe(" ".join(problems))])
    return out.getvalue()
