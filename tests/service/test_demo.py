"""The workshop's demo step: service types, bays per workshop branch, a few bookings; safe to run again."""

import io

import pytest

from crm.registry import DemoContext, demo_steps
from service import demo
from service.models import Bay, Booking, ServiceType, Technician
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


def test_it_seeds_the_workshop_once(head_office, branch_a, branch_b, customer_a, django_assert_max_num_queries):
    for n in range(3):
        AssetFactory(customer=customer_a, plate_number=f"D {n + 1} DM")
    out = io.StringIO()
    demo_steps.get("service").run(DemoContext(customers=1, branches=[head_office, branch_a, branch_b], stdout=out))
    assert ServiceType.objects.count() == len(demo.SERVICE_TYPES)
    assert not Bay.objects.filter(branch=head_office).exists()
    assert Bay.objects.filter(branch=branch_a).count() == len(demo.BAYS) == Bay.objects.filter(branch=branch_b).count()
    assert Booking.objects.filter(branch=branch_a).count() == 3  # one per vehicle with a plate
    assert not Booking.objects.filter(branch=branch_b).exists()  # no customer with a vehicle there
    assert "6 service types, 6 bays, 3 bookings, 6 technicians" in out.getvalue()
    assert Technician.objects.filter(branch=branch_a).count() == len(demo.TECHNICIANS)
    assert not Technician.objects.filter(branch=head_office).exists()
    again = demo.seed(branches=[head_office, branch_a, branch_b])
    assert again == {"service_types": 0, "bays": 0, "bookings": 0, "technicians": 0}
