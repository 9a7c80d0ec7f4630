"""A real Celery worker process and a throw-away Redis for it, as pytest fixtures."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from django.db import connection

from crm.celery import app as celery_app

from .conftest import SID, TOKEN

ROOT = Path(__file__).resolve().parents[2]


class RedisServer:
    """A throw-away redis-server of this test's own, so stopping it harms nothing else.

    It listens on a unix socket only (``--port 0``): a socket path in a fresh private
    directory cannot be taken by anyone else, unlike a "free" TCP port picked before the
    server binds it. A restart listens on the same path (redis-server replaces the stale
    socket file), so clients reconnect to the same URLs."""

    def __init__(self, directory: Path | None = None):
        # Not under tmp_path: a unix socket path must stay under ~100 bytes.
        self.dir = Path(tempfile.mkdtemp(prefix="relasi-redis-"))
        self.socket = self.dir / "redis.sock"
        self.log_path = (directory or self.dir) / "redis-server.log"
        self.proc = None
        self.url = f"redis+socket://{self.socket}"  # the Celery broker (kombu), database 0
        self.cache_url = f"unix://{self.socket}?db=1"  # the cache (redis-py), database 1

    def start(self, timeout=10):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [shutil.which("redis-server"), "--port", "0", "--unixsocket", str(self.socket),
                 "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--dir", str(self.dir)],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with socket.socket(socket.AF_UNIX) as s:
                    s.settimeout(0.5)
                    s.connect(str(self.socket))
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"redis-server did not answer on {self.socket} within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, chars=3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except FileNotFoundError:
            return ""

    def stop(self):
        self.proc.kill()
        self.proc.wait()

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    # This process enqueues to the same broker the worker reads.
    old = celery_app.conf.broker_url
    celery_app.conf.broker_url = server.url
    celery_app._after_fork()  # drop pooled connections to the old broker
    yield server
    celery_app.conf.broker_url = old
    celery_app._after_fork()
    if server.proc.poll() is None:
        server.stop()
    server.remove()


class Worker:
    """A real ``celery worker`` process. ``pool="threads"`` is the production shape
    (Procfile); the solo pool runs everything in one thread."""

    def __init__(self, env, pool="solo", concurrency=1, log_path=None):
        self.env, self.pool, self.concurrency, self.proc = env, pool, concurrency, None
        self.log_path = log_path

    def start(self):
        # The thread-pool worker is started as the Procfile starts it (gossip, mingle and
        # heartbeat on: more channels on the broker connection when it is lost).
        quiet = [] if self.pool == "threads" else ["--without-gossip", "--without-mingle", "--without-heartbeat"]
        self._spawn([sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool", self.pool,
                     "--concurrency", str(self.concurrency), "-l", "warning", *quiet])

    def _spawn(self, args):
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        try:
            self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, start_new_session=True, stdout=log,
                                         stderr=subprocess.STDOUT)
        finally:
            if log is not subprocess.DEVNULL:
                log.close()  # the child has its own copy

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, chars=3000) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")[-chars:] if self.log_path else "(no log)"
        except FileNotFoundError:
            return "(no log yet)"

    def check_alive(self):
        """Fail the test at once, with the end of the log, if the process has exited."""
        if self.proc is not None and self.proc.poll() is not None:
            pytest.fail(f"{type(self).__name__.lower()} exited unexpectedly with {self.proc.returncode}; "
                        f"end of {self.log_path}:\n{self.log_tail()}", pytrace=False)

    def kill(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


def wait_until(condition, *, timeout, what, procs=(), interval=0.1):
    """Wait until ``condition()`` is true. Fails when ``timeout`` seconds have passed, or at
    once when one of ``procs`` (a Worker or Beat that should be running) has exited.
    ``what`` names what was awaited, or is called for a description of the state then."""
    deadline = time.monotonic() + timeout
    while True:
        for proc in procs:
            proc.check_alive()
        if condition():
            return
        if time.monotonic() >= deadline:
            pytest.fail(f"not within {timeout} s: {what() if callable(what) else what}", pytrace=False)
        time.sleep(interval)


def accepted_total(gateway) -> int:
    return sum(gateway.stats()["accepted"].values())


class Beat(Worker):
    """A real ``celery beat`` with the database scheduler, as in production."""

    def start(self):
        self._spawn([sys.executable, "-m", "celery", "-A", "crm", "beat", "-l", "warning", "--pidfile="])


@pytest.fixture
def worker_env():
    """Extra environment for the worker; a test may add to it before the worker starts."""
    return {}


def _env(gateway, redis_server, live_server, worker_env):
    db = connection.settings_dict
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        # The cache (the shared rate limiter) on the throw-away Redis too, as in production
        # where both live on one server: settings cannot derive it from a socket URL.
        "REDIS_URL": redis_server.url, "CACHE_URL": redis_server.cache_url, "SMS_BACKEND": "marketing.backends.TwilioBackend",
        "TWILIO_ACCOUNT_SID": SID, "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE_URL": gateway.url, "TWILIO_TIMEOUT_SECONDS": "1", "SMS_STUCK_AFTER_SECONDS": "2",
        "SMS_QUIET_HOURS": "0-0", "SMS_RATE_PER_SECOND": "0", "SMS_CHUNK": "50", "SMS_SWEEP_SECONDS": "2",
        "SMS_STATUS_CHECK_AFTER_SECONDS": "5",
        "PUBLIC_BASE_URL": live_server.url,
        **worker_env,
    }


@pytest.fixture
def worker(gateway, redis_server, live_server, worker_env, tmp_path):
    """One solo-pool worker (a SIGKILL takes the whole worker down mid-task)."""
    w = Worker(_env(gateway, redis_server, live_server, worker_env), log_path=tmp_path / "worker.log")
    w.start()
    yield w
    if w.alive():
        w.kill()


@pytest.fixture
def production(gateway, redis_server, live_server, worker_env, tmp_path):
    """The production shape: one thread-pool worker (Procfile's pool, concurrency 8, several
    dispatch tasks per send) and TWO beats (only one should run; a second one by mistake
    must not cause duplicates), sweeping every 2 s. Call ``start()``."""

    class Production:
        def __init__(self):
            self.worker = Worker({}, pool="threads", concurrency=8, log_path=tmp_path / "worker.log")
            self.beats = [Beat({}, log_path=tmp_path / f"beat{i}.log") for i in range(2)]

        def start(self):
            # The environment is read now, after the test has set worker_env.
            env = _env(gateway, redis_server, live_server, worker_env)
            for proc in [self.worker, *self.beats]:
                proc.env = env
                proc.start()

        def log(self) -> str:
            return (tmp_path / "worker.log").read_text(errors="replace")

    p = Production()
    yield p
    for proc in [p.worker, *p.beats]:
        if proc.alive():
            proc.kill()


