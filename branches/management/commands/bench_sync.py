"""The sync benchmark (issue 16): head office and one branch instance on two scratch databases,
head office served by gunicorn with the settings it is run with (scripts/bench.sh: DEBUG off),
the branch pushing N changed records over HTTP, then a sync with nothing to do.

    BENCH_COMMAND=bench_sync scripts/bench.sh --changes 100000

Prints one line per measurement; docs/PERFORMANCE.md has the figures.
"""

import json
import os
import resource
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand

from marketing.management.commands.bench_sms import _free_port


class Command(BaseCommand):
    help = "Benchmark: N branch changes pushed to head office over HTTP, and an empty sync."

    def add_arguments(self, parser):
        parser.add_argument("--changes", type=int, nargs="+", default=[10000, 100000])
        parser.add_argument("--customers", type=int, default=2000)
        parser.add_argument("--as-branch", action="store_true", help=argparse_hidden())

    def handle(self, *args, **options):
        if options["as_branch"]:
            return self._branch(options["changes"][0])
        base = settings.DATABASES["default"]
        url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
        pg = ["-h", base["HOST"] or "127.0.0.1", "-p", str(base["PORT"] or 5432), "-U", base["USER"]]
        env = dict(os.environ)
        hq_db, br_db = f"{base['NAME']}_sync_hq", f"{base['NAME']}_sync_branch"
        hq_url = url._replace(path=f"/{hq_db}").geturl()
        br_url = url._replace(path=f"/{br_db}").geturl()
        manage = [sys.executable, "manage.py"]
        for db in (hq_db, br_db):
            subprocess.run(["dropdb", *pg, "--if-exists", db], check=True)
            subprocess.run(["createdb", *pg, db], check=True)
        hq_env = {**env, "DATABASE_URL": hq_url, "RELASI_ROLE": "hq"}
        started = time.monotonic()
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=hq_env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        subprocess.run([*manage, "seed_demo", "--customers", str(options["customers"]), "-v0"], env=hq_env,
                       check=True)
        token = subprocess.run([*manage, "sync_credential", "jks"], env=hq_env, check=True, capture_output=True,
                               text=True).stdout.strip().splitlines()[-1]
        port = _free_port()
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}",
                                     "--workers", "2", "--timeout", "300"], env=hq_env, start_new_session=True,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
                    break
                except OSError:
                    time.sleep(0.2)
            br_env = {**env, "DATABASE_URL": br_url, "RELASI_ROLE": "branch", "BRANCH_CODE": "jks",
                      "HQ_URL": f"http://127.0.0.1:{port}", "SYNC_TOKEN": token}
            subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=br_env, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            t = time.monotonic()
            subprocess.run([*manage, "sync_enrol"], env=br_env, check=True, stdout=subprocess.DEVNULL)
            self.stdout.write(f"setup {time.monotonic() - started:.1f} s; enrol {time.monotonic() - t:.2f} s")
            for n in options["changes"]:
                done = subprocess.run([*manage, "bench_sync", "--as-branch", "--changes", str(n)], env=br_env,
                                      capture_output=True, text=True)
                if done.returncode:
                    raise RuntimeError(done.stderr[-3000:])
                self.stdout.write(done.stdout.strip())
        finally:
            os.killpg(gunicorn.pid, 15)
            gunicorn.wait(timeout=10)

    def _branch(self, n: int):
        from accounts.models import Branch, User
        from branches import client
        from crm.models import Customer, Interaction

        branch = Branch.objects.get(code="jks")
        staff = User.objects.filter(branch=branch).first()
        customers = list(Customer.objects.filter(branch=branch).values_list("pk", flat=True))
        from django.utils import timezone

        now = timezone.now()
        t = time.monotonic()
        for start in range(0, n, 5000):
            Interaction.objects.bulk_create([
                Interaction(customer_id=customers[i % len(customers)], branch=branch, staff=staff,
                            kind="call", channel="phone", direction="out", department="sales",
                            summary=f"bench change {i}", occurred_at=now) for i in range(start, min(n, start + 5000))])
        made = time.monotonic() - t
        # The sync in a process of its own, so that its peak memory is its own.
        t = time.monotonic()
        done = subprocess.run([sys.executable, "manage.py", "sync_now"], capture_output=True, text=True, check=True)
        push = time.monotonic() - t
        result = json.loads(done.stdout.strip().splitlines()[-1])
        rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        empties = []
        for _ in range(5):
            t = time.monotonic()
            client.run()
            empties.append((time.monotonic() - t) * 1000)
        from branches.models import Change
        left = Change.objects.count()
        print(json.dumps({"changes": n, "written_in_s": round(made, 1), "sync_s": round(push, 2),
                          "pushed": result["pushed"], "batches": result["batches"], "peak_rss_mb": round(rss),
                          "empty_sync_ms": [round(e, 1) for e in empties], "log_rows_left_at_branch": left}))


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS
