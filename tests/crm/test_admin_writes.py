"""The back office is no side door: an edit in the Django admin is cleaned by the staff
form's rules, written by crm.services and lands on the timeline, exactly as in the staff UI.

Every test drives the real admin pages the way a browser does: open the change form, fill
it in, post it, then look at what the database, the search box and the timeline show.
"""

import html
import re

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import User
from crm import services
from crm.models import Asset, Customer, Interaction
from marketing import services as marketing_services
from marketing.models import Send
from tests.crm.pages import post_form, timeline_entries
from tests.factories import AssetFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(head_office):
    return User.objects.create_superuser(language="en", email="root@relasi.test", password="x", branch=head_office,
                                         first_name="Root")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def rina(branch_a, sales_a):
    return services.customer_create(
        by=sales_a, branch=branch_a, name="Rina Wijaya", phone="+6281311112222", email="rina@contoh.id",
        city="Bandung", owner=sales_a,
    )


def change_url(obj):
    return f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"


def admin_error(response, name: str) -> str:
    """The error the admin shows at field ``name``, as text ("" if none)."""
    body = response.content.decode()
    match = re.search(rf'<ul class="errorlist" id="id_{re.escape(name)}_error">(.*?)</ul>', body, re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split()) if match else ""


def add_inline_row(form, prefix: str, **values) -> None:
    """What the admin's "Add another" button does in the browser: one more form in the inline."""
    index = int(form.fields[f"{prefix}-TOTAL_FORMS"][0])
    form.fields[f"{prefix}-TOTAL_FORMS"] = [str(index + 1)]
    for name, value in values.items():
        form.fields[f"{prefix}-{index}-{name}"] = [value]


def staff_search(client, user, query) -> list[int]:
    client.force_login(user)
    return [c.pk for c in client.get("/customers/", {"q": query}).context["page"].items]


def newest_entry(client, user, customer) -> dict:
    client.force_login(user)
    return timeline_entries(client.get(customer.get_absolute_url()))[0]


def test_it_stores_a_phone_typed_in_the_admin_as_e164_with_its_history(admin_client, client, sales_a, rina):
    form = post_form(admin_client.get(change_url(rina))).fill(phone="0812-3456-7890")
    response = form.submit(admin_client, url=change_url(rina))

    assert response.status_code == 302, admin_error(response, "phone")
    rina.refresh_from_db()
    assert rina.phone == "+6281234567890"
    # Found by the number however staff type it, and the change is on the timeline.
    assert staff_search(client, sales_a, "0812 3456 7890") == [rina.pk]
    entry = newest_entry(client, sales_a, rina)
    assert entry["summary"] == "Profile updated: mobile phone."
    assert "Root" in entry["header"] and "Head Office" in entry["header"]


def test_it_shows_an_invalid_phone_at_the_admin_field_and_saves_nothing(admin_client, rina):
    saved = Customer.objects.values().get(pk=rina.pk)
    form = post_form(admin_client.get(change_url(rina))).fill(phone="0812", name="Changed")
    response = form.submit(admin_client, url=change_url(rina))

    assert response.status_code == 200
    assert admin_error(response, "phone") == "“0812” is not a valid phone number (example: 0812-3456-7890)."
    assert Customer.objects.values().get(pk=rina.pk) == saved
    assert rina.interactions.count() == 1  # only "Customer record created."


def test_it_asks_before_saving_another_customers_number_in_the_admin(admin_client, customer_a, rina):
    form = post_form(admin_client.get(change_url(rina))).fill(phone=customer_a.phone)
    response = form.submit(admin_client, url=change_url(rina))
    assert admin_error(response, "phone") == "Already used by Budi Santoso (Cabang Bandung). " \
                                             "Check it is not the same customer."
    rina.refresh_from_db()
    assert rina.phone == "+6281311112222"
    # Ticking "this is a different customer" saves it.
    response = post_form(response).fill(confirm_duplicate=True).submit(admin_client, url=change_url(rina))
    assert response.status_code == 302
    rina.refresh_from_db()
    assert rina.phone == customer_a.phone


def test_it_stamps_a_consent_ticked_in_the_admin_and_logs_it_as_the_staff_ui_does(
        admin_client, client, head_office_user, sales_a, rina, customer_a):
    before = timezone.now()
    form = post_form(admin_client.get(change_url(rina)))
    assert "sms_consent_at" not in form.all_names() and "sms_consent_source" not in form.all_names()
    response = form.fill(sms_consent=True).submit(admin_client, url=change_url(rina))
    assert response.status_code == 302

    rina.refresh_from_db()
    assert rina.sms_consent is True
    assert before <= rina.sms_consent_at <= timezone.now()
    assert rina.sms_consent_source == "admin"
    assert newest_entry(client, sales_a, rina)["summary"] == "SMS consent given (admin)."

    # The same change made in the staff UI by head office writes the same kind of entry.
    client.force_login(head_office_user)
    edit = f"/customers/{customer_a.public_id}/edit/"
    post_form(client.get(edit)).fill(sms_consent=True, consent_source="signed_form").submit(client, url=edit)
    from_admin = rina.interactions.latest("id")
    from_staff_ui = customer_a.interactions.latest("id")
    assert from_staff_ui.summary == "SMS consent given (signed_form)."
    fields = ("kind", "channel", "direction", "department")
    assert [getattr(from_admin, f) for f in fields] == [getattr(from_staff_ui, f) for f in fields]


def test_it_ignores_consent_stamps_and_search_text_posted_to_the_admin(admin_client, rina):
    services.customer_update(customer=rina, by=None, consents={"sms": True}, consent_source="branch_desk")
    rina.refresh_from_db()
    stamped_before = (rina.sms_consent_at, rina.sms_consent_source)
    form = post_form(admin_client.get(change_url(rina))).fill(city="Cimahi")
    data = {**form.data(), "sms_consent_at_0": "2020-01-01", "sms_consent_at_1": "10:00:00",
            "sms_consent_source": "forged", "search_text": "forged", "created_at": "2020-01-01"}
    assert admin_client.post(change_url(rina), data).status_code == 302
    rina.refresh_from_db()
    assert rina.city == "Cimahi"
    assert (rina.sms_consent_at, rina.sms_consent_source) == stamped_before
    assert "forged" not in rina.search_text and "rina wijaya" in rina.search_text


def test_it_finds_the_customer_by_a_plate_edited_in_the_vehicle_inline(admin_client, client, sales_a, rina):
    AssetFactory(customer=rina, plate_number="D 1000 ABC", by=sales_a)
    form = post_form(admin_client.get(change_url(rina)))
    assert form.fields["assets-0-plate_number"] == ["D 1000 ABC"]
    response = form.fill(**{"assets-0-plate_number": " d 9999  zz "}).submit(admin_client, url=change_url(rina))
    assert response.status_code == 302

    # Stored as the staff form stores plates, and searchable straight away; the old one is gone.
    assert rina.assets.get().plate_number == "D 9999 ZZ"
    assert staff_search(client, sales_a, "d9999zz") == [rina.pk]
    assert staff_search(client, sales_a, "D 1000 ABC") == []
    assert newest_entry(client, sales_a, rina)["summary"] == "Vehicle Toyota Avanza (D 9999 ZZ) updated: plate number."


def test_it_adds_and_removes_vehicles_and_contact_persons_in_the_inlines_with_history(
        admin_client, client, sales_a, rina):
    AssetFactory(customer=rina, plate_number="D 1000 ABC", by=sales_a)
    form = post_form(admin_client.get(change_url(rina))).fill(**{"assets-0-DELETE": True})
    add_inline_row(form, "assets", make="Honda", model="Brio", plate_number="b 12 cd")
    add_inline_row(form, "contact_persons", name="Pak Joko", phone="0811-222-3333")
    response = form.submit(admin_client, url=change_url(rina))
    assert response.status_code == 302

    assert list(rina.assets.values_list("plate_number", flat=True)) == ["B 12 CD"]
    assert rina.contact_persons.get().phone == "+628112223333"
    assert staff_search(client, sales_a, "b12cd") == [rina.pk]
    assert staff_search(client, sales_a, "D 1000 ABC") == []
    summaries = [e["summary"] for e in timeline_entries(client.get(rina.get_absolute_url()))[:3]]
    assert sorted(summaries) == ["Contact person added: Pak Joko.", "Vehicle added: Honda Brio (B 12 CD).",
                                 "Vehicle removed: Toyota Avanza (D 1000 ABC)."]


def test_it_shows_an_invalid_contact_phone_in_the_inline_and_saves_nothing(admin_client, rina):
    form = post_form(admin_client.get(change_url(rina))).fill(city="Cimahi")
    add_inline_row(form, "contact_persons", name="Pak Joko", phone="0811")
    response = form.submit(admin_client, url=change_url(rina))
    assert response.status_code == 200
    assert "“0811” is not a valid phone number (example: 0812-3456-7890)." in response.content.decode()
    rina.refresh_from_db()
    assert rina.city == "Bandung" and not rina.contact_persons.exists()


def test_it_finds_the_customer_by_a_plate_edited_on_the_vehicle_page(admin_client, client, sales_a, rina):
    vehicle = AssetFactory(customer=rina, plate_number="D 1000 ABC", by=sales_a)
    form = post_form(admin_client.get(change_url(vehicle))).fill(plate_number="d 4321 xy")
    assert form.submit(admin_client, url=change_url(vehicle)).status_code == 302

    vehicle.refresh_from_db()
    assert vehicle.plate_number == "D 4321 XY"
    assert staff_search(client, sales_a, "D 4321") == [rina.pk]
    assert staff_search(client, sales_a, "D 1000 ABC") == []
    assert newest_entry(client, sales_a, rina)["summary"] == "Vehicle Toyota Avanza (D 4321 XY) updated: plate number."


def test_it_adds_a_vehicle_on_its_own_admin_page_with_history(admin_client, client, sales_a, rina):
    form = post_form(admin_client.get("/admin/crm/asset/add/"))
    form.fill(customer=rina.pk, make="Suzuki", model="Ertiga", plate_number="z 55 aa", vin="")
    assert form.submit(admin_client, url="/admin/crm/asset/add/").status_code == 302
    assert rina.assets.get().plate_number == "Z 55 AA"
    assert staff_search(client, sales_a, "z55aa") == [rina.pk]
    assert newest_entry(client, sales_a, rina)["summary"] == "Vehicle added: Suzuki Ertiga (Z 55 AA)."


def test_it_creates_a_customer_in_the_admin_as_the_staff_ui_does(admin_client, client, superuser, sales_a,
                                                                  branch_a):
    form = post_form(admin_client.get("/admin/crm/customer/add/"))
    form.fill(name="  Dewi   Lestari ", phone="0812-9999-8888", email="Dewi@Contoh.ID", branch=branch_a.pk,
              email_consent=True)
    response = form.submit(admin_client, url="/admin/crm/customer/add/")
    assert response.status_code == 302, response.content.decode()[:3000]

    dewi = Customer.objects.get(name="Dewi Lestari")
    assert (dewi.phone, dewi.email, dewi.branch) == ("+6281299998888", "dewi@contoh.id", branch_a)
    assert dewi.email_consent and dewi.email_consent_source == "admin" and dewi.email_consent_at is not None
    assert dewi.owner == superuser  # no owner chosen: whoever registered it
    assert staff_search(client, sales_a, "081299998888") == [dewi.pk]
    assert newest_entry(client, sales_a, dewi)["summary"] == "Customer record created."


def test_it_shows_the_contact_history_read_only_in_the_admin(admin_client, rina):
    entry = rina.interactions.get()
    page = admin_client.get(change_url(entry))
    assert page.status_code == 200 and "View interaction" in page.content.decode()
    assert "<textarea" not in page.content.decode() and 'name="summary"' not in page.content.decode()
    response = admin_client.post(change_url(entry), {"summary": "Rewritten", "kind": "note", "channel": "system",
                                                     "direction": "internal", "department": "sales"})
    assert response.status_code == 403
    assert admin_client.get("/admin/crm/interaction/add/").status_code == 403
    entry.refresh_from_db()
    assert entry.summary == "Customer record created."


def _branch_admin(branch, email, *codenames):
    user = User.objects.create_user(language="en", email=email, password="x", branch=branch, is_staff=True,
                                    department="branch_mgmt")
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


def test_it_refuses_to_attach_a_vehicle_to_another_branchs_customer_in_the_admin(client, branch_a, customer_b):
    client.force_login(_branch_admin(branch_a, "bm@relasi.test", "add_asset", "view_asset", "view_customer"))
    response = client.post("/admin/crm/asset/add/", {"customer": customer_b.pk, "make": "Toyota", "model": "Rush"})
    assert response.status_code == 200
    assert admin_error(response, "customer").startswith("Select a valid choice.")
    assert not Asset.objects.exists()


def test_it_shows_branch_staff_only_their_branchs_sends_in_the_back_office(client, sales_a, staff_b, customer_a,
                                                                          customer_b, branch_a):
    marketing_services.send_create(idempotency_key="a-1", channel="sms", name="Promo Bandung",
                                   body="Halo", customers=[customer_a.pk], by=sales_a)
    marketing_services.send_create(idempotency_key="b-1", channel="sms", name="Promo Surabaya",
                                   body="Halo", customers=[customer_b.pk], by=staff_b)
    client.force_login(_branch_admin(branch_a, "bm@relasi.test", "view_send"))
    body = client.get("/admin/marketing/send/").content.decode()
    assert "Promo Bandung" in body and "Promo Surabaya" not in body
    # Branch B's send cannot be opened by its address either (the admin says it does not exist).
    assert client.get(change_url(Send.objects.get(name="Promo Surabaya"))).status_code == 302
    assert client.get(change_url(Send.objects.get(name="Promo Bandung"))).status_code == 200


def test_it_keeps_the_desks_consent_stamp_when_the_admin_edits_other_fields(admin_client, rina):
    services.customer_update(customer=rina, by=None, consents={"email": True}, consent_source="signed_form")
    rina.refresh_from_db()
    stamp = rina.email_consent_at
    assert stamp is not None
    form = post_form(admin_client.get(change_url(rina))).fill(province="Jawa Barat")
    assert form.submit(admin_client, url=change_url(rina)).status_code == 302
    rina.refresh_from_db()
    assert (rina.email_consent_at, rina.email_consent_source) == (stamp, "signed_form")
    assert rina.interactions.latest("id").summary == "Profile updated: province."
    assert Interaction.objects.filter(customer=rina, summary__contains="consent").count() == 1
