"""Change capture of the branch sync (issue 16, branches/capture.py): the statement triggers on
every synced table log one ``branches_change`` row per changed record, in the writing
transaction, whatever path wrote it (ORM, ``QuerySet.update``, raw SQL, the collector)."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from accounts.models import Department
from branches import capture
from branches.models import Change, FieldClock
from branches.wire import shape
from complaints.services import complaint_note_add
from crm import services, sync
from crm.models import Customer
from sales import orders
from sales.models import BranchPrice, Stage, OrderVehicle, PaymentDue, QuotationLine
from service.models import BookingEvent
from service.services import job_line_add
from tests.complaints.factories import ComplaintFactory
from tests.factories import AssetFactory, BranchFactory, CustomerFactory, TagFactory, UserFactory
from tests.sales.factories import (
    ActivityFactory,
    LeadFactory,
    OpportunityFactory,
    SalesOrderFactory,
    ShipmentFactory,
    VehicleFactory,
)
from tests.service.factories import BookingFactory, TechnicianFactory

pytestmark = pytest.mark.django_db

LABELS = [m._meta.label_lower for m in sync.synced_models()]


def _public_ids() -> dict[str, set]:
    return {label: set(m._base_manager.values_list("public_id", flat=True))
            for label, m in zip(LABELS, sync.synced_models())}


def _world():
    """One new row of every synced model, at a new branch, through the services and factories
    where they exist (the minimum through the ORM otherwise)."""
    branch = BranchFactory(code="jks", name="Cabang Jakarta Selatan", city="Jakarta")
    user = UserFactory(branch=branch, department=Department.BRANCH_MANAGEMENT)
    customer = CustomerFactory(branch=branch, by=user)
    customer.tags.add(TagFactory(name="armada"))
    AssetFactory(customer=customer)
    services.contact_person_create(customer=customer, by=None, name="Rina")
    services.interaction_record(customer=customer, kind="call", channel="phone", direction="out", summary="Called")
    complaint = ComplaintFactory(customer=customer)
    complaint_note_add(complaint=complaint, body="Sudah dicek.", reply=False, by=user)
    LeadFactory(branch=branch, by=user)
    Stage.objects.create(name="Negosiasi harga", order=45, probability=60)
    OpportunityFactory(branch=branch, customer=customer)
    ActivityFactory(branch=branch, customer=customer)
    vehicle = VehicleFactory()
    BranchPrice.objects.create(branch=branch, product=vehicle, price=Decimal(245_000_000))
    order = SalesOrderFactory(branch=branch, by=user, vehicle=vehicle)
    due = orders.payment_due_add(order=order, by=user, kind=PaymentDue.Kind.DOWN_PAYMENT,
                                 due_date=timezone.localdate(), amount=Decimal(1_000_000))
    orders.payment_record(order=order, due=due, by=user, amount=Decimal(500_000), paid_on=timezone.localdate(),
                          method="transfer")
    if not OrderVehicle.objects.filter(order=order).exists():
        OrderVehicle.objects.create(order=order, line=QuotationLine.objects.filter(quotation__order=order).first()
                                    or QuotationLine.objects.filter(quotation__opportunity__branch=branch).first(),
                                    vin="MHKM1BA3JFK000001", allocated_at=timezone.now())
    ShipmentFactory(order=order)
    booking = BookingFactory(branch=branch)
    BookingEvent.objects.create(booking=booking, status=booking.status, at=timezone.now())
    TechnicianFactory(branch=branch)
    job_line_add(booking=booking, by=None, description="Ganti oli mesin")
    return branch


@pytest.fixture
def world():
    before = _public_ids()
    branch = _world()
    after = _public_ids()
    return branch, {label: after[label] - before[label] for label in LABELS}


def _expected_branch(model, pk):
    if sync.spec(model).owner != sync.BRANCH:
        return None
    return model._base_manager.filter(pk=pk).values_list(sync.branch_path(model), flat=True).get()


def _log(public_id) -> list[tuple]:
    return list(Change.objects.filter(public_id=public_id).order_by("id").values_list("op", "branch_id"))


# --- values that differ, found generically ----------------------------------------------------
def _other_values(field, value):
    """Candidate new values of ``field`` (current ``value``), most likely to be accepted first."""
    if field.choices:
        return [c for c in (k for k, _label in field.flatchoices) if c != value][:3]
    if isinstance(field, models.BooleanField):
        return [not value] if value is not None else [True]
    if isinstance(field, (models.CharField, models.TextField)):
        text = value or ""
        cut = (field.max_length or 200) - 1
        return [text[:cut] + ("Z" if not text.endswith("Z") else "Y")]
    if isinstance(field, models.DecimalField):
        return [(value or Decimal(0)) + 1]
    if isinstance(field, (models.IntegerField, models.FloatField)):
        return [(value or 0) + 1]
    if isinstance(field, models.DateTimeField):
        return [(value or timezone.now()) + dt.timedelta(days=1)]
    if isinstance(field, models.DateField):
        return [(value or timezone.localdate()) + dt.timedelta(days=1)]
    return []


def _rank(field) -> int:
    if isinstance(field, (models.CharField, models.TextField)) and not field.choices and not field.unique:
        return 0
    if isinstance(field, (models.CharField, models.TextField)):
        return 1
    # A value the database keeps (a stage change's left_at): no other trigger recomputes from it.
    return 2 if not field.editable else 3


def _edits(model, pk):
    """(field, new value) pairs of synced, non-relation fields that the database accepts, best first."""
    s = shape(model)
    row = model._base_manager.filter(pk=pk).values().get()
    fields = [f for f in s.fields if not f.is_relation and f.name not in ("public_id", "created_at", "updated_at")
              and f.name not in s.generic_ids and not isinstance(f, models.JSONField)]
    for f in sorted(fields, key=_rank):
        for v in _other_values(f, row[f.attname]):
            yield f, v


def _update_one(model, pk, *, raw: bool) -> str:
    """Change one synced field of the row (ORM ``QuerySet.update`` or a raw UPDATE); its name."""
    for f, v in _edits(model, pk):
        try:
            with transaction.atomic():
                if raw:
                    with connection.cursor() as cur:
                        table, pk_column = model._meta.db_table, model._meta.pk.column
                        cur.execute(f'UPDATE "{table}" SET "{f.column}" = %s WHERE "{pk_column}" = %s',
                                    [f.get_db_prep_save(v, connection), pk])
                        assert cur.rowcount == 1
                else:
                    assert model._base_manager.filter(pk=pk).update(**{f.attname: v}) == 1
            return f.name
        except (IntegrityError, DataError):
            continue
    raise AssertionError(f"{model._meta.label}: no field could be changed")


def _one_row_per_record(label) -> bool:
    """Each record of the model logged at most once by the statement (a database trigger of the
    table may move other records - the previous stage change's left_at - which log their own)."""
    rows = Change.objects.filter(model=label)
    return rows.count() == rows.values("public_id").distinct().count()


class _Undo(Exception):
    pass


# --- every synced model, every path -----------------------------------------------------------
@pytest.mark.parametrize("label", LABELS)
def test_it_logs_one_change_per_record_for_insert_update_raw_update_and_delete(label, world):
    branch, new = world
    model = next(m for m in sync.synced_models() if m._meta.label_lower == label)
    assert new[label], f"the world made no {label}"
    # Insert: exactly one "I" per new record, with its owning branch (NULL for reference data).
    for pid in new[label]:
        pk = model._base_manager.filter(public_id=pid).values_list("pk", flat=True).get()
        inserts = [row for row in _log(pid) if row[0] == "I"]
        assert inserts == [("I", _expected_branch(model, pk))], (label, pid)
    if sync.spec(model).owner == sync.BRANCH:
        assert _expected_branch(model, pk) == branch.pk
    pid = sorted(new[label])[0]
    obj_pk = model._base_manager.filter(public_id=pid).values_list("pk", flat=True).get()
    expected = _expected_branch(model, obj_pk)

    Change.objects.all().delete()
    changed = _update_one(model, obj_pk, raw=False)
    assert _log(pid) == [("U", expected)], (label, changed)
    assert _one_row_per_record(label)

    Change.objects.all().delete()
    changed_raw = _update_one(model, obj_pk, raw=True)
    assert _log(pid) == [("U", expected)], (label, changed_raw)
    assert _one_row_per_record(label)

    Change.objects.all().delete()
    with pytest.raises(_Undo), transaction.atomic():
        try:
            with transaction.atomic():
                model._base_manager.filter(pk=obj_pk).delete()
        except (ProtectedError, RestrictedError):
            # Rows other rows protect (a branch, a user, a stage): one DELETE statement, as raw
            # SQL would issue it (rolled back below: the foreign keys are checked at commit).
            model._base_manager.filter(pk=obj_pk)._raw_delete(connection.alias)
        assert not model._base_manager.filter(pk=obj_pk).exists()
        log = _log(pid)
        # One "D", last. (The collector may first touch the row itself - a cascade's database
        # trigger moving an opportunity's furthest stage - which logs a "U" before it.)
        assert [row for row in log if row[0] == "D"] == [("D", expected)], label
        assert log[-1] == ("D", expected) and len(log) <= 2, label
        raise _Undo


def test_every_synced_table_and_through_table_has_its_triggers():
    have = capture.installed()
    tables = capture.tables()
    assert {m._meta.db_table for m in sync.synced_models()} <= {t for t, _n in tables}
    assert "crm_customer_tags" in dict(tables)
    for table, n in tables:
        assert have.get(table, 0) == n, table
    with connection.cursor() as cur:
        cur.execute("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                    "WHERE c.relname = 'crm_customer' AND t.tgname LIKE 'relasi_sync_%%' ORDER BY 1")
        assert [r[0] for r in cur.fetchall()] == ["relasi_sync_d", "relasi_sync_i", "relasi_sync_u"]


# --- customers in detail ------------------------------------------------------------------------
@pytest.fixture
def customers(branch_a):
    made = [CustomerFactory(branch=branch_a) for _ in range(50)]
    Change.objects.all().delete()
    FieldClock.objects.all().delete()
    return made


def test_a_multi_row_raw_update_logs_every_row_in_one_statement(customers, branch_a):
    values = ", ".join(["(%s, %s)"] * len(customers))
    params = [p for c in customers for p in (c.pk, f"Kota {c.pk}")]
    with connection.cursor() as cur:
        cur.execute(f"UPDATE crm_customer c SET city = v.city FROM (VALUES {values}) AS v(id, city) "
                    "WHERE c.id = v.id", params)
        assert cur.rowcount == 50
    log = list(Change.objects.values_list("public_id", "op", "branch_id", "fields"))
    assert len(log) == 50
    assert {r[0] for r in log} == {c.public_id for c in customers}
    assert {(r[1], r[2]) for r in log} == {("U", branch_a.pk)}
    assert all(r[3] == ["city"] for r in log)
    # One statement: one transaction id, and consecutive ids (one INSERT of the trigger).
    ids = sorted(Change.objects.values_list("id", flat=True))
    assert ids == list(range(ids[0], ids[0] + 50))


def test_a_rolled_back_transaction_logs_nothing(customers):
    with pytest.raises(RuntimeError), transaction.atomic():
        Customer.objects.filter(pk__in=[c.pk for c in customers]).update(city="Depok")
        CustomerFactory(branch=customers[0].branch)
        assert Change.objects.count() > 50  # logged in the transaction ...
        raise RuntimeError
    assert Change.objects.count() == 0  # ... and gone with it
    assert FieldClock.objects.count() == 0


def test_rows_the_sync_itself_writes_are_not_logged(customers):
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('relasi.sync_origin', 'jks', true)")
        Customer.objects.filter(pk=customers[0].pk).update(city="Depok")
        CustomerFactory(branch=customers[0].branch)
        customers[1].delete()
        assert Change.objects.count() == 0
        assert FieldClock.objects.count() == 0
        with connection.cursor() as cur:
            cur.execute("SELECT set_config('relasi.sync_origin', '', true)")
    Customer.objects.filter(pk=customers[2].pk).update(city="Bogor")  # logged again once unset
    assert _log(customers[2].public_id) == [("U", customers[2].branch_id)]


def test_an_update_that_changes_nothing_synced_logs_nothing(customers):
    customer = customers[0]
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now() + dt.timedelta(hours=1))
    with connection.cursor() as cur:
        cur.execute("UPDATE crm_customer SET city = city WHERE branch_id = %s", [customer.branch_id])
        assert cur.rowcount == 50
    Customer.objects.filter(pk=customer.pk).update(name=customer.name)
    assert Change.objects.count() == 0
    assert FieldClock.objects.count() == 0
    Customer.objects.filter(pk=customer.pk).update(name=customer.name + " Jr")  # the control
    assert Change.objects.count() == 1


def test_an_update_stamps_exactly_the_changed_fields_at_hq(customers):
    customer = customers[0]
    Customer.objects.filter(pk=customer.pk).update(city="Depok", phone="+6281299990000", updated_at=timezone.now())
    clocks = list(FieldClock.objects.filter(public_id=customer.public_id).values_list("model", "field", "node"))
    assert sorted(clocks) == [("crm.customer", "city", "hq"), ("crm.customer", "phone", "hq")]
    stamp = FieldClock.objects.get(public_id=customer.public_id, field="city")
    with connection.cursor() as cur:
        cur.execute("SELECT pg_current_xact_id()::text, relasi_hlc_now()")
        xid, now = cur.fetchone()
    assert stamp.xid == int(xid)
    assert 0 < now - stamp.hlc < (60_000 << 16)  # stamped this minute
    assert sorted(Change.objects.get(public_id=customer.public_id).fields) == ["city", "phone"]
    # A later edit of one field moves that field's stamp only.
    phone_stamp = FieldClock.objects.get(public_id=customer.public_id, field="phone").hlc
    Customer.objects.filter(pk=customer.pk).update(city="Bekasi")
    assert FieldClock.objects.get(public_id=customer.public_id, field="city").hlc > stamp.hlc
    assert FieldClock.objects.get(public_id=customer.public_id, field="phone").hlc == phone_stamp
    assert FieldClock.objects.filter(public_id=customer.public_id).count() == 2


def test_adding_a_tag_logs_the_customer_and_stamps_its_tags(customers):
    customer = customers[0]
    tag = TagFactory(name="vip")
    Change.objects.all().delete()
    customer.tags.add(tag)
    assert list(Change.objects.values_list("model", "public_id", "op", "branch_id", "fields")) == [
        ("crm.customer", customer.public_id, "U", customer.branch_id, ["tags"])]
    assert list(FieldClock.objects.values_list("model", "public_id", "field", "node")) == [
        ("crm.customer", customer.public_id, "tags", "hq")]
    Change.objects.all().delete()
    customer.tags.remove(tag)
    assert list(Change.objects.values_list("public_id", "fields")) == [(customer.public_id, ["tags"])]


def test_a_child_row_carries_the_branch_of_its_customer_also_when_deleted_with_it(customers, branch_a):
    customer = customers[0]
    asset = AssetFactory(customer=customer)
    Change.objects.all().delete()
    customer.delete()
    log = dict(Change.objects.filter(op="D").values_list("public_id", "branch_id"))
    assert log[asset.public_id] == branch_a.pk
    assert log[customer.public_id] == branch_a.pk


def test_a_new_public_id_is_never_logged_twice_for_one_insert_statement(branch_a):
    Change.objects.all().delete()
    Customer.objects.bulk_create([Customer(name=f"Massal {i}", phone=f"+6281377{i:05d}", branch=branch_a,
                                           public_id=uuid.uuid4()) for i in range(20)])
    assert Change.objects.filter(op="I").count() == 20
    assert Change.objects.values("public_id").distinct().count() == 20


def test_the_system_check_names_a_synced_table_that_lost_its_triggers(db):
    from branches.capture import check_installed

    assert check_installed(databases=["default"]) == []
    with connection.cursor() as cur:
        cur.execute("DROP TRIGGER relasi_sync_u ON crm_customer")
    warnings = check_installed(databases=["default"])
    assert [w.id for w in warnings] == ["branches.W001"] and "crm_customer" in warnings[0].msg
