"""CSV import: a preview with each row's errors, then all valid rows in one transaction, the
rest downloadable with formulas neutralised; bad files refused with a clear message."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sales import imports, services
from sales.models import Lead

pytestmark = pytest.mark.django_db

URL = "/sales/leads/import/"
HEADER = "name,phone,email,city,model_of_interest,budget\n"


def upload(client, text, name="leads.csv", **extra):
    return client.post(URL, {"action": "preview", "file": SimpleUploadedFile(name, text.encode()), **extra})


def good_rows(n):
    return "".join(f"Prospek {i},0857{i:08d},p{i}@contoh.id,Bandung,Avanza,250000000\n" for i in range(n))


def test_the_url():
    assert reverse("sales:lead_import") == URL


def test_it_previews_then_imports_the_valid_rows_and_offers_the_rejects(client, sales_a, branch_a):
    text = (HEADER + good_rows(6) + "Bad Phone,12345,,Bandung,Rush,\n"
            + '"=HYPERLINK(""http://x"")",0857-9999-0000,,,,\n')
    client.force_login(sales_a)
    preview = upload(client, text)
    page = preview.content.decode()
    assert preview.status_code == 200 and not Lead.objects.exists()
    assert "6 rows can be imported" in page and "2 rows have errors" in page
    assert "is not a valid phone number" in page and "formula character" in page
    token = preview.context["token"]

    rejects = client.post(URL, {"action": "rejects", "token": token})
    assert rejects["Content-Type"].startswith("text/csv") and not Lead.objects.exists()
    rows = list(csv.reader(io.StringIO(rejects.content.decode())))
    assert rows[0][-2:] == ["line", "errors"] and len(rows) == 3
    assert rows[1][-2] == "8" and rows[2][0].startswith("'=HYPERLINK")  # neutralised for spreadsheets

    done = client.post(URL, {"action": "import", "token": token})
    assert done.status_code == 302
    assert Lead.objects.filter(branch=branch_a, source=Lead.Source.IMPORT, owner=sales_a).count() == 6


def test_it_writes_nothing_when_one_row_fails_in_the_transaction(client, sales_a, monkeypatch):
    client.force_login(sales_a)
    token = upload(client, HEADER + good_rows(3)).context["token"]
    real, calls = services.lead_create, []

    def third_fails(**kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(**kwargs)

    monkeypatch.setattr(services, "lead_create", third_fails)
    with pytest.raises(RuntimeError):
        client.post(URL, {"action": "import", "token": token})
    assert not Lead.objects.exists()


@pytest.mark.parametrize("text, message", [
    ("nama,telepon\nBudi,0812\n", "The columns must be"),
    ("name,phone,shoe_size\nBudi,08123456789,42\n", "Unknown: shoe_size"),
    (HEADER, "The file has no leads in it."),
])
def test_it_refuses_a_file_it_cannot_read(client, sales_a, text, message):
    client.force_login(sales_a)
    response = upload(client, text)
    assert response.status_code == 400 and message in response.content.decode()


def test_it_refuses_a_big_file_without_reading_it(client, sales_a, monkeypatch):
    client.force_login(sales_a)
    response = upload(client, HEADER + "x" * (imports.MAX_BYTES + 10))
    assert response.status_code == 400 and "at most 1 MB" in response.content.decode()


def test_it_refuses_a_changed_preview(client, sales_a):
    client.force_login(sales_a)
    token = upload(client, HEADER + good_rows(1)).context["token"]
    response = client.post(URL, {"action": "import", "token": token[:-3] + "abc"})
    assert response.status_code == 400 and "Upload the file again" in response.content.decode()
    assert not Lead.objects.exists()


def test_it_reads_semicolons_and_a_windows_encoding(client, sales_a):
    client.force_login(sales_a)
    text = "name;phone;city\nJosé Café;0857-1111-0000;Bandung\n"
    response = client.post(URL, {"action": "preview", "file": SimpleUploadedFile("l.csv", text.encode("cp1252"))})
    assert response.context["valid"] == 1 and response.context["rows"][0].fields["name"] == "José Café"


def test_it_is_for_staff_who_add_leads(client, readonly_a, staff_b, sales_a):
    assert client.get(URL).status_code == 302
    client.force_login(readonly_a)
    assert client.get(URL).status_code == 403
    client.force_login(sales_a)
    assert client.get(URL).status_code == 200


def test_a_phone_or_email_twice_in_the_file_is_an_error_on_the_later_line(client, sales_a):
    text = (HEADER + "Ani,0857 1000 0001,ani@contoh.id,,,\n" + "Ani lagi,+62 857-1000-0001,,,,\n"
            + "Beni,0857 1000 0002,ANI@contoh.id,,,\n" + "Citra,0857 1000 0003,,,,\n")
    client.force_login(sales_a)
    preview = upload(client, text)
    rows = {r.number: r for r in preview.context["rows"]}
    assert [rows[n].ok for n in (2, 3, 4, 5)] == [True, False, False, True]
    assert rows[3].errors == ["The same phone or email as line 2."] == rows[4].errors
    client.post(URL, {"action": "import", "token": preview.context["token"]})
    assert sorted(Lead.objects.values_list("name", flat=True)) == ["Ani", "Citra"]


def test_rows_we_already_know_are_shown_with_links_and_left_out_unless_asked(
        client, sales_a, customer_a, customer_b):
    open_lead = services.lead_create(by=sales_a, branch=sales_a.branch, source=Lead.Source.WALK_IN, name="Dewi",
                                     phone="+6285710000009")
    text = (HEADER + "Budi S,0812-3456-7890,,,,\n"       # customer_a's phone (this branch)
            + f"Other,0857 1000 0008,{customer_b.email.upper()},,,\n"  # another branch's customer, by email
            + "Dewi,0857 1000 0009,,,,\n"                 # an open lead
            + "New person,0857 1000 0010,,,,\n")
    client.force_login(sales_a)
    preview = upload(client, text)
    page = preview.content.decode()
    assert preview.context["valid"] == 1 and preview.context["known"] == 3 and preview.context["rejected"] == 0
    assert f'href="/customers/{customer_a.public_id}/"' in page and f"customer {customer_a.name}" in page
    assert f"/customers/{customer_b.public_id}/" not in page and f"customer {customer_b.name}" in page
    assert f'href="{open_lead.get_absolute_url()}"' in page

    rejects = list(csv.reader(io.StringIO(
        client.post(URL, {"action": "rejects", "token": preview.context["token"]}).content.decode())))
    assert [r[-2] for r in rejects[1:]] == ["2", "3", "4"] and rejects[1][-1].startswith("Already known: customer")

    client.post(URL, {"action": "import", "token": preview.context["token"]})
    assert sorted(Lead.objects.values_list("name", flat=True)) == ["Dewi", "New person"]
    client.post(URL, {"action": "import", "token": preview.context["token"], "include_known": "1"})
    assert Lead.objects.count() == 2 + 4


def test_the_duplicate_check_costs_the_same_for_ten_rows_or_five_hundred(client, sales_a, django_assert_num_queries):
    client.force_login(sales_a)
    upload(client, HEADER + good_rows(10))
    with django_assert_num_queries(2):
        imports.parse(HEADER + good_rows(500))
