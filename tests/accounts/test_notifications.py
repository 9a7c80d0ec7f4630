"""Staff notifications: the service every app calls, the email copy, pruning, the selectors,
and the first real kind (a customer assigned to you)."""

import datetime as dt
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy

from accounts import selectors, services
from accounts.models import Notification, NotificationPreference
from accounts.notifications import (
    CUSTOMER_ASSIGNED,
    notification_kind,
    notification_kind_register,
    notification_kind_unregister,
    notification_kinds,
)
from accounts.tasks import (
    EMAIL_MAX_RETRIES,
    notification_email_task,
    notification_emails_sweep_task,
    notifications_prune_task,
)
from crm import services as crm_services
from crm.celery import app as celery_app
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    """Tasks run in this process when enqueued: the real task code, no broker round trip."""
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, False
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


@pytest.fixture
def messages_kind():
    """A kind of our own, labelled with a string Django already translates ("Messages" is
    "Pesan" in Indonesian), so the email's language can be checked."""
    kind = notification_kind_register("tests.messages", gettext_lazy("Messages"))
    yield kind.code
    notification_kind_unregister(kind.code)


def notify(to, target, *, by=None, verb=CUSTOMER_ASSIGNED):
    return services.notification_send(to=to, verb=verb, target=target, by=by)


def wants_email(user, kind=CUSTOMER_ASSIGNED):
    services.notification_preferences_set(user=user, email_kinds=[kind])


# --- The kinds registry


def test_it_declares_accounts_own_kind_at_start_up():
    kind = notification_kind(CUSTOMER_ASSIGNED)
    with translation.override("en"):
        assert kind is not None and str(kind.label) == "Customer assigned to you"
    assert CUSTOMER_ASSIGNED in [k.code for k in notification_kinds()]


def test_it_refuses_two_labels_for_one_kind_and_malformed_codes(messages_kind):
    assert notification_kind_register(messages_kind, gettext_lazy("Messages")).code == messages_kind  # again: fine
    with pytest.raises(ValueError, match="already declared"):
        notification_kind_register(messages_kind, "Something else")
    for bad in ("", "Lead Assigned", "1lead", "lead-assigned", "x" * 65):
        with pytest.raises(ValueError):
            notification_kind_register(bad, "Bad")


# --- notification_send


def test_it_notifies_each_recipient_once_with_a_snapshot_of_the_target(sales_a, manager_a, readonly_a,
                                                                        head_office_user, customer_a):
    readonly_a.is_active = False
    readonly_a.save()
    sent = notify([sales_a, manager_a, sales_a, None, readonly_a], customer_a, by=head_office_user)

    assert [n.recipient for n in sent] == [sales_a, manager_a]  # no duplicate, no inactive account
    rows = Notification.objects.filter(recipient=sales_a)
    assert rows.count() == 1
    n = rows.get()
    assert (n.verb, n.text, n.target_url) == (CUSTOMER_ASSIGNED, "Budi Santoso", customer_a.get_absolute_url())
    assert n.target == customer_a and n.actor == head_office_user
    assert n.read_at is None and n.email_status == Notification.EmailStatus.NONE
    with translation.override("en"):
        assert str(n) == "Customer assigned to you: Budi Santoso"


def test_it_takes_one_user_or_any_iterable(sales_a, manager_a, customer_a):
    assert len(notify(sales_a, customer_a)) == 1
    assert len(notify(type(sales_a).objects.filter(pk__in=[sales_a.pk, manager_a.pk]), customer_a)) == 2
    assert notify(None, customer_a) == []


def test_it_never_tells_people_what_they_did_themselves(sales_a, customer_a):
    assert notify(sales_a, customer_a, by=sales_a) == []
    assert not Notification.objects.exists()


def test_it_keeps_the_snapshot_to_one_short_line(sales_a, branch_a):
    customer = CustomerFactory(name="PT Maju\n\nJaya   Sentosa", branch=branch_a)
    assert notify(sales_a, customer)[0].text == "PT Maju Jaya Sentosa"
    customer.name = "PT Maju Jaya " + "Sentosa " * 40  # a target whose name outgrows the snapshot
    n = notify(sales_a, customer)[0]
    assert len(n.text) == 200 and n.text.startswith("PT Maju Jaya Sentosa") and n.text.endswith("…")


def test_it_refuses_a_kind_nobody_declared_and_an_unsaved_target(sales_a, customer_a):
    with pytest.raises(LookupError, match="Unknown notification kind"):
        notify(sales_a, customer_a, verb="sales.lead_asigned")
    with pytest.raises(ValueError, match="saved target"):
        notify(sales_a, type(customer_a)(name="Unsaved"))
    assert not Notification.objects.exists()


def test_it_costs_two_queries_however_many_recipients(branch_a, customer_a, django_assert_num_queries):
    staff = [UserFactory(branch=branch_a) for _ in range(12)]
    wants_email(staff[0])
    # 1. their email choices, 2. one INSERT of every row (plus the savepoint around them).
    with django_assert_num_queries(4):  # SAVEPOINT, choices, INSERT, RELEASE SAVEPOINT
        sent = notify(staff, customer_a)
    assert len(sent) == 12


# --- The email copy


def test_it_emails_a_copy_after_commit_only_to_whoever_asked(sales_a, manager_a, head_office_user, customer_a,
                                                             settings, eager_celery,
                                                             django_capture_on_commit_callbacks):
    settings.PUBLIC_BASE_URL = "https://crm.example.id"
    wants_email(manager_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify([sales_a, manager_a], customer_a, by=head_office_user)
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [manager_a.email]
    assert email.subject == "[Relasi] Customer assigned to you: Budi Santoso"
    assert f"https://crm.example.id{customer_a.get_absolute_url()}" in email.body
    assert f"By {head_office_user}." in email.body
    assert "https://crm.example.id/notifications/settings/" in email.body
    emailed = Notification.objects.get(recipient=manager_a)
    assert emailed.email_status == Notification.EmailStatus.SENT and emailed.emailed_at is not None
    assert Notification.objects.get(recipient=sales_a).email_status == Notification.EmailStatus.NONE


def test_it_sends_nothing_when_the_transaction_rolls_back(manager_a, customer_a, eager_celery,
                                                          django_capture_on_commit_callbacks):
    wants_email(manager_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                notify(manager_a, customer_a)
                raise RuntimeError("the rest of the caller's work failed")
    assert callbacks == []
    assert not Notification.objects.exists()
    assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_it_sends_after_a_real_commit_and_nothing_after_a_real_rollback(branch_a, eager_celery):
    # Real transactions, no test wrapper: what production does.
    owner = UserFactory(branch=branch_a)
    wants_email(owner)
    customer = CustomerFactory(name="Dewi Lestari", branch=branch_a)
    with pytest.raises(RuntimeError):
        with transaction.atomic():
            notify(owner, customer)
            raise RuntimeError
    assert not Notification.objects.exists() and mail.outbox == []

    with transaction.atomic():
        notify(owner, customer)
        assert mail.outbox == []
    assert [m.to for m in mail.outbox] == [[owner.email]]
    assert Notification.objects.get().email_status == Notification.EmailStatus.SENT


def test_it_writes_the_email_in_the_recipients_language(branch_a, customer_a, messages_kind, eager_celery,
                                                        django_capture_on_commit_callbacks):
    indonesian = UserFactory(branch=branch_a, language="id")
    english = UserFactory(branch=branch_a, language="en")
    for user in (indonesian, english):
        wants_email(user, messages_kind)
    with django_capture_on_commit_callbacks(execute=True):
        notify([indonesian, english], customer_a, verb=messages_kind)
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects == {indonesian.email: "[Relasi] Pesan: Budi Santoso",
                        english.email: "[Relasi] Messages: Budi Santoso"}


def test_it_sends_the_copy_once_when_the_task_is_delivered_twice(manager_a, customer_a,
                                                                 django_capture_on_commit_callbacks):
    wants_email(manager_a)
    with django_capture_on_commit_callbacks(execute=False):
        n = notify(manager_a, customer_a)[0]
    assert notification_email_task.run(n.pk) is True
    assert notification_email_task.run(n.pk) is False  # redelivered: already sent
    assert len(mail.outbox) == 1


class FlakyMailServer(BaseEmailBackend):
    """A mail server that is down for the first ``failures`` connections, then works
    (delivering into the locmem outbox)."""

    failures = 0
    attempts = 0

    def send_messages(self, messages):
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return LocmemBackend().send_messages(messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FlakyMailServer"
    FlakyMailServer.attempts = 0
    return FlakyMailServer


def test_it_tries_again_when_the_mail_server_is_down(manager_a, customer_a, flaky_mail, eager_celery,
                                                     django_capture_on_commit_callbacks):
    flaky_mail.failures = 2
    wants_email(manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        n = notify(manager_a, customer_a)[0]
    assert flaky_mail.attempts == 3
    assert len(mail.outbox) == 1
    n.refresh_from_db()
    assert n.email_status == Notification.EmailStatus.SENT


def test_it_gives_up_visibly_after_the_last_try(manager_a, customer_a, flaky_mail, eager_celery,
                                                django_capture_on_commit_callbacks):
    flaky_mail.failures = 100
    wants_email(manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        n = notify(manager_a, customer_a)[0]
    assert flaky_mail.attempts == EMAIL_MAX_RETRIES + 1
    assert mail.outbox == []
    n.refresh_from_db()
    assert n.email_status == Notification.EmailStatus.FAILED and n.emailed_at is None
    assert n.read_at is None  # the notification itself is still there to read


def test_it_keeps_the_notification_when_the_broker_is_down(manager_a, customer_a, monkeypatch, caplog,
                                                           django_capture_on_commit_callbacks):
    def broker_down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(notification_email_task, "delay", broker_down)
    wants_email(manager_a)
    with django_capture_on_commit_callbacks(execute=True):
        n = notify(manager_a, customer_a)[0]
    assert Notification.objects.filter(pk=n.pk, email_status=Notification.EmailStatus.QUEUED).exists()
    assert "Could not enqueue the email copy" in caplog.text


class BrokenMailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ValueError("not a transient error: no retry will help")


def test_it_gives_up_visibly_on_an_error_no_retry_will_help(manager_a, customer_a, settings,
                                                             django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailBackend"
    wants_email(manager_a)
    with django_capture_on_commit_callbacks(execute=False):
        n = notify(manager_a, customer_a)[0]
    with pytest.raises(ValueError):
        notification_email_task.run(n.pk)
    n.refresh_from_db()
    assert n.email_status == Notification.EmailStatus.FAILED  # not left "queued" forever


def test_it_gives_every_lost_email_copy_an_end(manager_a, customer_a, monkeypatch,
                                              django_capture_on_commit_callbacks):
    wants_email(manager_a)
    with django_capture_on_commit_callbacks(execute=False):
        lost, stuck, recent = (notify(manager_a, customer_a)[0] for _ in range(3))
    # The broker was down when `lost` was enqueued; a worker died while sending `stuck`.
    old = timezone.now() - services.EMAIL_STUCK_AFTER - dt.timedelta(minutes=1)
    Notification.objects.filter(pk__in=[lost.pk, stuck.pk]).update(created_at=old)
    Notification.objects.filter(pk=stuck.pk).update(email_status=Notification.EmailStatus.SENDING)
    enqueued = []
    monkeypatch.setattr(notification_email_task, "delay", enqueued.append)
    assert notification_emails_sweep_task.run() == (1, 1)
    assert enqueued == [lost.pk]  # enqueued again; `recent` may still be on its way
    status = dict(Notification.objects.values_list("pk", "email_status"))
    # `stuck` may have left: never resent blindly, but visibly given up.
    assert status == {lost.pk: "queued", stuck.pk: "failed", recent.pk: "queued"}
    assert notification_email_task.run(lost.pk) is True and len(mail.outbox) == 1
    assert services.notification_emails_sweep() == (0, 0)


# --- Preferences


def test_it_saves_email_choices_for_declared_kinds_only(sales_a, messages_kind):
    services.notification_preferences_set(user=sales_a, email_kinds=[CUSTOMER_ASSIGNED, messages_kind])
    assert selectors.notification_email_kinds(sales_a) == {CUSTOMER_ASSIGNED, messages_kind}
    services.notification_preferences_set(user=sales_a, email_kinds=[messages_kind])
    assert selectors.notification_email_kinds(sales_a) == {messages_kind}
    assert NotificationPreference.objects.filter(user=sales_a, kind=CUSTOMER_ASSIGNED, email=False).exists()
    with pytest.raises(ValueError, match="Unknown notification kinds: nope"):
        services.notification_preferences_set(user=sales_a, email_kinds=["nope"])
    assert selectors.notification_email_kinds(sales_a) == {messages_kind}


# --- Reading and marking


def test_it_marks_one_and_all_read_for_their_recipient_only(sales_a, manager_a, customer_a):
    first, second = notify(sales_a, customer_a)[0], notify(sales_a, customer_a)[0]
    other = notify(manager_a, customer_a)[0]
    assert services.notification_mark_read(notification=first) is True
    assert services.notification_mark_read(notification=first) is False
    assert first.read_at is not None
    assert services.notifications_mark_all_read(user=sales_a) == 1
    assert Notification.objects.filter(pk=second.pk, read_at__isnull=False).exists()
    assert Notification.objects.filter(pk=other.pk, read_at__isnull=True).exists()


def test_it_shows_a_user_only_their_own_notifications(sales_a, manager_a, head_office_user, customer_a):
    mine = notify(sales_a, customer_a)[0]
    notify([manager_a, head_office_user], customer_a)
    for user in (sales_a, manager_a, head_office_user):
        assert [n.recipient_id for n in Notification.objects.visible_to(user)] == [user.pk]
    assert selectors.notification_get_for_user(sales_a, mine.public_id) == mine
    from django.http import Http404
    for user in (manager_a, head_office_user):  # the branch's manager and head office too
        with pytest.raises(Http404):
            selectors.notification_get_for_user(user, mine.public_id)


def test_it_gives_the_home_page_my_newest_unread_and_their_count_in_one_query(sales_a, manager_a, branch_a,
                                                                              django_assert_num_queries):
    customers = [CustomerFactory(name=f"Pelanggan {i}", branch=branch_a) for i in range(8)]
    for customer in customers:
        notify(sales_a, customer, by=manager_a)
    notify(manager_a, customers[0])
    services.notification_mark_read(notification=Notification.objects.filter(recipient=sales_a).earliest("id"))

    with django_assert_num_queries(1):
        rows, unread = selectors.notifications_unread_for(sales_a, limit=5)
        [n.actor for n in rows]  # joined in: no query per row
    assert unread == 7
    assert [n.text for n in rows] == ["Pelanggan 7", "Pelanggan 6", "Pelanggan 5", "Pelanggan 4", "Pelanggan 3"]
    assert rows[0].actor == manager_a
    rows, unread = selectors.notifications_unread_for(sales_a, limit=10)
    assert unread == len(rows) == 7
    services.notifications_mark_all_read(user=sales_a)
    with django_assert_num_queries(1):
        assert selectors.notifications_unread_for(sales_a) == ([], 0)


def test_it_counts_unread_up_to_a_cap(sales_a, customer_a):
    Notification.objects.bulk_create([
        Notification(recipient=sales_a, verb=CUSTOMER_ASSIGNED, text="x") for _ in range(selectors.UNREAD_COUNT_CAP + 5)
    ])
    assert selectors.notifications_unread_count(sales_a) == selectors.UNREAD_COUNT_CAP
    assert selectors.notifications_unread_for(sales_a)[1] == selectors.UNREAD_COUNT_CAP


# --- Pruning


def _aged(user, days, n=1):
    created = timezone.now() - dt.timedelta(days=days)
    return Notification.objects.bulk_create([
        Notification(recipient=user, verb=CUSTOMER_ASSIGNED, text=f"{days} days old", created_at=created)
        for _ in range(n)
    ])


def test_it_prunes_notifications_older_than_the_configured_age_only(sales_a, settings):
    settings.NOTIFICATION_MAX_AGE_DAYS = 90
    _aged(sales_a, 400), _aged(sales_a, 91), _aged(sales_a, 89), _aged(sales_a, 0)
    assert notifications_prune_task.run() == 2
    assert sorted(Notification.objects.values_list("text", flat=True)) == ["0 days old", "89 days old"]
    settings.NOTIFICATION_MAX_AGE_DAYS = 30
    assert notifications_prune_task.run() == 1
    assert list(Notification.objects.values_list("text", flat=True)) == ["0 days old"]


def test_it_prunes_in_bounded_batches(sales_a):
    _aged(sales_a, 120, n=25), _aged(sales_a, 1, n=3)
    with CaptureQueriesContext(connection) as captured:
        assert services.notifications_prune(older_than=dt.timedelta(days=90), batch_size=10) == 25
    deletes = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("DELETE")]
    # 10 + 10 + 5: each batch its own statement, none touching more than 10 rows; no row is
    # loaded into Python first (the DELETE selects its own ids).
    assert len(deletes) == 3 and len(captured.captured_queries) == 3
    assert all("LIMIT 10" in sql for sql in deletes)
    assert Notification.objects.count() == 3


def test_it_runs_the_prune_daily_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["notifications-prune"]
    assert entry["task"] == notifications_prune_task.name == "accounts.tasks.notifications_prune_task"
    assert entry["schedule"].hour == {2} and entry["schedule"].minute == {30}
    sweep = settings.CELERY_BEAT_SCHEDULE["notification-emails-sweep"]
    assert sweep["task"] == notification_emails_sweep_task.name and sweep["schedule"] == 900


# --- The first real kind: a customer assigned to you (crm.services)


def test_it_tells_the_owner_when_someone_else_registers_their_customer(manager_a, sales_a, branch_a):
    customer = crm_services.customer_create(by=manager_a, branch=branch_a, name="Andi Wijaya", owner=sales_a)
    n = Notification.objects.get()
    assert (n.recipient, n.actor, n.target, n.verb) == (sales_a, manager_a, customer, CUSTOMER_ASSIGNED)


def test_it_tells_no_one_when_you_register_a_customer_for_yourself(sales_a, branch_a):
    crm_services.customer_create(by=sales_a, branch=branch_a, name="Andi Wijaya")  # owner: whoever registers it
    crm_services.customer_create(by=sales_a, branch=branch_a, name="Ani Wijaya", owner=sales_a)
    assert not Notification.objects.exists()


def test_it_tells_the_new_owner_when_the_owner_changes(manager_a, sales_a, branch_a, customer_a):
    new_owner = UserFactory(branch=branch_a)
    crm_services.customer_update(customer=customer_a, by=manager_a, owner=new_owner)
    n = Notification.objects.get()
    assert (n.recipient, n.actor, n.target, n.text) == (new_owner, manager_a, customer_a, "Budi Santoso")

    crm_services.customer_update(customer=customer_a, by=manager_a, owner=new_owner, city="Cimahi")  # owner unchanged
    crm_services.customer_update(customer=customer_a, by=manager_a, owner=manager_a)  # took it themselves
    crm_services.customer_update(customer=customer_a, by=manager_a, owner=None)  # no owner: no one to tell
    assert Notification.objects.count() == 1


def test_it_tells_no_one_if_the_owner_change_is_rolled_back(manager_a, branch_a, customer_a, eager_celery,
                                                            django_capture_on_commit_callbacks):
    new_owner = UserFactory(branch=branch_a)
    wants_email(new_owner)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                crm_services.customer_update(customer=customer_a, by=manager_a, owner=new_owner)
                raise RuntimeError
    assert not Notification.objects.exists() and mail.outbox == []
