"""The sync pages (issue 16): head office's view of every branch, the conflict review, the
branch instance's "Sync now", and the notice about a silent branch."""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from branches import services, sync
from branches.models import BranchLink, Change, Conflict, SyncState
from crm.models import Customer
from tests.branches.factories import ConflictFactory

pytestmark = pytest.mark.django_db


def test_head_office_sees_each_branchs_last_sync_waiting_changes_and_conflicts(client, head_office_user, branch_a,
                                                                               customer_a, sales_a):
    sync.credential_issue(branch_a)
    synced = timezone.now() - dt.timedelta(hours=3)
    BranchLink.objects.filter(branch=branch_a).update(last_success_at=synced, pending_at_branch=7)
    customer_a.city = "Bogor"  # a head-office edit the branch has not pulled yet
    customer_a.save()
    ConflictFactory(branch=branch_a, record_id=customer_a.public_id)
    client.force_login(head_office_user)
    page = client.get(reverse("branches:sync_status"))
    assert page.status_code == 200
    row = page.context["rows"][0]
    assert row["branch"] == branch_a and row["open_conflicts"] == 1 and row["waiting"] >= 1
    html = page.content.decode()
    assert 'data-branch="%s"' % branch_a.code in html and ">7<" in html
    assert f"?branch={branch_a.pk}" in html  # browse the branch's customers


def test_only_branch_managers_and_head_office_see_the_sync_page(client, sales_a, manager_a):
    client.force_login(sales_a)
    assert client.get(reverse("branches:sync_status")).status_code == 403
    client.force_login(manager_a)
    assert client.get(reverse("branches:sync_status")).status_code == 200


def test_taking_the_other_value_changes_the_record_and_queues_it_for_the_branch(client, head_office_user, branch_a,
                                                                                 customer_a):
    customer_a.phone = "+6281200000099"
    customer_a.save()
    conflict = ConflictFactory(branch=branch_a, record_id=customer_a.public_id, field="phone",
                               hq_value="+6281200000099", branch_value="+6281200000077",
                               winner=Conflict.Winner.HQ)
    Change.objects.all().delete()
    client.force_login(head_office_user)
    page = client.get(reverse("branches:conflict_list"))
    assert customer_a.get_absolute_url() in page.content.decode()
    response = client.post(reverse("branches:conflict_resolve", args=[conflict.public_id]), {"action": "take_other"})
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer_a.pk).phone == "+6281200000077"
    conflict.refresh_from_db()
    assert conflict.resolution == Conflict.Resolution.TOOK_OTHER and conflict.resolved_by == head_office_user
    # The branch gets the value on its next pull: the edit is in the log, under its branch.
    assert Change.objects.filter(model="crm.customer", public_id=customer_a.public_id, branch_id=branch_a.pk).exists()
    # Reviewed once only.
    again = client.post(reverse("branches:conflict_resolve", args=[conflict.public_id]), {"action": "keep"},
                        follow=True)
    assert "already reviewed" in again.content.decode()
    assert Conflict.objects.get(pk=conflict.pk).resolution == Conflict.Resolution.TOOK_OTHER


def test_keeping_the_winner_changes_nothing(client, head_office_user, branch_a, customer_a):
    conflict = ConflictFactory(branch=branch_a, record_id=customer_a.public_id, field="phone")
    before = Customer.objects.filter(pk=customer_a.pk).values().get()
    client.force_login(head_office_user)
    client.post(reverse("branches:conflict_resolve", args=[conflict.public_id]), {"action": "keep"})
    assert Customer.objects.filter(pk=customer_a.pk).values().get() == before
    assert Conflict.objects.get(pk=conflict.pk).resolution == Conflict.Resolution.KEPT
    assert client.get(reverse("branches:conflict_list")).context["conflicts"] == []


def test_a_bad_review_action_is_a_message_not_an_error(client, head_office_user, branch_a):
    conflict = ConflictFactory(branch=branch_a)
    client.force_login(head_office_user)
    page = client.post(reverse("branches:conflict_resolve", args=[conflict.public_id]), {"action": "delete"},
                       follow=True)
    assert page.status_code == 200 and "Choose to keep" in page.content.decode()
    assert Conflict.objects.get(pk=conflict.pk).resolved_at is None


def test_a_silent_branch_is_reported_to_head_office_once_per_silence(branch_a, head_office_user, sales_a):
    sync.credential_issue(branch_a)
    now = timezone.now()
    BranchLink.objects.filter(branch=branch_a).update(last_success_at=now - dt.timedelta(hours=30))
    assert services.sync_watch(now=now) == 1
    notice = Notification.objects.get(verb="branches.sync_silent")
    assert notice.recipient == head_office_user
    assert services.sync_watch(now=now + dt.timedelta(hours=1)) == 0  # not again for the same silence
    # It synchronised, then fell silent again: told again.
    BranchLink.objects.filter(branch=branch_a).update(last_success_at=now + dt.timedelta(hours=2))
    assert services.sync_watch(now=now + dt.timedelta(hours=40)) == 1
    assert Notification.objects.filter(verb="branches.sync_silent").count() == 2


def test_a_revoked_branch_is_not_reported_silent(branch_a, head_office_user):
    sync.credential_issue(branch_a)
    sync.credential_revoke(branch_a)
    BranchLink.objects.filter(branch=branch_a).update(last_success_at=timezone.now() - dt.timedelta(days=3))
    assert services.sync_watch() == 0


def test_sync_now_exists_only_on_a_branch_instance(client, manager_a):
    client.force_login(manager_a)
    assert client.post(reverse("branches:sync_now")).status_code == 404


@pytest.fixture
def tasks_run_in_the_request():
    """As with CELERY_TASK_ALWAYS_EAGER on a branch instance (Celery's conf, not Django's settings:
    the app has read those already)."""
    from crm.celery import app as celery_app

    saved = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = saved


def test_sync_now_at_a_branch_shows_why_it_stopped(client, manager_a, settings, tasks_run_in_the_request):
    settings.RELASI_ROLE, settings.BRANCH_CODE, settings.HQ_URL, settings.SYNC_TOKEN = "branch", "a", "", ""
    SyncState.objects.update_or_create(pk=1, defaults={"enrolled_at": timezone.now()})
    client.force_login(manager_a)
    page = client.get(reverse("branches:sync_status"))
    assert 'id="sync-now"' in page.content.decode()
    response = client.post(reverse("branches:sync_now"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sync-error"' in html and "HQ_URL and SYNC_TOKEN are not set" in html
    assert 'hx-trigger="every 1s"' not in html  # stopped: no more polling


def test_a_branch_instance_not_enrolled_says_so_instead_of_offering_sync_now(client, manager_a, settings):
    settings.RELASI_ROLE, settings.BRANCH_CODE = "branch", "a"
    client.force_login(manager_a)
    html = client.get(reverse("branches:sync_status")).content.decode()
    assert "sync_enrol" in html and 'id="sync-now"' not in html


def test_an_unknown_conflict_is_a_404(client, head_office_user):
    client.force_login(head_office_user)
    assert client.post(reverse("branches:conflict_resolve", args=[uuid.uuid4()]), {"action": "keep"}).status_code == 404


def test_a_refused_request_is_logged_shown_and_told_to_head_office_once_an_hour(client, head_office_user,
                                                                                 branch_a):
    for _ in range(3):
        response = client.post(reverse("sync:push"), data=b"{}", content_type="application/json",
                               HTTP_AUTHORIZATION="Bearer not-a-credential")
        assert response.status_code == 401
    assert sync.Refusal.objects.filter(reason="unknown credential").count() == 3
    assert Notification.objects.filter(verb="branches.sync_refused", recipient=head_office_user).count() == 1
    client.force_login(head_office_user)
    assert "unknown credential" in client.get(reverse("branches:sync_status")).content.decode()


def test_taking_an_other_value_that_cannot_be_stored_is_a_message_and_changes_nothing(client, head_office_user,
                                                                                        branch_a, customer_a):
    conflict = ConflictFactory(branch=branch_a, record_id=customer_a.public_id, field="city", hq_value="Bogor",
                               branch_value="x" * 500, winner=Conflict.Winner.HQ)
    before = Customer.objects.filter(pk=customer_a.pk).values().get()
    client.force_login(head_office_user)
    page = client.post(reverse("branches:conflict_resolve", args=[conflict.public_id]), {"action": "take_other"},
                       follow=True)
    assert page.status_code == 200 and "cannot be stored" in page.content.decode()
    assert Customer.objects.filter(pk=customer_a.pk).values().get() == before
    assert Conflict.objects.get(pk=conflict.pk).resolved_at is None


def test_sync_now_says_so_when_the_task_queue_is_unreachable(client, manager_a, settings, monkeypatch):
    from branches import tasks

    def broker_down():
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379")

    settings.RELASI_ROLE, settings.BRANCH_CODE = "branch", "a"
    SyncState.objects.update_or_create(pk=1, defaults={"enrolled_at": timezone.now()})
    monkeypatch.setattr(tasks.sync_now_task, "delay", broker_down)
    client.force_login(manager_a)
    html = client.post(reverse("branches:sync_now"), HTTP_HX_REQUEST="true").content.decode()
    assert 'id="sync-error"' in html and "could not be started" in html
    assert 'hx-trigger="every 1s"' not in html  # no endless "Starting…"


def test_head_offices_sync_page_costs_the_same_queries_for_one_branch_or_many(client, head_office_user,
                                                                               django_assert_num_queries):
    from tests.factories import BranchFactory

    client.force_login(head_office_user)
    sync.credential_issue(BranchFactory(code="q1"))
    client.get(reverse("branches:sync_status"))  # warm the session and the user
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        client.get(reverse("branches:sync_status"))
    for code in ("q2", "q3", "q4"):
        sync.credential_issue(BranchFactory(code=code))
    with django_assert_num_queries(len(one.captured_queries)):
        page = client.get(reverse("branches:sync_status"))
    assert len(page.context["rows"]) == 4


def test_a_sync_whose_worker_stopped_gives_the_button_back(client, manager_a, settings):
    settings.RELASI_ROLE, settings.BRANCH_CODE = "branch", "a"
    started = (timezone.now() - dt.timedelta(minutes=10)).isoformat()
    SyncState.objects.update_or_create(pk=1, defaults={"enrolled_at": timezone.now(), "progress": {
        "running": True, "phase": "push", "started": started, "pushed": 2000}})
    client.force_login(manager_a)
    html = client.get(reverse("branches:sync_progress")).content.decode()
    assert 'id="sync-stale"' in html and 'hx-trigger="every 1s"' not in html
    assert 'id="sync-now">' in html  # not disabled
    # One that has just been queued is still shown as running.
    SyncState.objects.filter(pk=1).update(progress={"running": True, "phase": "queued",
                                                    "queued": timezone.now().isoformat()})
    html = client.get(reverse("branches:sync_progress")).content.decode()
    assert 'id="sync-running"' in html and 'hx-trigger="every 1s"' in html and "disabled" in html
