"""Head office's sync endpoints under /sync/ (issue 16, branches/endpoints.py), through Django's
test client: a branch credential instead of a login, gzip JSON both ways, every refusal logged,
bad input a 400 and never a 500."""

import gzip
import json
import secrets
import time
import uuid

import pytest
from django.urls import reverse

from branches import sync
from branches.models import Refusal, ReceivedBatch, SyncCredential
from crm.models import Customer
from tests.branches.test_sync_engine import _body, _sql, at_branch
from tests.factories import BranchFactory, CustomerFactory
from tests.sales.factories_orders import ProductFactory

PUSH, PULL = "/sync/push/", "/sync/pull/"


def _post(client, url, body, token=None, *, raw=None, gzipped=False, encoding=None):
    data = raw if raw is not None else json.dumps(body).encode()
    if gzipped:
        data = gzip.compress(data)
    headers = {}
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    if gzipped or encoding:
        headers["HTTP_CONTENT_ENCODING"] = encoding or "gzip"
    response = client.post(url, data=data, content_type="application/json", **headers)
    # The apply marks the (here: the test's) transaction as the sync's; later edits are logged again.
    _sql("SELECT set_config('relasi.sync_origin', '', true)")
    return response


def _json(response) -> dict:
    assert response["Content-Encoding"] == "gzip"
    return json.loads(gzip.decompress(response.content))


@pytest.fixture
def token(jks):
    return sync.credential_issue(jks)


def test_the_urls_are_under_sync():
    assert (reverse("sync:push"), reverse("sync:pull"), reverse("sync:snapshot")) == (PUSH, PULL, "/sync/snapshot/")


# --- who may call -------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("token", [None, "", "not-a-credential"], ids=["none", "empty", "unknown"])
def test_no_or_an_unknown_credential_is_401_and_logged(client, token):
    response = _post(client, PUSH, {"batch_seq": 1, "changes": []}, token)
    assert response.status_code == 401
    assert _json(response) == {"refused": "unknown credential"}
    refusal = Refusal.objects.get()
    assert (refusal.reason, refusal.branch) == ("unknown credential", None)


@pytest.mark.django_db
def test_a_revoked_credential_is_403_and_logged(client, jks, token):
    sync.credential_revoke(jks)
    response = _post(client, PUSH, {"batch_seq": 1, "changes": []}, token)
    assert response.status_code == 403
    assert Refusal.objects.get().reason == "revoked credential"
    assert Refusal.objects.get().branch == jks
    assert not ReceivedBatch.objects.exists()
    response = _post(client, PULL, {"start": True}, token)  # pulls too
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_credential_used_for_another_branch_is_403_and_logged(client, jks, sby, token):
    response = _post(client, PUSH, {"branch": "sby", "batch_seq": 1, "changes": []}, token)
    assert response.status_code == 403
    refusal = Refusal.objects.get()
    assert refusal.branch == jks and "'sby'" in refusal.reason
    assert refusal.credential == SyncCredential.objects.get(branch=jks)
    assert not ReceivedBatch.objects.exists()


@pytest.mark.django_db
def test_a_write_to_another_branchs_customer_is_403_logged_and_changes_nothing(client, jks, sby, token):
    theirs = CustomerFactory(name="Siti Rahayu", branch=sby)
    with at_branch("jks") as out:
        Customer.objects.filter(pk=theirs.pk).update(name="Dicuri")
    response = _post(client, PUSH, _body(out), token)
    assert response.status_code == 403
    assert "another branch" in _json(response)["refused"]
    assert "another branch" in Refusal.objects.get().reason
    theirs.refresh_from_db()
    assert theirs.name == "Siti Rahayu"
    assert not ReceivedBatch.objects.exists()


# --- what is sent ---------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("raw, gzipped, encoding", [
    (b"{not json", False, None),
    (b"[1, 2]", False, None),
    (b'{"batch_seq": 1, "changes": []}', False, "gzip"),  # labelled gzip, is not
    (b"\x1f\x8b\x08\x00garbage", False, "gzip"),  # a gzip header, then garbage
    (b"\xff\xfe", False, None),
    (b'{"changes": []}', True, None),  # no batch number
    (b'{"batch_seq": "eins", "changes": []}', True, None),
    (b'{"batch_seq": 1, "changes": [{"m": "crm.customer"}]}', True, None),  # a change without an id
    (b'{"batch_seq": 1, "changes": "all"}', True, None),
    (b'{"batch_seq": 1, "changes": [1]}', True, None),
    (b'{"batch_seq": 1, "changes": [{"m": "crm.customer", "id": "nope", "op": "U", "row": {}}]}', True, None),
    (b'{"batch_seq": 1, "pulled_to": ["x", 0], "changes": []}', True, None),
    (b'{"batch_seq": 1, "clock_ms": "soon", "changes": []}', True, None),
    (b'{"batch_seq": 1, "pulled_to": [-1, 0], "changes": []}', True, None),  # xid8 would read 2^64-1
    (b'{"batch_seq": 1, "pulled_to": [1000000000000000000000000000000, 0], "changes": []}', True, None),
    (b'{"batch_seq": -1, "changes": []}', True, None),
    (b'{"batch_seq": 1e40, "changes": []}', True, None),
], ids=["not_json", "not_an_object", "not_gzip", "broken_gzip", "not_utf8", "no_seq", "bad_seq", "bad_change",
        "changes_not_list", "change_not_object", "id_not_uuid", "bad_pulled_to", "negative_pulled_to",
        "future_pulled_to", "bad_clock",
        "negative_seq", "huge_seq"])
def test_a_malformed_request_is_400_never_500(client, token, raw, gzipped, encoding):
    response = _post(client, PUSH, None, token, raw=raw, gzipped=gzipped, encoding=encoding)
    assert response.status_code == 400, response.content
    assert "malformed request" in _json(response)["error"]
    assert not ReceivedBatch.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("label", ["crm.tombstone", "nope.nothing", "accounts"])
def test_a_push_of_a_record_type_that_does_not_sync_is_refused_and_logged(client, token, label):
    change = {"m": label, "id": "00000000-0000-0000-0000-000000000001", "op": "U", "row": {}}
    response = _post(client, PUSH, {"batch_seq": 1, "changes": [change]}, token, gzipped=True)
    assert response.status_code == 403
    assert Refusal.objects.get().reason == f"unknown record type {label!r}"


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"m": "crm.tombstone"}, {"m": "nope.nothing"}, {},
                                  {"m": "crm.customer", "limit": "x"}, {"m": "crm.customer", "after": "not-a-uuid"}])
def test_a_malformed_snapshot_request_is_400(client, token, body):
    response = _post(client, "/sync/snapshot/", body, token)
    assert response.status_code == 400, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{"cursor": ["x", 0]}, {"cursor": [1]}, {"cursor": [-1, 0]}, {"cursor": 5},
                                  {"cursor": [0, 0], "limit": "many"}, {"cursor": [10 ** 30, 0]}])
def test_a_malformed_pull_request_is_400(client, token, body):
    response = _post(client, PULL, body, token)
    assert response.status_code == 400, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("url", [PUSH, PULL, "/sync/snapshot/"])
def test_get_is_405(client, token, url):
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405


@pytest.mark.django_db
def test_a_gzip_push_is_applied_and_answered_in_gzip(client, jks, token):
    with at_branch("jks") as out:
        made = CustomerFactory(name="Dewi Lestari", branch=jks)
    assert not Customer.objects.filter(public_id=made.public_id).exists()
    response = _post(client, PUSH, _body(out), token, gzipped=True)
    assert response.status_code == 200
    answer = _json(response)
    assert answer["acked"] == 1 and answer["applied"] >= 1
    assert Customer.objects.get(public_id=made.public_id).name == "Dewi Lestari"
    assert SyncCredential.objects.get(branch=jks).last_used_at is not None


@pytest.mark.django_db
def test_a_branch_instance_does_not_serve_the_endpoints(client, token, settings):
    settings.RELASI_ROLE = "branch"
    assert _post(client, PUSH, {"batch_seq": 1, "changes": []}, token).status_code == 404


# --- pull ----------------------------------------------------------------------------------------
def _readable(pid) -> bool:
    return any(r[3] == str(pid) for r in sync.read_log(sync.ZERO, 100_000))


def _wait(condition, seconds=60):
    """Rows are readable once every transaction of the cluster older than them has ended
    (lag, not loss): other sessions on this PostgreSQL may hold them back a moment."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "not readable in time"
        time.sleep(0.05)


def _pull_all(client, token, cursor) -> tuple[list, list]:
    changes = []
    while True:
        response = _post(client, PULL, {"branch": "jks", "cursor": cursor, "limit": 2}, token, gzipped=True)
        assert response.status_code == 200
        page = _json(response)
        changes += page["changes"]
        cursor = page["cursor_to"]
        if not page["more"]:
            return changes, cursor


@pytest.mark.django_db(transaction=True)
def test_pull_starts_at_a_cursor_and_then_brings_the_branchs_changes_and_reference_data(client):
    jks = BranchFactory(code="jks", name="Cabang Jakarta Selatan", city="Jakarta")
    sby = BranchFactory(code="sby", name="Cabang Surabaya", city="Surabaya")
    token = sync.credential_issue(jks)
    before = CustomerFactory(name="Sudah Ada", branch=jks)
    untouched = CustomerFactory(name="Tetap Sama", branch=jks)
    _wait(lambda: _readable(before.public_id) and _readable(untouched.public_id))

    response = _post(client, PULL, {"branch": "jks", "start": True}, token)
    assert response.status_code == 200
    start = _json(response)
    assert start["batch_seq"] == 1
    cursor = start["cursor"]
    assert cursor != [0, 0]

    product = ProductFactory(name="Kaca film")
    mine = CustomerFactory(name="Dewi Lestari", branch=jks)
    theirs = CustomerFactory(name="Siti Rahayu", branch=sby)
    Customer.objects.filter(pk=before.pk).update(city="Depok")
    _wait(lambda: all(_readable(p) for p in (product.public_id, mine.public_id, theirs.public_id)))

    changes, cursor_to = _pull_all(client, token, cursor)
    got = {(c["m"], c["id"]) for c in changes}
    assert ("sales.product", str(product.public_id)) in got  # reference data
    assert ("crm.customer", str(mine.public_id)) in got
    assert ("crm.customer", str(before.public_id)) in got  # edited after the cursor
    assert not any(c["id"] == str(theirs.public_id) for c in changes)  # never another branch's
    assert not any(c.get("row", {}).get("branch") == str(sby.public_id) for c in changes)
    row = next(c["row"] for c in changes if c["id"] == str(before.public_id))
    assert row["city"] == "Depok"
    # Nothing from before the cursor: the untouched customer's insert came before it.
    assert ("crm.customer", str(untouched.public_id)) not in got
    # From the end: nothing more.
    again, _ = _pull_all(client, token, cursor_to)
    assert again == []


# --- snapshot ------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_a_snapshot_pages_through_the_branchs_rows_only_and_all_reference_rows(client, jks, sby, token):
    mine = {str(CustomerFactory(branch=jks).public_id) for _ in range(3)}
    CustomerFactory(branch=sby)
    product = ProductFactory()
    got, after = [], None
    while True:
        response = _post(client, "/sync/snapshot/", {"m": "crm.customer", "after": after, "limit": 2}, token)
        assert response.status_code == 200
        page = _json(response)
        got += [c["id"] for c in page["changes"]]
        after = page["after"]
        if not page["more"]:
            break
    assert got == sorted(mine)  # in public_id order, each once
    response = _post(client, "/sync/snapshot/", {"m": "sales.product"}, token)
    assert [c["id"] for c in _json(response)["changes"]] == [str(product.public_id)]


def test_a_batch_larger_than_djangos_upload_limit_is_applied_not_refused(client, jks, token, settings):
    # Long rows compress badly: a batch over DATA_UPLOAD_MAX_MEMORY_SIZE must still go through,
    # or the branch would send it again, and be refused, on every sync.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"branch": "jks", "instance": str(uuid.uuid4()), "batch_seq": 1, "cursor_to": [0, 0],
            "changes": [], "padding": secrets.token_urlsafe(4000)}  # does not compress
    response = client.post(reverse("sync:push"), data=gzip.compress(json.dumps(body).encode()),
                           content_type="application/json", HTTP_CONTENT_ENCODING="gzip",
                           HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    assert json.loads(gzip.decompress(response.content))["acked"] == 1
