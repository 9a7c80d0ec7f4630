"""The worker tests' wait loop cannot hang (issue 7): it gives up at its deadline, and at
once, with the end of the log, when a process it waits on has died."""

import sys
import time

import pytest

from tests.marketing.workers import Worker, wait_until


def test_it_gives_up_at_the_deadline():
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match="not within 0.3 s: the impossible"):
        wait_until(lambda: False, timeout=0.3, what="the impossible")
    assert time.monotonic() - started < 5


def test_it_fails_at_once_when_the_worker_it_waits_on_has_died(tmp_path):
    worker = Worker(env={}, log_path=tmp_path / "worker.log")
    worker._spawn([sys.executable, "-c", "print('worker lost its broker'); raise SystemExit(3)"])
    worker.proc.wait(timeout=30)
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match=r"(?s)worker exited unexpectedly with 3.*lost its broker"):
        wait_until(lambda: False, timeout=600, what="a batch sent", procs=[worker])
    assert time.monotonic() - started < 5  # not the ten minutes of the deadline
