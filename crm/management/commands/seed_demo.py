"""``manage.py seed_demo --customers N``: realistic Indonesian demo data, fast at a million rows.

Each app adds its own demo rows after crm's (``crm.registry.demo_steps``, registered in the
app's ``ready()``): a step gets the branches and staff made here and must be idempotent too.

Idempotent: branches, staff and tags are get-or-create; customers are topped up to N
(running it twice with the same N adds nothing). Everything else (vehicles, contact
persons, tags, contact history) is only made for the customers it creates.

How it stays fast: no ORM save per row. Rows are generated with ``random`` (seeded by
--seed) and sent with PostgreSQL COPY in chunks; while the database ingests one chunk, a
worker process builds the next. The whole load is one transaction with foreign keys
checked per COPY, so a failure (or a kill) leaves nothing behind. For a big load into a
small table the non-unique indexes of the five tables are dropped first and rebuilt at the
end, in that same transaction: if anything fails they come back with the rollback.
"""

from __future__ import annotations

import bisect
import datetime as dt
import io
import math
import os
import random
import re
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import Branch, Department, User
from accounts.roles import DEPARTMENT_GROUP
from accounts.services import staff_create, staff_sync_role
from crm import demo_data as d
from crm.models import Customer, Interaction, Tag
from crm.registry import DemoContext, demo_steps
from crm.services import customer_search_text

PERSON_KINDS = frozenset(str(kind) for kind in Interaction.PERSON_KINDS)  # they move last_contact_at
DEMO_PASSWORD = "relasi-demo-2026"
DEMO_EMAIL_DOMAIN = "relasi.test"
CHUNK = 25_000  # customers per COPY round (about 125,000 interactions)
BIG_LOAD = 100_000  # from this many new customers, rebuilding indexes beats updating them
TABLES = ["crm_customer", "crm_contactperson", "crm_asset", "crm_customer_tags", "crm_interaction"]

COLUMNS = {
    "crm_customer": [
        "id", "public_id", "kind", "name", "phone", "phone_alt", "email", "address", "city", "province",
        "birth_date", "branch_id", "owner_id", "sms_consent", "sms_consent_at", "sms_consent_source",
        "email_consent", "email_consent_at", "email_consent_source", "phone_consent", "phone_consent_at",
        "phone_consent_source", "search_text", "created_at", "updated_at", "last_contact_at",
    ],
    "crm_contactperson": ["public_id", "customer_id", "name", "role", "phone", "email", "created_at", "updated_at"],
    "crm_asset": [
        "public_id", "customer_id", "make", "model", "year", "vin", "plate_number", "purchase_date",
        "warranty_end", "odometer_km", "next_service_due", "created_at", "updated_at",
    ],
    "crm_customer_tags": ["customer_id", "tag_id"],
    "crm_interaction": [
        "public_id", "customer_id", "kind", "channel", "direction", "department", "staff_id", "occurred_at",
        "summary", "created_at", "updated_at", "branch_id",
    ],
}

# Staff plan: the two head-office logins, six roles at jks and sby, a manager and a
# sales rep everywhere else.
FULL_ROLES = [("sales", Department.SALES), ("service", Department.SERVICE), ("marketing", Department.MARKETING),
              ("qc", Department.QUALITY_CONTROL), ("shipment", Department.SHIPMENT),
              ("manager", Department.BRANCH_MANAGEMENT)]
SMALL_ROLES = [("sales", Department.SALES), ("manager", Department.BRANCH_MANAGEMENT)]
FULL_BRANCHES = ("jks", "sby")
SHOWCASE = 20  # the first and the newest 20 customers of every branch are the "nice" ones
STAFF_PHONE_KEYS = 64_999_999  # staff numbers come from the top of the customer key range

TZ_OFFSETS = {"Asia/Jakarta": "+07", "Asia/Makassar": "+08", "Asia/Jayapura": "+09"}
HISTORY_DAYS = 730  # contact history: the last two years
CUSTOMER_DAYS = 1095  # customers: created over the last three years
# Mean of min(age, HISTORY_DAYS) for ages spread evenly over CUSTOMER_DAYS.
MEAN_HISTORY_DAYS = (HISTORY_DAYS**2 / 2 + HISTORY_DAYS * (CUSTOMER_DAYS - HISTORY_DAYS)) / CUSTOMER_DAYS
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
VIN_VALUES = {**{str(i): i for i in range(10)}, **dict(zip("ABCDEFGH", range(1, 9))),
              **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9, **dict(zip("STUVWXYZ", range(2, 10)))}
VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
VIN_YEAR = dict(zip(range(2010, 2031), "ABCDEFGHJKLMNPRSTVWXY"))
PLATE_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
UUID_MASK = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
UUID_V4 = (0x8000 << 48) | (4 << 76)


# --- unique-by-construction identifiers ------------------------------------------------
# An affine map x -> (a*x + c) mod m with gcd(a, m) == 1 is a bijection on [0, m): the
# numbers look random but two different keys never give the same value.

def _scramble(x: int, digits: int) -> int:
    m = 10**digits
    return (x * 7_368_787 + 1_234_567 * digits) % m


def mobile_number(key: int) -> str:
    """A valid Indonesian mobile number (+62 8xx, 10 to 12 digits after +62), unique per key.

    Keys are ``4 * customer id + slot`` (slot 0: the customer's phone, 1: other phone,
    2-3: contact persons). The length depends on the key; within a length, an affine
    bijection of [0, prefixes * 10**digits) gives the prefix and the subscriber part, so
    numbers never repeat while keys stay below 26 * 10**7 (customer ids below 65 million).
    """
    n = len(d.MOBILE_PREFIXES)
    h = (key * 2_654_435_761 >> 8) % 20
    digits = 7 if h == 0 else (9 if h < 7 else 8)  # 5% 10-digit, 30% 12-digit, 65% 11-digit numbers
    y = (key * _MOBILE_A + 982_451_653) % (n * 10**digits)
    return f"+62{d.MOBILE_PREFIXES[y % n]}{y // n:0{digits}d}"


_MOBILE_A = 7_368_787
assert all(math.gcd(_MOBILE_A, len(d.MOBILE_PREFIXES) * 10**k) == 1 for k in (7, 8, 9))


def office_number(key: int, city: str) -> str:
    """A landline of the customer's city (+62 21 ..., +62 361 ...), unique per key below 7 million."""
    area = d.AREA_CODES[city]
    digits = 8 if area == "21" else 7
    return f"+62{area}{2 + key % 7}{_scramble(key // 7, digits - 1):0{digits - 1}d}"


def vin_number(make: str, model: str, year: int, key: int) -> str:
    """A 17-character VIN with a valid check digit; positions 11-17 encode ``key``
    (``2 * customer id + vehicle``), so VINs are unique for customer ids below 16.5 million."""
    vds = _VDS[(make, model)]
    y = (key * _VIN_A + 424_242) % _VIN_SPACE  # a bijection: unique for keys below 33 million
    serial = f"{VIN_CHARS[y // 1_000_000]}{y % 1_000_000:06d}"
    body = d.VIN_WMI[make] + vds + "0" + VIN_YEAR[year] + serial
    total = sum(VIN_VALUES[c] * w for c, w in zip(body, VIN_WEIGHTS))
    check = total % 11
    return body[:8] + ("X" if check == 10 else str(check)) + body[9:]


def _vds(make: str, model: str) -> str:
    letters = re.sub(r"[^A-Z0-9]", "", (model + make).upper().replace("I", "1").replace("O", "0").replace("Q", "9"))
    return (letters + "X" * 5)[:5]


_VDS = {(v[0], v[1]): _vds(v[0], v[1]) for v in d.VEHICLES}
_VIN_A, _VIN_SPACE = 7_368_787, len(VIN_CHARS) * 1_000_000
assert math.gcd(_VIN_A, _VIN_SPACE) == 1
_PLATE_SPACE = 9999 * len(PLATE_LETTERS) ** 2


def plate_number(prefix: str, first_letters: str, key: int) -> str:
    """``B 1234 SJK``: region prefix, 1-4 digits, 2-3 letters.

    Unique per key (``2 * customer id + vehicle``) below 5.29 million, i.e. for the first
    2.6 million customers; after that a plate may repeat (nothing requires them unique).
    """
    x = (key * 1_000_003 + 7_777) % _PLATE_SPACE
    number, x = x % 9999 + 1, x // 9999
    pair = PLATE_LETTERS[x % 23] + PLATE_LETTERS[x // 23]
    if first_letters:
        suffix = first_letters[key % len(first_letters)] + pair
    else:
        suffix = pair if key % 3 == 0 else PLATE_LETTERS[(key // 3) % 23] + pair
    return f"{prefix} {number} {suffix}"


def _rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


def _juta(amount: int) -> str:
    """Rp 39,75 juta: a round amount as an Indonesian note writes it."""
    return "Rp " + f"{amount / 1_000_000:.2f}".rstrip("0").rstrip(".").replace(".", ",") + " juta"


def _ascii_lower(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


# --- row generation (runs in a worker process; no database access here) ---------------

class ChunkBuilder:
    """Builds the COPY text of one chunk of customers and everything that hangs off them."""

    def __init__(self, *, branches: list[dict], tags: dict[str, int], today: dt.date, seed: int,
                 per_customer: int, total: int):
        self.branches = branches
        self.branch_cum = list(_cumulative(b["weight"] for b in branches))
        self.tags = tags
        self.seed = seed
        self.per_customer = per_customer
        self.total = total  # customers in this whole load (for the showcase rows and dates)
        self.today = today.toordinal()
        self.base = dt.date(1950, 1, 1).toordinal()  # birth dates too
        days = range(self.base, self.today + 6 * 366)
        self.iso = [dt.date.fromordinal(o).isoformat() for o in days]
        self.human = [f"{x.day} {d.MONTHS[x.month - 1]} {x.year}" for x in map(dt.date.fromordinal, days)]
        self.hms = [f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)]
        self.vehicles = d.VEHICLES
        self.vehicle_cum_person = list(_cumulative(v[4] for v in d.VEHICLES))
        self.vehicle_cum_company = list(_cumulative(v[4] * (4 if v[7] else 1) for v in d.VEHICLES))
        self.prospect = _prepare_templates(d.PROSPECT_TEMPLATES)
        self.owner = _prepare_templates(d.OWNER_TEMPLATES)
        self.purchase = {name: tuple(t) + (_fields_of(t[4]),) for name, t in d.PURCHASE_TEMPLATES.items()}
        self.this_year = today.year

    # -- helpers -------------------------------------------------------------------------
    def ts(self, ordinal: int, seconds: int, offset: str) -> str:
        return f"{self.iso[ordinal - self.base]} {self.hms[seconds]}{offset}"

    def uuid(self) -> str:
        return "%032x" % (self._uuid_rng.getrandbits(128) & UUID_MASK | UUID_V4)

    def build(self, first_id: int, count: int, position: int) -> dict:
        """Rows for customers ``first_id .. first_id + count - 1``; ``position`` is the
        index of the first one in this load (0-based)."""
        rng = random.Random(f"{self.seed}:{first_id}")
        self._uuid_rng = random.Random(os.urandom(32))  # uuids must differ between runs
        out = {table: [] for table in TABLES}
        for i in range(count):
            self._customer(rng, first_id + i, position + i, out)
        counts = {table: len(rows) for table, rows in out.items()}
        return {"data": {t: "".join(rows).encode() for t, rows in out.items()}, "counts": counts}

    def _customer(self, rng: random.Random, cid: int, pos: int, out: dict) -> None:
        r = rng.random
        nb = len(self.branches)
        showcase = pos < SHOWCASE * nb or pos >= self.total - SHOWCASE * nb
        if showcase:  # each branch gets its twenty
            branch = self.branches[pos % nb]
        else:
            branch = self.branches[bisect.bisect(self.branch_cum, r() * self.branch_cum[-1])]
        off = branch["offset"]
        city, province, plate_prefix, plate_letters, _w, districts, streets = branch["cities"][
            bisect.bisect(branch["city_cum"], r() * branch["city_cum"][-1])]

        # When: created over the last three years, in id order within a load (so "newest
        # first" by id is also newest by date), during office hours, local time.
        span = CUSTOMER_DAYS - 1
        created_day = self.today - CUSTOMER_DAYS + 1 + min(span - 1, int((pos + r()) * span / self.total))
        if showcase and pos >= SHOWCASE * nb:
            # The list's first page shows these: established customers with a history.
            created_day = self.today - rng.randint(400, CUSTOMER_DAYS - 30)
        created_sec = 8 * 3600 + int(r() * 11 * 3600)
        created = self.ts(created_day, created_sec, off)

        if showcase:  # three companies among each branch's twenty
            rank = pos // nb if pos < SHOWCASE * nb else (self.total - 1 - pos) // nb
            company = rank % 7 == 3
        else:
            company = r() < 0.10
        if company:
            words = f"{rng.choice(d.COMPANY_WORDS_1)} {rng.choice(d.COMPANY_WORDS_2)}"
            trade = rng.choice(d.COMPANY_TRADES)
            name = f"{'PT' if r() < 0.7 else 'CV'} {words}{' ' + trade if trade else ''}"
            contact_role = rng.choice(d.COMPANY_CONTACT_ROLES)
            who = f"{d.COMPANY_CONTACT_TEAMS[contact_role]} {name}"
        else:
            first, last, gender = self._person_name(rng, branch["name_style"])
            if last:
                name = f"{first} {last}"
            else:
                name = first
            given = first.split()[-1] if first.startswith(("I ", "Ni ")) else first.split()[0]
            who = f"{'Pak' if gender == 'm' else 'Bu'} {given}"

        phone = mobile_number(4 * cid)
        if company:
            phone_alt = office_number(cid, city) if r() < 0.8 else ""
        else:
            phone_alt = mobile_number(4 * cid + 1) if (r() < 0.12 or (showcase and pos % 4 == 0)) else ""

        email = ""
        if company:
            if showcase or r() < 0.8:
                slug = _ascii_lower(words)
                email = f"{contact_role}.{slug}{cid}@{rng.choice(d.COMPANY_EMAIL_DOMAINS)}"
        elif showcase or r() < 0.7:
            parts = [_ascii_lower(p) for p in name.split() if p not in ("I", "Ni")]
            pattern = r()
            if pattern < 0.45 or len(parts) == 1:
                local = ".".join(parts[-2:])
            elif pattern < 0.75:
                local = "".join(parts[-2:])
            else:
                local = f"{parts[0][0]}.{parts[-1]}"
            email = f"{local}{cid}@{rng.choice(d.EMAIL_DOMAINS)}"

        rt = f", RT {rng.randint(1, 12):03d}/RW {rng.randint(1, 9):03d}" if r() < 0.5 else ""
        address = f"Jl. {rng.choice(streets)} No. {rng.randint(1, 250)}{rt}, Kec. {rng.choice(districts)}"
        birth = "\\N"
        if not company:
            year = int(rng.triangular(1956, 2004, 1983))
            birth = self.iso[dt.date(year, 1, 1).toordinal() + rng.randrange(365) - self.base]

        owner = branch["sales"] if branch["sales"] and (showcase or r() < (0.95 if company else 0.85)) else None

        # Consent per channel (UU PDP): given at sign-up or a little later; never without
        # the means to use it (no email consent without an email).
        consents = []
        updated_day, updated_sec = created_day, created_sec
        for share, possible in ((0.80, True), (0.857, bool(email)), (0.50, True)):
            if possible and (r() < share or (showcase and share > 0.6)):
                day = created_day if r() < 0.7 else rng.randint(created_day, self.today - 1)
                sec = created_sec if day == created_day else 8 * 3600 + int(r() * 11 * 3600)
                if (day, sec) > (updated_day, updated_sec):
                    updated_day, updated_sec = day, sec
                consents.append(f"t\t{self.ts(day, sec, off)}\tseed")
            else:
                consents.append("f\t\\N\t")

        # Vehicles, newest purchase first (the order crm.services lists plates in).
        if company:
            n_vehicles = 1 + (r() < 0.6) if showcase else (0 if r() < 0.1 else 1 + (r() < 0.6))
        else:
            x = r()
            n_vehicles = (1 + (x < 0.4)) if showcase else (0 if x < 0.25 else (2 if x > 0.75 else 1))
        vehicles = [self._vehicle(rng, cid, slot, company, plate_prefix, plate_letters)
                    for slot in range(n_vehicles)]
        vehicles.sort(key=lambda v: -v["bought"])
        for v in vehicles:
            v_created_day = max(created_day, v["bought"])
            v_created = self.ts(v_created_day, created_sec, off)
            out["crm_asset"].append(
                f"{self.uuid()}\t{cid}\t{v['make']}\t{v['model']}\t{v['year']}\t{v['vin']}\t{v['plate']}\t"
                f"{self.iso[v['bought'] - self.base]}\t{v['warranty_end']}\t{v['odometer']}\t"
                f"{self.iso[v['next_service'] - self.base]}\t{v_created}\t{v_created}\n")

        search = customer_search_text(name=name, email=email, phones=[phone, phone_alt],
                                      plates=[v["plate"] for v in vehicles])
        updated = self.ts(updated_day, updated_sec, off)
        # The row is finished once its history is known (last_contact_at); keep its place.
        customer_slot = len(out["crm_customer"])
        customer_head = (
            f"{cid}\t{self.uuid()}\t{'company' if company else 'person'}\t{name}\t{phone}\t{phone_alt}\t{email}\t"
            f"{address}\t{city}\t{province}\t{birth}\t{branch['id']}\t{owner if owner else chr(92) + 'N'}\t"
            f"{consents[0]}\t{consents[1]}\t{consents[2]}\t{search}\t{created}\t{updated}\t")
        out["crm_customer"].append(customer_head + "\\N\n")

        if company:
            for slot in range(1 + (r() < 0.4)):
                cf, cl, _g = self._person_name(rng, branch["name_style"])
                person = f"{cf} {cl}".strip()
                role = rng.choice(d.CONTACT_PERSON_ROLES)
                cp_email = ""
                if r() < 0.7:
                    local = f"{_ascii_lower(cf.split()[-1])}.{_ascii_lower(cl or 'kontak')}{cid}{slot}"
                    cp_email = f"{local}@{rng.choice(d.EMAIL_DOMAINS)}"
                out["crm_contactperson"].append(
                    f"{self.uuid()}\t{cid}\t{person}\t{role}\t{mobile_number(4 * cid + 2 + slot)}\t{cp_email}\t"
                    f"{created}\t{created}\n")

        # Tags for about one customer in five, chosen by what the record looks like.
        tags = []
        if company:
            if r() < 0.6 or showcase:
                tags.append("Korporat")
            if n_vehicles == 2 and r() < 0.5:
                tags.append("Armada")
        elif n_vehicles == 0:
            if r() < (0.6 if showcase else 0.3):
                tags.append("Prospek")
        elif r() < (0.5 if showcase else (0.25 if n_vehicles == 2 else 0.04)):
            tags.append("Pelanggan Setia" if r() < 0.6 else "VIP")
            if showcase and r() < 0.3:
                tags.append("VIP" if tags[0] == "Pelanggan Setia" else "Pelanggan Setia")
        for tag in tags:
            out["crm_customer_tags"].append(f"{cid}\t{self.tags[tag]}\n")

        # Contact history: K per customer on average, more for long-standing customers
        # (0.4 K for one created yesterday, 1.3 K from two years on).
        k = self.per_customer
        if k:
            tenure = min(self.today - created_day, HISTORY_DAYS)
            k = int(k * (0.4 + 0.6 * tenure / MEAN_HISTORY_DAYS) + r())
            if showcase:
                k = max(k, 6)
        if k <= 0:
            return
        ctx = {
            "who": who, "branch": branch["name"], "district": rng.choice(districts),
            "has_email": bool(email), "sms": consents[0][0] == "t", "email_consent": consents[1][0] == "t",
        }
        interest = self.vehicles[bisect.bisect(self.vehicle_cum_person, r() * self.vehicle_cum_person[-1])]
        start = max(created_day, self.today - HISTORY_DAYS)
        events = []  # (day, seconds, template tuple, vehicle or None)
        for v in vehicles:
            # A purchase inside the history window comes with its own story.
            if v["bought"] >= start + 20 and k - len(events) >= 2:
                order_day = v["bought"] - rng.randint(7, 20)
                events.append((order_day, self._sec(r), self.purchase["order"], v))
                if k - len(events) >= 4:
                    events.append((v["bought"] - 5, self._sec(r), self.purchase["allocation"], v))
                    events.append((v["bought"] - 1, self._sec(r), self.purchase["pdi"], v))
                events.append((v["bought"], self._sec(r), self.purchase["delivery"], v))
        while len(events) < k:
            day = rng.randint(start, self.today - 1)
            v = rng.choice(vehicles) if vehicles else None
            if v is not None and day >= v["bought"] + 7 and r() < 0.8:
                template = self._pick(rng, self.owner, ctx)
            elif v is not None and day >= v["bought"] + 7:
                template, v = self._pick(rng, self.prospect, ctx), None  # shopping for the next car
            else:
                template = self._pick(rng, self.prospect, ctx)
            events.append((day, self._sec(r), template, v))
        staff = branch["staff"]
        last_touch, last_at = (-1, -1), None
        for day, sec, (kind, channel, direction, dept, text, fields), v in events:
            if day == created_day and sec <= created_sec:
                sec = min(created_sec + 600 + int(r() * 3600), 86399)
            values = self._fields(rng, fields, ctx, v, interest, day, branch, company)
            summary = text.format_map(values) if fields else text
            summary = summary[0].upper() + summary[1:]  # "{who} asked..." with a company
            if dept == Department.SALES:
                staff_id = owner or staff.get(dept)
            elif kind == "campaign_message" or dept == Department.HEAD_OFFICE:
                staff_id = None  # sent by the system
            else:
                staff_id = staff.get(dept)
            at = self.ts(day, sec, off)
            if kind in PERSON_KINDS and channel != "system" and (day, sec) > last_touch:
                last_touch, last_at = (day, sec), at
            out["crm_interaction"].append(
                f"{self.uuid()}\t{cid}\t{kind}\t{channel}\t{direction}\t{dept}\t"
                f"{staff_id if staff_id else chr(92) + 'N'}\t{at}\t{summary}\t{at}\t{at}\t{branch['id']}\n")
        if last_at is not None:
            out["crm_customer"][customer_slot] = f"{customer_head}{last_at}\n"

    @staticmethod
    def _sec(r) -> int:
        return 8 * 3600 + int(r() * 11.5 * 3600)

    @staticmethod
    def _pick(rng, prepared, ctx):
        cum, templates = prepared
        for _ in range(4):
            t = templates[bisect.bisect(cum, rng.random() * cum[-1])]
            need = t[6]
            if (not need or (need == "sms" and ctx["sms"]) or (need == "email" and ctx["has_email"])
                    or (need == "email_consent" and ctx["email_consent"])):
                return t[1:6] + (t[7],)
        t = templates[0]
        return t[1:6] + (t[7],)

    def _fields(self, rng, fields, ctx, v, interest, day, branch, company) -> dict:
        values = {"who": ctx["who"], "branch": ctx["branch"], "district": ctx["district"]}
        if not fields:
            return values
        model_row = v["row"] if v else interest
        values["model"] = f"{model_row[0]} {model_row[1]}"
        year = dt.date.fromordinal(day).year
        for f in fields:
            if f in values:
                continue
            if f == "model2":
                other = rng.choice(self.vehicles)
                values[f] = f"{other[0]} {other[1]}" if other is not model_row else "Toyota Veloz"
            elif f == "plate":
                values[f] = v["plate"] if v else ""
            elif f == "vin":
                values[f] = v["vin"] if v else ""
            elif f == "price":
                values[f] = _rupiah(model_row[5] * 1_000_000 + rng.randrange(-8, 9) * 500_000)
            elif f == "dp":
                values[f] = _juta(model_row[5] * rng.choice((15, 20, 25, 30)) * 10_000)
            elif f == "finance":
                values[f] = rng.choice(d.FINANCE_COMPANIES)
            elif f == "tenor":
                values[f] = rng.choice(d.TENORS)
            elif f == "quote":
                values[f] = f"Q/{branch['code'].upper()}/{year}/{rng.randrange(1, 10000):05d}"
            elif f == "ticket":
                values[f] = f"CMP-{year}-{rng.randrange(1, 100000):05d}"
            elif f == "date":
                values[f] = self.human[day + rng.randint(1, 6) - self.base]
            elif f == "due":
                values[f] = self.human[day + rng.randint(5, 14) - self.base]
            elif f == "km":
                km = (day - v["bought"]) * v["kmpd"] if v else 0
                km = max(10_000, (km // 10_000 + 1) * 10_000) if km >= 1_000 else 1_000
                values[f] = f"{km:,}".replace(",", ".")  # 40.000
            elif f == "amount":
                values[f] = _rupiah(rng.randrange(90, 700) * 5_000)
            elif f == "campaign":
                pool = d.CAMPAIGNS_OWNER if v and day >= v["bought"] else d.CAMPAIGNS_PROSPECT
                values[f] = rng.choice(pool).format(make=model_row[0], year=year)
            elif f == "insurer":
                values[f] = rng.choice(d.INSURERS)
            elif f == "competitor":
                c = rng.choice(d.COMPETITORS)
                values[f] = c if c != values["model"] else "Honda BR-V"
            elif f == "tradein":
                age = max(0, year - v["year"]) if v else 3
                values[f] = _juta(int(model_row[5] * max(0.3, 0.85 - 0.07 * age)) * 1_000_000)
        return values

    @staticmethod
    def _person_name(rng, style) -> tuple[str, str, str]:
        pool, share = style
        gender = "m" if rng.random() < 0.5 else "f"
        if pool and rng.random() < share:
            if pool == "bali":
                order = rng.choice(d.BALINESE_BIRTH_ORDER)
                if gender == "m":
                    return f"I {order}", rng.choice(d.BALINESE_MALE), gender
                return f"Ni {'Luh ' if rng.random() < 0.3 else ''}{order}", rng.choice(d.BALINESE_FEMALE), gender
            first_m, first_f, last = {
                "sunda": (d.SUNDANESE_MALE, d.SUNDANESE_FEMALE, d.SUNDANESE_LAST),
                "jawa": (d.JAVANESE_MALE, d.JAVANESE_FEMALE, d.LAST_NAMES),
                "bugis": (d.BUGIS_MALE, d.BUGIS_FEMALE, d.BUGIS_LAST),
                "papua": (d.PAPUAN_MALE, d.PAPUAN_FEMALE, d.PAPUAN_LAST),
            }[pool]
            first = rng.choice(first_m if gender == "m" else first_f)
            if pool == "jawa" and rng.random() < 0.3:
                return first, "", gender  # many Javanese go by one name
            return first, rng.choice(last), gender
        first = rng.choice(d.MALE_FIRST_NAMES if gender == "m" else d.FEMALE_FIRST_NAMES)
        return first, rng.choice(d.LAST_NAMES), gender

    def _vehicle(self, rng, cid, slot, company, plate_prefix, plate_letters) -> dict:
        cum = self.vehicle_cum_company if company else self.vehicle_cum_person
        row = self.vehicles[bisect.bisect(cum, rng.random() * cum[-1])]
        make, model, first_year, last_year, _w, _price, kmpd, _fleet = row
        last = min(last_year or self.this_year, self.this_year)
        year = rng.randint(max(first_year, 2012), last)
        jan1 = dt.date(year, 1, 1).toordinal()
        bought = jan1 + rng.randrange(365)
        if bought >= self.today:
            bought = self.today - 1 - rng.randrange(30)
        bought_date = dt.date.fromordinal(bought)
        try:
            warranty_end = bought_date.replace(year=bought_date.year + 3)
        except ValueError:  # 29 February
            warranty_end = bought_date.replace(year=bought_date.year + 3, day=28)
        daily = kmpd * (0.45 + rng.random() * 0.5)  # 6,000 to 17,000 km a year for a family car
        age = self.today - bought
        # Next service: every six months from purchase; one in five is overdue.
        due = bought + 182 * (age // 182 + 1)
        if rng.random() < 0.2 and due - 182 > bought:
            due -= 182
        key = 2 * cid + slot
        return {
            "row": row, "make": make, "model": model, "year": year, "bought": bought,
            "warranty_end": warranty_end.isoformat(), "odometer": int(age * daily), "kmpd": int(daily),
            "next_service": due, "vin": vin_number(make, model, year, key),
            "plate": plate_number(plate_prefix, plate_letters, key),
        }


def _cumulative(weights):
    total = 0
    for w in weights:
        total += w
        yield total


def _prepare_templates(templates):
    """(cumulative weights, [(weight, kind, channel, direction, dept, text, needs, fields)])."""
    prepared = []
    for t in templates:
        prepared.append(tuple(t) + (_fields_of(t[5]),))
    return list(_cumulative(t[0] for t in templates)), prepared


def _fields_of(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(re.findall(r"{(\w+)}", text)))


_BUILDER: ChunkBuilder | None = None  # set before the worker pool forks


def _build(args):
    return _BUILDER.build(*args)


def _worker_init(db_fd: int | None) -> None:
    """A forked worker keeps no handle on the database session and dies with its parent,
    so a killed load ends the session (and rolls the transaction back) at once."""
    if db_fd is not None:
        try:
            os.close(db_fd)  # only this process's copy of the socket; nothing is sent
        except OSError:
            pass
    try:
        import ctypes
        import signal

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG (Linux)
    except (AttributeError, OSError):
        pass


# --- the command -----------------------------------------------------------------------

def _count(n: int) -> str:
    """1.000.000 in Indonesian, 1,000,000 in English (the command speaks LANGUAGE_CODE)."""
    return number_format(n, force_grouping=True)


def _seconds(started: float) -> str:
    return number_format(time.monotonic() - started, 1)


class Command(BaseCommand):
    help = "Create demo branches, staff, tags, customers, vehicles and contact history (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000,
                            help="Total customers wanted: tops the table up to N (default 2000).")
        parser.add_argument("--interactions-per-customer", type=int, default=5)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--indexes", choices=["auto", "keep", "rebuild"], default="auto",
                            help="Drop and rebuild the non-unique indexes around the load "
                                 f"(auto: for loads of {BIG_LOAD:,}+ customers that at least double the table).")
        parser.add_argument("--workers", type=int, default=None,
                            help="Processes that build rows while the database loads (default: CPUs - 1).")

    def handle(self, *args, customers, interactions_per_customer, seed, indexes, workers, verbosity=1, **opts):
        if customers < 0 or interactions_per_customer < 0:
            raise CommandError(_("--customers and --interactions-per-customer must not be negative."))
        started = time.monotonic()
        self.verbosity = verbosity
        branches = self._branches()
        staff = self._staff(branches)
        tags = self._tags()
        stats = {table: 0 for table in TABLES}
        with transaction.atomic(), connection.cursor() as cursor:
            # One writer at a time; readers are not blocked (unless indexes are rebuilt).
            cursor.execute("LOCK TABLE crm_customer IN SHARE ROW EXCLUSIVE MODE")
            existing = Customer.objects.count()
            to_make = max(0, customers - existing)
            if to_make:
                stats = self._load(cursor, to_make, existing, branches, staff, tags, seed,
                                   interactions_per_customer, indexes, workers)
        if to_make:
            analyze_started = time.monotonic()
            with connection.cursor() as cursor:
                for table in TABLES:
                    cursor.execute(f"ANALYZE {table}")
            if verbosity > 1 or (verbosity and to_make >= BIG_LOAD):
                self.stdout.write(_("  ANALYZE in %(seconds)s s") % {"seconds": _seconds(analyze_started)})
        elapsed = time.monotonic() - started
        if verbosity:
            self.stdout.write(_(
                "seed_demo: %(branches)s branches, %(staff)s demo staff, %(tags)s tags; customers %(customers)s "
                "(%(new)s new), %(vehicles)s vehicles, %(interactions)s interactions, %(contacts)s contact persons, "
                "%(links)s tag links created in %(seconds)s s"
            ) % {"branches": len(branches), "staff": len(staff), "tags": len(tags),
                 "customers": _count(existing + to_make), "new": _count(to_make),
                 "vehicles": _count(stats["crm_asset"]), "interactions": _count(stats["crm_interaction"]),
                 "contacts": _count(stats["crm_contactperson"]), "links": _count(stats["crm_customer_tags"]),
                 "seconds": number_format(elapsed, 1)})
        # Then each app's own demo data (crm.registry.demo_steps, registered in their ready()).
        codes = {branch.pk: code for code, branch in branches.items()}
        context = DemoContext(
            customers=existing + to_make, branches=list(branches.values()),
            staff={(codes[u.branch_id], u.department): u for u in staff if u.branch_id in codes}, seed=seed,
            stdout=self.stdout if verbosity else None, style=self.style,
        )
        for step in demo_steps:
            step_started = time.monotonic()
            step.run(context)
            if verbosity > 1:
                self.stdout.write(_("  demo step %(step)s in %(seconds)s s")
                                  % {"step": step.key, "seconds": _seconds(step_started)})

    # --- reference data ----------------------------------------------------------------
    def _branches(self) -> dict[str, Branch]:
        out = {}
        for code, (name, city, address, tz, head_office) in d.BRANCHES.items():
            out[code], _ = Branch.objects.get_or_create(
                code=code,
                defaults={"name": name, "city": city, "address": address, "time_zone": tz,
                          "is_head_office": head_office},
            )
        return out

    def _staff(self, branches) -> list[User]:
        plan = [("admin", "pusat", Department.HEAD_OFFICE), ("pusat", "pusat", Department.HEAD_OFFICE)]
        for code in branches:
            if code != "pusat":
                plan += [(f"{role}.{code}", code, dept) for role, dept in
                         (FULL_ROLES if code in FULL_BRANCHES else SMALL_ROLES)]
        users = []
        password_hash = None  # hashed once: hashing 22 times would take 5 seconds
        for i, (login, code, dept) in enumerate(plan):
            email = f"{login}@{DEMO_EMAIL_DOMAIN}"
            user = User.objects.filter(email=email).first()
            if user is None:
                rng = random.Random(f"staff:{email}")
                style = d.BRANCH_NAME_STYLE.get(code, (None, 0.0))
                first, last, _g = ChunkBuilder._person_name(rng, (style[0], 0.5 if style[0] else 0.0))
                password_hash = password_hash or make_password(DEMO_PASSWORD)
                user = staff_create(
                    email=email, password=None, branch=branches[code], department=dept,
                    first_name=first, last_name=last or rng.choice(d.LAST_NAMES),
                    phone=mobile_number(4 * (STAFF_PHONE_KEYS - i) + 3),
                    is_superuser=login == "admin", is_staff=code == "pusat",
                )
                user.password = password_hash
                user.save(update_fields=["password"])
            elif not user.groups.filter(name=DEPARTMENT_GROUP.get(user.department, "")).exists():
                staff_sync_role(user=user)
            users.append(user)
        return users

    def _tags(self) -> dict[str, int]:
        return {name: Tag.objects.get_or_create(name=name)[0].pk for name in d.TAGS}

    # --- the bulk load -----------------------------------------------------------------
    def _load(self, cursor, count, existing, branches, staff, tags, seed, per_customer, index_mode, workers):
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # FK checks per COPY, not 7M at commit
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Ids: reserve count ids from the sequence (and above any explicit id), so every
        # row can be built before it is sent and nothing needs reading back.
        cursor.execute("SELECT pg_get_serial_sequence('crm_customer', 'id')")
        sequence = cursor.fetchone()[0]
        cursor.execute("SELECT GREATEST(nextval(%s), (SELECT COALESCE(MAX(id), 0) + 1 FROM crm_customer))",
                       [sequence])
        first_id = cursor.fetchone()[0]
        cursor.execute("SELECT setval(%s, %s)", [sequence, first_id + count - 1])

        rebuild = index_mode == "rebuild" or (index_mode == "auto" and count >= BIG_LOAD and count >= existing)
        dropped = self._drop_indexes(cursor) if rebuild else []

        global _BUILDER
        branch_rows = []
        staff_by_branch = {}
        for user in staff:
            staff_by_branch.setdefault(user.branch_id, {}).setdefault(user.department, user.pk)
        for code, weight in d.BRANCH_WEIGHTS.items():
            branch = branches[code]
            cities = d.CITIES[code]
            branch_staff = staff_by_branch.get(branch.pk, {})
            branch_rows.append({
                "id": branch.pk, "code": code, "name": branch.name, "weight": weight,
                "offset": TZ_OFFSETS.get(branch.time_zone, "+07"), "cities": cities,
                "city_cum": list(_cumulative(c[4] for c in cities)), "name_style": d.BRANCH_NAME_STYLE[code],
                "staff": branch_staff, "sales": branch_staff.get(Department.SALES),
            })
        _BUILDER = ChunkBuilder(branches=branch_rows, tags=tags, today=timezone.localdate(), seed=seed,
                                per_customer=per_customer, total=count)
        specs = [(first_id + start, min(CHUNK, count - start), start) for start in range(0, count, CHUNK)]
        stats = {table: 0 for table in TABLES}
        load_started = time.monotonic()
        workers = workers if workers is not None else max(1, (os.cpu_count() or 2) - 1)
        if len(specs) == 1 or workers == 0:
            for spec in specs:
                self._copy(cursor, _build(spec), stats, count, load_started)
        else:
            # Build ahead in worker processes (fork: they inherit the builder, and never
            # touch the database connection) while this process feeds COPY.
            db_fd = connection.connection.fileno() if hasattr(connection.connection, "fileno") else None
            with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("fork"),
                                     initializer=_worker_init, initargs=(db_fd,)) as pool:
                pending = deque()
                for spec in specs:
                    pending.append(pool.submit(_build, spec))
                    if len(pending) > workers:
                        self._copy(cursor, pending.popleft().result(), stats, count, load_started)
                while pending:
                    self._copy(cursor, pending.popleft().result(), stats, count, load_started)
        if dropped:
            index_started = time.monotonic()
            for sql in dropped:
                cursor.execute(sql)
            if self.verbosity:
                self.stdout.write(_("  rebuilt %(count)s indexes in %(seconds)s s")
                                  % {"count": len(dropped), "seconds": _seconds(index_started)})
        return stats

    def _copy(self, cursor, chunk, stats, count, started):
        for table in TABLES:
            data = chunk["data"][table]
            if not data:
                continue
            cursor.cursor.copy_expert(
                f"COPY {table} ({', '.join(COLUMNS[table])}) FROM STDIN", io.BytesIO(data), size=1 << 20)
            stats[table] += chunk["counts"][table]
        done = stats["crm_customer"]
        if self.verbosity > 1 or (self.verbosity and count >= BIG_LOAD):
            rate = done / max(0.001, time.monotonic() - started)
            self.stdout.write(_("  %(done)s/%(count)s customers, %(interactions)s interactions (%(rate)s customers/s)")
                              % {"done": _count(done), "count": _count(count),
                                 "interactions": _count(stats["crm_interaction"]), "rate": _count(round(rate))})

    def _drop_indexes(self, cursor) -> list[str]:
        """Drop the non-unique indexes of the load's tables; return the SQL to recreate them."""
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_class t ON t.oid = i.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace
            WHERE n.nspname = current_schema() AND t.relname = ANY(%s)
              AND NOT i.indisunique AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY t.relname, c.relname
            """,
            [TABLES],
        )
        rows = cursor.fetchall()
        for name, _sql in rows:
            cursor.execute(f'DROP INDEX "{name}"')
        return [sql for _name, sql in rows]

