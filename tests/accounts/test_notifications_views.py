"""The staff notification pages: the bell, the list, mark read / all read, the email settings.

Every page starts with the same queries (tests/crm/test_query_counts.py):
  1. the session, 2. request.user with its branch,
  and, on full pages, 3.-4. the user's and their role group's permissions (the menu asks).
"""

import re
import time

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.urls import reverse

from accounts import services
from accounts.middleware import LAST_SEEN_KEY
from accounts.models import Notification
from accounts.notifications import CUSTOMER_ASSIGNED
from crm import services as crm_services
from crm.celery import app as celery_app
from crm.models import Customer
from tests.crm.pages import field_error, flash_messages, post_form
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("notifications:list")
BELL = reverse("notifications:bell")
ALL_READ = reverse("notifications:mark_all_read")
SETTINGS = reverse("notifications:settings")


def mark_read_url(notification):
    return reverse("notifications:mark_read", args=[notification.public_id])


def notify(to, target, *, by=None):
    return services.notification_send(to=to, verb=CUSTOMER_ASSIGNED, target=target, by=by)


def fill_inbox(user, branch, *, customers=3, each=2):
    """Notifications for ``user`` about several customers, from several colleagues."""
    actors = [UserFactory(branch=branch) for _ in range(2)]
    sent = []
    for i in range(customers):
        customer = CustomerFactory(name=f"Pelanggan {i}", branch=branch)
        for k in range(each):
            sent += notify(user, customer, by=actors[k % 2])
    return sent


def row_ids(response) -> list[str]:
    return re.findall(r'id="notification-([0-9a-f-]{36})"', response.content.decode())


# --- The list


def test_it_lists_my_notifications_newest_first_with_unread_highlighted(client, sales_a, manager_a, customer_a,
                                                                        branch_a):
    older = notify(sales_a, customer_a, by=manager_a)[0]
    other = CustomerFactory(name="Siti Aminah", branch=branch_a)
    newer = notify(sales_a, other, by=manager_a)[0]
    services.notification_mark_read(notification=older)
    notify(manager_a, customer_a)  # someone else's

    client.force_login(sales_a)
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert row_ids(response) == [str(newer.public_id), str(older.public_id)]
    unread_row = re.search(rf'<li class="([^"]*)" id="notification-{newer.public_id}"', html).group(1)
    read_row = re.search(rf'<li class="([^"]*)" id="notification-{older.public_id}"', html).group(1)
    assert "notification-unread" in unread_row and "notification-unread" not in read_row
    # Each links to its target, and says what happened and who did it.
    assert f'href="{other.get_absolute_url()}">Siti Aminah</a>' in html
    assert f'href="{customer_a.get_absolute_url()}">Budi Santoso</a>' in html
    assert "Customer assigned to you" in html and f"by {manager_a}" in html
    # Only the unread one offers "Mark as read".
    assert mark_read_url(newer) in html and mark_read_url(older) not in html


def test_it_pages_the_list(client, sales_a, branch_a, settings):
    settings.NOTIFICATION_PAGE_SIZE = 4
    sent = fill_inbox(sales_a, branch_a, customers=3, each=2)
    newest_first = [str(n.public_id) for n in reversed(sent)]
    client.force_login(sales_a)
    first, second = client.get(LIST), client.get(LIST, {"page": 2})
    assert row_ids(first) == newest_first[:4] and row_ids(second) == newest_first[4:]
    assert 'href="?page=2"' in first.content.decode() and 'href="?page=1"' in second.content.decode()
    assert client.get(LIST, {"page": "x"}).status_code == 200  # a bad page number is page 1


def test_it_says_what_to_expect_when_there_are_none(client, sales_a):
    client.force_login(sales_a)
    assert "No notifications." in client.get(LIST).content.decode()


def test_it_keeps_the_list_query_count_flat(client, sales_a, branch_a, django_assert_num_queries):
    fill_inbox(sales_a, branch_a, customers=2, each=2)
    client.force_login(sales_a)
    # session, user, user permissions, group permissions (the menu), one page of notifications
    # with their actors joined. No target is loaded.
    with django_assert_num_queries(5):
        assert len(row_ids(client.get(LIST))) == 4
    fill_inbox(sales_a, branch_a, customers=10, each=3)
    with django_assert_num_queries(5):
        assert len(row_ids(client.get(LIST))) == 25


# --- The bell


def test_it_puts_the_bell_on_every_page_refreshed_by_htmx_no_more_than_every_30_seconds(client, sales_a):
    client.force_login(sales_a)
    html = client.get(reverse("crm:customer_list")).content.decode()
    bell = re.search(r'<span id="notification-bell-count" hx-get="([^"]+)"\s+hx-trigger="([^"]+)"', html)
    assert bell is not None and bell.group(1) == BELL
    polls = [int(n) * (60 if unit == "m" else 1) for n, unit in re.findall(r"every (\d+)(s|m)", bell.group(2))]
    assert polls and min(polls) >= 30
    assert "load" in bell.group(2)
    assert f'href="{LIST}"' in html


def test_it_shows_the_unread_count_in_the_bell(client, sales_a, branch_a, django_assert_num_queries):
    client.force_login(sales_a)
    assert client.get(BELL).content.decode().strip() == ""  # nothing unread: no badge
    sent = fill_inbox(sales_a, branch_a, customers=2, each=2)
    services.notification_mark_read(notification=sent[0])
    # session, user, the count (capped, over the unread index).
    with django_assert_num_queries(3):
        response = client.get(BELL)
    assert re.search(r'>3<span class="visually-hidden"> unread notifications</span>', response.content.decode())
    assert "no-cache" in response["Cache-Control"]
    fill_inbox(sales_a, branch_a, customers=30, each=4)
    with django_assert_num_queries(3):
        response = client.get(BELL)
    assert ">99+<" in response.content.decode()


def test_it_reloads_the_page_when_the_bell_finds_the_session_ended(client):
    # An htmx poll after the session ended: reload the page (which asks to log in), rather
    # than put the login page inside the bell.
    response = client.get(BELL, headers={"HX-Request": "true"})
    assert (response.status_code, response["HX-Refresh"], response.content) == (204, "true", b"")
    plain = client.get(BELL)
    assert plain.status_code == 302 and plain["Location"] == f"{reverse('login')}?next={BELL}"


# --- Mark read, mark all read


def test_it_marks_one_read_and_goes_back_to_the_same_page(client, sales_a, customer_a):
    n = notify(sales_a, customer_a)[0]
    client.force_login(sales_a)
    response = client.post(mark_read_url(n), {"page": "2"})
    assert response.status_code == 302 and response["Location"] == f"{LIST}?page=2"
    n.refresh_from_db()
    assert n.read_at is not None
    assert client.post(mark_read_url(n)).status_code == 302  # again: nothing to do, no error


def test_it_marks_one_read_in_place_with_htmx_and_tells_the_bell(client, sales_a, customer_a, manager_a):
    n = notify(sales_a, customer_a, by=manager_a)[0]
    client.force_login(sales_a)
    response = client.post(mark_read_url(n), headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Trigger"] == "notifications-changed"
    html = response.content.decode()
    assert html.strip().startswith(f'<li class="list-group-item d-flex gap-3 align-items-start" '
                                   f'id="notification-{n.public_id}"')
    assert "Mark as read" not in html and "Budi Santoso" in html
    # The bell listens for that event.
    page = client.get(LIST).content.decode()
    assert "notifications-changed from:body" in page


def test_it_marks_all_mine_read(client, sales_a, manager_a, customer_a):
    mine = notify(sales_a, customer_a) + notify(sales_a, customer_a)
    theirs = notify(manager_a, customer_a)[0]
    client.force_login(sales_a)
    response = client.post(ALL_READ, follow=True)
    assert response.redirect_chain == [(LIST, 302)]
    assert flash_messages(response) == ["2 notifications marked as read."]
    assert not Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).exists()
    assert Notification.objects.filter(pk=theirs.pk, read_at__isnull=True).exists()
    assert flash_messages(client.post(ALL_READ, follow=True)) == ["You have no unread notifications."]


def test_it_refuses_get_on_the_post_only_urls(client, sales_a, customer_a):
    n = notify(sales_a, customer_a)[0]
    client.force_login(sales_a)
    assert client.get(mark_read_url(n)).status_code == 405
    assert client.get(ALL_READ).status_code == 405
    assert Notification.objects.get(pk=n.pk).read_at is None


@pytest.mark.parametrize("who", ["manager_a", "staff_b", "head_office_user"])
def test_it_hides_someone_elses_notification(request, client, who, sales_a, customer_a):
    n = notify(sales_a, customer_a)[0]
    client.force_login(request.getfixturevalue(who))  # their manager, another branch, head office: 404 alike
    assert client.post(mark_read_url(n)).status_code == 404
    assert client.post(mark_read_url(n), headers={"HX-Request": "true"}).status_code == 404
    assert str(n.public_id) not in client.get(LIST).content.decode()
    assert Notification.objects.get(pk=n.pk).read_at is None


def test_it_answers_404_for_an_unknown_notification(client, sales_a):
    client.force_login(sales_a)
    assert client.post("/notifications/0f0f0f0f-1111-4222-8333-444444444444/read/").status_code == 404
    assert client.post("/notifications/not-a-uuid/read/").status_code == 404


def test_it_sends_anonymous_visitors_to_log_in(client, sales_a, customer_a):
    n = notify(sales_a, customer_a)[0]
    for method, url in (("get", LIST), ("get", BELL), ("get", SETTINGS), ("post", SETTINGS),
                        ("post", mark_read_url(n)), ("post", ALL_READ)):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={url}", url
    assert Notification.objects.get(pk=n.pk).read_at is None


# --- Email settings


def test_it_saves_the_email_choices_from_the_settings_page(client, sales_a):
    client.force_login(sales_a)
    page = client.get(SETTINGS)
    assert page.status_code == 200
    form = post_form(page)
    assert "email_kinds" in form.checkboxes and "email_kinds" not in form.fields  # nothing ticked yet
    assert "Customer assigned to you" in page.content.decode()

    response = form.fill(email_kinds=[CUSTOMER_ASSIGNED]).submit(client, url=SETTINGS, follow=True)
    assert response.redirect_chain == [(SETTINGS, 302)]
    assert flash_messages(response) == ["Notification settings saved."]
    assert post_form(response).fields["email_kinds"] == [CUSTOMER_ASSIGNED]  # shown ticked

    # Unticking every box posts no field at all: it still saves.
    response = post_form(response).fill(email_kinds=False).submit(client, url=SETTINGS, follow=True)
    assert flash_messages(response) == ["Notification settings saved."]
    assert "email_kinds" not in post_form(response).fields
    assert not sales_a.notification_preferences.filter(email=True).exists()


def test_it_shows_an_unknown_kind_at_the_field(client, sales_a):
    client.force_login(sales_a)
    response = client.post(SETTINGS, {"email_kinds": ["sales.nope"]})
    assert response.status_code == 200
    assert "Select a valid choice" in field_error(response, "email_kinds")
    assert not sales_a.notification_preferences.exists()


@pytest.fixture
def eager_celery():
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = True, False
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = saved


def test_it_emails_the_new_owner_who_ticked_the_box_once_the_edit_is_saved(client, manager_a, sales_a, customer_a,
                                                                          eager_celery,
                                                                          django_capture_on_commit_callbacks):
    # sales_a asks for email copies on the settings page...
    client.force_login(sales_a)
    post_form(client.get(SETTINGS)).fill(email_kinds=[CUSTOMER_ASSIGNED]).submit(client, url=SETTINGS)
    # ...and their manager gives them a customer.
    customer = crm_services.customer_create(by=manager_a, branch=manager_a.branch, name="Rudi Hartono")
    client.force_login(manager_a)
    edit = f"{customer.get_absolute_url()}edit/"
    form = post_form(client.get(edit)).fill(owner=str(sales_a.pk))
    with django_capture_on_commit_callbacks(execute=True):
        response = form.submit(client, url=edit)
        assert response.status_code == 302
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([sales_a.email], "[Relasi] Customer assigned to you: Rudi Hartono")]
    # And the bell shows it.
    client.force_login(sales_a)
    assert ">1<" in client.get(BELL).content.decode()
    assert ContentType.objects.get_for_model(Customer) == Notification.objects.get(recipient=sales_a).target_type


# --- The bell and idle sessions


def _age_session(client, seconds):
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


BACKGROUND = {"HX-Request": "true", "X-Relasi-Background": "true"}  # what the bell's poll sends (base.html)


def test_the_bell_poll_says_it_is_not_the_user_at_work(client, sales_a):
    client.force_login(sales_a)
    html = client.get(reverse("crm:customer_list")).content.decode()
    bell = re.search(r'<span id="notification-bell-count"[^>]*>', html).group(0)
    assert """hx-headers='{"X-Relasi-Background": "true"}'""" in bell


def test_the_bell_poll_does_not_keep_an_idle_session_alive(client, sales_a, settings):
    settings.SESSION_IDLE_SECONDS = 3600
    client.force_login(sales_a)
    _age_session(client, 3000)
    assert client.get(BELL, headers=BACKGROUND).status_code == 200  # still logged in...
    assert int(time.time()) - client.session[LAST_SEEN_KEY] >= 3000  # ...but the poll did not count as activity
    _age_session(client, 3660)
    response = client.get(BELL, headers={**BACKGROUND, "Accept-Language": "en"})
    # Logged out while the page sat open: the page reloads, to the login page and its message.
    assert (response.status_code, response["HX-Refresh"]) == (204, "true")
    assert "_auth_user_id" not in client.session
    page = client.get(reverse("crm:customer_list"), follow=True, headers={"Accept-Language": "en"}).content.decode()
    assert "You were logged out after a period without activity." in page
