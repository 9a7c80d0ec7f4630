"""Production settings pass Django's deploy check, and refuse to start without a secret key.

Each check runs ``manage.py`` in a fresh process with only the environment production would
have, so nothing from the developer's shell or the test run changes the outcome.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def manage(*args, **env):
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "DATABASE_URL", "REDIS_URL") if k in os.environ}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def production(**env):
    return {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "crm.example.id", **env}


def test_it_passes_the_deploy_check_in_production():
    env = production()
    assert len(env["SECRET_KEY"]) >= 50
    result = manage("check", "--deploy", "--fail-level", "WARNING", **env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output
    assert "System check identified no issues (0 silenced)." in result.stdout  # and nothing silenced


def test_it_refuses_to_start_in_production_without_a_secret_key():
    env = production()
    del env["SECRET_KEY"]
    result = manage("check", **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_it_refuses_to_start_in_production_with_an_empty_secret_key():
    result = manage("check", **production(SECRET_KEY=""))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
