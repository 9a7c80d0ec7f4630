"""Sessions on shared dealership computers end after a working day without use (or when the
browser closes, when the user says the computer is shared), and the login lockout counts
failures per account from anywhere and per address against any accounts."""

import time

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse

from accounts.middleware import IDLE_LIMIT_KEY, LAST_SEEN_KEY

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """An English-speaking browser: anonymous pages follow Accept-Language, and Indonesian when
    it names neither of our languages (tests/i18n/test_language.py)."""
    return Client(headers={"accept-language": "en"})

LOCKED_OUT_HEADING = "Too many failed login attempts"
WRONG_PASSWORD_ERROR = "Please enter a correct email address and password"


def login(client, email, password, ip="127.0.0.1", **extra):
    return client.post(reverse("login"), {"username": email, "password": password, **extra}, REMOTE_ADDR=ip)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def age_session(client, seconds):
    """Pretend the last request of this session was ``seconds`` ago."""
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - seconds
    session.save()


# --- Idle sessions


def test_a_session_lasts_a_working_day_by_default():
    assert django_settings.SESSION_IDLE_SECONDS == 9 * 3600
    assert django_settings.SESSION_COOKIE_AGE == 9 * 3600
    assert django_settings.SESSION_SHARED_IDLE_SECONDS < django_settings.SESSION_IDLE_SECONDS


def test_the_login_form_offers_the_shared_computer_choice(client):
    html = client.get(reverse("login")).content.decode()
    assert 'name="shared_computer"' in html and "This is a shared computer" in html


def test_a_normal_login_keeps_the_session_for_the_idle_limit(client, sales_a, password):
    response = login(client, sales_a.email, password)
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == 9 * 3600
    assert client.session.get_expiry_age() == 9 * 3600
    assert IDLE_LIMIT_KEY not in client.session


def test_it_logs_out_after_a_working_day_without_activity(client, sales_a, password):
    login(client, sales_a.email, password)
    age_session(client, 8 * 3600)  # a long lunch: still logged in
    assert client.get(reverse("crm:customer_list")).status_code == 200
    age_session(client, 9 * 3600 + 60)
    response = client.get(reverse("crm:customer_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    assert not logged_in(client)
    page = client.get(response["Location"]).content.decode()
    assert "You were logged out after a period without activity." in page


def test_using_the_session_keeps_it_alive(client, sales_a, password):
    login(client, sales_a.email, password)
    age_session(client, 8 * 3600)
    client.get(reverse("crm:customer_list"))  # activity: the clock starts again
    assert int(time.time()) - client.session[LAST_SEEN_KEY] < 5
    response = client.get(reverse("crm:customer_list"))
    assert response.status_code == 200


def test_the_idle_limit_comes_from_the_environment_setting(client, sales_a, password, settings):
    settings.SESSION_IDLE_SECONDS = 3600
    login(client, sales_a.email, password)
    age_session(client, 3600 + 60)
    assert client.get(reverse("crm:customer_list")).status_code == 302
    assert not logged_in(client)


def test_on_a_shared_computer_the_session_ends_with_the_browser_and_sooner(client, sales_a, password):
    response = login(client, sales_a.email, password, shared_computer="on")
    assert response.status_code == 302 and logged_in(client)
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""  # a browser-session cookie
    assert client.session.get_expire_at_browser_close()
    assert client.session[IDLE_LIMIT_KEY] == django_settings.SESSION_SHARED_IDLE_SECONDS

    age_session(client, django_settings.SESSION_SHARED_IDLE_SECONDS - 60)
    assert client.get(reverse("crm:customer_list")).status_code == 200
    # Still a browser-session cookie after the session was touched.
    age_session(client, django_settings.SESSION_SHARED_IDLE_SECONDS + 60)
    assert client.get(reverse("crm:customer_list")).status_code == 302
    assert not logged_in(client)


def test_a_shared_login_after_a_normal_one_does_not_inherit_the_long_session(client, sales_a, manager_a, password):
    login(client, sales_a.email, password)
    client.post(reverse("logout"))
    login(client, manager_a.email, password, shared_computer="on")
    assert client.session.get_expire_at_browser_close()
    client.post(reverse("logout"))
    login(client, sales_a.email, password)
    assert not client.session.get_expire_at_browser_close() and IDLE_LIMIT_KEY not in client.session


# --- Lockout: per account from anywhere, per address against any accounts


@pytest.fixture
def no_attempts_yet(db):
    assert AccessAttempt.objects.count() == 0


def assert_locked_out(response):
    assert response.status_code == 429 and LOCKED_OUT_HEADING in response.content.decode()


def test_failures_from_five_addresses_lock_the_account(client, sales_a, manager_a, password, settings,
                                                       no_attempts_yet):
    assert settings.AXES_FAILURE_LIMIT == 5
    for i in range(1, 5):
        response = login(client, sales_a.email, "wrong-password", ip=f"203.0.113.{i}")
        assert WRONG_PASSWORD_ERROR in response.content.decode()
    assert_locked_out(login(client, sales_a.email, "wrong-password", ip="203.0.113.5"))
    # Locked from everywhere, even with the right password from an address that never failed...
    assert_locked_out(login(client, sales_a.email, password, ip="198.51.100.7"))
    assert not logged_in(client)
    # ...while other accounts stay open from those addresses.
    assert login(client, manager_a.email, password, ip="203.0.113.5").status_code == 302


def test_failures_from_one_address_across_many_accounts_lock_the_address(client, sales_a, password, settings,
                                                                         no_attempts_yet):
    settings.AXES_IP_FAILURE_LIMIT = 8
    attacker = "198.51.100.66"
    for i in range(7):
        response = login(client, f"guess{i}@relasi.test", "wrong-password", ip=attacker)
        assert WRONG_PASSWORD_ERROR in response.content.decode()
    assert_locked_out(login(client, "guess7@relasi.test", "wrong-password", ip=attacker))
    # The address is locked for every account, the real one too...
    assert_locked_out(login(client, sales_a.email, password, ip=attacker))
    assert not logged_in(client)
    # ...but the account is not: its owner logs in from their own office.
    assert login(client, sales_a.email, password, ip="203.0.113.10").status_code == 302


def test_the_address_limit_is_higher_than_the_account_limit_by_default(client, sales_a, manager_a, password, settings,
                                                                      no_attempts_yet):
    # A showroom's staff share one address: one person's five typos lock only their account.
    assert settings.AXES_IP_FAILURE_LIMIT == 20 > settings.AXES_FAILURE_LIMIT
    for _ in range(5):
        login(client, sales_a.email, "wrong-password", ip="203.0.113.20")
    assert login(client, manager_a.email, password, ip="203.0.113.20").status_code == 302


def test_logging_in_to_ones_own_account_does_not_reset_an_attack_on_another(client, sales_a, manager_a, password,
                                                                           no_attempts_yet):
    attacker = "198.51.100.77"
    for _ in range(4):
        login(client, sales_a.email, "wrong-password", ip=attacker)
    assert login(client, manager_a.email, password, ip=attacker).status_code == 302
    client.post(reverse("logout"))
    assert_locked_out(login(client, sales_a.email, "wrong-password", ip=attacker))


def test_a_successful_login_forgets_the_users_own_typos(client, sales_a, password, no_attempts_yet):
    for _ in range(4):
        login(client, sales_a.email, "wrong-password", ip="203.0.113.30")
    assert login(client, sales_a.email, password, ip="203.0.113.30").status_code == 302
    client.post(reverse("logout"))
    for _ in range(4):
        login(client, sales_a.email, "wrong-password", ip="203.0.113.30")
    assert login(client, sales_a.email, password, ip="203.0.113.30").status_code == 302
