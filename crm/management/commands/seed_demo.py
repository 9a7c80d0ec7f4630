"""``manage.py seed_demo --customers N``: realistic Indonesian demo data, fast at a million rows.

Idempotent: branches, staff and tags are get-or-create; customers are topped up to N
(running it twice with the same N adds nothing). Customers and assets go in with COPY,
interactions with one INSERT ... SELECT per chunk, so a million customers and five
million interactions take minutes, not hours.
"""

import csv
import datetime as dt
import io
import random
import time
import uuid

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Branch, Department, User
from accounts.roles import DEPARTMENT_GROUP
from crm import demo_data as d
from crm.models import Customer, Tag
from crm.services import customer_search_text

DEMO_PASSWORD = "relasi-demo-2026"
CHUNK = 50_000

CUSTOMER_COLUMNS = [
    "id", "public_id", "kind", "name", "phone", "phone_alt", "email", "address", "city", "province",
    "birth_date", "branch_id", "owner_id", "sms_consent", "sms_consent_at", "sms_consent_source",
    "email_consent", "email_consent_at", "email_consent_source", "phone_consent", "phone_consent_at",
    "phone_consent_source", "search_text", "created_at", "updated_at",
]
ASSET_COLUMNS = [
    "public_id", "customer_id", "make", "model", "year", "vin", "plate_number", "purchase_date",
    "warranty_end", "odometer_km", "next_service_due", "created_at", "updated_at",
]

# (kind, channel, direction, department, summary); {v} = a vehicle model.
INTERACTION_TEMPLATES = [
    ("call", "phone", "out", "sales", "Called about a test drive of the {v}."),
    ("call", "phone", "in", "sales", "Asked for the price and credit scheme of the {v}."),
    ("visit", "in_person", "in", "sales", "Visited the showroom, looked at the {v} with family."),
    ("quotation", "email", "out", "sales", "Quotation sent for the {v}, cash and 5-year credit."),
    ("order", "in_person", "in", "sales", "Signed the order for a {v}; down payment received."),
    ("service_visit", "in_person", "in", "service", "Periodic service of the {v}: oil, filters, brake check."),
    ("call", "phone", "out", "service", "Reminded that the {v} is due for its next service."),
    ("sms", "sms", "out", "service", "SMS: your {v} is ready for pick-up at the workshop."),
    ("complaint", "phone", "in", "service", "Complained that the {v} air conditioning is weak after service."),
    ("campaign_message", "sms", "out", "marketing", "Campaign SMS: year-end service discount for {v} owners."),
    ("email", "email", "out", "marketing", "Newsletter: new accessories for the {v}."),
    ("web_form", "web", "in", "marketing", "Filled the website form asking about the new {v}."),
    ("complaint", "phone", "in", "shipment", "Asked where the ordered {v} is; delivery promised this week."),
    ("complaint", "email", "in", "qc", "Reported a rattling door panel on a new {v}."),
]


def _csv_value(value):
    if value is None:
        return r"\N"  # the NULL marker of our COPY; an empty field stays an empty string
    if isinstance(value, bool):
        return "t" if value else "f"
    return value


class Command(BaseCommand):
    help = "Create demo branches, staff, customers, vehicles and contact history (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--interactions-per-customer", type=int, default=5)
        parser.add_argument("--seed", type=int, default=42)

    def handle(self, *args, customers, interactions_per_customer, seed, verbosity=1, **opts):
        started = time.monotonic()
        self.rng = random.Random(seed)
        branches = self._branches()
        staff = self._staff(branches)
        tags = self._tags()
        existing = Customer.objects.count()
        to_make = max(0, customers - existing)
        if to_make:
            self._customers(to_make, branches, staff, tags, interactions_per_customer, verbosity)
        if verbosity:
            self.stdout.write(
                f"seed_demo: {len(branches)} branches, {len(staff)} staff, "
                f"{existing + to_make:,} customers ({to_make:,} new) in {time.monotonic() - started:.1f} s"
            )

    # --- reference data -------------------------------------------------------------
    def _branches(self) -> dict[str, Branch]:
        out = {}
        for code, (name, city, _province, tz, _plates, _cities) in d.BRANCHES.items():
            out[code], _ = Branch.objects.get_or_create(
                code=code,
                defaults={"name": name, "city": city, "time_zone": tz, "is_head_office": code == "pusat",
                          "address": f"Jl. {self.rng.choice(d.STREETS)} No. {self.rng.randint(1, 200)}, {city}"},
            )
        return out

    def _staff(self, branches) -> list[User]:
        plan = [("admin@relasi.test", "pusat", Department.HEAD_OFFICE, True),
                ("pusat@relasi.test", "pusat", Department.HEAD_OFFICE, False)]
        full = [("sales", Department.SALES), ("service", Department.SERVICE), ("marketing", Department.MARKETING),
                ("qc", Department.QUALITY_CONTROL), ("shipment", Department.SHIPMENT),
                ("manager", Department.BRANCH_MANAGEMENT)]
        for code in branches:
            if code == "pusat":
                continue
            roles = full if code in ("jks", "sby") else [full[0], full[-1]]
            plan += [(f"{prefix}.{code}@relasi.test", code, dept, False) for prefix, dept in roles]
        groups = {g.name: g for g in Group.objects.filter(name__in=DEPARTMENT_GROUP.values())}
        users = []
        name_rng = random.Random(7)
        for email, code, dept, is_super in plan:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User(email=email, branch=branches[code], department=dept, is_superuser=is_super,
                            is_staff=is_super or dept == Department.HEAD_OFFICE,
                            first_name=name_rng.choice(d.FIRST_NAMES), last_name=name_rng.choice(d.LAST_NAMES))
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.groups.add(groups[DEPARTMENT_GROUP[dept]])
            users.append(user)
        return users

    def _tags(self) -> list[Tag]:
        return [Tag.objects.get_or_create(name=name)[0] for name in d.TAGS]

    # --- customers ---------------------------------------------------------------------
    def _customers(self, count, branches, staff, tags, per_customer, verbosity):
        branch_codes = [c for c in branches if c != "pusat"]
        owners = {code: [u.pk for u in staff if u.branch_id == branches[code].pk and u.department == "sales"]
                  for code in branch_codes}
        now = timezone.now()
        big = count >= 100_000
        if big:
            # Building the trigram index once at the end is several times faster than
            # updating it row by row; it is rebuilt even if the load fails half-way.
            with connection.cursor() as cursor:
                cursor.execute("DROP INDEX IF EXISTS customer_search_trgm")
        try:
            done = 0
            while done < count:
                n = min(CHUNK, count - done)
                # One transaction per chunk: a million rows' deferred FK checks in one
                # transaction would pile up in memory. Ids are assigned under the table
                # lock, so assets, tags and interactions refer to them without reading back.
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute("LOCK TABLE crm_customer IN EXCLUSIVE MODE")
                    cursor.execute("SELECT COALESCE(MAX(id), 0) FROM crm_customer")
                    first = cursor.fetchone()[0] + 1
                    self._customer_chunk(cursor, first, n, branches, branch_codes, owners, tags, now)
                    self._interaction_chunk(cursor, first, first + n - 1, per_customer, now)
                    cursor.execute("SELECT setval(pg_get_serial_sequence('crm_customer', 'id'), %s)", [first + n - 1])
                done += n
                if verbosity > 1 or (verbosity and big):
                    self.stdout.write(f"  {done:,}/{count:,} customers")
        finally:
            if big:
                with connection.cursor() as cursor:
                    cursor.execute("CREATE INDEX IF NOT EXISTS customer_search_trgm ON crm_customer "
                                   "USING gin (search_text gin_trgm_ops)")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE crm_customer; ANALYZE crm_asset; ANALYZE crm_interaction;")

    def _customer_chunk(self, cursor, first_id, n, branches, branch_codes, owners, tags, now):
        rng = self.rng
        customers, assets, tag_links = io.StringIO(), io.StringIO(), io.StringIO()
        cw, aw, tw = csv.writer(customers), csv.writer(assets), csv.writer(tag_links)
        for cid in range(first_id, first_id + n):
            code = branch_codes[cid % len(branch_codes)]
            _name, _city, province, _tz, plate_prefixes, cities = d.BRANCHES[code]
            company = rng.random() < 0.1
            first, last = rng.choice(d.FIRST_NAMES), rng.choice(d.LAST_NAMES)
            if company:
                words = rng.sample(d.COMPANY_WORDS, 2)
                name = f"{rng.choice(['PT', 'CV'])} {words[0]} {words[1]} {last}"
            else:
                name = f"{first} {last}"
            # Unique by construction: the prefix and a bijective scramble of the id.
            k = cid // len(d.MOBILE_PREFIXES)
            phone = f"+62{d.MOBILE_PREFIXES[cid % len(d.MOBILE_PREFIXES)]}{(k * 48271 + 1234567) % 10**8:08d}"
            email = ""
            if rng.random() < 0.7:
                local = f"{first}.{last}" if not company else last
                email = f"{local.lower()}{cid}@{rng.choice(d.EMAIL_DOMAINS)}"
            created = now - dt.timedelta(days=rng.randint(0, 3 * 365), minutes=rng.randint(0, 1440))
            consent = {}
            for channel, share in (("sms", 0.8), ("email", 0.6), ("phone", 0.5)):
                given = rng.random() < share
                consent[channel] = (given, created if given else None, "seed" if given else "")
            plates = []
            for _ in range(rng.choice((0, 1, 1, 1, 2))):
                make, model = rng.choice(d.VEHICLES)
                year = rng.randint(2012, 2026)
                bought = dt.date(year, rng.randint(1, 12), rng.randint(1, 28))
                letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(rng.randint(2, 3)))
                plate = f"{rng.choice(plate_prefixes)} {rng.randint(1, 9999)} {letters}"
                plates.append(plate)
                vin = f"MH{make[:1]}{cid:010d}{len(plates):01d}{rng.randint(1000, 9999)}"[:17]
                aw.writerow(map(_csv_value, [
                    uuid.uuid4(), cid, make, model, year, vin, plate, bought,
                    bought + dt.timedelta(days=3 * 365), rng.randint(1_000, 150_000),
                    bought + dt.timedelta(days=180 * rng.randint(1, 20)), created, created,
                ]))
            if rng.random() < 0.2:
                tw.writerow([cid, rng.choice(tags).pk])
            birth = None if company else dt.date(rng.randint(1950, 2005), rng.randint(1, 12), rng.randint(1, 28))
            cw.writerow(map(_csv_value, [
                cid, uuid.uuid4(), "company" if company else "person", name, phone, "", email,
                f"Jl. {rng.choice(d.STREETS)} No. {rng.randint(1, 250)}", rng.choice(cities), province, birth,
                branches[code].pk, rng.choice(owners[code] + [None]) if owners[code] else None,
                *consent["sms"], *consent["email"], *consent["phone"],
                customer_search_text(name=name, email=email, phones=[phone], plates=plates), created, created,
            ]))
        for buffer, table, columns in ((customers, "crm_customer", CUSTOMER_COLUMNS),
                                       (assets, "crm_asset", ASSET_COLUMNS),
                                       (tag_links, "crm_customer_tags", ["customer_id", "tag_id"])):
            buffer.seek(0)
            cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer)

    def _interaction_chunk(self, cursor, first_id, last_id, per_customer, now):
        if per_customer <= 0:
            return
        t = INTERACTION_TEMPLATES
        vehicles = [f"{make} {model}" for make, model in d.VEHICLES]
        # Picks are spread by the ids so the history looks varied without a random() per row.
        cursor.execute(
            """
            INSERT INTO crm_interaction (public_id, customer_id, kind, channel, direction, department, staff_id,
                                         occurred_at, summary, created_at, updated_at)
            SELECT gen_random_uuid(), c.id, k.kinds[p.i], k.channels[p.i], k.directions[p.i], k.departments[p.i],
                   CASE WHEN k.departments[p.i] = 'sales' THEN c.owner_id END,
                   p.at, replace(k.summaries[p.i], '{v}', k.vehicles[1 + (c.id + g) %% cardinality(k.vehicles)]),
                   p.at, p.at
            FROM crm_customer c
            CROSS JOIN generate_series(1, %(per)s) AS g
            CROSS JOIN (SELECT %(kinds)s::text[] AS kinds, %(channels)s::text[] AS channels,
                               %(directions)s::text[] AS directions, %(departments)s::text[] AS departments,
                               %(summaries)s::text[] AS summaries, %(vehicles)s::text[] AS vehicles) AS k
            CROSS JOIN LATERAL (
                SELECT 1 + ((c.id * 7919 + g * 104729) %% %(n)s) AS i,
                       %(now)s::timestamptz - ((c.id * 31 + g * 977) %% 730) * interval '1 day'
                                            - ((c.id + g * 13) %% 600) * interval '1 minute' AS at
            ) AS p
            WHERE c.id BETWEEN %(first)s AND %(last)s
            """,
            {
                "per": per_customer, "n": len(t), "now": now, "first": first_id, "last": last_id,
                "kinds": [x[0] for x in t], "channels": [x[1] for x in t], "directions": [x[2] for x in t],
                "departments": [x[3] for x in t], "summaries": [x[4] for x in t], "vehicles": vehicles,
            },
        )
