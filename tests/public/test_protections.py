"""The public site's shared protections (crm/public.py): unguessable codes, rate limits kept in
Redis, the honeypot, and a code-and-phone lookup that answers alike for a wrong code and a
wrong phone."""

import base64
import json
import statistics
import time
import types

import django_ratelimit.core
import pytest
from django.db import connection
from django.test import RequestFactory
from django.utils import translation

from crm.public import (
    PUBLIC_CODE_SQL,
    CodeAndPhoneForm,
    client_ip,
    is_public_code,
    public_code_new,
    public_lookup,
)
from marketing.forms import SmsOptOutForm
from marketing.models import Message

from . import urls as test_urls

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.public.urls")]
LOOKUP, LIMITED = "/test-public/lookup/", "/test-public/limited-lookup/"


def _bits(code: str) -> int:
    raw = base64.urlsafe_b64decode(code)
    assert len(raw) == 9  # 72 bits, no padding needed
    return int.from_bytes(raw, "big")


def _every_bit_varies(codes) -> bool:
    """Each of the 72 bits is 0 in some codes and 1 in others: no fixed bits (such as a
    UUID's version nibble) made it into the code."""
    ones = zeros = 0
    for code in codes:
        value = _bits(code)
        ones |= value
        zeros |= ~value
    full = (1 << 72) - 1
    return ones & full == full and zeros & full == full


# --- codes ------------------------------------------------------------------------------------
def test_it_makes_codes_of_72_random_bits_in_12_url_safe_characters():
    codes = [public_code_new() for _ in range(5000)]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 12 and is_public_code(c) for c in codes)
    assert _every_bit_varies(codes)


def test_the_database_makes_the_same_kind_of_code_one_per_row():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {PUBLIC_CODE_SQL} FROM generate_series(1, 5000)")
        codes = [row[0] for row in cursor.fetchall()]
    assert len(set(codes)) == 5000  # volatile: a new code for every row
    assert all(len(c) == 12 and is_public_code(c) for c in codes)
    assert _every_bit_varies(codes)


@pytest.mark.parametrize("value", ["", "short", "x" * 13, "abc def ghi!", "AAAAAAAAAAA=", "ÄAAAAAAAAAAA"])
def test_it_refuses_what_is_no_code(value):
    assert not is_public_code(value)


# --- rate limits -------------------------------------------------------------------------------
@pytest.fixture
def clock(monkeypatch):
    """django-ratelimit's clock, moved by the test (its windows are fixed)."""
    now = types.SimpleNamespace(value=1_900_000_000.0)
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now.value))
    return now


def _post(client, url, phone, ip="203.0.113.7", **extra):
    return client.post(url, {"code": "AAAAAAAAAAAA", "phone": phone}, REMOTE_ADDR=ip, **extra)


def test_the_per_ip_limit_trips_at_n_plus_one_and_resets(client, clock):
    limit = int(test_urls.LOOKUP_RATE_PER_IP.split("/")[0])
    # A new phone each time: only the per-IP limit counts here.
    statuses = [_post(client, LIMITED, f"08123456{i:04d}").status_code for i in range(limit)]
    assert statuses == [404] * limit  # answered (nothing found), not limited
    over = _post(client, LIMITED, "081299990000")
    assert over.status_code == 429
    assert 1 <= int(over["Retry-After"]) <= 60
    # Another address is not held back by this one's count.
    assert _post(client, LIMITED, "081299990001", ip="203.0.113.8").status_code == 404
    clock.value += 61  # the window has ended
    assert _post(client, LIMITED, "081299990002").status_code == 404


def test_the_per_target_limit_holds_one_phone_however_many_addresses_ask(client, clock):
    limit = int(test_urls.LOOKUP_RATE_PER_PHONE.split("/")[0])
    # The same number typed three ways, from a new address each time: one target.
    typed = ["0812-3456-7890", "+62 812 3456 7890", "6281234567890"]
    assert [_post(client, LIMITED, typed[i % 3], ip=f"198.51.100.{i}").status_code
            for i in range(limit)] == [404] * limit
    assert _post(client, LIMITED, typed[2], ip="198.51.100.200").status_code == 429
    assert _post(client, LIMITED, "081398765432", ip="198.51.100.201").status_code == 404  # another phone
    clock.value += 61
    assert _post(client, LIMITED, typed[0], ip="198.51.100.202").status_code == 404


def test_the_limit_answers_with_our_public_page(client, clock, settings):
    settings.COMPANY_NAME = "Dealer Contoh"
    for i in range(int(test_urls.LOOKUP_RATE_PER_IP.split("/")[0]) + 1):
        response = _post(client, LIMITED, f"08123456{i:04d}")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many requests" in html and "Dealer Contoh" in html
    assert 'class="public-site"' in html and "mainnav" not in html
    assert "no-cache" in response["Cache-Control"]


def test_a_forged_forwarded_for_does_not_escape_the_limit_unless_behind_our_proxy(client, clock, settings):
    settings.BEHIND_PROXY = False
    limit = int(test_urls.LOOKUP_RATE_PER_IP.split("/")[0])
    statuses = [_post(client, LIMITED, f"08123456{i:04d}", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code
                for i in range(limit + 1)]
    assert statuses == [404] * limit + [429]  # one REMOTE_ADDR, one counter

    settings.BEHIND_PROXY = True  # now the proxy's REMOTE_ADDR is shared; its right-most hop is the client
    statuses = [_post(client, LIMITED, f"08223456{i:04d}", ip="10.1.1.1",
                      HTTP_X_FORWARDED_FOR=f"6.6.6.6, 192.0.2.{i}").status_code for i in range(limit + 1)]
    assert statuses == [404] * (limit + 1)  # a new client each time
    statuses = [_post(client, LIMITED, f"08323456{i:04d}", ip="10.1.1.1",
                      HTTP_X_FORWARDED_FOR=f"{i}.6.6.6, 192.0.2.250").status_code for i in range(limit + 1)]
    assert statuses == [404] * limit + [429]  # what the client put left of our hop changes nothing


def test_client_ip_reads_remote_addr_or_the_right_most_hop_behind_the_proxy(settings):
    rf = RequestFactory()
    settings.BEHIND_PROXY = False
    assert client_ip(rf.get("/", REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="1.2.3.4")) == "203.0.113.5"
    settings.BEHIND_PROXY = True
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1")) == "10.0.0.1"  # no header: the peer
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, junk")) == "10.0.0.1"
    # IPv6: one subscriber's /64 is one client.
    assert client_ip(rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")) == client_ip(
        rf.get("/", REMOTE_ADDR="2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::"


def test_with_redis_unreachable_the_page_still_answers(client, settings):
    # The counters' cache on a loopback port nothing listens on: a real connection failure.
    settings.CACHES = {**settings.CACHES, "ratelimit-down": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 0.2}}}
    settings.RATELIMIT_USE_CACHE = "ratelimit-down"
    assert _post(client, LIMITED, "081234567890").status_code == 404  # served, not a 500


# --- honeypot -------------------------------------------------------------------------------------
def test_the_honeypot_is_drawn_out_of_sight_and_out_of_the_tab_order():
    html = str(SmsOptOutForm())
    assert '<div class="hp-field" aria-hidden="true">' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html and 'autocomplete="off"' in html


def test_a_filled_honeypot_gets_the_success_answer_and_no_lookup(client, campaign, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.post(LOOKUP, {"code": campaign.optout_code, "phone": "081234567890",
                                         "website": "http://spam.example"})
    assert response.content == b"thanks"
    assert not SmsOptOutForm({"website": ""}).caught_by_honeypot()
    assert SmsOptOutForm({"website": "x"}).caught_by_honeypot()


# --- lookup by code and phone -------------------------------------------------------------------
def test_it_finds_the_row_by_code_and_the_phone_however_typed(client, campaign):
    for typed in ("0812-3456-7890", "081234567890", "+62 812 3456 7890", "6281234567890"):
        response = client.post(LOOKUP, {"code": campaign.optout_code, "phone": typed})
        assert response.content.decode() == f"found {campaign.public_id}"


def test_it_also_knows_the_customers_other_phone(client, campaign):
    campaign.customer.phone_alt = "+6285711112222"
    campaign.customer.save()
    assert client.post(LOOKUP, {"code": campaign.optout_code, "phone": "0857-1111-2222"}).status_code == 200


def test_a_wrong_code_and_a_wrong_phone_get_the_same_answer(client, campaign):
    wrong_code = client.post(LOOKUP, {"code": public_code_new(), "phone": "081234567890"})
    wrong_phone = client.post(LOOKUP, {"code": campaign.optout_code, "phone": "081398765432"})
    assert (wrong_code.status_code, wrong_code.content) == (wrong_phone.status_code, wrong_phone.content)
    assert wrong_code.status_code == 404
    with translation.override("en"):
        assert json.loads(wrong_code.content)["__all__"][0]["message"] == str(CodeAndPhoneForm.not_found_message)


def test_no_phone_number_at_all_is_said_at_the_field(client, campaign):
    response = client.post(LOOKUP, {"code": campaign.optout_code, "phone": "abc"})
    errors = json.loads(response.content)
    assert list(errors) == ["phone"] and "not a phone number" in errors["phone"][0]["message"]


@pytest.mark.parametrize("case", ["found", "wrong code", "wrong phone", "malformed code", "no phone"])
def test_it_costs_one_query_either_way(campaign, case, django_assert_num_queries):
    code, phone = {"found": (campaign.optout_code, "081234567890"),
                   "wrong code": (public_code_new(), "081234567890"),
                   "wrong phone": (campaign.optout_code, "081398765432"),
                   "malformed code": ("x", "081234567890"),
                   "no phone": (campaign.optout_code, "")}[case]
    with django_assert_num_queries(1):
        row = public_lookup(Message.objects.all(), code=code, phone=phone, code_field="optout_code")
    assert (row == campaign) == (case == "found")


def test_a_wrong_code_and_a_wrong_phone_take_about_the_same_time(client, campaign):
    def median_ms(data, tries=25):
        times = []
        for _ in range(tries):
            start = time.perf_counter()
            response = client.post(LOOKUP, data)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 404
        return statistics.median(times)

    median_ms({"code": public_code_new(), "phone": "081234567890"}, tries=5)  # warm up
    wrong_code = median_ms({"code": public_code_new(), "phone": "081234567890"})
    wrong_phone = median_ms({"code": campaign.optout_code, "phone": "081398765432"})
    print(f"median wrong code {wrong_code:.2f} ms, wrong phone {wrong_phone:.2f} ms")
    # The same order of magnitude (no absolute times: machines differ).
    assert max(wrong_code, wrong_phone) / min(wrong_code, wrong_phone) < 10
