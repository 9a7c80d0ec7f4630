"""Issue 16, done when: in Chromium, "Sync now" at a branch instance sends a customer created
there to head office and brings head office's new price to the branch (two real instances)."""

import json
import os
import re
import uuid

import pytest

from tests.browser.conftest import CHROMIUM_ARGS

PASSWORD = "relasi-demo-2026"  # seed_demo's demo logins


@pytest.fixture
def browser_page(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
                                    args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        page.set_default_timeout(20_000)
        yield page
        browser.close()


def log_in(page, base_url, email):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/customers/.*"))


def test_sync_now_at_a_branch_sends_its_new_customer_and_brings_head_offices_price(pair, browser_page):
    page = browser_page
    name = f"Dewi Sinkron {uuid.uuid4().hex[:6]}"
    # Made at the branch, through its services, while head office does not know it.
    pair.branch.shell(
        "from accounts.models import Branch, User; from crm import services\n"
        "b = Branch.objects.get(code='jks'); u = User.objects.filter(branch=b, is_active=True).first()\n"
        f"services.customer_create(by=u, branch=b, name={name!r}, phone='+6281377001122')\n")
    # Head office raises a list price.
    sku, price = json.loads(pair.hq.shell(
        "import json; from sales.models import Product\n"
        "p = Product.objects.filter(is_active=True).order_by('sku').first(); p.unit_price += 7_000_000; p.save()\n"
        "print(json.dumps([p.sku, int(p.unit_price)]))\n").strip().splitlines()[-1])
    assert not pair.hq.sql("SELECT 1 FROM crm_customer WHERE name = %s", [name])

    log_in(page, pair.branch.url, "manager.jks@relasi.test")
    page.goto(f"{pair.branch.url}/branches/sync/")
    assert page.inner_text("#sync-pending") != "0"  # the new customer waits to be sent
    page.click("#sync-now")
    page.wait_for_selector("#sync-done")
    assert "sent" in page.inner_text("#sync-done") or "terkirim" in page.inner_text("#sync-done")
    assert page.inner_text("#sync-pending") == "0"

    # The branch's catalogue shows head office's new price.
    page.goto(f"{pair.branch.url}/sales/catalogue/?q={sku}")
    row = page.locator("tr", has_text=sku).first
    shown = [int(re.sub(r"\D", "", amount)) for amount in re.findall(r"Rp\s?([\d.,]+)", row.inner_text())]
    assert price in shown

    # Head office finds the branch's new customer.
    log_in(page, pair.hq.url, "pusat@relasi.test")
    page.goto(f"{pair.hq.url}/customers/?q={name.split()[-1]}")
    assert name in page.inner_text("main")
    page.goto(f"{pair.hq.url}/branches/sync/")
    assert "0" == page.inner_text("tr[data-branch=jks] td:nth-child(4)").strip()  # nothing waits at the branch
