"""The branch sync engine (issue 16, branches/sync.py) in one database: the log reader in commit
order, and head office's side of a push (replay, authorisation, per-field merge), pruning and
checksums. The same database plays the branch by making the branch's edits in a savepoint that
is rolled back once they are packaged (``at_branch``): head office has then never seen them."""

import contextlib
import datetime as dt
import random
import threading
import time
import uuid

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from branches import sync
from branches.models import BranchLink, Change, Conflict, FieldClock, ReceivedBatch, SyncCredential, SyncState
from crm import services
from crm.models import Asset, Customer, Interaction, Tag
from sales.models import Product
from branches.wire import dump, shape_for
from tests.factories import AssetFactory, BranchFactory, CustomerFactory
from tests.sales.factories_orders import ProductFactory

INSTANCE = str(uuid.uuid4())


# --- helpers ------------------------------------------------------------------------------------
def _sql(query, params=()):
    with connection.cursor() as cur:
        cur.execute(query, params)
        return cur.fetchone()


def _xid() -> int:
    return int(_sql("SELECT pg_current_xact_id()::text")[0])


def _log_rows(**filters) -> list[tuple]:
    """Log rows as read_log returns them. (read_log itself reads only below the oldest running
    transaction, and this test's transaction is still running: it would see nothing.)"""
    return [(int(x), i, m, str(p), op, f) for x, i, m, p, op, f in
            Change.objects.filter(**filters).order_by("xid", "id")
            .values_list("xid", "id", "model", "public_id", "op", "fields")]


class _Undo(Exception):
    pass


@contextlib.contextmanager
def at_branch(code, *, clock_offset_s=0):
    """Edits made inside happen at branch ``code``: stamped with its node (and its clock, which
    may run fast), packaged as the branch pushes them, then undone here. ``out["changes"]``."""
    out = {}
    start = Change.objects.aggregate(m=Max("id"))["m"] or 0
    with contextlib.suppress(_Undo), transaction.atomic():
        _sql("SELECT set_config('relasi.node', %s, true), set_config('relasi.clock_offset_ms', %s, true)",
             [code, str(clock_offset_s * 1000)])
        yield out
        rows = _log_rows(id__gt=start)
        out["changes"] = sync.package(rows)
        out["cursor_to"] = [rows[-1][0], rows[-1][1]] if rows else [0, 0]
        raise _Undo


def _body(out, *, seq=1, pulled_to=(0, 0), clock_offset_s=0, branch="jks"):
    return {"branch": branch, "instance": INSTANCE, "batch_seq": seq, "changes": out["changes"],
            "cursor_to": out["cursor_to"], "pulled_to": list(pulled_to), "pending": len(out["changes"]),
            "clock_ms": int(timezone.now().timestamp() * 1000) + clock_offset_s * 1000}


def _push(credential, body) -> dict:
    try:
        return sync.push_receive(credential, body)
    finally:
        # The apply marks its transaction as the sync's (the triggers log nothing); here that
        # transaction is the test's own, so head office's later edits must be logged again.
        _sql("SELECT set_config('relasi.sync_origin', '', true)")


@pytest.fixture
def credential(jks):
    sync.credential_issue(jks)
    return SyncCredential.objects.get(branch=jks)


@pytest.fixture
def customer_jks(jks):
    return CustomerFactory(name="Andi Wijaya", city="Jakarta", branch=jks)


@pytest.fixture
def customer_sby(sby):
    return CustomerFactory(name="Siti Rahayu", city="Surabaya", branch=sby)


# --- reading the log in commit order ------------------------------------------------------------
def _new_tags(n) -> list[str]:
    return [str(Tag.objects.create(name=uuid.uuid4().hex[:20]).public_id) for _ in range(n)]


def _writer(committed, lock, stop, errors, *, hold_ms):
    rnd = random.Random()
    try:
        while not stop.is_set():
            try:
                with transaction.atomic():
                    pids = _new_tags(rnd.randint(1, 5) if hold_ms else rnd.randint(1, 2))
                    if hold_ms:
                        time.sleep(rnd.uniform(0, hold_ms) / 1000)
                    if rnd.random() < 0.05:
                        raise _Undo
            except _Undo:
                continue
            with lock:
                committed.update(pids)
            if not hold_ms:
                time.sleep(0.002)
    except Exception as e:  # noqa: BLE001 - reported by the test
        errors.append(e)
    finally:
        connection.close()


def _read_new(cursor, seen: list) -> tuple:
    rows = sync.read_log(cursor, 1000, labels=["crm.tag"])
    seen += [r[3] for r in rows]
    return (rows[-1][0], rows[-1][1]) if rows else cursor


def _read_naive(after_id, seen: list) -> int:
    with connection.cursor() as cur:
        cur.execute("SELECT id, public_id FROM branches_change WHERE model = 'crm.tag' AND id > %s ORDER BY id",
                    [after_id])
        rows = cur.fetchall()
    seen += [str(p) for _i, p in rows]
    return rows[-1][0] if rows else after_id


@pytest.mark.django_db(transaction=True)
def test_the_reader_skips_nothing_while_transactions_commit_out_of_order():
    committed, lock, stop, errors = set(), threading.Lock(), threading.Event(), []
    writers = [threading.Thread(target=_writer, args=(committed, lock, stop, errors), kwargs={"hold_ms": 150}),
               threading.Thread(target=_writer, args=(committed, lock, stop, errors), kwargs={"hold_ms": 0})]
    for w in writers:
        w.start()
    seen, naive, cursor, naive_id = [], [], sync.ZERO, 0
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            cursor = _read_new(cursor, seen)
            naive_id = _read_naive(naive_id, naive)
            time.sleep(0.005)
    finally:
        stop.set()
        for w in writers:
            w.join()
    assert not errors
    # Drain: rows still below another transaction of the cluster become readable when it ends.
    deadline = time.monotonic() + 60
    while not committed <= set(seen) and time.monotonic() < deadline:
        cursor = _read_new(cursor, seen)
        time.sleep(0.02)
    naive_id = _read_naive(naive_id, naive)

    assert len(committed) > 200  # the writers did write
    assert committed - set(seen) == set(), "skipped"
    assert len(seen) == len(set(seen)), "read twice"
    assert set(seen) <= committed  # nothing of a rolled-back transaction
    naive_skipped = len(committed - set(naive))
    print(f"\nreader: committed {len(committed)}, read {len(seen)}, skipped 0, duplicates 0; "
          f"naive id > cursor on the same log: skipped {naive_skipped}")


@pytest.mark.django_db(transaction=True)
def test_a_transaction_held_open_delays_its_rows_and_those_after_it_until_it_commits():
    written, release, errors = threading.Event(), threading.Event(), []
    held = []

    def hold():
        try:
            with transaction.atomic():
                held.extend(_new_tags(1))
                written.set()
                release.wait(30)
        except Exception as e:  # noqa: BLE001
            errors.append(e)
        finally:
            connection.close()

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert written.wait(10)
        after = _new_tags(1)  # committed (autocommit), but after the held transaction began
        assert Tag.objects.filter(public_id=after[0]).exists()
        read = [r[3] for r in sync.read_log(sync.ZERO, 1000, labels=["crm.tag"])]
        assert held[0] not in read
        assert after[0] not in read  # it would sort before the held row's commit
    finally:
        release.set()
        t.join()
    assert not errors
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        read = [r[3] for r in sync.read_log(sync.ZERO, 1000, labels=["crm.tag"])]
        if held[0] in read and after[0] in read:
            break
        time.sleep(0.05)
    assert read.index(held[0]) < read.index(after[0])  # in commit order: the held one began first


@pytest.mark.django_db(transaction=True)
def test_a_transaction_held_open_in_another_database_does_not_hold_the_reader_back():
    import psycopg2

    params = {k: v for k, v in connection.get_connection_params().items()
              if k not in ("database", "dbname", "cursor_factory", "options")}
    other = psycopg2.connect(dbname="postgres", **params)
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_current_xact_id()")  # a transaction with an xid, left open
        after = _new_tags(1)
        deadline = time.monotonic() + 30
        while after[0] not in [r[3] for r in sync.read_log(sync.ZERO, 1000, labels=["crm.tag"])]:
            assert time.monotonic() < deadline, "held back by another database's transaction"
            time.sleep(0.05)
    finally:
        other.rollback()
        other.close()


# --- push at head office --------------------------------------------------------------------------
pytestmark_db = pytest.mark.django_db


@pytestmark_db
def test_a_push_applies_the_branchs_new_customer_and_its_children(jks, credential):
    with at_branch("jks") as out:
        made = CustomerFactory(name="Dewi Lestari", city="Jakarta", branch=jks)
        asset = AssetFactory(customer=made)
        note = services.interaction_record(customer=made, kind="call", channel="phone", direction="out",
                                           summary="Tanya servis berkala")
    assert not Customer.objects.filter(public_id=made.public_id).exists()  # head office has not seen it
    assert {c["m"] for c in out["changes"]} >= {"crm.customer", "crm.asset", "crm.interaction"}

    answer = _push(credential, _body(out))

    assert answer["acked"] == 1 and answer["applied"] >= 2 and answer["conflicts"] == 0
    customer = Customer.objects.get(public_id=made.public_id)
    assert (customer.name, customer.branch_id) == ("Dewi Lestari", jks.pk)
    assert Asset.objects.get(public_id=asset.public_id).customer_id == customer.pk
    assert Interaction.objects.get(public_id=note.public_id).summary == "Tanya servis berkala"
    assert ReceivedBatch.objects.get(branch=jks, batch_seq=1).answer == answer
    # Applied rows are not logged again at head office (the branch has them).
    assert not Change.objects.filter(public_id=made.public_id).exists()


@pytestmark_db
def test_a_replayed_batch_gets_the_stored_answer_and_changes_nothing(jks, credential):
    with at_branch("jks") as out:
        made = CustomerFactory(name="Dewi Lestari", city="Jakarta", branch=jks)
    body = _body(out)
    first = _push(credential, body)
    # Head office edits the row after the batch was applied; a replay must not undo that.
    Customer.objects.filter(public_id=made.public_id).update(name="Dewi Lestari (HQ)")
    before = (sync.checksums(), Change.objects.count(), Conflict.objects.count(), FieldClock.objects.count())

    again = _push(credential, body)

    assert again == first
    assert Customer.objects.get(public_id=made.public_id).name == "Dewi Lestari (HQ)"
    assert (sync.checksums(), Change.objects.count(), Conflict.objects.count(),
            FieldClock.objects.count()) == before
    assert ReceivedBatch.objects.filter(branch=jks).count() == 1
    # The same number from another copy of the branch is not answered as a replay.
    with pytest.raises(sync.Refused, match="another copy"):
        _push(credential, {**body, "instance": str(uuid.uuid4())})


@pytestmark_db
@pytest.mark.parametrize("claim_own_branch", [False, True], ids=["as_stored", "claiming_jks"])
def test_a_change_to_another_branchs_customer_is_refused_and_changes_nothing(
        jks, sby, credential, customer_jks, customer_sby, claim_own_branch):
    with at_branch("jks") as out:
        Customer.objects.filter(pk=customer_jks.pk).update(city="Depok")  # its own: fine alone
        Customer.objects.filter(pk=customer_sby.pk).update(name="Dicuri", city="Depok")
    if claim_own_branch:
        for c in out["changes"]:
            if c["id"] == str(customer_sby.public_id):
                c["row"]["branch"] = str(jks.public_id)
    before = sync.checksums()

    with pytest.raises(sync.Refused, match="another branch|not a row of branch"):
        _push(credential, _body(out))

    assert sync.checksums() == before
    customer_sby.refresh_from_db()
    customer_jks.refresh_from_db()
    assert (customer_sby.name, customer_sby.branch_id, customer_jks.city) == ("Siti Rahayu", sby.pk, "Jakarta")
    assert not ReceivedBatch.objects.exists()


@pytestmark_db
def test_a_new_row_for_another_branch_is_refused(jks, sby, credential):
    with at_branch("jks") as out:
        CustomerFactory(name="Penyusup", branch=sby)
    before = sync.checksums()
    with pytest.raises(sync.Refused, match="not a row of branch jks"):
        _push(credential, _body(out))
    assert sync.checksums() == before
    assert not Customer.objects.filter(name="Penyusup").exists()


@pytestmark_db
def test_a_change_of_reference_data_is_refused(jks, credential):
    product = ProductFactory(name="Kaca film")
    with at_branch("jks") as out:
        Product.objects.filter(pk=product.pk).update(name="Kaca film murah", unit_price=1)
    assert [c["m"] for c in out["changes"]] == ["sales.product"]
    with pytest.raises(sync.Refused, match="head-office data"):
        _push(credential, _body(out))
    product.refresh_from_db()
    assert (product.name, product.unit_price) == ("Kaca film", 1_000_000)


@pytestmark_db
def test_moving_a_customer_to_another_branch_deleting_theirs_or_adding_to_theirs_is_refused(
        jks, sby, credential, customer_jks, customer_sby):
    cases = []
    with at_branch("jks") as out:  # give one of ours away
        Customer.objects.filter(pk=customer_jks.pk).update(branch=sby)
    cases.append(out)
    with at_branch("jks") as out:  # delete one of theirs
        Customer.objects.filter(pk=customer_sby.pk).delete()
    cases.append(out)
    with at_branch("jks") as out:  # a vehicle for one of theirs
        AssetFactory(customer=customer_sby)
    cases.append(out)
    asset = AssetFactory(customer=customer_jks)
    with at_branch("jks") as out:  # one of our vehicles moved to one of theirs
        Asset.objects.filter(pk=asset.pk).update(customer=customer_sby)
    cases.append(out)
    before = sync.checksums()
    for i, out in enumerate(cases):
        assert out["changes"], i
        with pytest.raises(sync.Refused):
            _push(credential, _body(out, seq=i + 1))
    assert sync.checksums() == before
    assert not ReceivedBatch.objects.exists()


@pytestmark_db
def test_a_tag_added_at_the_branch_is_applied(jks, credential, customer_jks):
    vip = Tag.objects.create(name="vip")
    with at_branch("jks") as out:
        customer_jks.tags.add(vip)
    _push(credential, _body(out))
    assert list(customer_jks.tags.all()) == [vip]


@pytestmark_db
def test_a_row_hq_deleted_is_not_brought_back_by_a_branch_edit(jks, credential, customer_jks):
    with at_branch("jks") as out:
        Customer.objects.filter(pk=customer_jks.pk).update(city="Depok")
    customer_jks.delete()
    Change.objects.all().delete()
    _push(credential, _body(out))
    assert not Customer.objects.filter(public_id=customer_jks.public_id).exists()
    # The delete goes back to the branch.
    assert list(Change.objects.values_list("public_id", "op", "branch_id")) == [
        (customer_jks.public_id, "D", jks.pk)]


# --- per-field merge ----------------------------------------------------------------------------
@pytestmark_db
def test_a_field_edited_only_at_the_branch_is_taken(jks, credential, customer_jks):
    Customer.objects.filter(pk=customer_jks.pk).update(phone="+6281211112222")  # HQ edits another field
    with at_branch("jks") as out:
        Customer.objects.filter(pk=customer_jks.pk).update(city="Depok")
    answer = _push(credential, _body(out, pulled_to=(_xid(), 0)))
    customer_jks.refresh_from_db()
    assert (customer_jks.city, customer_jks.phone) == ("Depok", "+6281211112222")
    assert answer["conflicts"] == 0 and not Conflict.objects.exists()
    clock = FieldClock.objects.get(public_id=customer_jks.public_id, field="city")
    assert clock.node == "jks"


@pytestmark_db
def test_the_same_field_edited_at_hq_after_the_branchs_pull_is_a_conflict_the_later_stamp_wins(
        jks, credential, customer_jks):
    # HQ's edit is stamped first, the branch's after it: the branch's value wins.
    Customer.objects.filter(pk=customer_jks.pk).update(city="Bogor")
    pulled_to = (_xid(), 0)  # the branch had not received this transaction's edits
    with at_branch("jks") as out:
        Customer.objects.filter(pk=customer_jks.pk).update(city="Depok")
    _push(credential, _body(out, pulled_to=pulled_to))
    customer_jks.refresh_from_db()
    assert customer_jks.city == "Depok"
    conflict = Conflict.objects.get()
    assert (conflict.model, conflict.record_id, conflict.field) == ("crm.customer", customer_jks.public_id, "city")
    assert (conflict.hq_value, conflict.branch_value) == ("Bogor", "Depok")
    assert (conflict.winner, conflict.reason) == (Conflict.Winner.BRANCH, Conflict.Reason.BOTH_EDITED)
    assert conflict.branch_clock > conflict.hq_clock


@pytestmark_db
def test_a_later_hq_edit_wins_the_conflict_and_is_logged_for_the_branch(jks, credential, customer_jks):
    with at_branch("jks") as out:  # the branch edits first ...
        Customer.objects.filter(pk=customer_jks.pk).update(city="Depok")
    Customer.objects.filter(pk=customer_jks.pk).update(city="Bogor")  # ... head office later
    Change.objects.all().delete()
    _push(credential, _body(out, pulled_to=(_xid(), 0), seq=1))
    customer_jks.refresh_from_db()
    assert customer_jks.city == "Bogor"
    conflict = Conflict.objects.get()
    assert (conflict.winner, conflict.reason) == (Conflict.Winner.HQ, Conflict.Reason.BOTH_EDITED)
    # The verdict goes back to the branch on its next pull.
    assert list(Change.objects.values_list("model", "public_id", "branch_id")) == [
        ("crm.customer", customer_jks.public_id, jks.pk)]


@pytestmark_db
def test_a_field_the_branch_set_before_and_hq_changed_since_is_no_conflict_when_the_branch_edits_another(
        jks, credential, customer_jks):
    with at_branch("jks") as first:
        Customer.objects.filter(pk=customer_jks.pk).update(phone="+6281211110001")
    _push(credential, _body(first, pulled_to=(_xid(), 0)))
    sent = next(c for c in first["changes"] if c["m"] == "crm.customer")
    # Head office changes it later; the branch has not pulled that yet.
    Customer.objects.filter(pk=customer_jks.pk).update(phone="+6281299990002")
    pulled_to = (_xid(), 0)
    with at_branch("jks") as second:
        Customer.objects.filter(pk=customer_jks.pk).update(name="Andi Wijaya S.")
    # At the branch the phone is still its own earlier value, with its own earlier stamp.
    change = next(c for c in second["changes"] if c["m"] == "crm.customer")
    change["row"]["phone"], change["clock"]["phone"] = sent["row"]["phone"], sent["clock"]["phone"]

    _push(credential, _body(second, seq=2, pulled_to=pulled_to))

    customer_jks.refresh_from_db()
    assert (customer_jks.name, customer_jks.phone) == ("Andi Wijaya S.", "+6281299990002")
    assert not Conflict.objects.exists()  # the branch did not edit the phone again


@pytestmark_db
def test_an_hq_edit_the_branch_had_pulled_is_no_conflict(jks, credential, customer_jks):
    Customer.objects.filter(pk=customer_jks.pk).update(city="Bogor")
    with at_branch("jks") as out:
        Customer.objects.filter(pk=customer_jks.pk).update(city="Depok")
    _push(credential, _body(out, pulled_to=(_xid() + 1, 0)))  # pulled past HQ's edit
    customer_jks.refresh_from_db()
    assert customer_jks.city == "Depok"
    assert not Conflict.objects.exists()


@pytestmark_db
def test_a_branch_clock_too_far_ahead_never_wins(jks, credential, customer_jks):
    ahead = settings.SYNC_MAX_CLOCK_AHEAD_SECONDS + 2 * 3600
    Customer.objects.filter(pk=customer_jks.pk).update(city="Bogor")
    pulled_to = (_xid(), 0)
    with at_branch("jks", clock_offset_s=ahead) as out:  # edited after HQ, by a clock hours fast
        Customer.objects.filter(pk=customer_jks.pk).update(city="Depok")
    branch_stamp = next(c for c in out["changes"] if c["m"] == "crm.customer")["clock"]["city"]
    assert branch_stamp[0] > sync.hlc_now() + (3600_000 << 16)
    Change.objects.all().delete()

    answer = _push(credential, _body(out, pulled_to=pulled_to, clock_offset_s=ahead))

    customer_jks.refresh_from_db()
    assert customer_jks.city == "Bogor"
    conflict = Conflict.objects.get()
    assert (conflict.winner, conflict.reason) == (Conflict.Winner.HQ, Conflict.Reason.CLOCK_AHEAD)
    assert answer["clock_ahead_seconds"] >= ahead - 5
    assert list(Change.objects.values_list("model", "public_id", "branch_id")) == [
        ("crm.customer", customer_jks.public_id, jks.pk)]
    # Head office's clock did not jump to the branch's.
    assert (SyncState.objects.filter(pk=1).values_list("hlc_seen", flat=True).first() or 0) < branch_stamp[0]
    assert sync.hlc_now() < branch_stamp[0]


@pytestmark_db
@pytest.mark.parametrize("branch_later", [False, True])
def test_last_contact_merges_by_the_later_time_not_by_who_wrote_last(jks, credential, customer_jks, branch_later):
    hq_time = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    branch_time = hq_time + dt.timedelta(days=1 if branch_later else -1)
    Customer.objects.filter(pk=customer_jks.pk).update(last_contact_at=hq_time)
    pulled_to = (_xid(), 0)
    with at_branch("jks") as out:
        Customer.objects.filter(pk=customer_jks.pk).update(last_contact_at=branch_time, city="Depok")
    _push(credential, _body(out, pulled_to=pulled_to))
    customer_jks.refresh_from_db()
    assert customer_jks.city == "Depok"
    assert customer_jks.last_contact_at == max(hq_time, branch_time)
    assert not Conflict.objects.exists()


@pytestmark_db
def test_a_fast_branch_edit_of_a_field_hq_did_not_touch_is_taken_with_hqs_stamp(jks, credential, customer_jks):
    ahead = settings.SYNC_MAX_CLOCK_AHEAD_SECONDS + 2 * 3600
    with at_branch("jks", clock_offset_s=ahead) as out:
        Customer.objects.filter(pk=customer_jks.pk).update(city="Depok")
    _push(credential, _body(out, clock_offset_s=ahead))
    customer_jks.refresh_from_db()
    assert customer_jks.city == "Depok"  # nothing is lost ...
    assert FieldClock.objects.get(public_id=customer_jks.public_id, field="city").hlc <= sync.hlc_now()  # ... restamped
    assert not Conflict.objects.exists()


# --- the branch side: pull_apply, push_batch, push_acknowledged -----------------------------------
@pytestmark_db
def test_a_pulled_page_keeps_fields_edited_here_and_not_pushed_and_moves_the_cursor(jks, customer_jks):
    gone = CustomerFactory(name="Dihapus", branch=jks)
    rows = dump(shape_for("crm.customer"), [str(customer_jks.public_id), str(gone.public_id)])
    Change.objects.all().delete()  # everything so far was pushed
    Customer.objects.filter(pk=customer_jks.pk).update(city="Lokal")  # edited here, not pushed yet
    gone.delete()  # deleted here, not pushed yet
    stamp = sync.hlc_now()
    page = {"changes": [
        {"m": "crm.customer", "id": str(customer_jks.public_id), "op": "U",
         "row": {**rows[str(customer_jks.public_id)], "city": "Dari pusat", "name": "Andi W. (pusat)"},
         "clock": {"city": [stamp, "hq"], "name": [stamp, "hq"]}},
        {"m": "crm.customer", "id": str(gone.public_id), "op": "U", "row": rows[str(gone.public_id)], "clock": {}},
    ]}
    before = Change.objects.count()
    try:
        sync.pull_apply(page, cursor_to=[12345, 67])
    finally:
        _sql("SELECT set_config('relasi.sync_origin', '', true)")
    customer_jks.refresh_from_db()
    assert (customer_jks.city, customer_jks.name) == ("Lokal", "Andi W. (pusat)")
    assert not Customer.objects.filter(public_id=gone.public_id).exists()
    assert Change.objects.count() == before  # what head office sent is not logged to send back
    st = SyncState.objects.get(pk=1)
    assert (st.pull_xid, st.pull_id) == (12345, 67)
    assert st.hlc_seen >= stamp


@pytest.mark.django_db(transaction=True)
def test_push_batch_sends_the_branchs_rows_until_acknowledged_then_prunes_them(settings):
    settings.BRANCH_CODE = "jks"
    jks = BranchFactory(code="jks", name="Cabang Jakarta Selatan", city="Jakarta")
    customers = {str(CustomerFactory(branch=jks).public_id) for _ in range(3)}
    Tag.objects.create(name="lokal")  # head office's data edited here: never sent
    deadline = time.monotonic() + 60
    while True:
        sent = sync.push_batch(1000)
        got = {c["id"] for c in (sent or {}).get("changes", ()) if c["m"] == "crm.customer"}
        if got == customers or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert got == customers
    assert not any(c["m"] in ("crm.tag", "accounts.branch") for c in sent["changes"])
    assert sent["batch_seq"] == 1 and sent["branch"] == "jks"
    assert sync.push_batch(1000)["changes"] == sent["changes"]  # the same again until acknowledged

    sync.push_acknowledged({"acked": 1, "cursor_to": sent["cursor_to"]}, sent)

    assert sync.state().batch_seq == 2
    assert not Change.objects.filter(public_id__in=customers).exists()
    assert not Change.objects.filter(model="crm.tag").exists()
    assert sync.push_batch(1000) is None


# --- pruning and checksums ----------------------------------------------------------------------
@pytestmark_db
def test_prune_hq_deletes_only_rows_every_active_branch_has_pulled(jks, sby, credential):
    customers = [CustomerFactory(branch=jks) for _ in range(6)]
    gone = BranchFactory(code="mdn")
    Change.objects.all().delete()
    for c in customers:
        Customer.objects.filter(pk=c.pk).update(city="Depok")
    ids = sorted(Change.objects.values_list("id", flat=True))
    assert len(ids) == 6
    xid = _xid()
    BranchLink.objects.filter(branch=jks).update(pull_xid=xid, pull_id=ids[2])
    # sby has pulled further, and a revoked branch far less: neither holds jks's cursor back.
    sync.credential_issue(sby)
    BranchLink.objects.filter(branch=sby).update(pull_xid=xid, pull_id=ids[4])
    sync.credential_issue(gone)
    sync.credential_revoke(gone)
    BranchLink.objects.filter(branch=gone).update(pull_xid=xid, pull_id=0)

    assert sync.prune_hq() == 3
    assert sorted(Change.objects.values_list("id", flat=True)) == ids[3:]


@pytestmark_db
def test_checksums_are_equal_for_equal_data_and_differ_after_an_edit(jks, sby, customer_jks, customer_sby):
    first = sync.checksums()
    Customer.objects.filter(pk=customer_jks.pk).update(updated_at=timezone.now())  # bookkeeping only
    assert sync.checksums() == first
    mine = sync.checksums(branch=jks)
    Customer.objects.filter(pk=customer_sby.pk).update(city="Sidoarjo")
    after = sync.checksums()
    assert after["crm.customer"] != first["crm.customer"]
    assert {k: v for k, v in after.items() if k != "crm.customer"} == \
        {k: v for k, v in first.items() if k != "crm.customer"}
    assert sync.checksums(branch=jks) == mine  # another branch's edit: not in jks's rows


@pytest.mark.django_db(transaction=True)
def test_the_reader_gives_each_updates_changed_fields_as_a_list():
    # What package() merges from: a branch's batch names the fields it changed. (The reader once
    # gave them as JSON text, and head office took '["city"]' for the characters of a word: the
    # branch's edit was acknowledged and never applied.)
    from tests.factories import BranchFactory, CustomerFactory

    customer = CustomerFactory(branch=BranchFactory(code="rdr"))
    Customer.objects.filter(pk=customer.pk).update(city="Depok")
    rows = [r for r in sync.read_log(sync.ZERO, 1000) if r[3] == str(customer.public_id) and r[4] == "U"]
    assert [r[5] for r in rows] == [["city"]]
    change = next(c for c in sync.package(rows) if c["id"] == str(customer.public_id))
    assert change["changed"] == ["city"]


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_pushed_twice_at_once_is_applied_once():
    # The branch gave up waiting and sent the batch again while head office was still applying
    # the first copy (two web workers): the second waits for the first and gets its answer.
    from django.db import connections

    jks = BranchFactory(code="jks", name="Cabang Jakarta Selatan", city="Jakarta")
    sync.credential_issue(jks)
    credential = SyncCredential.objects.get(branch=jks)
    with at_branch("jks") as out:
        made = [CustomerFactory(name=f"Serentak {i}", branch=jks) for i in range(30)]
    body = _body(out)
    answers, errors, start = [], [], threading.Barrier(2)

    def push():
        try:
            start.wait()
            answers.append(sync.push_receive(credential, body))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == [] and len(answers) == 2 and answers[0] == answers[1]
    assert ReceivedBatch.objects.filter(branch=jks).count() == 1
    assert Customer.objects.filter(public_id__in=[c.public_id for c in made]).count() == 30


@pytest.mark.django_db(transaction=True)
def test_a_second_sync_at_the_same_branch_waits_its_turn(settings):
    # Two "Sync now" clicks, or the periodic job meeting a click: one sync at a time.
    import psycopg2

    from branches import client, tasks

    settings.RELASI_ROLE, settings.BRANCH_CODE = "branch", "jks"
    params = connection.get_connection_params()
    holder = psycopg2.connect(**params)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", [client.LOCK_KEY])
        with pytest.raises(client.Busy):
            client.run()
        assert tasks.sync_now_task() is None  # the task gives way quietly
    finally:
        holder.close()
