"""The departments' part of ``make bench``, found by convention like ``<app>/public_urls.py``.

An installed app may ship ``<app>/bench.py`` with two functions:

* ``seed(*, fraction: float, stdout) -> None`` tops the app's tables up to the sizes its issue
  names for 1,000,000 customers, times ``fraction`` (the customers loaded / 1,000,000). It must
  be safe to run again (it only adds what is missing) and load in bulk.
* ``cases(*, runs: int) -> list[Case]`` the pages to time, each as the demo user who would
  open it, with the issue's targets.

crm names no department: an app removed from INSTALLED_APPS takes its benchmark with it.
"""

from __future__ import annotations

import importlib
from importlib.util import find_spec
from types import ModuleType

from django.apps import apps

FULL_SIZE = 1_000_000  # the customer count the issues' department sizes are given for


def department_benchmarks() -> list[ModuleType]:
    found = []
    for config in apps.get_app_configs():
        name = f"{config.name}.bench"
        if config.name != "crm" and find_spec(config.name) and find_spec(name):
            found.append(importlib.import_module(name))
    return found


def scaled(count: int, fraction: float, *, least: int = 100) -> int:
    """``count`` (a size named for 1,000,000 customers) at this data size."""
    return max(least, round(count * fraction))
