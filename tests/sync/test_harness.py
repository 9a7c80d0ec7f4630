"""The two-instance harness itself: both instances serve, their databases are their own, and the
proxy's faults look to the client like a broken connection while head office still did the work."""

import time

import pytest
import requests

from .harness import sync_commands_exist

BOGUS = {"Authorization": "Bearer not-a-credential", "Content-Type": "application/json"}


def _refusals(instance) -> int:
    return instance.sql("SELECT count(*) FROM branches_refusal")[0][0]


def test_it_serves_two_instances_on_their_own_databases(unenrolled_pair):
    hq, branch = unenrolled_pair.hq, unenrolled_pair.branch
    for instance in (hq, branch):
        r = requests.get(f"{instance.url}/accounts/login/", timeout=10)
        assert r.status_code == 200
        assert 'name="password"' in r.text
    assert hq.sql("SELECT count(*) FROM crm_customer")[0][0] == 300
    assert hq.sql("SELECT count(*) FROM crm_customer c JOIN accounts_branch b ON b.id = c.branch_id "
                  "WHERE b.code = 'jks'")[0][0] > 0
    # Not enrolled yet: the branch's database is migrated and empty.
    assert branch.sql("SELECT count(*) FROM crm_customer")[0][0] == 0
    assert branch.sql("SELECT count(*) FROM accounts_branch")[0][0] == 0


def test_it_runs_each_instance_in_its_role(unenrolled_pair):
    # Head office serves the sync endpoints (and refuses a bad credential); a branch has none.
    at_hq = requests.post(f"{unenrolled_pair.hq.url}/sync/pull/", data=b"{}", headers=BOGUS, timeout=10)
    at_branch = requests.post(f"{unenrolled_pair.branch.url}/sync/pull/", data=b"{}", headers=BOGUS, timeout=10)
    assert at_hq.status_code == 401
    assert at_branch.status_code == 404
    assert unenrolled_pair.branch.shell("from django.conf import settings; "
                                   "print(settings.RELASI_ROLE, settings.BRANCH_CODE, settings.HQ_URL)").split() == [
        "branch", "jks", unenrolled_pair.proxy.url]


def test_it_passes_requests_through_the_proxy(unenrolled_pair):
    proxy = unenrolled_pair.proxy
    r = requests.post(f"{proxy.url}/sync/pull/", data=b"{}", headers=BOGUS, timeout=10)
    assert r.status_code == 401
    assert r.json() == {"refused": "unknown credential"}
    assert proxy.counts["/sync/pull/"] == 1
    assert proxy.answered["/sync/pull/"] == 1


def test_it_loses_the_answer_after_head_office_did_the_work(unenrolled_pair):
    proxy, hq = unenrolled_pair.proxy, unenrolled_pair.hq
    proxy.cut_response("/sync/", times=2)
    before = _refusals(hq)
    for _ in range(2):
        started = time.monotonic()
        with pytest.raises(requests.ConnectionError):
            requests.post(f"{proxy.url}/sync/pull/", data=b"{}", headers=BOGUS, timeout=20)
        assert time.monotonic() - started < 5  # a reset, not a hang until the timeout
    # Head office handled both requests (each refusal is a row it committed) ...
    assert _refusals(hq) == before + 2
    assert proxy.answered["/sync/pull/"] == 2
    assert proxy.cuts["/sync/pull/"] == 2
    # ... and the fault is used up: the third request gets its answer.
    assert requests.post(f"{proxy.url}/sync/pull/", data=b"{}", headers=BOGUS, timeout=10).status_code == 401
    assert proxy.counts["/sync/pull/"] == 3


def test_it_cuts_a_request_before_head_office_sees_all_of_it(unenrolled_pair):
    proxy, hq = unenrolled_pair.proxy, unenrolled_pair.hq
    proxy.cut_request("/sync/push/", times=1, after_bytes=120)
    before = _refusals(hq)
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{proxy.url}/sync/push/", data=b'{"changes": []}' * 100, headers=BOGUS, timeout=20)
    time.sleep(0.3)  # let a worker finish anything it might (wrongly) have started
    assert _refusals(hq) == before
    assert proxy.answered["/sync/push/"] == 0
    # Other paths are not cut.
    assert requests.post(f"{proxy.url}/sync/pull/", data=b"{}", headers=BOGUS, timeout=10).status_code == 401


def test_it_makes_head_office_unreachable(unenrolled_pair):
    proxy = unenrolled_pair.proxy
    proxy.down(True)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{proxy.url}/sync/pull/", data=b"{}", headers=BOGUS, timeout=20)
    assert time.monotonic() - started < 5
    assert proxy.answered["/sync/pull/"] == 0
    proxy.down(False)
    assert requests.post(f"{proxy.url}/sync/pull/", data=b"{}", headers=BOGUS, timeout=10).status_code == 401


def _environ(pid: int) -> dict:
    with open(f"/proc/{pid}/environ", "rb") as f:
        return dict(item.decode().split("=", 1) for item in f.read().split(b"\0") if b"=" in item)


def test_it_restarts_an_instance_with_a_changed_environment(unenrolled_pair):
    branch = unenrolled_pair.branch
    old_pid, url = branch.process.pid, branch.url
    try:
        branch.restart(SYNC_CLOCK_OFFSET_SECONDS=7200)
        assert branch.process.pid != old_pid and branch.url == url  # a new server on the same port
        assert requests.get(f"{branch.url}/accounts/login/", timeout=10).status_code == 200
        assert _environ(branch.process.pid)["SYNC_CLOCK_OFFSET_SECONDS"] == "7200"
        offset = branch.shell("from django.conf import settings; print(settings.SYNC_CLOCK_OFFSET_SECONDS)")
        assert offset.strip() == "7200"
    finally:
        branch.restart(SYNC_CLOCK_OFFSET_SECONDS=0)


@pytest.mark.skipif(not sync_commands_exist(), reason="the sync commands do not exist yet")
def test_it_enrols_the_branch_with_head_office_s_rows_of_that_branch(pair):
    hq_jks = pair.hq.sql("SELECT count(*) FROM crm_customer c JOIN accounts_branch b ON b.id = c.branch_id "
                         "WHERE b.code = 'jks'")[0][0]
    assert pair.enrolled
    assert pair.branch.sql("SELECT count(*) FROM crm_customer")[0][0] == hq_jks
    assert pair.proxy.counts["/sync/snapshot/"] > 0  # the branch went through the proxy
    hq, branch = pair.checksums()
    assert hq == branch
