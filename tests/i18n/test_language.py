"""Indonesian first: staff see their profile's language everywhere (back office too), from the
first page after login; anyone else follows the browser, Indonesian when it asks for neither."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Department
from tests.crm.pages import flash_messages
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def page_language(response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


@pytest.fixture
def rep_id(branch_a):
    return UserFactory(email="rep.id@relasi.test", branch=branch_a, department=Department.SALES, language="id")


@pytest.fixture
def rep_en(branch_a):
    return UserFactory(email="rep.en@relasi.test", branch=branch_a, department=Department.SALES, language="en")


# The customer list's own words in each language, and words of the other one that must not show.
CUSTOMER_LIST = {
    "id": (["Pelanggan", "Pelanggan baru", "Cari pelanggan…", "Kotak keluar", "Keluar", "Saring"],
           ["New customer", "Search customers", "Log out", "Outbox", ">Filter<"]),
    "en": (["Customers", "New customer", "Search customers…", "Outbox", "Log out", "Filter"],
           ["Pelanggan baru", "Cari pelanggan", "Kotak keluar", "Saring"]),
}


@pytest.mark.parametrize("language", ["id", "en"])
def test_it_shows_the_same_page_in_each_staff_members_language(request, client, customer_a, language):
    user = request.getfixturevalue(f"rep_{language}")
    client.force_login(user)
    response = client.get(reverse("crm:customer_list"), headers={"accept-language": "fr"})
    html = response.content.decode()
    assert response.status_code == 200 and page_language(response) == language
    assert response["Content-Language"] == language
    present, absent = CUSTOMER_LIST[language]
    assert [w for w in present if w not in html] == []
    assert [w for w in absent if w in html] == []
    assert customer_a.name in html  # data is data, in either language


def test_the_profile_language_wins_over_the_browsers(client, rep_id):
    client.force_login(rep_id)
    response = client.get(reverse("crm:customer_list"), headers={"accept-language": "en-US,en;q=0.9"})
    assert page_language(response) == "id" and "Pelanggan baru" in response.content.decode()


@pytest.mark.parametrize(("accept", "language", "heading"), [
    ("", "id", "Masuk ke Relasi"),  # nothing asked: Indonesian
    ("id-ID,id;q=0.9,en;q=0.8", "id", "Masuk ke Relasi"),
    ("en-GB,en;q=0.9", "en", "Log in to Relasi"),
    ("fr-FR,fr;q=0.9", "id", "Masuk ke Relasi"),  # a language we do not offer: Indonesian
])
def test_anonymous_pages_follow_the_browser_with_indonesian_as_fallback(client, accept, language, heading):
    headers = {"accept-language": accept} if accept else {}
    response = client.get(reverse("login"), headers=headers)
    assert page_language(response) == language
    assert heading in response.content.decode()
    assert "Accept-Language" in response["Vary"]  # caches keep the languages apart


def test_it_speaks_the_users_language_from_the_first_page_after_login(client, rep_id, password):
    # An English browser logs in as a staff member who chose Indonesian.
    english = {"accept-language": "en"}
    assert "Log in to Relasi" in client.get(reverse("login"), headers=english).content.decode()
    response = client.post(reverse("login"), {"username": rep_id.email, "password": password}, headers=english,
                           follow=True)
    assert response.redirect_chain[-1][0] == reverse("crm:customer_list")
    assert page_language(response) == "id" and "Pelanggan baru" in response.content.decode()


def test_the_idle_logout_message_is_in_the_browsers_language(client, rep_id, settings):
    client.force_login(rep_id)
    session = client.session
    session["_relasi_last_seen"] = 1  # long ago
    session.save()
    response = client.get(reverse("crm:customer_list"), follow=True, headers={"accept-language": "id"})
    assert flash_messages(response) == [
        "Anda telah keluar karena tidak ada aktivitas selama beberapa waktu. Silakan masuk lagi."]


@pytest.mark.parametrize(("language", "words"), [
    ("id", ["Administrasi situs", "Pelanggan", "Kendaraan", "Narahubung"]),
    ("en", ["Site administration", "Customers", "Assets", "Contact persons"]),
])
def test_the_back_office_speaks_the_users_language_too(head_office, language, words):
    from accounts.models import User

    root = User.objects.create_superuser(email=f"root.{language}@relasi.test", password="x", branch=head_office,
                                         language=language)
    client = Client()
    client.force_login(root)
    html = client.get(reverse("admin:index")).content.decode()
    assert f'lang="{language}"' in html
    assert [w for w in words if w not in html] == []


@pytest.mark.parametrize(("language", "shown"), [
    ("id", ["Kata sandi", "Periksa kembali alamat email dan kata sandi Anda."]),
    ("en", ["Password", "Please enter a correct email address and password"]),
])
def test_djangos_own_messages_follow_the_language(client, sales_a, language, shown):
    response = client.post(reverse("login"), {"username": sales_a.email, "password": "wrong"},
                           headers={"accept-language": language})
    html = response.content.decode()
    assert [w for w in shown if w not in html] == []
