"""``manage.py bench``: build the data set (through seed_demo) and time the pages at that size.

Run it through ``make bench`` (a separate ``relasi_bench`` database, production-like
settings). It is a benchmark, not a test: the numbers go to docs/PERFORMANCE.md.

Each page is timed twice: in-process (the whole Django request through the test client,
with the query count, sequential scans and the time spent in SQL and in templates) and
over HTTP through gunicorn with DEBUG off, logged in through the login form. Searches run
a few hundred real inputs each, the hard ones on purpose (crm/benchmarks/inputs.py); every
row names its slowest input and that input's time when requested again.
"""

import os
import platform
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.models import User
from crm.benchmarks.departments import FULL_SIZE, department_benchmarks
from crm.benchmarks.http import GunicornServer
from crm.benchmarks.inputs import InputSampler
from crm.benchmarks.measure import run_case
from crm.benchmarks.pages import InProcessClient, admin_cases, page_cases
from crm.management.commands.seed_demo import DEMO_PASSWORD
from crm.models import Asset, Customer, Interaction

GROUPS = ("pages", "search", "admin", "departments")


class Command(BaseCommand):
    help = "Seed up to each size in --sizes and time the pages at that size, in-process and over HTTP."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,1000000",
                            help="Comma-separated customer counts to measure at, smallest first.")
        parser.add_argument("--interactions-per-customer", type=int, default=5)
        parser.add_argument("--runs", type=int, default=40, help="Requests per page (list, home, 360) and size.")
        parser.add_argument("--fragments", type=int, default=300,
                            help="About this many name inputs per user (random, common, none in the branch).")
        parser.add_argument("--admin-inputs", type=int, default=60, help="Inputs per back-office search.")
        parser.add_argument("--users", default="pusat@relasi.test,sales.jks@relasi.test")
        parser.add_argument("--superuser", default="admin@relasi.test")
        parser.add_argument("--only", default=",".join(GROUPS), help=f"Which groups to run: {', '.join(GROUPS)}.")
        parser.add_argument("--match", default="", help="Only the cases whose name contains this.")
        parser.add_argument("--no-http", action="store_true", help="In-process only.")
        parser.add_argument("--no-in-process", action="store_true", help="Over HTTP only.")
        parser.add_argument("--no-seed", action="store_true", help="Measure the data as it is.")

    def handle(self, *args, **opts):
        if settings.SECURE_SSL_REDIRECT:
            raise CommandError("Run with SECURE_SSL_REDIRECT=0 (make bench sets it): the test client speaks HTTP.")
        groups = set(opts["only"].split(","))
        sizes = [int(s) for s in opts["sizes"].split(",")]
        self.stdout.write(f"# Relasi page benchmark — {platform.node()}, {os.cpu_count()} cores, "
                          f"Python {platform.python_version()}, in-process DEBUG={settings.DEBUG}")
        for size in sizes:
            if not opts["no_seed"]:
                self._seed(size, opts["interactions_per_customer"])
                if "departments" in groups:
                    self._seed_departments(size)
            self._measure(size, groups, opts)

    def _seed(self, size: int, per_customer: int):
        start = time.monotonic()
        call_command("seed_demo", customers=size, interactions_per_customer=per_customer, verbosity=1)
        with connection.cursor() as cursor:
            for table in ("crm_customer", "crm_interaction", "crm_asset", "crm_customer_tags"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        self.stdout.write(f"(seed + vacuum: {time.monotonic() - start:.0f} s)")

    def _seed_departments(self, size: int):
        """Each department's tables at the sizes its issue names (crm/benchmarks/departments.py)."""
        for module in department_benchmarks():
            start = time.monotonic()
            module.seed(fraction=size / FULL_SIZE, stdout=self.stdout)
            self.stdout.write(f"({module.__name__}: {time.monotonic() - start:.0f} s)")

    def _measure(self, size: int, groups: set[str], opts):
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            pg = cursor.fetchone()[0].split(" on ")[0]
        self.stdout.write(
            f"\n## {Customer.objects.count():,} customers, {Interaction.objects.count():,} interactions, "
            f"{Asset.objects.count():,} vehicles ({pg})\n"
        )
        load_before = os.getloadavg()
        sampler = InputSampler()
        users = [User.objects.select_related("branch").get(email=e) for e in opts["users"].split(",")]
        cases = []
        if groups & {"pages", "search"}:
            cases += [c for c in page_cases(sampler, users, runs=opts["runs"], fragments=opts["fragments"])
                      if c.group in groups]
        if "admin" in groups:
            superuser = User.objects.get(email=opts["superuser"])
            cases += admin_cases(sampler, superuser, runs=max(opts["runs"] // 2, 10), inputs=opts["admin_inputs"])
        if "departments" in groups:
            for module in department_benchmarks():
                cases += [c for c in module.cases(runs=opts["runs"]) if c.group == "departments"]
        cases = [c for c in cases if opts["match"] in c.name]
        by_user = {}
        for case in cases:
            by_user.setdefault(case.user, []).append(case)

        in_process = {}
        if not opts["no_in_process"]:
            for email, user_cases in by_user.items():
                client = InProcessClient(User.objects.get(email=email))
                for case in user_cases:
                    in_process[case.name] = run_case(client, case)
                    self.stderr.write(f"  in-process: {case.name}: p95 {in_process[case.name].p95:.1f} ms")
        over_http = {}
        if not opts["no_http"]:
            with GunicornServer() as server:
                for email, user_cases in by_user.items():
                    client = server.log_in(email, DEMO_PASSWORD)
                    for case in user_cases:
                        over_http[case.name] = run_case(client, case)
                        self.stderr.write(f"  HTTP: {case.name}: p95 {over_http[case.name].p95:.1f} ms")
        load_after = os.getloadavg()
        self._report(cases, in_process, over_http, load_before, load_after)

    def _report(self, cases, in_process, over_http, load_before, load_after):
        w = self.stdout.write
        w(f"Load average (1/5/15 min) before: {'/'.join(f'{x:.2f}' for x in load_before)}, "
          f"after: {'/'.join(f'{x:.2f}' for x in load_after)}\n")
        w("| page | inputs | HTTP median / p95 / max ms | in-process median / p95 ms | target p95 / max | met "
          "| slowest input over HTTP: first → again ms | SQL queries | SQL / templates ms (in-process median) "
          "| seq scans | status |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        for case in cases:
            r_http, r_in = over_http.get(case.name), in_process.get(case.name)
            main = r_http or r_in
            target = (f"{case.target_p95:g}" if case.target_p95 else "") + \
                     (f" / {case.target_max:g}" if case.target_max else "")
            worst = "; ".join(f"`{t.text}` ({t.why}): {first:.0f} → {again:.0f}"
                              for first, again, t in (r_http or r_in).worst[:2])
            http_cell = f"{r_http.median:.1f} / {r_http.p95:.1f} / {r_http.max:.1f}" if r_http else "–"
            in_cell = f"{r_in.median:.1f} / {r_in.p95:.1f}" if r_in else "–"
            queries = ",".join(map(str, sorted(r_in.query_counts))) if r_in else "–"
            split = (f"{_median(r_in.sql_ms):.1f} / {_median(r_in.template_ms):.1f}") if r_in else "–"
            scans = (", ".join(sorted(r_in.seq_scans)) or "none") if r_in else "–"
            statuses = ",".join(map(str, sorted(main.statuses | (r_in.statuses if r_in else set()))))
            w(f"| {case.name} | {len(case.urls)} | {http_cell} | {in_cell} | {target} | {main.met} | {worst} "
              f"| {queries} | {split} | {scans} | {statuses} |")


def _median(values):
    ordered = sorted(values)
    return ordered[len(ordered) // 2] if ordered else 0.0
