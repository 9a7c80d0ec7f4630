"""A real Celery worker process and a throw-away Redis for it, as pytest fixtures."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from crm.celery import app as celery_app

from .conftest import SID, TOKEN

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A throw-away redis-server of this test's own, so stopping it harms nothing else."""

    def __init__(self, directory: Path):
        self.port, self.dir, self.proc = _free_port(), directory, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.proc = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


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
    server.stop()


class Worker:
    """A real ``celery worker`` process. ``pool="threads"`` is the production shape
    (Procfile); the solo pool runs everything in one thread."""

    def __init__(self, env, pool="solo", concurrency=1, log_path=None):
        self.env, self.pool, self.concurrency, self.proc = env, pool, concurrency, None
        self.log_path = log_path

    def start(self):
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "crm", "worker", "--pool", self.pool,
             "--concurrency", str(self.concurrency), "-l", "warning",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

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


class Beat(Worker):
    """A real ``celery beat`` with the database scheduler, as in production."""

    def start(self):
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "crm", "beat", "-l", "warning", "--pidfile="],
            cwd=ROOT, env=self.env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture
def worker_env():
    """Extra environment for the worker; a test may add to it before the worker starts."""
    return {}


def _env(gateway, redis_server, live_server, worker_env):
    db = connection.settings_dict
    return {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_server.url, "SMS_BACKEND": "marketing.backends.TwilioBackend",
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


