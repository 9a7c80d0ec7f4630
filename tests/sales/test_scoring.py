"""The lead score: table-driven from what a sales manager reads on a lead; the one-lead
(Python) and the many-leads (one SQL UPDATE) computations agree; kept by the services that
change its inputs; shown on the list and the detail, and the list sorts by it."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.models import Asset
from sales import activity_services, services
from sales.activity_services import (SCORE_BUDGET, SCORE_CONTACT_TIME, SCORE_MODEL, SCORE_OWNS_VEHICLE,
                                     SCORE_RECENT_ACTIVITY, SCORE_SOURCE, SCORE_TEST_DRIVE, lead_score,
                                     leads_score_refresh)
from sales.models import Activity, Lead

from .factories import LeadFactory
from .factories_agenda import ActivityFactory

pytestmark = pytest.mark.django_db

BARE = {"source": "other", "budget": None, "model_of_interest": "", "wants_test_drive": False,
        "preferred_contact_time": "any"}

# (what the lead has, the facts from other tables, the expected score)
CASES = [
    ("nothing but a name", {}, {}, 5),
    ("imported list", {"source": "import"}, {}, 5),
    ("social media", {"source": "social"}, {}, 10),
    ("event", {"source": "event"}, {}, 15),
    ("phone call", {"source": "phone"}, {}, 20),
    ("website form", {"source": "web"}, {}, 20),
    ("referral", {"source": "referral"}, {}, 25),
    ("walk-in", {"source": "walk_in"}, {}, 25),
    ("budget given", {"budget": 250_000_000}, {}, 5 + SCORE_BUDGET),
    ("budget of zero is no budget", {"budget": 0}, {}, 5),
    ("model named", {"model_of_interest": "Fortuner"}, {}, 5 + SCORE_MODEL),
    ("test drive", {"wants_test_drive": True}, {}, 5 + SCORE_TEST_DRIVE),
    ("said when to call", {"preferred_contact_time": "evening"}, {}, 5 + SCORE_CONTACT_TIME),
    ("owns a vehicle", {}, {"vehicle": True}, 5 + SCORE_OWNS_VEHICLE),
    ("contacted this week", {}, {"contact_days_ago": 3}, 5 + SCORE_RECENT_ACTIVITY),
    ("contacted a month ago", {}, {"contact_days_ago": 30}, 5),
    ("a task is not contact", {}, {"task_days_ago": 1}, 5),
    ("everything", {"source": "walk_in", "budget": 400_000_000, "model_of_interest": "Innova Zenix",
                    "wants_test_drive": True, "preferred_contact_time": "morning"},
     {"vehicle": True, "contact_days_ago": 1}, 100),
    ("warm web lead", {"source": "web", "budget": 300_000_000, "model_of_interest": "Rush"}, {}, 55),
]


def test_the_weights_add_up_to_100():
    assert max(SCORE_SOURCE.values()) + SCORE_BUDGET + SCORE_MODEL + SCORE_TEST_DRIVE + SCORE_CONTACT_TIME \
        + SCORE_OWNS_VEHICLE + SCORE_RECENT_ACTIVITY == 100
    assert set(SCORE_SOURCE) == set(Lead.Source.values)


def make_lead(branch, sales, customer, fields, facts) -> Lead:
    lead = LeadFactory(branch=branch, **{**BARE, **fields},
                       customer=customer if facts.get("vehicle") else None)
    if facts.get("vehicle"):
        Asset.objects.create(customer=customer, make="Toyota", model="Avanza")
    for key, kind in (("contact_days_ago", "call"), ("task_days_ago", "task")):
        if key in facts:
            activity = ActivityFactory(branch=branch, assignee=sales, lead=lead, kind=kind)
            Activity.objects.filter(pk=activity.pk).update(
                done_at=timezone.now() - dt.timedelta(days=facts[key]))
    return lead


@pytest.mark.parametrize("name, fields, facts, expected", CASES, ids=[c[0] for c in CASES])
def test_the_score(branch_a, sales_a, customer_a, name, fields, facts, expected):
    lead = make_lead(branch_a, sales_a, customer_a, fields, facts)
    assert lead_score(lead) == expected  # one lead, in Python
    Lead.objects.filter(pk=lead.pk).update(score=0)
    assert leads_score_refresh([lead.pk]) == 1  # many leads, in SQL
    lead.refresh_from_db()
    assert lead.score == expected


def test_a_new_lead_is_scored_when_it_is_saved(branch_a):
    lead = LeadFactory(branch=branch_a, source="referral", budget=300_000_000, model_of_interest="Rush")
    assert Lead.objects.get(pk=lead.pk).score == 25 + SCORE_BUDGET + SCORE_MODEL


def test_an_import_scores_every_row(branch_a):
    rows = [{"source": "import", "name": f"Prospek {i}", "phone": f"+6285700000{i:03d}",
             "budget": 100_000_000 if i % 2 else None} for i in range(20)]
    services.leads_import(rows=rows, branch=branch_a, by=None)
    scores = sorted(Lead.objects.values_list("score", flat=True))
    assert scores == [5] * 10 + [5 + SCORE_BUDGET] * 10


def test_refreshing_many_leads_is_one_statement(branch_a, django_assert_num_queries):
    for i in range(15):
        LeadFactory(branch=branch_a, model_of_interest="Avanza" if i % 3 else "")
    Lead.objects.update(score=0)
    with django_assert_num_queries(1):
        assert leads_score_refresh(Lead.objects.filter(branch=branch_a)) == 15
    assert set(Lead.objects.values_list("score", flat=True)) == {25, 25 + SCORE_MODEL}


def test_contact_points_run_out_after_the_window(branch_a, sales_a):
    lead = LeadFactory(branch=branch_a, owner=sales_a)
    activity = ActivityFactory(branch=branch_a, assignee=sales_a, lead=lead)
    activity_services.activity_complete(activity=activity, by=sales_a)
    lead.refresh_from_db()
    scored = lead.score
    later = timezone.now() + dt.timedelta(days=activity_services.RECENT_ACTIVITY_DAYS, hours=1)
    assert activity_services.leads_score_age(now=later) == 1
    lead.refresh_from_db()
    assert lead.score == scored - SCORE_RECENT_ACTIVITY


def test_the_list_shows_and_sorts_by_score(client, branch_a, sales_a):
    LeadFactory(branch=branch_a, name="Cold Lead", source="import", model_of_interest="")
    LeadFactory(branch=branch_a, name="Hot Lead", source="walk_in", budget=500_000_000, wants_test_drive=True)
    LeadFactory(branch=branch_a, name="Newest Lead", source="social", model_of_interest="")
    client.force_login(sales_a)
    newest_first = client.get(reverse("sales:lead_list")).content.decode()
    assert newest_first.index("Newest Lead") < newest_first.index("Hot Lead") < newest_first.index("Cold Lead")
    by_score = client.get(reverse("sales:lead_list"), {"sort": "score"}).content.decode()
    assert by_score.index("Hot Lead") < by_score.index("Newest Lead") < by_score.index("Cold Lead")
    assert 'class="badge text-bg-success lead-score">70<' in by_score.replace("\n", "")


def test_the_detail_explains_the_score(client, branch_a, sales_a):
    lead = LeadFactory(branch=branch_a, source="web", budget=200_000_000, model_of_interest="")
    client.force_login(sales_a)
    page = client.get(lead.get_absolute_url()).content.decode()
    assert 'id="lead-score">40<' in page
    assert "Source: Website form: 20/25" in page and "Budget given: 20/20" in page
    assert "Model of interest named: 0/15" in page
