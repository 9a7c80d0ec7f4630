"""A staff member who speaks Indonesian walks the main pages in Chromium and meets none of
our English labels; dates are typed day first, and digits typed on a number pad come back
as a date."""

import re

import pytest
from django.urls import reverse

from accounts.models import User
from tests.browser.conftest import log_in
from tests.factories import AssetFactory, CustomerFactory

# Our own English labels (the source strings of the most visible words). Whole words, case
# sensitive: "Email", "SMS" or "Status" are Indonesian too and are not on the list.
ENGLISH = ["Customers", "New customer", "Search customers", "Save", "Cancel", "Log out", "Log in", "Outbox",
           "Timeline", "Contact history", "Vehicles", "Back office", "Change password", "Your profile",
           "Profile and language", "Log an interaction", "Previous", "Next", "Filter", "Birth date", "Owner",
           "Branch", "Name", "Phone", "Send SMS", "Site administration", "Edit", "Add", "Home"]
_ENGLISH = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")

# What a reader sees: the text, and the words in placeholders, labels for screen readers and tooltips.
READ_TEXT = """() => {
  const parts = [document.title, document.body.innerText];
  for (const el of document.querySelectorAll("[placeholder], [aria-label], [title], [alt]")) {
    for (const name of ["placeholder", "aria-label", "title", "alt"]) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  }
  return parts.join("\\n");
}"""


def english_on(page) -> list[str]:
    return sorted(set(_ENGLISH.findall(page.evaluate(READ_TEXT))))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_indonesian_user_meets_no_english_label(page, live_server, branch_a, head_office, assets_problems, shot):
    password = "rahasia-2026!"
    user = User.objects.create_superuser(email="dewi@relasi.test", password=password, branch=head_office,
                                         first_name="Dewi", language="id")
    customer = CustomerFactory(name="Budi Santoso", phone="+6281234567890", branch=branch_a, owner=user, by=user)
    AssetFactory(customer=customer, plate_number="D 1234 ABC")
    page.set_extra_http_headers({"Accept-Language": "en-US,en;q=0.9"})  # an English browser: the profile wins

    log_in(page, live_server, user, password)
    walk = {
        # The platform's own pages (issue 8) too: home, notifications, the branch calendar and report.
        "home": reverse("crm:home"),
        "notifications": reverse("notifications:list"),
        "notification-settings": reverse("notifications:settings"),
        "branch-list": reverse("branches:branch_list"),
        "branch-calendar": reverse("branches:calendar", args=[branch_a.public_id]),
        "branch-report": reverse("branches:report", args=[branch_a.public_id]),
        "customer-list": reverse("crm:customer_list"),
        "customer-form": reverse("crm:customer_create"),
        "customer-360": customer.get_absolute_url(),
        "contact-history": reverse("crm:customer_timeline", args=[customer.public_id]),
        "outbox": reverse("marketing:outbox"),
        "profile": reverse("profile"),
        "admin-index": reverse("admin:index"),
    }
    found = {}
    for name, url in walk.items():
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "id", name
        shot(page, f"id-{name}")
        if words := english_on(page):
            found[name] = words
    assert found == {}, f"English labels on Indonesian pages: {found}"
    assert assets_problems == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_date_typed_as_digits_on_a_number_pad_comes_back_as_a_date(page, live_server, sales_a, password,
                                                                      assets_problems):
    sales_a.language = "id"
    sales_a.save()
    log_in(page, live_server, sales_a, password)
    page.goto(live_server.url + reverse("crm:customer_create"))
    birth = page.locator("input[name=birth_date]")
    assert birth.get_attribute("type") == "text" and birth.get_attribute("inputmode") == "numeric"
    assert birth.get_attribute("placeholder") == "hh/bb/tttt"
    birth.fill("17051990")
    page.locator("input[name=city]").focus()  # leaving the box tidies it
    assert birth.input_value() == "17/05/1990"
    page.fill("input[name=name]", "Rina Wijaya")
    page.fill("input[name=phone]", "0812-9999-1111")
    page.click("form[method=post]:not([data-menu]) button[type=submit].btn-primary")
    page.wait_for_selector("h1:has-text('Rina Wijaya')")
    customer = sales_a.owned_customers.get(name="Rina Wijaya")
    assert str(customer.birth_date) == "1990-05-17" and customer.language == "id"
    assert assets_problems == []
