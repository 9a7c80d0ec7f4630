"""Odd and oversized requests get a clear answer in our look, never a server error."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEN_MB = 10 * 1024 * 1024


@pytest.fixture
def client():
    # A server error should show up as a 500 status, as the user would see it.
    return Client(raise_request_exception=False)


def test_it_refuses_a_10_mb_login_form_with_400(client, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    response = client.post(reverse("login"), {"username": "sales.a@relasi.test", "password": "x" * TEN_MB},
                           headers={"accept-language": "en"})
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_it_refuses_a_10_mb_multipart_login_form_with_400(client):
    body = ("--b\r\nContent-Disposition: form-data; name=\"password\"\r\n\r\n" + "x" * TEN_MB + "\r\n--b--\r\n")
    response = client.post(reverse("login"), body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400


@pytest.mark.parametrize("path", [
    "/customers/12345/",
    "/customers/not-a-uuid/",
    "/customers/not-a-uuid/edit/",
    "/customers/0F0F0F0F-1111-4222-8333-444444444444/",  # upper case is not how we write ids
    "/customers/%s/" % uuid.uuid4(),  # well formed, but nobody has it
    "/customers/%s/timeline/" % uuid.uuid4(),
])
def test_it_answers_404_for_a_customer_id_that_leads_nowhere(client, sales_a, path):
    client.force_login(sales_a)
    response = client.get(path)
    assert response.status_code == 404
    assert "There is nothing here, or it belongs to another branch." in response.content.decode()


def test_it_searches_with_a_10000_character_query(client, sales_a, customer_a):
    client.force_login(sales_a)
    response = client.get("/customers/", {"q": "y" * 10_000})
    assert response.status_code == 200
    assert "No customers match." in response.content.decode()
    # The phone's last digits followed by a flood of spaces still find the customer.
    response = client.get("/customers/", {"q": "7890" + " " * 10_000})
    assert "Budi Santoso" in response.content.decode()


@pytest.mark.parametrize("params", [
    {"page": "-1"}, {"page": "9" * 30}, {"page": "abc"},
    {"owner": "x"}, {"tag": "9" * 30}, {"consent": "carrier-pigeon"}, {"city": "\x00"},
    {"q": "%"}, {"q": "' OR 1=1 --"}, {"q": "\\"},
])
def test_it_lists_customers_whatever_the_filters_say(client, sales_a, params):
    client.force_login(sales_a)
    assert client.get("/customers/", params).status_code == 200


@pytest.mark.parametrize("q", ["\x00budi", "bu\x00di", "7890\x00"])
def test_it_searches_with_a_nul_character_without_a_server_error(client, sales_a, customer_a, q):
    # PostgreSQL refuses NUL in text; the search drops it (this was a 500).
    client.force_login(sales_a)
    response = client.get("/customers/", {"q": q})
    assert response.status_code == 200 and "Budi Santoso" in response.content.decode()
