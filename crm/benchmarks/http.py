"""The pages as users get them: through gunicorn with DEBUG off, over a real TCP connection,
logged in through the login form with a real session cookie.

The server runs the production settings (DEBUG off, a manifest of hashed static files,
persistent database connections); only HTTPS is off, since the benchmark talks plain HTTP
on loopback. It listens on a socket the benchmark bound itself (port 0, handed over to
gunicorn), so no port is ever guessed.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings

from .measure import Hit, timed

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def production_env(static_root: Path) -> dict[str, str]:
    """The environment of the production server, minus HTTPS (plain HTTP on loopback)."""
    env = dict(os.environ)
    env.update(
        DEBUG="0",
        SECRET_KEY=env.get("BENCH_SECRET_KEY", "bench-only-" + "x" * 50),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        STATIC_ROOT=str(static_root),
        LOG_LEVEL="WARNING",
    )
    return env


class GunicornServer:
    """``with GunicornServer() as server:`` — gunicorn on a port of its own, until the block ends."""

    def __init__(self, *, workers: int = 2, static_root: Path | None = None, start_timeout: float = 60):
        self.workers = workers
        self.static_root = static_root or Path(settings.BASE_DIR) / ".run" / "bench-static"
        self.start_timeout = start_timeout
        self.process = None
        self.port = None

    def __enter__(self):
        env = production_env(self.static_root)
        # DEBUG off serves static files from a manifest of hashed names: build it first.
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                       env=env, cwd=settings.BASE_DIR, check=True)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        self.port = sock.getsockname()[1]
        fd = sock.fileno()
        os.set_inheritable(fd, True)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "crm.wsgi", "--bind", f"fd://{fd}", "--workers", str(self.workers),
             "--no-control-socket", "--log-level", "warning", "--graceful-timeout", "3"],
            env=env, cwd=settings.BASE_DIR, pass_fds=[fd],
        )
        sock.close()  # gunicorn holds its own copy
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.process.returncode} before answering")
            try:
                status = self.request("GET", "/accounts/login/")[0]
                if status == 200:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError(f"gunicorn did not answer within {self.start_timeout:.0f} s")
            time.sleep(0.2)

    def __exit__(self, *exc):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def request(self, method: str, path: str, *, body: str | None = None, headers: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            data = response.read()
            return response.status, response.getheader("Set-Cookie", ""), data, response.getheader("Location", "")
        finally:
            conn.close()

    def log_in(self, email: str, password: str) -> HttpClient:
        """A client holding the session cookie the login form gives ``email``."""
        status, set_cookie, body, _ = self.request("GET", "/accounts/login/")
        cookies = SimpleCookie()
        cookies.load(set_cookie)
        token = CSRF_INPUT.search(body.decode()).group(1)
        form = urlencode({"csrfmiddlewaretoken": token, "username": email, "password": password})
        status, set_cookie, _, location = self.request(
            "POST", "/accounts/login/", body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "Cookie": f"csrftoken={cookies['csrftoken'].value}"},
        )
        cookies.load(set_cookie)
        if status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"logging in as {email} failed: HTTP {status}")
        return HttpClient(self, f"sessionid={cookies['sessionid'].value}", csrf_cookie=cookies["csrftoken"].value)


class HttpClient:
    name = "HTTP"

    def __init__(self, server: GunicornServer, cookie: str, *, csrf_cookie: str = ""):
        self.server = server
        self.cookie = cookie
        self.csrf_cookie = csrf_cookie  # the csrftoken cookie (the login rotates it)
        self.csrf_tokens: dict[str, str] = {}  # page -> the token of its form

    def get(self, url: str) -> Hit:
        ms, (status, _cookie, _body, _location) = timed(
            lambda: self.server.request("GET", url, headers={"Cookie": self.cookie})
        )
        return Hit(status, ms)

    def _csrf_token(self, page: str) -> str:
        """The token of the form on ``page`` (read once, untimed), as the page's script sends it."""
        if page not in self.csrf_tokens:
            status, set_cookie, body, _ = self.server.request("GET", page, headers={"Cookie": self._cookies()})
            cookies = SimpleCookie()
            cookies.load(set_cookie)
            if "csrftoken" in cookies:
                self.csrf_cookie = cookies["csrftoken"].value
            found = CSRF_INPUT.search(body.decode())
            if status != 200 or not found:
                raise RuntimeError(f"no CSRF token in {page}: HTTP {status}")
            self.csrf_tokens[page] = found.group(1)
        return self.csrf_tokens[page]

    def _cookies(self) -> str:
        return f"{self.cookie}; csrftoken={self.csrf_cookie}" if self.csrf_cookie else self.cookie

    def post(self, url: str, data: dict, *, headers: dict, csrf_from: str) -> Hit:
        token = self._csrf_token(csrf_from)
        sent = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": self._cookies(),
                "X-CSRFToken": token, "Referer": f"http://127.0.0.1:{self.server.port}{csrf_from}", **headers}
        body = urlencode(data)
        ms, (status, _cookie, _body, _location) = timed(
            lambda: self.server.request("POST", url, body=body, headers=sent)
        )
        return Hit(status, ms)
