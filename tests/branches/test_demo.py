"""The branches' demo step: workshop hours, the Lebaran closure, a renovation; safe to run again."""

import datetime as dt
import io

import pytest

from branches import demo
from branches.models import Closure, OpeningHours
from branches.selectors import business_add
from crm.registry import DemoContext, demo_steps

pytestmark = pytest.mark.django_db


def test_it_seeds_hours_and_closures_once(head_office, branch_a, branch_b):
    out = io.StringIO()
    demo_steps.get("branches").run(DemoContext(customers=0, branches=[head_office, branch_a, branch_b], stdout=out))
    # Head office and the first branch keep the default hours; the second gets workshop hours.
    assert set(OpeningHours.objects.values_list("branch_id", flat=True)) == {branch_b.pk}
    assert OpeningHours.objects.filter(branch=branch_b).count() == len(demo.WORKSHOP_HOURS)
    assert sorted(Closure.objects.values_list("branch__code", "reason")) == [
        ("bdg", "Libur Lebaran bengkel"), ("sby", "Libur Lebaran bengkel"), ("sby", "Renovasi ruang servis")]
    assert "12 opening ranges, 3 closures" in out.getvalue()
    # Friday prayers: 11:00 + 90 minutes on a Friday is 13:30 + 30.
    friday = dt.datetime(2026, 11, 27, 11, 0, tzinfo=dt.timezone(dt.timedelta(hours=7)))
    assert business_add(branch_b, friday, 90).strftime("%H:%M") == "14:00"
    again = demo.seed(branches=[head_office, branch_a, branch_b])
    assert again == {"hours": 0, "closures": 0}
    assert Closure.objects.count() == 3
