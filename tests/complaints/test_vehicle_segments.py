"""A recall by VIN range and by production batch: the segment builder's criteria
(complaints/segments.py) and the QC page's recall from a defect group."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from complaints.models import Category
from complaints.segments import VinRangeField
from crm.models import Customer
from marketing import segments
from marketing.models import Segment
from tests.factories import AssetFactory, CustomerFactory

from .factories import ComplaintFactory

pytestmark = pytest.mark.django_db

PREFIX = "MHKA1BA1JNK000"


def vin(n: int) -> str:
    return f"{PREFIX}{n:03d}"


def one(key, value) -> dict:
    return {"groups": [[{"key": key, "value": value}]]}


def members(definition) -> set[int]:
    return set(Customer.objects.filter(segments.definition_compile(definition).q()).values_list("pk", flat=True))


@pytest.fixture
def fleet(branch_a):
    """Eleven owners of one Avanza each, VINs …100 to …110, every other one of batch B-7;
    their VINs stored as typed (some lower case). Plus a car without VIN or batch."""
    owners = {}
    for n in range(100, 111):
        owner = CustomerFactory(branch=branch_a, phone=f"+6281300001{n}")
        typed = vin(n).lower() if n % 3 == 0 else vin(n)
        AssetFactory(customer=owner, model="Avanza", year=2023, vin=typed,
                     production_batch="B-7" if n % 2 == 0 else "B-8", plate_number=f"D {n} VIN")
        owners[n] = owner.pk
    bare = CustomerFactory(branch=branch_a, phone="+628130000999")
    AssetFactory(customer=bare, model="Avanza", year=2023, plate_number="D 999 NO")
    owners["bare"] = bare.pk
    return owners


@pytest.mark.parametrize("first,last", [(103, 107), (100, 110), (105, 105), (99, 101), (110, 120)])
def test_a_vin_range_picks_exactly_the_vehicles_inside_it_bounds_included(fleet, first, last):
    expected = {fleet[n] for n in range(100, 111) if first <= n <= last}
    assert members(one("vehicle_vin_range", f"{vin(first)}..{vin(last)}")) == expected


def test_a_vin_range_reads_lower_case_spaces_and_other_separators(fleet):
    want = {fleet[n] for n in (103, 104, 105)}
    for typed in (f"{vin(103).lower()} - {vin(105)}", f"{vin(103)} {vin(105)}", f"{vin(103)} to {vin(105)}",
                  f"{vin(103)}–{vin(105)}"):
        assert members(one("vehicle_vin_range", typed)) == want, typed


def test_a_short_bound_compares_as_text(fleet):
    # "…00010" comes before "…000100"; "…00011" before "…000110" (a longer VIN that starts
    # with the bound sorts after it), so …100 to …109 are inside and …110 is not.
    assert members(one("vehicle_vin_range", f"{PREFIX}10..{PREFIX}11")) == {
        fleet[n] for n in range(100, 110)}


@pytest.mark.parametrize("typed,message", [
    ("MHKA1BA1JNK000100", "Give two VINs"),
    ("A..B..C", "Give two VINs"),
    (f"{vin(105)}..{vin(101)}", "must not come after"),
    ("MHK*1..MHK2", "up to 17 letters and digits"),
    (f"{vin(100)}XYZ..{vin(101)}", "up to 17 letters and digits"),
])
def test_a_bad_vin_range_is_an_error_at_its_row(typed, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        segments.definition_compile({"groups": [[{"key": "vehicle_vin_range", "value": typed}]]})
    assert message in str(error.value.message_dict["0-0"])


def test_the_vin_range_field_cleans_to_upper_case_bounds():
    assert VinRangeField().clean(f" {vin(1).lower()} .. {vin(2)} ") == (vin(1), vin(2))


def test_the_batch_picks_only_that_batch(fleet):
    assert members(one("vehicle_batch", "B-7")) == {fleet[n] for n in range(100, 111, 2)}
    assert members(one("vehicle_batch", "b-8")) == {fleet[n] for n in range(101, 111, 2)}
    assert members(one("vehicle_batch", "B-9")) == set()


def test_vin_range_and_batch_together_in_a_group(fleet):
    definition = {"groups": [[{"key": "vehicle_vin_range", "value": f"{vin(103)}..{vin(108)}"},
                              {"key": "vehicle_batch", "value": "B-7"}]]}
    assert members(definition) == {fleet[104], fleet[106], fleet[108]}


def test_the_builder_offers_both_criteria_to_marketing(marketing_a):
    keys = {c.key for c in segments.criteria_for(marketing_a)}
    assert {"vehicle_vin_range", "vehicle_batch"} <= keys


# --- from a QC defect group ------------------------------------------------------------------
GROUP = {"component": "Door lock", "model": "Avanza", "batch": "B-7"}


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def group(fleet, branch_a):
    """Three door-lock complaints naming batch B-7 (on 2021 Avanzas, a year no fleet car has)."""
    for n in range(3):
        owner = CustomerFactory(branch=branch_a, phone=f"+62813000020{n}")
        car = AssetFactory(customer=owner, model="Avanza", year=2021, plate_number=f"D {n} DL")
        ComplaintFactory(customer=owner, category=Category.PRODUCTION_DEFECT, asset=car,
                         now=timezone.now() - dt.timedelta(days=2),
                         defect={"component": "Door lock", "batch": "B-7", "model_year": 2021})
    return fleet


def recall(client, **extra):
    return client.post(reverse("complaints:qc_recall_segment"), {**GROUP, **extra}, follow=True)


def test_a_recall_by_batch_reaches_the_owners_of_that_batch(group, readonly_a):
    page = recall(as_user(readonly_a), reach="batch")
    assert "Segment" in page.content.decode()
    segment = Segment.objects.get()
    assert set(segment.members.values_list("customer_id", flat=True)) == {group[n] for n in range(100, 111, 2)}
    assert "vehicles of the batch" in segment.name


def test_a_recall_by_batch_and_vin_range(group, readonly_a):
    recall(as_user(readonly_a), reach="batch", vin_from=vin(101).lower(), vin_to=vin(106))
    segment = Segment.objects.get()
    assert set(segment.members.values_list("customer_id", flat=True)) == {group[102], group[104], group[106]}
    assert f"VIN {vin(101)}–{vin(106)}" in segment.name


def test_a_recall_by_model_years_and_vin_range_puts_both_on_one_vehicle(group, readonly_a, branch_a):
    # The owner of a 2021 Avanza outside the range and a 2023 one inside it: no vehicle meets both.
    mixed = CustomerFactory(branch=branch_a, phone="+628130000777")
    AssetFactory(customer=mixed, model="Avanza", year=2021, vin="ZZZ", plate_number="D 7 MX")
    AssetFactory(customer=mixed, model="Avanza", year=2023, vin=vin(105), plate_number="D 8 MX")
    inside = CustomerFactory(branch=branch_a, phone="+628130000778")
    AssetFactory(customer=inside, model="Avanza", year=2021, vin=vin(105), plate_number="D 9 MX")
    recall(as_user(readonly_a), vin_from=vin(100), vin_to=vin(110))
    assert set(Segment.objects.get().members.values_list("customer_id", flat=True)) == {inside.pk}


@pytest.mark.parametrize("extra,message", [
    ({"vin_from": vin(106), "vin_to": vin(101)}, "must not come after"),
    ({"vin_from": "MHK#1"}, "up to 17 letters and digits"),
    ({"reach": "batch", "batch": ""}, "no production batch"),
])
def test_a_bad_recall_is_a_message_not_a_segment(group, readonly_a, extra, message):
    page = recall(as_user(readonly_a), **extra)
    assert message in page.content.decode()
    assert not Segment.objects.exists()


def test_the_qc_page_offers_the_batch_and_the_vin_range(group, readonly_a):
    html = as_user(readonly_a).get(reverse("complaints:qc_report")).content.decode()
    assert 'name="reach" value="batch"' in html and 'name="vin_from"' in html and 'name="vin_to"' in html


def test_staff_record_a_vehicles_production_batch_and_a_defect_complaint_takes_it(branch_a):
    from complaints.models import Complaint
    from crm.admin import AssetAdmin
    from crm.forms import AssetForm

    assert "production_batch" in AssetForm.Meta.fields and "production_batch" in AssetAdmin.fields
    owner = CustomerFactory(branch=branch_a, phone="+628130000555")
    form = AssetForm({"make": "Toyota", "model": "Avanza", "year": "2023", "vin": vin(1), "plate_number": "D 1 PB",
                      "production_batch": "B-2025-07"})
    assert form.is_valid(), form.errors
    car = AssetFactory(customer=owner, **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")})
    assert car.production_batch == "B-2025-07"
    complaint = ComplaintFactory(customer=owner, category=Category.PRODUCTION_DEFECT, asset=car,
                                 defect={"component": "Door lock"})
    assert Complaint.objects.get(pk=complaint.pk).defect_batch == "B-2025-07"
