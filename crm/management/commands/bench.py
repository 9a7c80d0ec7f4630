"""``manage.py bench``: build the data set (through seed_demo) and time the customer pages.

Run it through ``make bench`` (a separate ``relasi_bench`` database). It is a benchmark,
not a test: the numbers go to docs/PERFORMANCE.md.
"""

import platform
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection
from django.test.utils import setup_test_environment

from crm.benchmarks.pages import run_page_benchmarks
from crm.models import Customer, Interaction

TARGETS_MS = {"customer list": 50, "search": 100, "customer 360": 80}


class Command(BaseCommand):
    help = "Seed up to each size in --sizes and time the customer pages at that size."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,1000000",
                            help="Comma-separated customer counts to measure at, smallest first.")
        parser.add_argument("--interactions-per-customer", type=int, default=5)
        parser.add_argument("--runs", type=int, default=40, help="Requests per page and size.")
        parser.add_argument("--users", default="pusat@relasi.test,sales.jks@relasi.test")

    def handle(self, *args, **opts):
        setup_test_environment()  # lets the test client talk to the app in-process
        sizes = [int(s) for s in opts["sizes"].split(",")]
        users = opts["users"].split(",")
        self.stdout.write(f"# Relasi page benchmark — {platform.node()}, {platform.processor() or platform.machine()}")
        for size in sizes:
            start = time.monotonic()
            call_command("seed_demo", customers=size,
                         interactions_per_customer=opts["interactions_per_customer"], verbosity=1)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE crm_customer")
                cursor.execute("VACUUM ANALYZE crm_interaction")
                cursor.execute("VACUUM ANALYZE crm_asset")
            seeded = time.monotonic() - start
            customers = Customer.objects.count()
            interactions = Interaction.objects.count()
            self.stdout.write(
                f"\n## {customers:,} customers, {interactions:,} interactions (seed + vacuum: {seeded:.0f} s)\n"
            )
            self.stdout.write("| page | median ms | p95 ms | target p95 ms | SQL queries | seq scans | status |")
            self.stdout.write("|---|---|---|---|---|---|---|")
            for r in run_page_benchmarks(runs=opts["runs"], users=users):
                target = next((v for k, v in TARGETS_MS.items() if r.name.startswith(k)), "")
                self.stdout.write(
                    f"| {r.name} | {r.median:.1f} | {r.p95:.1f} | {target} | "
                    f"{','.join(map(str, sorted(r.query_counts)))} | {', '.join(sorted(r.seq_scans)) or 'none'} | "
                    f"{','.join(map(str, sorted(r.statuses)))} |"
                )
