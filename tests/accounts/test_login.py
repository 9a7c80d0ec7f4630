"""Logging in and out, changing and resetting a password, and the lockout after repeated
failures, as a member of staff sees them."""

import re

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """An English-speaking browser: anonymous pages follow Accept-Language, and Indonesian when
    it names neither of our languages (tests/i18n/test_language.py)."""
    return Client(headers={"accept-language": "en"})

WRONG_PASSWORD_ERROR = "Please enter a correct email address and password"
LOCKED_OUT_HEADING = "Too many failed login attempts"
LOCKED_OUT_TEXT = "Logging in to this account is locked for a while to protect it."


def login(client, email, password, **extra):
    return client.post(reverse("login"), {"username": email, "password": password, **extra})


def assert_in_our_look(response):
    """The page is ours (templates/base.html), not Django's admin look."""
    html = response.content.decode()
    assert re.search(r'<a class="navbar-brand[^"]*" href="/">Relasi</a>', html), "no Relasi navbar brand"
    assert "css/relasi.css" in html and "vendor/bootstrap/bootstrap.min.css" in html
    assert re.search(r"<title>[^<]* · Relasi</title>", html)
    assert "Django administration" not in html and "Django site admin" not in html


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def no_attempts_yet(db):
    # django-axes records failures in the database, which is rolled back after every test:
    # no test starts with another test's failures.
    assert AccessAttempt.objects.count() == 0


# --- Logging in and out


def test_it_logs_in_by_email_in_any_case(client, sales_a, password):
    response = login(client, "  Sales.A@RELASI.test ", password)
    assert response.status_code == 302 and response["Location"] == reverse("crm:customer_list")
    page = client.get(response["Location"])
    assert page.status_code == 200 and page.context["user"] == sales_a
    assert f"{sales_a} · BDG" in page.content.decode()  # the menu shows who is logged in, at which branch


def test_it_takes_the_user_back_to_the_page_they_asked_for(client, sales_a, customer_a, password):
    wanted = customer_a.get_absolute_url()
    redirect_to_login = client.get(wanted)
    assert redirect_to_login["Location"] == f"{reverse('login')}?next={wanted}"
    response = login(client, sales_a.email, password, next=wanted)
    assert response["Location"] == wanted


def test_it_never_sends_the_user_to_another_site_after_login(client, sales_a, password):
    for next_url in ["https://evil.example/", "//evil.example/", "/\\evil.example/"]:
        client.logout()
        response = login(client, sales_a.email, password, next=next_url)
        assert response.status_code == 302 and response["Location"] == reverse("crm:customer_list"), next_url


def test_it_says_when_the_password_is_wrong(client, sales_a):
    response = login(client, "sales.a@relasi.test", "not-my-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert WRONG_PASSWORD_ERROR in html
    assert 'value="sales.a@relasi.test"' in html  # what the user typed stays in the field
    assert not logged_in(client)


def test_it_gives_the_same_answer_for_an_unknown_email(client, sales_a):
    response = login(client, "nobody@relasi.test", "whatever-1234")
    assert response.status_code == 200 and WRONG_PASSWORD_ERROR in response.content.decode()
    assert not logged_in(client)


def test_it_refuses_a_deactivated_account(client, sales_a, password):
    User.objects.filter(pk=sales_a.pk).update(is_active=False)
    response = login(client, sales_a.email, password)
    assert response.status_code == 200 and not logged_in(client)


def test_it_sends_a_logged_in_user_from_the_login_page_to_the_customers(client, sales_a):
    client.force_login(sales_a)
    response = client.get(reverse("login"))
    assert response.status_code == 302 and response["Location"] == reverse("crm:customer_list")


def test_it_logs_out_by_post_only(client, sales_a):
    client.force_login(sales_a)
    page = client.get(reverse("crm:customer_list")).content.decode()
    # The menu's "Log out" is a POST form with a CSRF token, not a link.
    assert re.search(r'<form method="post" action="%s">\s*<input type="hidden" name="csrfmiddlewaretoken"'
                     % reverse("logout"), page)
    assert client.get(reverse("logout")).status_code == 405
    assert logged_in(client)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not logged_in(client)
    assert client.get(reverse("crm:customer_list"))["Location"].startswith(reverse("login"))


# --- Our look on every page of the way in


@pytest.mark.parametrize(("name", "args", "heading"), [
    ("login", [], "Log in to Relasi"),
    ("password_reset", [], "Reset your password"),
    ("password_reset_done", [], "Check your email"),
    ("password_reset_confirm", ["MQ", "set-password"], "This password reset link is invalid or has already been used"),
    ("password_reset_complete", [], "Your new password is set. You can log in now."),
])
def test_it_shows_the_pages_of_the_way_in_in_our_own_look(client, name, args, heading):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    assert heading in response.content.decode()
    assert_in_our_look(response)


def test_it_links_the_login_page_to_the_password_reset(client):
    assert f'href="{reverse("password_reset")}"' in client.get(reverse("login")).content.decode()


# --- Changing and resetting a password


def test_it_changes_the_password(client, sales_a, password):
    client.force_login(sales_a)
    form_page = client.get(reverse("password_change"))
    assert form_page.status_code == 200 and "Change password" in form_page.content.decode()
    assert_in_our_look(form_page)

    response = client.post(reverse("password_change"), {
        "old_password": password, "new_password1": "Kopi-Tubruk-2026", "new_password2": "Kopi-Tubruk-2026"},
        follow=True)
    assert "Your password was changed." in response.content.decode()
    assert_in_our_look(response)
    assert client.get(reverse("crm:customer_list")).status_code == 200  # still logged in

    client.post(reverse("logout"))
    assert WRONG_PASSWORD_ERROR in login(client, "sales.a@relasi.test", password).content.decode()
    assert login(client, "sales.a@relasi.test", "Kopi-Tubruk-2026").status_code == 302
    assert logged_in(client)


def test_it_refuses_a_password_change_with_the_wrong_old_password(client, sales_a, password):
    client.force_login(sales_a)
    response = client.post(reverse("password_change"), {
        "old_password": "not-it", "new_password1": "Kopi-Tubruk-2026", "new_password2": "Kopi-Tubruk-2026"})
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    sales_a.refresh_from_db()
    assert sales_a.check_password(password)


def test_it_resets_a_forgotten_password_by_email(client, sales_a, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "Sales.A@relasi.test"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["sales.a@relasi.test"]
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.body).group(1)

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    assert_in_our_look(form_page)
    done = client.post(form_page.redirect_chain[-1][0],
                       {"new_password1": "Es-Teh-Manis-99", "new_password2": "Es-Teh-Manis-99"}, follow=True)
    assert "Your new password is set." in done.content.decode()

    assert login(client, "sales.a@relasi.test", "Es-Teh-Manis-99").status_code == 302
    client.post(reverse("logout"))
    # The link works once.
    again = client.get(link, follow=True)
    assert "This password reset link is invalid or has already been used" in again.content.decode()


def test_it_sends_no_email_for_an_unknown_address_but_says_the_same(client, sales_a, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "nobody@relasi.test"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert mailoutbox == []


# --- Lockout after repeated failures (django-axes)


def fail_until_locked(client, settings, email="sales.a@relasi.test"):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, email, "wrong-password")


def assert_locked_out(response):
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED_OUT_HEADING in html and LOCKED_OUT_TEXT in html
    assert_in_our_look(response)


def test_it_locks_the_account_after_repeated_failures(client, sales_a, password, settings, no_attempts_yet):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, "sales.a@relasi.test", "wrong-password")
        assert WRONG_PASSWORD_ERROR in response.content.decode()
    # The failure that reaches the limit already answers with the lockout page...
    assert_locked_out(login(client, "sales.a@relasi.test", "wrong-password"))
    # ...and from then on even the right password is refused.
    response = login(client, "sales.a@relasi.test", password)
    assert_locked_out(response)
    assert not logged_in(client)
    assert client.get(reverse("crm:customer_list")).status_code == 302


def test_it_counts_failures_whatever_the_case_of_the_email(client, sales_a, password, settings, no_attempts_yet):
    for email in ["Sales.A@relasi.test", "SALES.A@RELASI.TEST", " sales.a@Relasi.Test", "sales.A@relasi.test",
                  "sales.a@relasi.TEST"]:
        login(client, email, "wrong-password")
    assert_locked_out(login(client, "sales.a@relasi.test", password))
    assert_locked_out(login(client, "SALES.A@relasi.test", password))


def test_it_locks_the_back_office_login_too(client, head_office, password, settings, no_attempts_yet):
    User.objects.create_superuser(language="en", email="root@relasi.test", password=password, branch=head_office)
    fail_until_locked(client, settings, email="root@relasi.test")
    response = client.post(reverse("admin:login"), {"username": "root@relasi.test", "password": password})
    assert response.status_code == 429 and LOCKED_OUT_HEADING in response.content.decode()
    assert not logged_in(client)


def test_it_keeps_other_accounts_open_during_a_lockout(client, sales_a, manager_a, password, settings,
                                                       no_attempts_yet):
    fail_until_locked(client, settings)
    assert login(client, "manager.a@relasi.test", password).status_code == 302


def test_it_forgets_earlier_failures_after_a_successful_login(client, sales_a, password, settings, no_attempts_yet):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "sales.a@relasi.test", "wrong-password")
    assert login(client, "sales.a@relasi.test", password).status_code == 302
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "sales.a@relasi.test", "wrong-password")
    assert login(client, "sales.a@relasi.test", password).status_code == 302


# --- Staff made in the back office


@pytest.fixture
def admin_client(client, head_office, password):
    root = User.objects.create_superuser(language="en", email="root@relasi.test", password=password, branch=head_office)
    client.force_login(root)
    return client


def test_it_lets_staff_added_in_the_back_office_log_in_with_their_email_as_typed(admin_client, branch_a, client):
    admin_client.post(reverse("admin:accounts_user_add"), {
        "email": "Service.A@relasi.test", "branch": branch_a.pk, "department": "service",
        "password1": "Rendang-Padang-77", "password2": "Rendang-Padang-77"})
    admin_client.post(reverse("logout"))
    response = login(client, "Service.A@relasi.test", "Rendang-Padang-77")
    assert response.status_code == 302 and logged_in(client)


def test_it_refuses_a_second_account_for_the_same_email_in_another_case(admin_client, branch_a, sales_a):
    response = admin_client.post(reverse("admin:accounts_user_add"), {
        "email": "SALES.A@relasi.test", "branch": branch_a.pk, "department": "sales",
        "password1": "Rendang-Padang-77", "password2": "Rendang-Padang-77"})
    assert response.status_code == 200  # the form comes back with an error
    assert User.objects.filter(email__iexact="sales.a@relasi.test").count() == 1
