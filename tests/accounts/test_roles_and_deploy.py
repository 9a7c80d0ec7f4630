import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from accounts.models import Department
from accounts.services import staff_sync_role

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_it_has_one_role_group_per_department_with_its_permissions():
    groups = {g.name: {p.codename for p in g.permissions.all()} for g in Group.objects.all()}
    assert set(groups) >= {"Sales", "Marketing", "Service", "Quality Control", "Shipment", "Branch Management",
                           "Head Office"}
    assert "change_customer" in groups["Sales"]
    assert "change_customer" not in groups["Quality Control"]
    assert "add_interaction" in groups["Shipment"]
    assert "delete_customer" in groups["Head Office"] and "delete_customer" not in groups["Sales"]


@pytest.mark.django_db
def test_it_moves_staff_to_their_new_departments_group(sales_a):
    assert sales_a.has_perm("crm.change_customer")
    sales_a.department = Department.QUALITY_CONTROL
    sales_a.save()
    staff_sync_role(user=sales_a)
    assert [g.name for g in sales_a.groups.all()] == ["Quality Control"]


def _manage(env, *args):
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE must not leak into a production check.
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**base, **env},
                          capture_output=True, text=True, timeout=120)


def test_it_passes_the_deploy_check_with_production_settings():
    result = _manage({"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "crm.example.id"},
                     "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_it_refuses_production_without_a_secret_key():
    env = {"DEBUG": "false", "ALLOWED_HOSTS": "crm.example.id", "SECRET_KEY": ""}
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
