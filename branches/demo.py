"""Demo data of the branch calendar (seed_demo's "branches" step, registered in apps.py).

Workshop branches get workshop hours (Monday to Saturday, a lunch break, a longer break on
Friday for Friday prayers); head office and the first branch keep the default hours, so the
page's "default hours" note can be seen. Every branch closes for the workshop's Lebaran week
around Idul Fitri 2027 (beyond the cuti bersama days the national calendar already has), and
one branch closes two days next month for a renovation. Safe to run again: a branch that has
hours or closures of its own is left as it is.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from . import services
from .models import Closure, OpeningHours

WORKSHOP_HOURS = [
    *[(day, dt.time(8), dt.time(12)) for day in range(6)],
    *[(day, dt.time(13), dt.time(16)) for day in (0, 1, 2, 3, 5)],
    (4, dt.time(13, 30), dt.time(16)),  # Friday: back after Friday prayers
]
LEBARAN_2027 = (dt.date(2027, 3, 8), dt.date(2027, 3, 16), "Libur Lebaran bengkel")


def seed(*, branches, stdout=None) -> dict:
    """Opening hours and closures for the demo branches; returns what was created."""
    made = {"hours": 0, "closures": 0}
    branches = [b for b in branches]
    with_hours = set(OpeningHours.objects.filter(branch__in=branches).values_list("branch_id", flat=True))
    with_closures = set(Closure.objects.filter(branch__in=branches).values_list("branch_id", flat=True))
    workshops = [b for b in branches if not b.is_head_office]
    today = timezone.localdate()
    renovation_start = (today.replace(day=1) + dt.timedelta(days=40)).replace(day=10)
    for index, branch in enumerate(workshops):
        if index > 0 and branch.pk not in with_hours:
            made["hours"] += len(services.opening_hours_replace(branch=branch, ranges=WORKSHOP_HOURS))
        if branch.pk in with_closures:
            continue
        first, last, reason = LEBARAN_2027
        services.closure_create(branch=branch, starts_on=first, ends_on=last, reason=reason)
        made["closures"] += 1
        if index == 1:
            services.closure_create(branch=branch, starts_on=renovation_start,
                                    ends_on=renovation_start + dt.timedelta(days=1), reason="Renovasi ruang servis")
            made["closures"] += 1
    if stdout is not None:
        stdout.write(f"branches: {made['hours']} opening ranges, {made['closures']} closures")
    return made


def run(context) -> None:
    """seed_demo's step (crm.registry.DemoStep): the branches crm created."""
    seed(branches=context.branches, stdout=context.stdout)
