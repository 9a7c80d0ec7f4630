"""The complaints demo step: one INSERT over the customers, routed by category; safe to run again."""

import io

import pytest

from complaints.models import Complaint
from crm.public import is_public_code
from crm.registry import DemoContext, demo_steps
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_it_adds_demo_complaints_once(branch_a):
    customers = [CustomerFactory(branch=branch_a) for _ in range(81)]
    wanted = sum(1 for c in customers if c.pk % 40 == 0)
    out = io.StringIO()
    demo_steps.get("complaints").run(DemoContext(customers=81, branches=[branch_a], stdout=out))
    assert Complaint.objects.count() == wanted > 0
    for complaint in Complaint.objects.all():
        assert is_public_code(complaint.code)
        assert complaint.department == {"order_status": "sales", "vehicle_repair": "service",
                                        "production_defect": "qc", "delivery": "shipment",
                                        "branch_data": "branch_mgmt"}[complaint.category]
        assert complaint.first_response_due > complaint.created_at
    demo_steps.get("complaints").run(DemoContext(customers=81, branches=[branch_a], stdout=out))
    assert Complaint.objects.count() == wanted
    assert "already there" in out.getvalue()
