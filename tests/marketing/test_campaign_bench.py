"""marketing/bench.py: its seed tops up once, its cases open real pages (issue 12)."""

import io

import pytest

from accounts.models import Department
from crm.benchmarks.measure import run_case
from crm.benchmarks.pages import InProcessClient
from marketing import bench
from marketing.models import Campaign, Message, Send
from tests.factories import BranchFactory, CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bench_cast(head_office_user):
    jks = BranchFactory(code="jks", name="Cabang Jakarta Selatan", city="Jakarta Selatan")
    bdg = BranchFactory(code="bdg", name="Cabang Bandung", city="Bandung")
    UserFactory(email=bench.MARKETER, branch=jks, department=Department.MARKETING)
    for i in range(6):
        CustomerFactory(branch=jks if i % 2 else bdg, city="Jakarta Selatan" if i % 2 else "Bandung")
    return jks, bdg


def test_the_seed_adds_the_campaigns_once(bench_cast):
    out = io.StringIO()
    bench.seed(fraction=0.0001, stdout=out)
    finished = Campaign.objects.get(name=bench.FINISHED)
    sending = Campaign.objects.get(name=bench.SENDING)
    assert Message.objects.filter(send__campaign_run__campaign=finished).count() == 6
    assert finished.status == Campaign.Status.DONE and finished.stats["total"] == 6 and finished.stats_final
    # The sending one cannot be sent by a stray worker: its sends are paused, the rest not due.
    assert sending.status == Campaign.Status.SENDING
    assert set(Send.objects.filter(campaign_run__campaign=sending).values_list("status", flat=True)) == {"paused"}
    assert not sending.branch_runs.filter(send__isnull=True, due_at__lte=sending.started_at).exists()
    before = Message.objects.count()
    bench.seed(fraction=0.0001, stdout=out)
    assert Message.objects.count() == before  # a second run adds nothing


def test_every_case_opens_its_page(bench_cast):
    bench.seed(fraction=0.0001, stdout=io.StringIO())
    cases = bench.cases(runs=2)
    assert len(cases) == 11
    clients = {}
    for case in cases:
        case.urls = case.urls[:2]
        if case.user not in clients:
            from accounts.models import User

            clients[case.user] = InProcessClient(User.objects.get(email=case.user), explain=False)
        result = run_case(clients[case.user], case, warmup=0)
        assert result.statuses == {200}, case.name
