"""``manage.py bench_sms``: the messaging pipeline at 10,000 and 100,000 recipients.

For each size, against the local gateway (in this process):
- the bare twilio client in a tight loop (the ceiling for this machine and gateway);
- ``send_create`` for that many customers: time until every message row exists;
- the production shape sending the batch: one thread-pool Celery worker process, one
  beat (the sweeper), and with ``--faults`` a gunicorn (DEBUG off) receiving the
  gateway's signed status callbacks. Reported: throughput, the worker's peak memory
  (VmHWM, which must not grow with the batch), and the exactly-once audit against the
  gateway: duplicates, missing, rows left open, rows whose SID or final status differs
  from the gateway's.

``--faults`` applies the issue-6 mix: 300 ms ± 100 ms latency, 2% accept-then-drop,
10% 429, 5% 500, callbacks on. Run through ``make bench-sms`` (the relasi_bench database).
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings
from django.urls import reverse

from accounts.models import User
from crm.celery import app as celery_app
from crm.models import Customer
from marketing import services
from marketing.gateway import make_server
from marketing.models import Message, ReminderOccurrence, Send

SID, TOKEN = "ACbench00000000000000000000000000", "bench-token"
ROOT = Path(settings.BASE_DIR)
FAULTS = {"latency_ms": 300, "jitter_ms": 100, "drop_share": 0.02, "fail_share": 0.15,
          "fail_with": [429, 429, 500], "callbacks": True, "delivery_delay_ms": 200}
OPEN = ("queued", "sending", "unknown")


def _peak_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except FileNotFoundError:
        pass
    return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Command(BaseCommand):
    help = "Benchmark an SMS batch through the local gateway with the production worker shape."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,100000")
        parser.add_argument("--bare", type=int, default=5000, help="Messages for the bare-client loop (0: skip).")
        parser.add_argument("--faults", action="store_true", help="Latency, lost answers, 429/500, callbacks.")
        parser.add_argument("--concurrency", type=int, default=8, help="Worker threads (Procfile: 16).")
        parser.add_argument("--parallel", type=int, default=6, help="Dispatch tasks per send.")
        parser.add_argument("--stuck", type=int, default=20, help="SMS_STUCK_AFTER_SECONDS for the run.")
        parser.add_argument("--timeout", type=float, default=5, help="TWILIO_TIMEOUT_SECONDS for the run.")
        parser.add_argument("--birthdays", type=int, default=0,
                            help="Instead of one send: give this many customers today's birthday, let the "
                                 "reminder job pick them (timed) and the worker send every greeting.")

    def handle(self, *args, sizes, bare, faults, concurrency, parallel, stuck, timeout, birthdays=0, **opts):
        sizes = [birthdays] if birthdays else [int(s) for s in sizes.split(",")]
        eligible = Customer.objects.filter(sms_consent=True, phone__startswith="+628")
        if eligible.count() < max(sizes):
            raise CommandError(f"Need {max(sizes):,} customers with SMS consent: run `make bench` first.")
        server = make_server("127.0.0.1", 0, SID, TOKEN)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        gateway = f"http://127.0.0.1:{server.server_address[1]}"
        web_port = _free_port()
        public = f"http://127.0.0.1:{web_port}"
        broker = settings.REDIS_URL.rsplit("/", 1)[0] + "/3"  # its own broker database
        celery_app.conf.broker_url = broker
        celery_app._after_fork()
        twilio = dict(SMS_BACKEND="marketing.backends.TwilioBackend", TWILIO_ACCOUNT_SID=SID,
                      TWILIO_AUTH_TOKEN=TOKEN, TWILIO_FROM_NUMBER="+15005550006", TWILIO_API_BASE_URL=gateway,
                      TWILIO_STATUS_CALLBACK_URL=public + reverse("marketing:twilio_status") if faults else "",
                      SMS_RATE_PER_SECOND=0, SMS_QUIET_HOURS="0-0", SMS_DISPATCH_PARALLEL=parallel,
                      SMS_STUCK_AFTER_SECONDS=stuck, TWILIO_TIMEOUT_SECONDS=timeout, SMS_SWEEP_SECONDS=5,
                      SMS_STATUS_CHECK_AFTER_SECONDS=60,
                      PUBLIC_BASE_URL=public)
        self.stdout.write(f"faults: {FAULTS if faults else 'none'}; worker threads {concurrency}, "
                          f"{parallel} dispatch tasks per send, lease/stuck {stuck} s, timeout {timeout} s")
        bare_rate = 0.0
        if bare:
            server.state.config.update(FAULTS if faults else {}, callbacks=False)
            with override_settings(**twilio):
                bare_rate = self._bare(bare, faults)
            self.stdout.write(f"bare twilio client, tight loop: {bare_rate:,.1f} msg/s ({bare:,} messages)")
        self.stdout.write("\n| recipients | rows created s | send s | msg/s | ratio to bare | worker peak RSS MB "
                          "| duplicates | missing | left open | wrong SID/status | gateway: dropped, 429/500, "
                          "500 after accept |")
        self.stdout.write("|---|---|---|---|---|---|---|---|---|---|---|")
        by = User.objects.filter(department="marketing").first()
        env = self._env(broker, twilio)
        web = self._start_web(env, web_port) if faults else None
        try:
            for size in sizes:
                server.state.reset()
                server.state.config.update(FAULTS if faults else {"callbacks": False})
                people = eligible.filter(kind=Customer.Kind.PERSON) if birthdays else eligible
                ids = list(people.order_by("id").values_list("id", flat=True)[:size])
                with override_settings(**twilio):
                    start = time.perf_counter()
                    if birthdays:
                        sends = self._birthday_sends(ids)
                    else:
                        sends = [services.send_create(
                            idempotency_key=f"bench-{size}-{time.time()}", channel="sms", name=f"Bench {size}",
                            body="Halo {{ first_name }}, servis {{ vehicle_plate }}.",
                            customers=Customer.objects.filter(id__in=ids), by=by)]
                    created = time.perf_counter() - start
                size = sum(send.recipients for send in sends)
                peak, elapsed = self._run(sends, env, concurrency, settle=faults)
                audits = [self._audit(server, send, final_status=faults) for send in sends]
                audit = {key: sum(a[key] for a in audits) for key in audits[0]}
                rate = size / elapsed
                stats = server.state
                self.stdout.write(
                    f"| {size:,} | {created:.1f} | {elapsed:.1f} | {rate:,.1f} | "
                    f"{rate / bare_rate if bare_rate else 0:.2f} | {peak:.0f} | {audit['duplicates']} | "
                    f"{audit['missing']} | {audit['open']} | {audit['wrong']} | "
                    f"{stats.dropped}, {stats.failed}, {stats.error_after_accept} |")
                if any(audit.values()):
                    raise CommandError(f"exactly-once broken: {audit}")
                ReminderOccurrence.objects.filter(send__in=sends).delete()
                Message.objects.filter(send__in=sends).delete()
                Send.objects.filter(pk__in=[send.pk for send in sends]).delete()
        finally:
            if web:
                os.killpg(web.pid, signal.SIGTERM)
                web.wait()

    def _bare(self, count: int, faults: bool) -> float:
        """The bare client, sequential, retrying nothing (a fault just moves on)."""
        from marketing.backends import TwilioBackend

        backend = TwilioBackend()
        start = time.perf_counter()
        for i in range(count):
            try:
                backend.client.messages.create(to=f"+6281999{i:06d}", from_="+15005550006", body="Halo bench")
            except Exception:
                if not faults:
                    raise
        return count / (time.perf_counter() - start)

    def _env(self, broker, twilio) -> dict:
        """Production settings for worker, beat and web: DEBUG off (with DEBUG on, Django keeps
        the last 9,000 queries of every connection, and the worker's memory grows with it)."""
        db = connection.settings_dict
        return {**os.environ, "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
                "REDIS_URL": broker, "CACHE_URL": broker.rsplit("/", 1)[0] + "/4",
                "DEBUG": "false", "SECRET_KEY": "bench-only-secret-key-0123456789abcdefghijklmnop",
                "ALLOWED_HOSTS": "127.0.0.1", "SECURE_SSL_REDIRECT": "false",
                **{k: str(v) for k, v in twilio.items()}}

    def _start_web(self, env, port):
        """The production web server (DEBUG off) for the gateway's status callbacks."""
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{port}",
                                 "--workers", "3", "--threads", "4", "--log-level", "warning"],
                                cwd=ROOT, env=env, start_new_session=True)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return proc
            except OSError:
                time.sleep(0.1)
        raise CommandError("gunicorn did not start")

    def _birthday_sends(self, ids: list[int]) -> list:
        """Today (in each customer's branch zone, all WIB/WITA/WIT) is the birthday of these
        customers; one birthday rule; the reminder job's tick, as beat runs it, creates the
        greetings' sends (SMS quiet hours are off for the run)."""
        import datetime as dt

        from django.utils import timezone

        from marketing import reminders
        from marketing.models import ReminderRule

        today = timezone.now().astimezone(dt.timezone(dt.timedelta(hours=7))).date()
        Customer.objects.filter(id__in=ids).update(birth_date=today.replace(year=1990))
        ReminderRule.objects.filter(name="Bench birthday").delete()
        ReminderRule.objects.create(name="Bench birthday", kind=ReminderRule.Kind.BIRTHDAY, channel="sms",
                                    body="Selamat ulang tahun, {{ first_name }}!", send_time=dt.time(0, 0))
        with override_settings(REMINDER_CATCH_UP_DAYS=0):
            run = reminders.reminders_tick()
        self.stdout.write(f"reminder tick: {run.selected:,} selected, {run.sent:,} queued, skipped {run.skipped}")
        return list(Send.objects.filter(pk__in=ReminderOccurrence.objects.filter(run=run).values("send_id")))

    def _run(self, sends, env, concurrency, *, settle) -> tuple[float, float]:
        """Worker + beat until the sends are done (and, with callbacks, every status final)."""
        start = time.perf_counter()
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool", "threads", "--concurrency",
             str(concurrency), "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=env, start_new_session=True)
        beat = subprocess.Popen([sys.executable, "-m", "celery", "-A", "crm", "beat", "-l", "warning",
                                 "--pidfile="], cwd=ROOT, env=env, start_new_session=True)
        peak = 0.0
        try:
            while True:
                time.sleep(1)
                peak = max(peak, _peak_rss_mb(worker.pid))
                done = Send.objects.filter(pk__in=[send.pk for send in sends], status=Send.Status.DONE).count()
                if done == len(sends) and not (
                        settle and Message.objects.filter(send__in=sends, status="sent").exists()):
                    return peak, time.perf_counter() - start
                if worker.poll() is not None:
                    raise CommandError("the worker died")
        finally:
            for proc in (worker, beat):
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait()

    def _audit(self, server, send, *, final_status: bool) -> dict:
        """Every recipient accepted once at the gateway; every row closed, with the gateway's
        SID and (with callbacks, ``final_status``) the gateway's final status; without
        callbacks a row rightly stays "sent"."""
        with server.state.lock:
            final = server.state.final_by_to()
        duplicates = sum(1 for v in final.values() if len(v) > 1)
        rows = Message.objects.filter(send=send).values_list("to", "provider_sid", "status")
        missing = open_ = wrong = 0
        for to, sid, status in rows.iterator(chunk_size=5000):
            if status in OPEN:
                open_ += 1
            got = final.get(to)
            if not got:
                missing += status != "failed"
            else:
                at_gateway = dict(got)  # sid -> the gateway's final status
                if sid not in at_gateway:
                    wrong += 1
                elif status != at_gateway[sid] and (final_status or status != "sent"):
                    wrong += 1
        return {"duplicates": duplicates, "missing": missing, "open": open_, "wrong": wrong}
