"""``manage.py bench_sms``: the messaging pipeline at 10,000 and 100,000 recipients.

For each size, against the local gateway (in this process, callbacks off):
- the bare twilio client in a tight loop (the ceiling for this machine and gateway);
- ``send_create`` for that many customers: time until every message row exists;
- one real Celery worker process (a pool of 4 threads) sending the batch: throughput, and its peak
  memory (VmHWM) — which must not grow with the batch.
Run through ``make bench-sms`` (the relasi_bench database, which ``make bench`` fills).
"""

import os

import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from accounts.models import User
from crm.celery import app as celery_app
from crm.models import Customer
from marketing import services
from marketing.gateway import make_server
from marketing.models import Message, Send

SID, TOKEN = "ACbench00000000000000000000000000", "bench-token"
ROOT = Path(settings.BASE_DIR)


def _peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Command(BaseCommand):
    help = "Benchmark an SMS batch through the local gateway with one worker process."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,100000")
        parser.add_argument("--bare", type=int, default=5000, help="Messages for the bare-client loop.")

    def handle(self, *args, sizes, bare, **opts):
        sizes = [int(s) for s in sizes.split(",")]
        eligible = Customer.objects.filter(sms_consent=True, phone__startswith="+628")
        if eligible.count() < max(sizes):
            raise CommandError(f"Need {max(sizes):,} customers with SMS consent: run `make bench` first.")
        server = make_server("127.0.0.1", 0, SID, TOKEN)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        gateway = f"http://127.0.0.1:{server.server_address[1]}"
        server.state.config["callbacks"] = False
        broker = settings.REDIS_URL.rsplit("/", 1)[0] + "/3"  # its own broker database
        celery_app.conf.broker_url = broker
        celery_app._after_fork()
        twilio = dict(SMS_BACKEND="marketing.backends.TwilioBackend", TWILIO_ACCOUNT_SID=SID,
                      TWILIO_AUTH_TOKEN=TOKEN, TWILIO_FROM_NUMBER="+15005550006", TWILIO_API_BASE_URL=gateway,
                      TWILIO_STATUS_CALLBACK_URL="", SMS_RATE_PER_SECOND=0, SMS_QUIET_HOURS="0-0")
        with override_settings(**twilio):
            bare_rate = self._bare(bare)
        self.stdout.write(f"bare twilio client, tight loop: {bare_rate:,.0f} msg/s ({bare:,} messages)")
        self.stdout.write("\n| recipients | rows created s | send s | msg/s | ratio to bare | worker peak RSS MB |")
        self.stdout.write("|---|---|---|---|---|---|")
        by = User.objects.filter(department="marketing").first()
        for size in sizes:
            server.state.reset()
            server.state.config["callbacks"] = False
            ids = list(eligible.order_by("id").values_list("id", flat=True)[:size])
            with override_settings(**twilio):
                start = time.perf_counter()
                send = services.send_create(idempotency_key=f"bench-{size}-{time.time()}", channel="sms",
                                            name=f"Bench {size}", body="Halo {{ first_name }}, servis {{ vehicle_plate }}.",
                                            customers=Customer.objects.filter(id__in=ids), by=by)
                created = time.perf_counter() - start
            worker, elapsed = self._run_worker(send, broker, gateway, twilio)
            accepted = server.state.accepted
            dupes = sum(1 for n in accepted.values() if n > 1)
            rate = size / elapsed
            self.stdout.write(f"| {size:,} | {created:.1f} | {elapsed:.1f} | {rate:,.0f} | {rate / bare_rate:.2f} | "
                              f"{worker:.0f} |")
            if len(accepted) != send.recipients or dupes:
                raise CommandError(f"exactly-once broken: {len(accepted)} accepted of {send.recipients}, {dupes} dupes")
            Message.objects.filter(send=send).delete()
            Send.objects.filter(pk=send.pk).delete()

    def _bare(self, count: int) -> float:
        from marketing.backends import TwilioBackend

        backend = TwilioBackend()
        start = time.perf_counter()
        for i in range(count):
            backend.client.messages.create(to=f"+6281999{i:06d}", from_="+15005550006", body="Halo bench")
        return count / (time.perf_counter() - start)

    def _run_worker(self, send, broker, gateway, twilio) -> tuple[float, float]:
        db = connection.settings_dict
        env = {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
               "REDIS_URL": broker, **{k: str(v) for k, v in twilio.items()}}
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool", "threads", "--concurrency", "4",
                                 "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
                                cwd=ROOT, env=env)
        peak = 0.0
        try:
            while True:
                time.sleep(0.5)
                peak = max(peak, _peak_rss_mb(proc.pid))
                send.refresh_from_db()
                if send.status == Send.Status.DONE:
                    return peak, time.perf_counter() - start
                if proc.poll() is not None:
                    raise CommandError("the worker died")
        finally:
            proc.terminate()
            proc.wait()



