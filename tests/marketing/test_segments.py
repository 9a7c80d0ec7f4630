"""Segments: each criterion alone and combined against hand-counted customers, scoping,
bad values, static lists from a CSV (issue 12)."""

import datetime as dt
import time

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Department
from crm.models import Customer
from marketing import segments
from marketing.models import Segment
from tests.factories import AssetFactory, CustomerFactory, TagFactory, UserFactory

pytestmark = pytest.mark.django_db


def _years_ago(years: int, days: int = 0) -> dt.date:
    today = timezone.localdate()
    return today.replace(year=today.year - years, day=1 if days == 0 else today.day) - dt.timedelta(days=days)


@pytest.fixture
def marketing_a(branch_a):
    return UserFactory(email="marketing.a@relasi.test", branch=branch_a, department=Department.MARKETING)


@pytest.fixture
def cast(branch_a, branch_b, sales_a):
    """Four customers whose every attribute is known (three at branch A, one at B)."""
    from sales.models import Lead
    from tests.sales.factories import LeadFactory

    today = timezone.localdate()
    now = timezone.now()
    ani = CustomerFactory(name="Ani", city="Bandung", province="Jawa Barat", branch=branch_a,
                          birth_date=_years_ago(30))
    bayu = CustomerFactory(name="Bayu", city="Cimahi", province="Jawa Barat", branch=branch_a,
                           birth_date=_years_ago(50, days=100))
    citra = CustomerFactory(name="Citra", city="bandung", province="", branch=branch_a)
    dedi = CustomerFactory(name="Dedi", city="Surabaya", province="Jawa Timur", branch=branch_b,
                           birth_date=_years_ago(30))
    Customer.objects.filter(pk=ani.pk).update(sms_consent=True, last_contact_at=now - dt.timedelta(days=100))
    Customer.objects.filter(pk=bayu.pk).update(email_consent=True, language="en",
                                               last_contact_at=now - dt.timedelta(days=5))
    Customer.objects.filter(pk=dedi.pk).update(sms_consent=True)
    ani.tags.add(TagFactory(name="vip"))
    AssetFactory(customer=ani, make="Toyota", model="Avanza", year=2020, purchase_date=dt.date(2020, 5, 1),
                 warranty_end=today + dt.timedelta(days=20), next_service_due=today + dt.timedelta(days=10))
    AssetFactory(customer=bayu, make="Honda", model="Jazz", year=2018, purchase_date=dt.date(2018, 1, 10),
                 warranty_end=today - dt.timedelta(days=1), next_service_due=today + dt.timedelta(days=60))
    AssetFactory(customer=dedi, make="Toyota", model="Rush", year=2020)
    lead = LeadFactory(branch=branch_a)
    Lead.objects.filter(pk=lead.pk).update(customer=citra)
    return {"ani": ani, "bayu": bayu, "citra": citra, "dedi": dedi}


def names(definition, user=None, branch=None) -> set[str]:
    compiled = segments.definition_compile(definition, user)
    qs = Customer.objects.filter(segments.scope_q(branch)).filter(compiled.q())
    return set(qs.values_list("name", flat=True)) & {"Ani", "Bayu", "Citra", "Dedi"}


def one(key, value):
    return {"groups": [[{"key": key, "value": value}]]}


@pytest.mark.parametrize("key,value,expected", [
    ("city", "BANDUNG", {"Ani", "Citra"}),
    ("province", "jawa barat", {"Ani", "Bayu"}),
    ("age_min", "40", {"Bayu"}),
    ("age_max", "40", {"Ani", "Dedi"}),
    ("age_min", "30", {"Ani", "Bayu", "Dedi"}),
    ("age_max", "29", set()),
    ("tag", "VIP", {"Ani"}),
    ("consent", "sms", {"Ani", "Dedi"}),
    ("consent", "email", {"Bayu"}),
    ("language", "en", {"Bayu"}),
    ("last_contact_after", (timezone.localdate() - dt.timedelta(days=30)).isoformat(), {"Bayu"}),
    ("last_contact_before", (timezone.localdate() - dt.timedelta(days=30)).isoformat(), {"Ani", "Citra", "Dedi"}),
    ("vehicle_make", "toyota", {"Ani", "Dedi"}),
    ("vehicle_model", "Jazz", {"Bayu"}),
    ("vehicle_year", "2020", {"Ani", "Dedi"}),
    ("purchased_from", "2019-01-01", {"Ani"}),
    ("purchased_to", "2019-01-01", {"Bayu"}),
    ("warranty_ending", "30", {"Ani"}),
    ("warranty_ending", "10", set()),
    ("service_due", "30", {"Ani"}),
    ("service_due", "90", {"Ani", "Bayu"}),
    ("sales.open_lead", "yes", {"Citra"}),
    ("sales.open_lead", "no", {"Ani", "Bayu", "Dedi"}),
    ("sales.open_opportunity", "yes", set()),
    ("complaints.open", "no", {"Ani", "Bayu", "Citra", "Dedi"}),
])
def test_it_selects_by_each_criterion_alone(cast, key, value, expected):
    assert names(one(key, value)) == expected


def test_it_selects_by_birthday_month_and_branch(cast, branch_b):
    month = timezone.localdate().month
    assert names(one("birthday_month", str(month))) == {"Ani", "Dedi"}
    assert names(one("branch", str(branch_b.pk))) == {"Dedi"}


def test_it_selects_by_open_complaint_and_booking(cast, branch_a):
    from tests.complaints.factories import ComplaintFactory
    from tests.service.factories import BookingFactory

    ComplaintFactory(customer=cast["bayu"])
    booking = BookingFactory(branch=branch_a)
    assert names(one("complaints.open", "yes")) == {"Bayu"}
    booked = Customer.objects.filter(segments.definition_compile(one("service.booking", "yes")).q())
    assert list(booked.values_list("pk", flat=True)) == [booking.customer_id]


def test_it_ands_inside_a_group_and_ors_between_groups(cast):
    definition = {"groups": [
        [{"key": "city", "value": "bandung"}, {"key": "consent", "value": "sms"}],  # Ani
        [{"key": "vehicle_make", "value": "Honda"}],  # Bayu
    ]}
    assert names(definition) == {"Ani", "Bayu"}
    three = {"groups": [[{"key": "vehicle_make", "value": "Toyota"}, {"key": "consent", "value": "sms"},
                         {"key": "age_max", "value": "35"}]]}
    assert names(three) == {"Ani", "Dedi"}


def test_it_counts_a_customer_with_two_matching_vehicles_once(cast):
    AssetFactory(customer=cast["ani"], make="Toyota", model="Yaris", year=2021)
    compiled = segments.definition_compile(one("vehicle_make", "Toyota"))
    assert Customer.objects.filter(compiled.q()).count() == 2


def test_it_scopes_to_the_segments_branch(cast, branch_a):
    assert names(one("consent", "sms"), branch=branch_a) == {"Ani"}
    assert names(one("consent", "sms"), branch=None) == {"Ani", "Dedi"}


@pytest.mark.parametrize("key,value,message", [
    ("age_min", "200", "less than or equal to 120"),
    ("age_min", "abc", "whole number"),
    ("warranty_ending", "0", "greater than or equal to 1"),
    ("birthday_month", "13", "valid choice"),
    ("purchased_from", "31-31-2020", "valid date"),
    ("consent", "fax", "valid choice"),
    ("nope", "x", "Choose a condition"),
    ("city", "", "required"),
])
def test_it_refuses_a_bad_value_at_its_row(key, value, message):
    with pytest.raises(ValidationError) as exc:
        segments.definition_compile({"groups": [[{"key": "city", "value": "x"}, {"key": key, "value": value}]]})
    assert list(exc.value.message_dict) == ["0-1"]
    assert message in " ".join(exc.value.message_dict["0-1"])


def test_it_hides_criteria_the_user_may_not_use(cast, marketing_a):
    from django.contrib.auth.models import Permission

    assert "sales.open_lead" in {c.key for c in segments.criteria_for(marketing_a)}
    segments.definition_compile(one("sales.open_lead", "yes"), marketing_a)
    outsider = UserFactory(branch=marketing_a.branch, department=Department.MARKETING)
    outsider.groups.clear()
    outsider.user_permissions.add(Permission.objects.get(codename="view_segment"))
    outsider = type(outsider).objects.get(pk=outsider.pk)  # no cached permissions
    keys = {c.key for c in segments.criteria_for(outsider)}
    assert "city" in keys and "sales.open_lead" not in keys
    with pytest.raises(ValidationError):
        segments.definition_compile(one("sales.open_lead", "yes"), outsider)


def test_it_saves_a_segment_of_the_authors_branch(cast, marketing_a, branch_a):
    segment = segments.segment_save(segment=Segment(name="Bandung SMS"), by=marketing_a,
                                    definition={"groups": [[{"key": "consent", "value": "sms"}]]})
    assert segment.branch == branch_a
    assert list(segments.segment_customers(segment).values_list("name", flat=True)) == ["Ani"]


def test_it_refuses_to_save_a_bad_definition(marketing_a):
    with pytest.raises(ValidationError):
        segments.segment_save(segment=Segment(name="x"), by=marketing_a, definition=one("age_max", "-1"))
    assert not Segment.objects.exists()


# --- static lists --------------------------------------------------------------------------
def test_it_reads_a_list_of_phones_and_emails_with_junk_by_line(cast, branch_a):
    csv_text = "\n".join([
        "phone",  # header, skipped
        "0812-0000-0000",  # not a customer
        cast["ani"].phone.replace("+62", "0"),  # Ani, written the local way
        "  ",  # blank: skipped
        "bukan nomor",  # junk (line 5)
        cast["bayu"].email.upper(),  # Bayu by email
        cast["dedi"].phone,  # Dedi: another branch, so not found for branch A
        "a@b",  # junk (line 8)
        cast["ani"].phone,  # Ani again
    ]).encode()
    report = segments.static_list_read(csv_text, branch=branch_a)
    assert sorted(report.customer_ids) == sorted([cast["ani"].pk, cast["bayu"].pk])
    assert report.matched_lines == 3
    assert [line for line, _why in report.junk] == [5, 8]
    assert report.unmatched_count == 2 and [line for line, _v in report.unmatched] == [2, 7]


def test_it_reads_200000_lines_with_junk_quickly(branch_a):
    customers = [CustomerFactory(branch=branch_a) for _ in range(5)]
    lines = [f"0813{n:08d}" if n % 1000 else "zzz" for n in range(200_000)]
    lines[10] = customers[0].phone
    lines[20] = customers[1].email
    started = time.monotonic()
    report = segments.static_list_read("\n".join(lines).encode(), branch=branch_a)
    elapsed = time.monotonic() - started
    assert report.lines == 200_000
    assert report.junk_count == 200 and report.junk[0] == (1, "neither a phone number nor an email address")
    assert sorted(report.customer_ids) == sorted([customers[0].pk, customers[1].pk])
    assert len(report.unmatched) == segments.REPORT_SAMPLES
    assert elapsed < 10, f"reading 200,000 lines took {elapsed:.1f} s"  # 1.5 s measured


def test_it_creates_a_static_segment_from_ids_or_a_queryset(cast, branch_a, marketing_a):
    by_ids = segments.segment_static_create(name="Daftar", customers_qs_or_ids=[cast["ani"].pk, cast["dedi"].pk],
                                            branch=branch_a, by=marketing_a)
    assert set(segments.segment_customers(by_ids).values_list("name", flat=True)) == {"Ani"}  # Dedi is at B
    by_qs = segments.segment_static_create(name="Semua", customers_qs_or_ids=Customer.objects.all(), branch=None,
                                           by=marketing_a)
    assert segments.segment_customers(by_qs).count() == Customer.objects.count()
    assert by_qs.kind == Segment.Kind.STATIC


def test_a_live_count_that_takes_too_long_is_given_up(branch_a, monkeypatch):
    CustomerFactory(branch=branch_a)
    monkeypatch.setattr(segments, "LIVE_COUNT_TIMEOUT_MS", 20)
    slow = Customer.objects.extra(where=["pg_sleep(0.2) IS NOT NULL"])
    assert segments.count_and_sample(slow) == {"slow": True, "sample": []}
    assert segments.count_and_sample(Customer.objects.all())["count"] == 1  # the connection is fine after
