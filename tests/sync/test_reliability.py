"""Branch <-> head-office sync over HTTP between two real instances (issue 16, "Reliability tests").

Each test gets a fresh head office (demo data, 300 customers) and the jks branch instance
enrolled through a FaultProxy (tests/sync/harness.py). Edits go through each instance's
services in ``manage.py shell``; the branch synchronises with ``manage.py sync_now`` as a
branch's "Sync now" does; checks read both databases. Integer ids differ between the two
databases: rows are picked and compared by public_id only.
"""

import json
import random
import time

import psycopg2
import pytest
import requests

from .harness import db_url, sync_commands_exist

pytestmark = pytest.mark.skipif(not sync_commands_exist(), reason="the sync commands do not exist yet")

DAY = 86400

SETUP = """
import json
from django.db import transaction
from accounts.models import Branch, User
from crm import services
from crm.models import Customer, Interaction
jks = Branch.objects.get(code="jks")
staff = User.objects.filter(branch=jks, is_active=True).order_by("email").first()
"""


def _phones(n: int) -> list[str]:
    # Unique mobile numbers per call: the demo's phones are never random 9-digit tails.
    base = random.randrange(10**8, 9 * 10**8)
    return [f"+62857{base + i:09d}" for i in range(n)]


def _update(public_id: str, by: str = "staff", **fields) -> str:
    """Shell code: customer_update of one customer (``by``: "staff" at the branch, "None" at HQ)."""
    return (f'services.customer_update(customer=Customer.objects.get(public_id="{public_id}"), by={by}, '
            f'**{fields!r})\n')


def _jks_customers(instance, n: int) -> list[str]:
    rows = instance.sql("SELECT c.public_id::text FROM crm_customer c JOIN accounts_branch b ON b.id = c.branch_id "
                        "WHERE b.code = 'jks' ORDER BY c.public_id LIMIT %s", [n])
    assert len(rows) == n
    return [r[0] for r in rows]


def _customer(instance, public_id: str) -> dict | None:
    rows = instance.sql("SELECT name, city, email FROM crm_customer WHERE public_id = %s", [public_id])
    return dict(zip(("name", "city", "email"), rows[0])) if rows else None


def _count(instance, table: str, public_ids) -> int:
    return instance.sql(f"SELECT count(*) FROM {table} WHERE public_id::text = ANY(%s)", [list(public_ids)])[0][0]


def _jks_rows(instance) -> tuple[int, int]:
    """(customers, interactions) of the jks branch."""
    return instance.sql(
        "SELECT (SELECT count(*) FROM crm_customer c JOIN accounts_branch b ON b.id = c.branch_id"
        "        WHERE b.code = 'jks'),"
        " (SELECT count(*) FROM crm_interaction i JOIN crm_customer c ON c.id = i.customer_id"
        "  JOIN accounts_branch b ON b.id = c.branch_id WHERE b.code = 'jks')")[0]


def _branch_writes(pair, customers: int, interactions_each: int, tag: str) -> tuple[list[str], list[str]]:
    """New customers at the branch, each with a few calls: (customer ids, interaction ids)."""
    out = pair.branch.shell(SETUP + f"""
made = {{"customers": [], "interactions": []}}
for phone in {_phones(customers)!r}:
    c = services.customer_create(by=staff, branch=jks, name="{tag} " + phone[-4:], phone=phone, city="Depok")
    made["customers"].append(str(c.public_id))
    for k in range({interactions_each}):
        i = services.interaction_record(customer=c, kind="call", channel="phone", direction="out",
                                        summary=f"{tag} call {{k}}", staff=staff)
        made["interactions"].append(str(i.public_id))
print(json.dumps(made))
""")
    made = json.loads(out.strip().splitlines()[-1])
    return made["customers"], made["interactions"]


def _assert_same_data(pair):
    hq, branch = pair.checksums()
    different = sorted(k for k in hq.keys() | branch.keys() if hq.get(k) != branch.get(k))
    assert not different, {k: (hq.get(k), branch.get(k)) for k in different}


def _no_batch_twice(pair):
    assert pair.hq.sql("SELECT batch_seq, count(*) FROM branches_receivedbatch GROUP BY branch_id, batch_seq "
                       "HAVING count(*) > 1") == []


# --- a week offline ------------------------------------------------------------------------------------
def test_it_agrees_with_head_office_after_a_week_offline_with_edits_on_both_sides(pair):
    hq, branch = pair.hq, pair.branch
    pids = _jks_customers(hq, 16)
    hq_wins, branch_wins = pids[0], pids[1]  # the same field edited on both sides
    products = [r[0] for r in hq.sql("SELECT public_id::text FROM sales_product ORDER BY public_id LIMIT 2")]
    made, deleted = [], None
    for day in range(1, 8):
        clock = {"SYNC_CLOCK_OFFSET_SECONDS": day * DAY}
        code = SETUP + f"""
made = []
for phone in {_phones(2)!r}:
    c = services.customer_create(by=staff, branch=jks, name="Walk-in day {day} " + phone[-4:], phone=phone)
    services.interaction_record(customer=c, kind="visit", channel="in_person", direction="in",
                                summary="day {day} first visit", staff=staff)
    made.append(str(c.public_id))
c = Customer.objects.get(public_id="{pids[1 + day]}")
services.customer_update(customer=c, by=staff, city="Branch city day {day}")
services.interaction_record(customer=c, kind="call", channel="phone", direction="out",
                            summary="day {day} follow-up", staff=staff)
"""
        if day == 3:  # the branch edits it on day 3, head office on day 4: head office's edit is the later one
            code += _update(hq_wins, city="Bekasi")
        if day == 5:  # head office edited it on day 4: the branch's edit is the later one
            code += _update(branch_wins, city="Cibubur")
        if day == 4:
            code += f'Customer.objects.filter(public_id="{made[0]}").delete()\n'
            deleted = made[0]
        at_branch = branch.shell_background(code + "print(json.dumps(made))", env=clock)

        code = SETUP + f"""
from sales.models import Product
c = Customer.objects.get(public_id="{pids[8 + day]}")
services.customer_update(customer=c, by=None, email="hq-day{day}@example.com")
"""
        if day == 4:
            code += _update(hq_wins, by="None", city="Bogor")
            code += _update(branch_wins, by="None", city="Tangerang")
        if day in (2, 6):
            code += (f'p = Product.objects.get(public_id="{products[day // 6]}"); p.unit_price = {day}123000; '
                     f'p.save()\n')
        at_hq = hq.shell_background(code, env=clock)
        # The same simulated day on both sides at once (the order between days is what matters).
        outputs = [process.communicate(timeout=120) for process in (at_branch, at_hq)]
        for process, (_, err) in zip((at_branch, at_hq), outputs):
            assert process.returncode == 0, err
        made += json.loads(outputs[0][0].strip().splitlines()[-1])
    assert _jks_rows(hq) != _jks_rows(branch)  # a week of edits apart

    # Day 8: the link is back; both clocks agree on the date.
    clock = {"SYNC_CLOCK_OFFSET_SECONDS": 8 * DAY}
    hq.restart(**clock)
    result = pair.sync(env=clock)
    assert result["pushed"] > 0 and result["pulled"] > 0

    _assert_same_data(pair)
    # Everything the branch made offline is at head office, once; the deleted one on neither side.
    alive = [p for p in made if p != deleted]
    assert _count(hq, "crm_customer", alive) == len(alive) == 13
    assert _count(hq, "crm_customer", [deleted]) == _count(branch, "crm_customer", [deleted]) == 0
    assert [_customer(hq, pids[1 + d])["city"] for d in range(1, 8)] == [f"Branch city day {d}" for d in range(1, 8)]
    # Head office's edits reached the branch: profile fields and prices.
    assert [_customer(branch, pids[8 + d])["email"] for d in range(1, 8)] == [
        f"hq-day{d}@example.com" for d in range(1, 8)]
    assert branch.sql("SELECT unit_price FROM sales_product WHERE public_id = %s", [products[0]])[0][0] == 2123000
    assert branch.sql("SELECT unit_price FROM sales_product WHERE public_id = %s", [products[1]])[0][0] == 6123000
    # The same field edited on both sides: the later edit on both sides, and a conflict to review.
    assert _customer(hq, hq_wins)["city"] == _customer(branch, hq_wins)["city"] == "Bogor"
    assert _customer(hq, branch_wins)["city"] == _customer(branch, branch_wins)["city"] == "Cibubur"
    conflicts = hq.sql("SELECT record_id::text, field, winner, reason FROM branches_conflict ORDER BY winner")
    assert sorted(conflicts) == sorted([(hq_wins, "city", "hq", "both_edited"),
                                        (branch_wins, "city", "branch", "both_edited")])
    # Nothing left to do.
    again = pair.sync(env=clock)
    assert again["pushed"] == 0 and again["conflicts"] == 0


# --- cut connections ---------------------------------------------------------------------------------------
def test_it_repeats_a_batch_whose_answer_was_lost_without_duplicates(pair):
    hq, branch, proxy = pair.hq, pair.branch, pair.proxy
    customers, interactions = _branch_writes(pair, customers=25, interactions_each=8, tag="Cut")
    expected = _jks_rows(branch)  # (a new customer also gets a "registered" entry in its history)

    # The third batch's answer is lost three times after head office committed it.
    proxy.cut_response("/sync/push/", times=3, skip=2)
    result = pair.sync("--batch-size", "50")
    assert result["batches"] >= 5
    assert proxy.cuts["/sync/push/"] == 3
    assert proxy.answered["/sync/push/"] == result["batches"] + 3  # head office did each cut batch's work
    assert _jks_rows(hq) == expected
    assert _count(hq, "crm_interaction", interactions) == 200
    assert hq.sql("SELECT count(*) FROM branches_receivedbatch")[0][0] == result["batches"]
    _no_batch_twice(pair)
    _assert_same_data(pair)

    # More cuts than the client's retries: this sync fails with a batch applied but not acknowledged ...
    customers, interactions = _branch_writes(pair, customers=10, interactions_each=9, tag="Lost")
    expected = _jks_rows(branch)
    received = hq.sql("SELECT count(*) FROM branches_receivedbatch")[0][0]
    proxy.cut_response("/sync/push/", times=4, skip=1)
    assert pair.sync("--batch-size", "50", check=False) is None
    assert "unreachable" in pair.last_sync.stderr
    # Head office applied the first batch and, four times over, the second (once: the same number).
    assert hq.sql("SELECT count(*) FROM branches_receivedbatch")[0][0] == received + 2
    assert 0 < _count(hq, "crm_interaction", interactions) < 90
    # ... and the next one completes it: the same final state, nothing twice.
    result = pair.sync("--batch-size", "50")
    assert result["pushed"] > 0
    assert _jks_rows(hq) == expected
    assert _count(hq, "crm_interaction", interactions) == 90
    _no_batch_twice(pair)
    _assert_same_data(pair)


def test_it_recovers_from_requests_cut_half_way(pair):
    hq, proxy = pair.hq, pair.proxy
    customers, interactions = _branch_writes(pair, customers=20, interactions_each=6, tag="Half")
    expected = _jks_rows(pair.branch)
    proxy.cut_request("/sync/push/", times=3, after_bytes=1500, skip=1)
    result = pair.sync("--batch-size", "50")
    assert proxy.cuts["/sync/push/"] == 3
    assert proxy.answered["/sync/push/"] == result["batches"]  # head office never answered a cut request
    assert _jks_rows(hq) == expected
    assert _count(hq, "crm_customer", customers) == 20
    assert _count(hq, "crm_interaction", interactions) == 120
    _no_batch_twice(pair)
    _assert_same_data(pair)


def test_it_fails_cleanly_while_head_office_is_unreachable(pair):
    hq, proxy = pair.hq, pair.proxy
    customers, _ = _branch_writes(pair, customers=3, interactions_each=1, tag="Offline")
    proxy.down(True)
    assert pair.sync(check=False) is None
    assert "unreachable" in pair.last_sync.stderr
    assert _count(hq, "crm_customer", customers) == 0
    proxy.down(False)
    assert pair.sync()["pushed"] > 0
    assert _count(hq, "crm_customer", customers) == 3
    _assert_same_data(pair)


# --- concurrent writers ------------------------------------------------------------------------------------
WRITER = SETUP + """
import random, time
customers = list(Customer.objects.filter(branch=jks).order_by("public_id")[:40])
end = time.monotonic() + {seconds}
n = 0
while time.monotonic() < end:
    with transaction.atomic():
        if n % 10 == 0:  # now and then a new customer with its first call in one transaction
            customers.append(services.customer_create(by=staff, branch=jks, name="Writer {w} %d" % n,
                                                      phone="+62858{w}%08d" % n))
        i = services.interaction_record(customer=random.choice(customers), kind="call", channel="phone",
                                        direction="out", summary="writer {w} call %d" % n, staff=staff)
        if random.random() < 0.25:
            time.sleep(0.15)  # held open while others commit after it
    print(i.public_id, flush=True)
    n += 1
    time.sleep(random.random() * 0.1)
"""


def test_it_skips_no_change_written_while_a_sync_runs(pair):
    hq, branch = pair.hq, pair.branch
    writers = [branch.shell_background(WRITER.format(seconds=8, w=w)) for w in (1, 2)]
    during = []
    try:
        time.sleep(1)
        while any(w.poll() is None for w in writers) and len(during) < 4:
            during.append(pair.sync("--batch-size", "20"))
    finally:
        outputs = [w.communicate(timeout=60) for w in writers]
    for w, (out, err) in zip(writers, outputs):
        assert w.returncode == 0, err
    written = [line.strip() for out, _ in outputs for line in out.splitlines() if line.strip()]
    assert len(written) > 40
    assert len(during) >= 2 and any(r["pushed"] for r in during)  # the syncs really overlapped the writes

    pair.sync()
    assert _count(hq, "crm_interaction", written) == len(set(written)) == len(written)
    assert hq.sql("SELECT count(*) FROM crm_interaction WHERE summary LIKE 'writer %%'")[0][0] == len(written)
    _no_batch_twice(pair)
    _assert_same_data(pair)


# --- a branch clock that runs fast ----------------------------------------------------------------------------
def test_it_keeps_head_office_s_later_edit_against_a_branch_clock_two_hours_fast(pair):
    hq, branch = pair.hq, pair.branch
    fast = {"SYNC_CLOCK_OFFSET_SECONDS": 7200}
    branch.restart(**fast)
    customer = _jks_customers(hq, 1)[0]
    branch.shell(SETUP + _update(customer, city="Branch Bekasi"), env=fast)
    time.sleep(0.1)
    # Later in real time, at head office, whose clock is right.
    hq.shell(SETUP + _update(customer, by="None", city="HQ Bogor"))

    result = pair.sync(env=fast)
    assert result["conflicts"] == 1
    assert _customer(hq, customer)["city"] == "HQ Bogor"
    assert _customer(branch, customer)["city"] == "HQ Bogor"
    conflicts = hq.sql("SELECT record_id::text, field, hq_value, branch_value, winner, reason FROM branches_conflict")
    assert conflicts == [(customer, "city", "HQ Bogor", "Branch Bekasi", "hq", "clock_ahead")]
    _assert_same_data(pair)


# --- authorisation -------------------------------------------------------------------------------------------------
def _forged_push(pair, changes: list[dict], seq: int) -> requests.Response:
    return requests.post(f"{pair.hq.url}/sync/push/", timeout=30, headers={"Authorization": f"Bearer {pair.token}"},
                         json={"branch": "jks", "batch_seq": seq, "cursor_to": [0, 0], "changes": changes})


def _edit(public_id: str, row: dict, **fields) -> dict:
    """A change as jks's client sends it: the row with ``fields`` changed, each stamped now by jks
    (without a stamp head office would not take the field: a forgery must look real)."""
    stamp = int(time.time() * 1000) << 16
    return {"m": "crm.customer", "id": public_id, "op": "U", "row": {**row, **fields},
            "clock": {name: [stamp, "jks"] for name in fields if name != "branch"}}


def _wire_rows(instance, *public_ids: str) -> list[dict]:
    """Customers as head office's sync would send them."""
    out = instance.shell("import json; from branches.wire import shape_for, dump; "
                         f'rows = dump(shape_for("crm.customer"), {list(public_ids)!r}); '
                         f"print(json.dumps([rows[p] for p in {list(public_ids)!r}]))")
    return json.loads(out.strip().splitlines()[-1])


DIGESTED = ("crm_customer", "crm_interaction", "branches_fieldclock", "branches_change", "branches_receivedbatch")


def _digest(instance) -> list[tuple]:
    """Every row of the tables a push could touch at head office: equal digests, nothing changed."""
    return instance.sql(" UNION ALL ".join(
        f"SELECT '{t}', count(*), md5(coalesce(string_agg(r::text, '|' ORDER BY r::text), '')) FROM {t} r"
        for t in DIGESTED))


def test_it_refuses_a_branch_writing_another_branch_s_customer(pair):
    hq = pair.hq
    sby = hq.sql("SELECT c.public_id::text FROM crm_customer c JOIN accounts_branch b ON b.id = c.branch_id "
                 "WHERE b.code = 'sby' ORDER BY c.public_id LIMIT 1")[0][0]
    own = _jks_customers(hq, 1)[0]
    jks_branch = hq.sql("SELECT public_id::text FROM accounts_branch WHERE code = 'jks'")[0][0]
    theirs, mine = _wire_rows(hq, sby, own)
    before = _digest(hq)
    refusals = hq.sql("SELECT count(*) FROM branches_refusal")[0][0]

    attempts = [
        # Another branch's customer, as it is stored (its own branch) ...
        [_edit(sby, theirs, city="Forged")],
        # ... claimed for jks ...
        [_edit(sby, theirs, city="Forged", branch=jks_branch)],
        # ... and hidden behind a change jks may make: the whole batch is refused.
        [_edit(own, mine, city="Allowed"), _edit(sby, theirs, city="Forged")],
    ]
    for seq, changes in enumerate(attempts, start=900):
        r = _forged_push(pair, changes, seq)
        assert r.status_code == 403, r.text
        assert "refused" in r.json()

    assert _digest(hq) == before
    assert _customer(hq, sby)["city"] != "Forged"
    assert _customer(hq, own)["city"] != "Allowed"
    assert hq.sql("SELECT count(*) FROM branches_refusal")[0][0] == refusals + 3
    assert hq.sql("SELECT count(*) FROM branches_receivedbatch")[0][0] == 0
    # The same credential still writes its own branch's customer.
    r = _forged_push(pair, [_edit(own, mine, city="Allowed")], 903)
    assert r.status_code == 200, r.text
    assert _customer(hq, own)["city"] == "Allowed"


def test_it_refuses_a_revoked_credential(pair):
    hq = pair.hq
    customers, _ = _branch_writes(pair, customers=2, interactions_each=1, tag="Revoked")
    hq.manage("sync_credential", "jks", "--revoke")
    before = _digest(hq)

    assert pair.sync(check=False) is None
    assert "refused" in pair.last_sync.stderr
    assert _digest(hq) == before
    assert _count(hq, "crm_customer", customers) == 0
    assert hq.sql("SELECT reason FROM branches_refusal") == [("revoked credential",)]
    # A new credential (the branch's operator enters it) works again.
    token = hq.manage("sync_credential", "jks").stdout.strip().splitlines()[-1]
    assert pair.sync(env={"SYNC_TOKEN": token})["pushed"] > 0
    assert _count(hq, "crm_customer", customers) == 2


# --- what "Sync now" leaves behind ----------------------------------------------------------------------------
def test_it_sends_what_was_committed_before_sync_now_despite_a_transaction_in_another_database(pair):
    # Another database on the same server (another app, a branch's second instance, a test run)
    # has a write transaction open. It can never write this instance's change log.
    other = psycopg2.connect(db_url(pair.template.name))
    try:
        with other.cursor() as cur:
            cur.execute("SELECT pg_current_xact_id()")
        customers, _ = _branch_writes(pair, customers=2, interactions_each=1, tag="Elsewhere")
        result = pair.sync()
        assert _count(pair.hq, "crm_customer", customers) == 2, result
    finally:
        other.rollback()
        other.close()
