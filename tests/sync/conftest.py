"""Fixtures for the two-instance sync tests: a migrated and seeded template once per session,
and a fresh head office + branch pair per test. See tests/sync/harness.py."""

import shutil

import pytest

from .harness import Pair, Template, drop_stale_databases


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # A failed test shows the tail of both servers' logs.
    report = yield
    pair = getattr(item, "_sync_pair", None)
    if report.failed and pair is not None:
        for instance in (pair.hq, pair.branch):
            if instance is not None:
                report.sections.append((f"{instance!r} gunicorn log (tail)", instance.log_tail()))
    return report


@pytest.fixture(scope="session")
def sync_template():
    drop_stale_databases()
    template = Template()
    try:
        template.create().seed(customers=300)
        yield template
    finally:
        template.drop()


def _start(template, *, enrol):
    p = Pair(template)
    try:
        p.start(enrol=enrol)
    except BaseException:
        p.stop()
        shutil.rmtree(p.log_dir, ignore_errors=True)
        raise
    return p


def _stop(p):
    p.stop()
    shutil.rmtree(p.log_dir, ignore_errors=True)


@pytest.fixture
def pair(request, sync_template):
    """Head office (demo with 300 customers, a jks credential) behind a FaultProxy, and the jks
    branch instance enrolled through it (enrolment is skipped until sync_enrol exists).
    A new pair for each test (~3 s)."""
    p = _start(sync_template, enrol=True)
    request.node._sync_pair = p
    yield p
    _stop(p)


@pytest.fixture(scope="module")
def _module_unenrolled_pair(sync_template):
    p = _start(sync_template, enrol=False)
    yield p
    _stop(p)


@pytest.fixture
def unenrolled_pair(request, _module_unenrolled_pair):
    """The same pair before the branch enrolled (its database is migrated and empty). One per
    test module: tests must not enrol it or change its data; the proxy is reset for each test."""
    p = _module_unenrolled_pair
    p.proxy.clear()
    request.node._sync_pair = p
    return p
