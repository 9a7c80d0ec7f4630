"""The layout holds up to what new users type: a 200-character unbroken name does not widen
the customer list, a phone keeps the search one tap away and the Outbox readable, and text
inputs carry a maxlength so a pasted essay never reaches the server as a huge request line."""

import re
import uuid

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from marketing.models import Message, Send
from tests.browser.conftest import log_in
from tests.factories import CustomerFactory

LONG_NAME = "Pelanggan" + "X" * 191  # 200 characters, no space anywhere
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def assert_fits(page, width):
    assert page.evaluate("window.innerWidth") == width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    box = page.locator("table.table-customers").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    # Every column header is on screen, not pushed off to the right.
    for header in page.locator("table.table-customers th:visible").all():
        b = header.bounding_box()
        assert b["x"] + b["width"] <= width, (header.inner_text(), b)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_200_character_name_does_not_widen_the_customer_list(browser, live_server, sales_a, password, shot,
                                                              width):
    CustomerFactory(name=LONG_NAME, email=f"{'y' * 60}@contoh.id", branch=sales_a.branch, owner=sales_a, by=sales_a)
    CustomerFactory(name="Budi Santoso", branch=sales_a.branch, owner=sales_a, by=sales_a)
    options = PHONE if width == 390 else {"viewport": {"width": 1280, "height": 900}}
    context = browser.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server, sales_a, password)
        assert_fits(page, width)
        link = page.locator("#customer-results a", has_text="PelangganXXX")
        assert link.is_visible()
        # The name is clamped to a few lines; the whole of it is there on hover.
        row = page.locator("#customer-results tbody tr", has=page.locator("a", has_text="PelangganXXX"))
        assert row.get_attribute("title") == LONG_NAME
        assert link.inner_text().replace("\n", "") == LONG_NAME
        assert link.bounding_box()["height"] < 100
        # The other customer's row and the phone column are on screen.
        assert page.locator("#customer-results a", has_text="Budi Santoso").is_visible()
        shot(page, f"layout-long-name-{width}")
        # The 360 page's heading wraps too.
        link.click()
        page.wait_for_selector("h1")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        shot(page, f"layout-long-name-360-{width}")
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_search_is_one_tap_away_and_the_outbox_scrolls(browser, live_server, sales_a, password, shot):
    customer = CustomerFactory(name=LONG_NAME, phone="+6281234567890", branch=sales_a.branch, by=sales_a)
    send = Send.objects.create(idempotency_key=str(uuid.uuid4()), channel=Send.Channel.SMS, name="Promo servis " * 5,
                               body="x", department="sales", branch=sales_a.branch, created_by=sales_a)
    others = [CustomerFactory(branch=sales_a.branch, by=sales_a) for _ in range(2)]
    for recipient in [customer, *others]:
        Message.objects.create(send=send, customer=recipient, channel=Send.Channel.SMS, to="+6281234567890",
                               body=("Halo, jadwal servis berkala mobil Anda sudah dekat. Balas YA untuk booking. "
                                     + "https://relasi.example/booking/" + "z" * 80),
                               segments=2, status=Message.Status.FAILED, error_code="30003",
                               error_message="Unreachable destination handset")
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, live_server, sales_a, password)
        assert page.is_hidden("#mainnav")
        # One tap on the search button: the search box is visible and has the cursor.
        button = page.locator("#nav-search-toggle")
        assert button.is_visible()
        button.tap()
        search = page.locator("nav input[name=q]")
        search.wait_for(state="visible")
        # Not wait_for_function: it evaluates a string in the page, which our CSP forbids.
        expect(search).to_be_focused()
        shot(page, "layout-phone-search")
        search.fill("7890")
        search.press("Enter")
        page.wait_for_url(re.compile(r"/customers/\?q=7890$"))
        assert page.locator("#customer-results a", has_text="PelangganXXX").count() == 1

        page.goto(live_server.url + reverse("marketing:outbox"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the page itself does not scroll
        table = page.locator("table.table-outbox")
        wrapper = page.locator(".table-responsive", has=table)
        # Nothing is cut off: the table fits its (scrollable) wrapper, or the wrapper scrolls to all of it.
        client_width, scroll_width = wrapper.evaluate("el => [el.clientWidth, el.scrollWidth]")
        assert client_width <= 390
        assert scroll_width <= client_width or wrapper.evaluate("el => getComputedStyle(el).overflowX") == "auto"
        assert table.evaluate("el => el.scrollWidth") <= scroll_width
        # On a phone each message is a block of labelled lines: every cell is on screen.
        row = table.locator("tbody tr").first
        for cell in row.locator("td:visible").all():
            b = cell.bounding_box()
            assert b["x"] >= 0 and b["x"] + b["width"] <= 390, (cell.inner_text(), b)
        assert "Status" in row.locator("td").nth(5).evaluate("el => getComputedStyle(el, '::before').content")
        assert row.locator("td").nth(5).inner_text().startswith("Failed")
        shot(page, "layout-phone-outbox")
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_10000_character_paste_into_the_search_box_is_cut_to_100(page, live_server, sales_a, password):
    log_in(page, live_server, sales_a, password)
    page.fill("nav input[name=q]", "a" * 10_000)
    assert len(page.input_value("nav input[name=q]")) == 100
    page.press("nav input[name=q]", "Enter")
    page.wait_for_url(re.compile(r"/customers/\?q=a{100}$"))
    assert page.locator("h1", has_text="Customers").is_visible()


# --- maxlength on the text inputs (no browser needed)


def maxlengths(html: str) -> dict:
    found = {}
    for tag in re.findall(r"<(?:input|textarea)\b[^>]*>", html):
        name = re.search(r'\bname="([^"]+)"', tag)
        kind = re.search(r'\btype="([^"]+)"', tag)
        if not name or (kind and kind.group(1) in ("hidden", "checkbox", "radio", "submit")):
            continue
        length = re.search(r'\bmaxlength="(\d+)"', tag)
        found[name.group(1)] = int(length.group(1)) if length else None
    return found


@pytest.mark.django_db
def test_the_top_search_box_and_the_list_search_have_maxlength_100(client, sales_a):
    client.force_login(sales_a)
    html = client.get(reverse("crm:customer_list")).content.decode()
    nav = html.split("</nav>", 1)[0]
    assert maxlengths(nav)["q"] == 100
    main = html.split("<main", 1)[1]
    assert maxlengths(main)["q"] == 100


@pytest.mark.django_db
def test_the_login_form_limits_what_can_be_typed(client):
    found = maxlengths(client.get(reverse("login")).content.decode())
    assert found["username"] == 254 and found["password"] == 4096


@pytest.mark.django_db
def test_text_inputs_from_models_carry_their_max_length(client, manager_a, customer_a):
    client.force_login(manager_a)
    found = maxlengths(client.get(reverse("crm:customer_create")).content.decode())
    assert found["name"] == 200 and found["phone"] == 20 and found["city"] == 80 and found["province"] == 80
    assert found["email"] == 254
    customer_a.sms_consent = True  # the SMS box is offered only to a customer who can receive SMS
    customer_a.save()
    detail = maxlengths(client.get(customer_a.get_absolute_url()).content.decode())
    assert detail["summary"] == 2000 and detail["body"] == 1600
    missing = {name: n for name, n in {**found}.items() if n is None and name not in ("birth_date", "address")}
    assert missing == {}, missing


@pytest.mark.django_db
def test_a_10000_character_query_gets_the_list_not_an_error(client, sales_a):
    client.force_login(sales_a)
    response = client.get(reverse("crm:customer_list"), {"q": "a" * 10_000})
    assert response.status_code == 200
    assert response.context["query"] == "a" * 100
