"""Two real instances of Relasi for the sync tests (issue 16, docs/SYNC_DESIGN.md section 5).

Head office ("HQ") and one branch instance, each on its own PostgreSQL database and served by
its own gunicorn, talk HTTP exactly as in production: the branch's ``HQ_URL`` points at a
``FaultProxy`` in front of HQ, which can lose an answer after HQ committed, cut a request
half-way or refuse connections. pytest itself checks both databases with plain psycopg2 and
makes edits through each instance's real services (``Instance.shell``), never through
pytest-django's test database.

Databases are cloned from one migrated template (``CREATE DATABASE ... TEMPLATE``, ~0.1 s) so a
fresh pair costs ~3 s, not a 12-second migrate each: ``Template`` migrates once per session and
seeds a head office once (``seed_demo --customers 300`` and a jks credential); each ``Pair``
clones HQ from the seeded copy and the branch from the bare one. Every database is named
``relasi_hx_*_<pid>`` on the server of DATABASE_URL and dropped at the end (or by the next
session, if this one was killed). HQ uses Redis dbs 10/11 and the branch 12/13 (flushed for each
pair), so two sessions of this module on one Redis would collide.

    def test_something(pair):
        pair.branch.shell(SETUP + "services.customer_create(...)")   # a real service, real trigger
        pair.proxy.cut_response("/sync/push/", times=3)             # lose three answers
        result = pair.sync("--batch-size", "50")                     # manage.py sync_now
        hq, branch = pair.checksums()                                # manage.py sync_checksum
"""

from __future__ import annotations

import os
import re
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import json

import psycopg2
import redis
import requests

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
PREFIX = "relasi_hx"  # every database made here starts with this (and ends with our pid)
_STALE = re.compile(rf"^{PREFIX}_(?:tpl|seed|hq|br)_(\d+)(?:_\d+)?$")


# --- PostgreSQL ----------------------------------------------------------------------------------
def base_db_url() -> str:
    return os.environ.get("DATABASE_URL", "postgres://relasi@127.0.0.1:54329/relasi")


def db_url(name: str) -> str:
    """DATABASE_URL of the dev/CI server with another database name."""
    return urlsplit(base_db_url())._replace(path=f"/{name}").geturl()


def _admin():
    conn = psycopg2.connect(db_url("postgres"))
    conn.autocommit = True
    return conn


def create_database(name: str, template: str | None = None) -> None:
    conn = _admin()
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        conn.close()


def drop_database(name: str) -> None:
    conn = _admin()
    try:
        with conn.cursor() as cur:
            # FORCE: a gunicorn worker killed mid-request may leave its connection behind a moment.
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def drop_stale_databases() -> list[str]:
    """Databases an earlier session of this harness left behind (its process is gone)."""
    conn = _admin()
    dropped = []
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [PREFIX + r"\_%"])
            for (name,) in cur.fetchall():
                m = _STALE.match(name)
                if m and int(m.group(1)) != os.getpid() and not _alive(int(m.group(1))):
                    cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                    dropped.append(name)
    finally:
        conn.close()
    return dropped


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sql(url: str, query: str, params=()) -> list[tuple]:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(query, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, *args, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    if check and done.returncode != 0:
        raise CommandFailed(args, done)
    return done


class CommandFailed(AssertionError):
    def __init__(self, args, done: subprocess.CompletedProcess):
        self.done = done
        super().__init__(f"manage.py {' '.join(map(str, args))} exited {done.returncode}\n"
                         f"--- stdout\n{done.stdout[-3000:]}\n--- stderr\n{done.stderr[-5000:]}")


def base_env() -> dict:
    """The environment every instance starts from: this interpreter's, minus anything that would
    point an instance at the developer's own database, Redis or role."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_", "RELASI_", "SYNC_",
                                "BRANCH_CODE", "HQ_URL", "PYTEST_", "DJANGO_"))}
    env.update({
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "PATH": f"{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
        "DEBUG": "true",  # local, non-production: no HTTPS redirect, no static manifest needed
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "CONN_MAX_AGE": "0",  # no idle connections that outlive a test's database
        "LOG_LEVEL": "WARNING",
    })
    return env


# --- the template ----------------------------------------------------------------------------------
class Template:
    """A migrated database to clone from, and a seeded head office cloned from it once."""

    def __init__(self):
        pid = os.getpid()
        self.name = f"{PREFIX}_tpl_{pid}"
        self.seeded = f"{PREFIX}_seed_{pid}"
        self.made: list[str] = []
        self.seconds: dict[str, float] = {}
        self.token = ""  # the jks credential issued in the seeded head office

    def create(self) -> "Template":
        t = time.monotonic()
        create_database(self.name)
        self.made.append(self.name)
        manage({**base_env(), "DATABASE_URL": db_url(self.name)}, "migrate", "--noinput", "-v", "0", timeout=300)
        self.seconds["migrate"] = time.monotonic() - t
        return self

    def seed(self, customers: int = 300) -> "Template":
        """Head office with the demo (branches pusat, jks, sby, ...) and a credential for jks."""
        t = time.monotonic()
        create_database(self.seeded, template=self.name)
        self.made.append(self.seeded)
        env = {**base_env(), "DATABASE_URL": db_url(self.seeded), "RELASI_ROLE": "hq"}
        manage(env, "seed_demo", "--customers", str(customers), "--interactions-per-customer", "2",
               "--workers", "1", "-v", "0", timeout=300)
        if sync_commands_exist():
            self.token = manage(env, "sync_credential", "jks").stdout.strip().splitlines()[-1]
        self.seconds["seed"] = time.monotonic() - t
        return self

    def drop(self) -> None:
        for name in reversed(self.made):
            drop_database(name)
        self.made.clear()


def sync_commands_exist() -> bool:
    return (ROOT / "branches" / "management" / "commands" / "sync_enrol.py").exists()


# --- one running instance ----------------------------------------------------------------------------
class Instance:
    """One running copy of the app on its own database, served by its own gunicorn."""

    def __init__(self, role: str, database: str, *, redis_db: int, env: dict | None = None, log_dir: Path):
        self.role = role
        self.database = database
        self.db_url = db_url(database)
        redis_base = os.environ.get("REDIS_URL", "redis://127.0.0.1:63799/0").rsplit("/", 1)[0]
        self.env = {
            **base_env(),
            "DATABASE_URL": self.db_url,
            "REDIS_URL": f"{redis_base}/{redis_db}",
            "CACHE_URL": f"{redis_base}/{redis_db + 1}",
            "RELASI_ROLE": role,
            "SYNC_CLOCK_OFFSET_SECONDS": "0",
            **(env or {}),
        }
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"{role}-{self.port}.log"
        self.process: subprocess.Popen | None = None

    # -- gunicorn
    def start(self, wait: bool = True) -> "Instance":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "crm.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers", "2",
             "--timeout", "150", "--graceful-timeout", "2", "--no-control-socket"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.role} gunicorn exited {self.process.returncode}:\n{self.log_tail()}")
            try:
                r = requests.get(f"{self.url}/accounts/login/", timeout=2)
                if r.status_code == 200:
                    return
                last = f"HTTP {r.status_code}"
            except requests.RequestException as e:
                last = e
            time.sleep(0.1)
        raise RuntimeError(f"{self.role} did not answer 200 on /accounts/login/ in {timeout} s ({last}):\n"
                           f"{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
            except ProcessLookupError:
                pass
        self.process = None

    def restart(self, **env_overrides) -> "Instance":
        """Restart gunicorn with a changed environment (same port, so the proxy still points here)."""
        self.stop()
        self.env.update({k: str(v) for k, v in env_overrides.items()})
        return self.start()

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    # -- commands, edits and checks
    def manage(self, *args, env: dict | None = None, check: bool = True, timeout: float = 120):
        return manage({**self.env, **{k: str(v) for k, v in (env or {}).items()}}, *args, check=check,
                      timeout=timeout)

    def shell(self, code: str, env: dict | None = None, timeout: float = 120) -> str:
        """Run ``code`` in ``manage.py shell`` with this instance's settings; its stdout."""
        return self.manage("shell", "-v", "0", "-c", code, env=env, timeout=timeout).stdout

    def shell_background(self, code: str, env: dict | None = None) -> subprocess.Popen:
        """``shell(code)`` without waiting: a Popen with text stdout/stderr pipes."""
        return subprocess.Popen([PYTHON, "manage.py", "shell", "-v", "0", "-c", code], cwd=ROOT,
                                env={**self.env, **{k: str(v) for k, v in (env or {}).items()}},
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def sql(self, query: str, params=()) -> list[tuple]:
        return sql(self.db_url, query, params)

    def __repr__(self):
        return f"<Instance {self.role} {self.database} {self.url}>"


# --- the fault-injecting proxy -------------------------------------------------------------------------
def _recv_request(sock: socket.socket) -> bytes:
    """One HTTP/1.1 request: headers, then a Content-Length body (what requests sends)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(min(1 << 20, length - len(body)))
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _recv_all(sock: socket.socket) -> bytes:
    # gunicorn's sync workers close the connection after every response.
    parts = []
    while chunk := sock.recv(1 << 20):
        parts.append(chunk)
    return b"".join(parts)


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset: the client sees "connection reset", at once, never a hang."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    except OSError:
        pass
    sock.close()


class FaultProxy:
    """A threaded TCP proxy in front of head office, one request per connection, with faults.

    - ``cut_response(prefix, times)``: HQ gets the whole request and answers (it committed), the
      client gets a reset instead of the answer: the lost acknowledgement.
    - ``cut_request(prefix, times, after_bytes)``: HQ gets only the first ``after_bytes`` bytes of
      the request, then both sides are closed.
    - ``down(True)``: every connection is reset at once (HQ unreachable). A reset rather than a
      closed port: nobody else can take the port meanwhile, and the client fails as fast.
    ``counts``: requests per path from the client; ``answered``: answers HQ gave per path;
    ``cuts``: faults applied per path.
    """

    def __init__(self, upstream_port: int):
        self.upstream = ("127.0.0.1", upstream_port)
        self.counts: Counter = Counter()
        self.answered: Counter = Counter()
        self.cuts: Counter = Counter()
        self._faults: list[dict] = []
        self._down = False
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                proxy._serve(self.request)

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=f"fault-proxy-{self.port}")

    def start(self) -> "FaultProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # -- faults
    def cut_response(self, path_prefix: str, times: int = 1, skip: int = 0) -> None:
        """The next ``times`` matching requests (after letting ``skip`` through) lose their answer."""
        with self._lock:
            self._faults.append({"kind": "response", "prefix": path_prefix, "left": times, "skip": skip})

    def cut_request(self, path_prefix: str, times: int = 1, after_bytes: int = 200, skip: int = 0) -> None:
        """The next ``times`` matching requests (after ``skip``) reach HQ cut after ``after_bytes``."""
        with self._lock:
            self._faults.append({"kind": "request", "prefix": path_prefix, "left": times, "after": after_bytes,
                                 "skip": skip})

    def down(self, is_down: bool = True) -> None:
        self._down = is_down

    def clear(self) -> None:
        """No faults and no counts: as if just started."""
        with self._lock:
            self._faults.clear()
            self.counts.clear()
            self.answered.clear()
            self.cuts.clear()
        self._down = False

    def pending_faults(self) -> int:
        with self._lock:
            return sum(f["left"] for f in self._faults)

    def _take_fault(self, path: str) -> dict | None:
        with self._lock:
            for f in self._faults:
                if f["left"] > 0 and path.startswith(f["prefix"]):
                    if f["skip"] > 0:
                        f["skip"] -= 1
                        continue
                    f["left"] -= 1
                    self.cuts[path] += 1
                    return dict(f)
        return None

    # -- one connection
    def _serve(self, client: socket.socket) -> None:
        if self._down:
            _reset(client)
            return
        client.settimeout(30)
        try:
            request = _recv_request(client)
        except OSError:
            _reset(client)
            return
        if not request:
            client.close()
            return
        try:
            path = request.split(b"\r\n", 1)[0].split(b" ")[1].decode().split("?", 1)[0]
        except IndexError:
            _reset(client)
            return
        with self._lock:
            self.counts[path] += 1
        fault = self._take_fault(path)
        try:
            upstream = socket.create_connection(self.upstream, timeout=180)
        except OSError:  # HQ itself is down (e.g. restarting): the client sees a reset
            _reset(client)
            return
        try:
            if fault and fault["kind"] == "request":
                # Never the whole request: at least its last byte is withheld.
                upstream.sendall(request[: min(fault["after"], len(request) - 1)])
                _reset(upstream)
                _reset(client)
                return
            upstream.sendall(request)
            answer = _recv_all(upstream)
            with self._lock:
                self.answered[path] += 1
            if fault and fault["kind"] == "response":
                _reset(client)  # HQ did the work and answered; the branch never hears it
                return
            client.sendall(answer)
            client.close()
        except OSError:
            _reset(client)
        finally:
            upstream.close()


# --- the pair ------------------------------------------------------------------------------------------
class Pair:
    """Head office (seeded demo, a jks credential) behind a FaultProxy, and the jks branch instance
    enrolled through the proxy. Redis: HQ on dbs 10/11, the branch on 12/13."""

    BRANCH = "jks"
    _n = 0

    def __init__(self, template: Template):
        Pair._n += 1
        pid, n = os.getpid(), Pair._n
        self.template = template
        self.log_dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}_{pid}_{n}_"))
        self.hq_db, self.branch_db = f"{PREFIX}_hq_{pid}_{n}", f"{PREFIX}_br_{pid}_{n}"
        self.token = template.token
        self.hq: Instance | None = None
        self.branch: Instance | None = None
        self.proxy: FaultProxy | None = None
        self.enrolled = False
        self.last_sync: subprocess.CompletedProcess | None = None
        self.seconds: dict[str, float] = {}

    def start(self, enrol: bool = True) -> "Pair":
        t = time.monotonic()
        create_database(self.hq_db, template=self.template.seeded)
        create_database(self.branch_db, template=self.template.name)
        _flush_redis(10, 11, 12, 13)
        self.hq = Instance("hq", self.hq_db, redis_db=10, log_dir=self.log_dir).start(wait=False)
        self.proxy = FaultProxy(self.hq.port).start()
        self.branch = Instance("branch", self.branch_db, redis_db=12, log_dir=self.log_dir, env={
            "BRANCH_CODE": self.BRANCH, "HQ_URL": self.proxy.url, "SYNC_TOKEN": self.token})
        self.branch.start(wait=False)  # both boot while the other one does
        self.hq.wait_ready()
        self.branch.wait_ready()
        self.seconds["up"] = time.monotonic() - t
        if enrol and sync_commands_exist() and self.token:
            self.enrol()
        return self

    def enrol(self) -> None:
        t = time.monotonic()
        self.branch.manage("sync_enrol")
        self.enrolled = True
        self.seconds["enrol"] = time.monotonic() - t

    def stop(self) -> None:
        for part in (self.branch, self.hq):
            if part is not None:
                part.stop()
        if self.proxy is not None:
            self.proxy.stop()
        for name in (self.branch_db, self.hq_db):
            drop_database(name)

    # -- what the reliability tests use
    def sync(self, *args, check: bool = True, env: dict | None = None, timeout: float = 150) -> dict | None:
        """``sync_now`` at the branch; the JSON of its last stdout line (None if it failed, see
        ``last_sync`` for its stderr)."""
        done = self.branch.manage("sync_now", *args, check=check, env=env, timeout=timeout)
        self.last_sync = done
        if done.returncode != 0:
            return None
        return json.loads(done.stdout.strip().splitlines()[-1])

    def checksums(self) -> tuple[dict, dict]:
        """(HQ's, the branch's) per-model checksums of the branch's rows and reference data."""
        def one(instance):
            return json.loads(instance.manage("sync_checksum", "--branch", self.BRANCH).stdout.strip()
                              .splitlines()[-1])

        return one(self.hq), one(self.branch)


def _flush_redis(*dbs: int) -> None:
    """Each pair starts with empty Redis dbs (cache, rate limits) of its own numbers only."""
    base = os.environ.get("REDIS_URL", "redis://127.0.0.1:63799/0").rsplit("/", 1)[0]
    for n in dbs:
        r = redis.Redis.from_url(f"{base}/{n}")
        try:
            r.flushdb()
        finally:
            r.close()
