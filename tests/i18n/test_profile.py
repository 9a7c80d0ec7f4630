"""A staff member picks the language of every page on their profile (accounts.views.profile),
or with one click in the user menu."""

import pytest
from django.conf import settings
from django.urls import reverse

from accounts.models import Department
from tests.crm.pages import field_error, flash_messages, forms_on, post_form
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROFILE = "/accounts/profile/"


@pytest.fixture
def rep(branch_a):
    """An Indonesian-speaking rep at branch A (the default for new staff)."""
    return UserFactory(email="rep@relasi.test", branch=branch_a, department=Department.SALES, language="id",
                       first_name="Dewi", last_name="Lestari", phone="+6281299990000")


def test_it_shows_the_profile_in_the_users_language(browser_client, rep):
    browser_client.force_login(rep)
    response = browser_client.get(PROFILE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Profil Anda" in html and "Dewi Lestari" in html and "Cabang Bandung" in html
    assert "+62 812-9999-0000" in html  # the phone grouped
    form = post_form(response)
    assert form.fields["language"] == ["id"]
    assert set(form.options.get("language", [])) | {"id", "en"} == {"id", "en"}


def test_a_staff_member_switches_to_english_and_back(browser_client, rep):
    browser_client.force_login(rep)
    form = post_form(browser_client.get(PROFILE)).fill(language="en")
    response = form.submit(browser_client, url=PROFILE, follow=True)

    assert response.redirect_chain == [(PROFILE, 302)]
    assert flash_messages(response) == ["Language changed to English."]
    assert "Your profile" in response.content.decode()
    rep.refresh_from_db()
    assert rep.language == "en"
    # Every page from now on, and this browser's login page after logging out.
    assert "New customer" in browser_client.get(reverse("crm:customer_list")).content.decode()
    assert browser_client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    browser_client.post(reverse("logout"), {"csrfmiddlewaretoken": browser_client.cookies["csrftoken"].value})
    assert "Log in to Relasi" in browser_client.get(reverse("login")).content.decode()

    browser_client.force_login(rep)
    form = post_form(browser_client.get(PROFILE)).fill(language="id")
    response = form.submit(browser_client, url=PROFILE, follow=True)
    assert flash_messages(response) == ["Bahasa diganti ke Bahasa Indonesia."]


def test_the_user_menu_switches_in_one_click_and_comes_back(browser_client, rep, customer_a):
    browser_client.force_login(rep)
    page = browser_client.get(customer_a.get_absolute_url())
    [switch] = [f for f in forms_on(page) if f.attrs.get("data-menu") == "language"]
    assert switch.action == PROFILE and switch.fields["next"] == [customer_a.get_absolute_url()]
    assert '<button class="dropdown-item" type="submit" name="language" value="en" lang="en">English</button>' \
        in page.content.decode()  # the other language, offered in its own words
    switch.fields["language"] = ["en"]  # what a click on that button posts
    response = switch.submit(browser_client, url=PROFILE)
    assert response.status_code == 302 and response["Location"] == customer_a.get_absolute_url()
    rep.refresh_from_db()
    assert rep.language == "en"


def test_it_never_sends_the_switch_off_site(client, rep):
    client.force_login(rep)
    response = client.post(PROFILE, {"language": "en", "next": "https://evil.example/phish"})
    assert response.status_code == 302 and response["Location"] == PROFILE


@pytest.mark.parametrize("language", ["fr", "", "x" * 200])
def test_it_shows_an_unknown_language_at_the_field_and_changes_nothing(client, rep, language):
    client.force_login(rep)
    response = client.post(PROFILE, {"language": language})
    assert response.status_code == 200
    assert field_error(response, "language")  # "Pilih pilihan yang valid…" / "Bidang ini harus diisi."
    rep.refresh_from_db()
    assert rep.language == "id"


def test_it_sends_anonymous_visitors_to_log_in(client):
    response = client.get(PROFILE)
    assert response.status_code == 302 and response["Location"] == f"{reverse('login')}?next={PROFILE}"
    response = client.post(PROFILE, {"language": "en"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_it_answers_405_to_other_methods(client, rep, method):
    client.force_login(rep)
    assert getattr(client, method)(PROFILE).status_code == 405


def test_every_role_has_a_profile(client, readonly_a, staff_b, head_office_user):
    # No permission is needed to choose one's own language: a read-only role too.
    for user in (readonly_a, staff_b, head_office_user):
        client.force_login(user)
        assert client.get(PROFILE).status_code == 200


def test_the_profile_page_costs_a_fixed_number_of_queries(client, rep, django_assert_num_queries):
    client.force_login(rep)
    client.get(PROFILE)  # warm up (content types)
    # The session; the user with their branch (UserManager joins it); their own and their
    # groups' permissions (base.html's menu asks perms.*). Nothing else: no query per choice.
    with django_assert_num_queries(4):
        assert client.get(PROFILE).status_code == 200
