"""The public "contact us / test drive" page: a lead for the branch, assigned and notified;
honeypot, rate limits, bad input."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Notification
from crm.models import Interaction
from sales.models import Lead
from sales.public_views import CONTACT_RATE_PER_PHONE

pytestmark = pytest.mark.django_db

URL = "/p/contact/"


@pytest.fixture
def visitor():
    return Client(headers={"Accept-Language": "en"})


def form_data(branch_, **extra):
    return {"name": "Wulan Sari", "phone": "0857 4444 5555", "email": "", "city": "Bandung", "branch": branch_.pk,
            "model_of_interest": "Veloz", "wants_test_drive": "on", "preferred_contact_time": "evening",
            "message": "Bisa test drive hari Sabtu?", **extra}


def test_the_url_is_the_public_one():
    assert reverse("sales_public:contact_us") == URL


def test_it_makes_a_web_lead_assigned_and_notified(visitor, branch_a, sales_a):
    page = visitor.get(URL)
    assert page.status_code == 200 and "Contact us or book a test drive" in page.content.decode()
    response = visitor.post(URL, form_data(branch_a))
    assert response.status_code == 302 and response["Location"] == reverse("sales_public:contact_thanks")
    lead = Lead.objects.get()
    assert (lead.source, lead.branch, lead.owner, lead.phone, lead.wants_test_drive, lead.preferred_contact_time) == (
        Lead.Source.WEB, branch_a, sales_a, "+6285744445555", True, "evening")
    assert Notification.objects.filter(recipient=sales_a, verb="sales.lead_assigned", target_id=lead.pk).exists()
    assert "Thank you" in visitor.get(response["Location"]).content.decode()


def test_the_honeypot_answers_like_a_success_and_saves_nothing(visitor, branch_a, sales_a):
    response = visitor.post(URL, form_data(branch_a, website="http://spam.example"))
    assert response.status_code == 302 and not Lead.objects.exists()


@pytest.mark.parametrize("field, value, message", [
    ("phone", "12", "is not a valid phone number"),
    ("branch", "999999", "Select a valid choice"),
    ("name", "", "This field is required"),
])
def test_it_says_what_is_wrong_at_the_field(visitor, branch_a, field, value, message):
    response = visitor.post(URL, form_data(branch_a, **{field: value}))
    assert response.status_code == 400 and message in response.content.decode()
    assert not Lead.objects.exists()


def test_head_office_is_not_offered_as_a_branch(visitor, branch_a, head_office):
    response = visitor.post(URL, form_data(head_office))
    assert response.status_code == 400 and not Lead.objects.exists()


def test_it_limits_one_phone_number(visitor, branch_a, sales_a):
    allowed = int(CONTACT_RATE_PER_PHONE.split("/")[0])
    for i in range(allowed):
        assert visitor.post(URL, form_data(branch_a, name=f"Try {i}")).status_code == 302
    response = visitor.post(URL, form_data(branch_a, name="One too many"))
    assert response.status_code == 429 and response["Retry-After"]
    assert Lead.objects.count() == 1  # the same person asking again is the same lead (below)


def test_the_same_person_asking_again_is_added_to_their_open_lead(visitor, branch_a, sales_a):
    visitor.post(URL, form_data(branch_a))
    response = visitor.post(URL, form_data(branch_a, phone="+62 857-4444-5555", model_of_interest="Rush",
                                           message="Atau Rush saja"))
    assert response.status_code == 302
    lead = Lead.objects.get()
    again = lead.events.order_by("-occurred_at", "-id").first()
    assert again.summary == "Sent the contact form again: interested in Rush. Atau Rush saja"
    assert Notification.objects.filter(recipient=sales_a, verb="sales.lead_asked_again", target_id=lead.pk).exists()


def test_the_same_email_in_another_branch_or_a_closed_lead_makes_a_new_lead(visitor, branch_a, branch_b, sales_a):
    visitor.post(URL, form_data(branch_a, email="wulan@contoh.id"))
    visitor.post(URL, form_data(branch_b, phone="0857 1111 2222", email="Wulan@Contoh.id"))
    assert Lead.objects.count() == 2  # another showroom: its own lead there
    Lead.objects.filter(branch=branch_a).update(status=Lead.Status.DISQUALIFIED, disqualify_reason="no budget")
    visitor.post(URL, form_data(branch_a, phone="0857 3333 2222", email="wulan@contoh.id"))
    assert Lead.objects.filter(branch=branch_a).count() == 2


def test_a_customer_of_the_branch_gets_the_lead_on_their_timeline(visitor, branch_a, sales_a, customer_a):
    visitor.post(URL, form_data(branch_a, name="Pak Budi", phone="0812-3456-7890"))
    lead = Lead.objects.get()
    assert lead.customer == customer_a
    entry = customer_a.interactions.get(source_id=lead.pk, kind=Interaction.Kind.WEB_FORM)
    assert entry.summary == "Lead created (Website form): interested in Veloz."


def test_a_web_lead_reaches_the_customer_timeline_on_conversion(visitor, branch_a, sales_a):
    from sales import services

    visitor.post(URL, form_data(branch_a))
    lead = Lead.objects.get()
    services.lead_status_set(lead=lead, status="qualified", by=sales_a)
    opp = services.lead_convert(lead=lead, by=sales_a)
    first = opp.customer.interactions.filter(source_id=lead.pk).order_by("occurred_at", "id").first()
    assert first.summary == "Lead created (Website form): interested in Veloz."
    assert first.kind == Interaction.Kind.NOTE


@pytest.mark.django_db(transaction=True)
def test_two_identical_submissions_at_the_same_moment_make_one_lead(branch_a, sales_a):
    import threading

    from django.db import connection
    from django.utils import translation

    from sales import services

    barrier, errors = threading.Barrier(4), []

    def submit():
        try:
            barrier.wait(timeout=30)
            with translation.override("en"):  # a thread starts in the default language (id)
                services.lead_from_web(branch=branch_a, name="Wulan Sari", phone="+6285744445555",
                                       email="wulan@contoh.id", model_of_interest="Veloz")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    lead = Lead.objects.get()  # one lead; the other three asked again on it
    assert lead.events.filter(summary__startswith="Sent the contact form again").count() == 3
