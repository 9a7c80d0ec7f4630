"""Importing leads from a CSV in a real browser: the preview shows each row's problems, then
the valid rows are imported. Screenshots go to test-artifacts/."""

import pytest

from sales.models import Lead
from tests.browser.conftest import log_in
from tests.sales.conftest import stages  # noqa: F401 - the pipeline's stages after the flush

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = ("name,phone,email,city,model_of_interest,budget\n"
       "Agus Salim,0857-1234-0001,agus@contoh.id,Bandung,Rush,280000000\n"
       "Dewi Lestari,0857-1234-0002,,Bandung,Veloz,\n"
       "Nomor Salah,12345,,Bandung,Avanza,\n"
       "Bu Rina,0857-1234-0003,bukan-email,Cimahi,Innova,banyak\n")


def test_it_previews_and_imports(page, live_server, sales_a, password, shot, tmp_path, assets_problems):
    path = tmp_path / "prospek.csv"
    path.write_text(CSV)
    log_in(page, live_server, sales_a, password)
    page.goto(f"{live_server.url}/sales/leads/import/")
    page.set_input_files("input[type=file]", str(path))
    page.click("#import-upload button[type=submit]")
    page.wait_for_selector("#import-summary")
    assert "2 rows can be imported" in page.inner_text("#import-summary")
    assert page.locator("#import-rows tr.table-danger").count() == 2
    shot(page, "sales-import-preview")
    page.click("#import-save")
    page.wait_for_selector("text=2 leads imported; 2 rows left out.")
    assert set(Lead.objects.values_list("name", flat=True)) == {"Agus Salim", "Dewi Lestari"}
    # A poll of the notification bell cut short by the next page load is not a problem.
    assert assets_problems == []
