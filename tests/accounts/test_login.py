import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_it_logs_in_by_email_in_any_case(client, sales_a, password):
    page = client.get(reverse("login"))
    assert "Log in to Relasi" in page.content.decode()
    response = client.post(reverse("login"), {"username": "SALES.A@relasi.test", "password": password})
    assert response.status_code == 302 and response["Location"] == reverse("crm:customer_list")


def test_it_says_when_the_password_is_wrong(client, sales_a):
    response = client.post(reverse("login"), {"username": "sales.a@relasi.test", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()


def test_it_locks_the_account_after_repeated_failures(client, sales_a, password, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "sales.a@relasi.test", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "sales.a@relasi.test", "password": password})
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_logs_out_on_post_only(client, sales_a):
    client.force_login(sales_a)
    assert client.get(reverse("logout")).status_code == 405
    client.post(reverse("logout"))
    assert client.get(reverse("crm:customer_list")).status_code == 302


def test_it_changes_the_password(client, sales_a, password):
    client.force_login(sales_a)
    response = client.post(reverse("password_change"), {
        "old_password": password, "new_password1": "Kopi-Tubruk-2026", "new_password2": "Kopi-Tubruk-2026"})
    assert response.status_code == 302
    client.logout()
    response = client.post(reverse("login"), {"username": "sales.a@relasi.test", "password": "Kopi-Tubruk-2026"})
    assert response.status_code == 302


def test_it_resets_a_forgotten_password_by_email(client, sales_a, mailoutbox):
    response = client.post(reverse("password_reset"), {"email": "sales.a@relasi.test"}, follow=True)
    assert "Check your email" in response.content.decode()
    assert len(mailoutbox) == 1
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(form_page.redirect_chain[-1][0], {"new_password1": "Es-Teh-Manis-99",
                                                         "new_password2": "Es-Teh-Manis-99"}, follow=True)
    assert "Your new password is set." in done.content.decode()
    response = client.post(reverse("login"), {"username": "sales.a@relasi.test", "password": "Es-Teh-Manis-99"})
    assert response.status_code == 302
