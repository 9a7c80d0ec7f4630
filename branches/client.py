"""The branch instance's side of the sync: "Sync now", ``manage.py sync_now`` and the optional
periodic job all call ``run``; ``manage.py sync_enrol`` calls ``enrol`` once.

Push first (every change made here, in batches head office acknowledges after commit), then
pull (head office's changes, each page applied with the cursor in one transaction). A cut
connection is retried a few times; whatever it interrupted is repeated, never doubled:
an unacknowledged batch is rebuilt from the same log rows under the same number, and head
office answers a number it has applied with its stored answer.
"""

from __future__ import annotations

import gzip
import json
import time
import uuid

import requests
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from . import sync
from .models import SyncState
from .wire import shapes

LOCK_KEY = 0x52454C53  # pg advisory lock: one sync at a time on this instance
RETRIES = 4


class SyncFailed(Exception):
    """The sync stopped; what was acknowledged so far stays done."""


class Busy(SyncFailed):
    pass


def _post(session: requests.Session, path: str, payload: dict) -> dict:
    if not settings.HQ_URL or not settings.SYNC_TOKEN:
        raise SyncFailed("HQ_URL and SYNC_TOKEN are not set on this branch instance")
    data = gzip.compress(json.dumps(payload, separators=(",", ":")).encode(), compresslevel=3)
    last = None
    for attempt in range(RETRIES):
        try:
            r = session.post(f"{settings.HQ_URL}{path}", data=data, timeout=settings.SYNC_TIMEOUT_SECONDS,
                             headers={"Authorization": f"Bearer {settings.SYNC_TOKEN}",
                                      "Content-Type": "application/json", "Content-Encoding": "gzip"})
        except requests.RequestException as e:  # cut, refused, timed out: the work is repeatable
            last = e
            time.sleep(min(0.5 * 2 ** attempt, 4))
            continue
        if r.status_code in (401, 403):
            raise SyncFailed(f"head office refused: {_reason(r)}")
        if r.status_code >= 500:
            last = SyncFailed(f"head office answered {r.status_code}")
            time.sleep(min(0.5 * 2 ** attempt, 4))
            continue
        if r.status_code != 200:
            raise SyncFailed(f"head office answered {r.status_code}: {_reason(r)}")
        return r.json()
    raise SyncFailed(f"head office unreachable: {last}")


def _reason(r) -> str:
    try:
        body = r.json()
        return str(body.get("refused") or body.get("error") or body)
    except ValueError:
        return r.text[:200]


def _progress(**values) -> None:
    SyncState.objects.get_or_create(pk=1)
    st = SyncState.objects.get(pk=1)
    st.progress = {**st.progress, **values}
    SyncState.objects.filter(pk=1).update(progress=st.progress)


class _Lock:
    def __enter__(self):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            if not cur.fetchone()[0]:
                raise Busy("a sync is already running on this branch instance")
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


def run(*, batch_size: int | None = None) -> dict:
    """Push everything, then pull everything. Returns counts; raises SyncFailed."""
    if settings.RELASI_ROLE != "branch":
        raise SyncFailed("only a branch instance synchronises (RELASI_ROLE=branch)")
    limit = batch_size or settings.SYNC_BATCH_SIZE
    result = {"pushed": 0, "batches": 0, "pulled": 0, "conflicts": 0}
    with _Lock():
        started = timezone.now()
        SyncState.objects.get_or_create(pk=1)
        SyncState.objects.filter(pk=1).update(last_attempt_at=started, progress={
            "running": True, "phase": "push", "started": started.isoformat(), **result})
        try:
            with requests.Session() as session:
                if sync.state().enrolled_at is None:
                    raise SyncFailed("this branch instance is not enrolled yet: run manage.py sync_enrol")
                while (batch := sync.push_batch(limit)) is not None:
                    answer = _post(session, "/sync/push/", batch)
                    sync.push_acknowledged(answer, batch)
                    result["pushed"] += len(batch["changes"])
                    result["batches"] += 1
                    result["conflicts"] += int(answer.get("conflicts") or 0)
                    _progress(**result)
                _progress(phase="pull")
                while True:
                    st = sync.state()
                    page = _post(session, "/sync/pull/", {"branch": settings.BRANCH_CODE, "limit": limit,
                                                          "cursor": [st.pull_xid or 0, st.pull_id]})
                    sync.pull_apply(page, cursor_to=page["cursor_to"])
                    result["pulled"] += len(page.get("changes") or [])
                    _progress(**result)
                    if not page.get("more"):
                        break
        except Exception as e:  # noqa: BLE001 - whatever stopped it, the page must not show it running
            message = str(e) if isinstance(e, SyncFailed) else f"{type(e).__name__}: {e}"
            SyncState.objects.filter(pk=1).update(last_error=message[:1000])
            _progress(running=False, phase="failed", error=message[:1000])
            raise
        now = timezone.now()
        SyncState.objects.filter(pk=1).update(last_success_at=now, last_error="")
        _progress(running=False, phase="done", finished=now.isoformat())
    return result


def enrol() -> dict:
    """The first copy from head office: reference data and this branch's rows, then follow its log."""
    if settings.RELASI_ROLE != "branch":
        raise SyncFailed("only a branch instance enrols (RELASI_ROLE=branch)")
    counts = {}
    with _Lock(), requests.Session() as session:
        begun = _post(session, "/sync/pull/", {"branch": settings.BRANCH_CODE, "start": True})
        start = begun["cursor"]
        later: list = []  # generic references to rows copied further on
        for shape in shapes():
            after, n = None, 0
            while True:
                page = _post(session, "/sync/snapshot/", {"branch": settings.BRANCH_CODE, "m": shape.label,
                                                          "after": after})
                sync.pull_apply(page, later=later)
                n += len(page["changes"])
                if not page.get("more"):
                    break
                after = page["after"]
            counts[shape.label] = n
        with transaction.atomic():
            sync._applying("hq")
            sync.resolve_later(later)
        SyncState.objects.get_or_create(pk=1)
        SyncState.objects.filter(pk=1).update(pull_xid=int(start[0]) or None, pull_id=int(start[1]),
                                              batch_seq=int(begun["batch_seq"]), instance=uuid.uuid4(),
                                              enrolled_at=timezone.now())
    return counts
