"""The lead search's two plans give the same rows; the card move costs a fixed number of
queries; the benchmark's card-move case goes through the real view with its CSRF token."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.urls import reverse

from crm.benchmarks.measure import run_case
from crm.benchmarks.pages import InProcessClient
from sales import bench, selectors
from sales.models import Lead, Opportunity

from .factories import LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db


def plain_search(query):
    return list(Lead.objects.filter(Q(name__icontains=query) | Q(company__icontains=query))
                .order_by("-id").values_list("pk", flat=True))


@pytest.fixture
def leads(branch_a, sales_a):
    names = ["Agus Wirawan", "agustina Dewi", "Rudi Hartono", "Sri Agusningsih", "Maya 50% Sari", "Eko_Prasetyo"]
    made = [LeadFactory(branch=branch_a, owner=sales_a, name=name) for name in names]
    Lead.objects.filter(pk=made[2].pk).update(company="PT Agus Motor")
    return made


@pytest.mark.parametrize("candidates", [1000, 2])
@pytest.mark.parametrize("query", ["agus", "AGUS", "Dewi", "50%", "_", "Zzyzx", "gus w"])
def test_both_plans_find_what_icontains_finds(leads, monkeypatch, candidates, query):
    """Up to the limit the matches are read by id; beyond it (2 here) the list is walked
    through the list's order: the same leads either way, % and _ taken literally."""
    monkeypatch.setattr(selectors, "LEAD_SEARCH_CANDIDATES", candidates)
    found = list(selectors.lead_list(selectors.lead_search(Lead.objects.all(), query)).values_list("pk", flat=True))
    assert found == plain_search(query)


def test_the_search_keeps_the_other_filters_and_the_branch(leads, branch_b, staff_b, monkeypatch):
    LeadFactory(branch=branch_b, owner=staff_b, name="Agus Other Branch")
    Lead.objects.filter(pk=leads[0].pk).update(status=Lead.Status.CONTACTED)
    scope = Lead.objects.visible_to(leads[0].owner).filter(status=Lead.Status.NEW)
    for candidates in (1000, 1):
        monkeypatch.setattr(selectors, "LEAD_SEARCH_CANDIDATES", candidates)
        names = {lead.name for lead in selectors.lead_search(scope, "agus")}
        assert names == {"agustina Dewi", "Rudi Hartono", "Sri Agusningsih"}


@pytest.mark.parametrize("rows", [3, 30])
def test_the_lead_search_costs_the_same_with_more_rows(client, branch_a, sales_a, rows, django_assert_num_queries):
    for i in range(rows):
        LeadFactory(branch=branch_a, owner=sales_a, name=f"Agus {i}")
    client.force_login(sales_a)
    # session, user, perms ×2, the matching ids (trigram indexes, up to 1,001), the page of
    # leads by those ids, the owner filter's options
    with django_assert_num_queries(7):
        page = client.get(reverse("sales:lead_list"), {"q": "agus", "status": "new"})
    assert page.status_code == 200 and len(page.context["page"].items) == min(rows, 50)
    # nothing matches: no page to read
    with django_assert_num_queries(6):
        assert client.get(reverse("sales:lead_list"), {"q": "zzyzx"}).context["page"].items == []


@pytest.mark.parametrize("rows", [1, 10])
def test_a_card_move_costs_the_same(client, branch_a, sales_a, stages, rows, django_assert_num_queries):
    sales_a.first_name = "Rina"
    sales_a.save(update_fields=["first_name"])
    opps = [OpportunityFactory(branch=branch_a, owner=sales_a) for _ in range(rows)]
    client.force_login(sales_a)
    url = reverse("sales:opportunity_move", args=[opps[0].public_id])
    ContentType.objects.get_for_model(Opportunity)  # the timeline entry's source type, cached per process
    # session, user, perms ×2, the opportunity (+branch, owner, customer, stage, lead), the
    # stage (form); savepoint, the opportunity locked, its update, the history row, the
    # timeline entry, release. The card is drawn from what the move returned.
    with django_assert_num_queries(12):
        response = client.post(url, {"stage": stages[1].pk}, HTTP_HX_REQUEST="true")
    card = response.content.decode()
    assert response.status_code == 200 and f'data-stage="{stages[1].pk}"' in card and "Rina" in card
    assert Opportunity.objects.get(pk=opps[0].pk).stage == stages[1]


def test_the_bench_moves_cards_there_and_back_through_the_view(branch_a, stages):
    from tests.factories import UserFactory
    from accounts.models import Department

    manager = UserFactory(email=bench.MANAGER, branch=branch_a, department=Department.BRANCH_MANAGEMENT)
    opps = [OpportunityFactory(branch=branch_a, stage=stages[0]) for _ in range(3)]
    case = bench._card_move_case(runs=6)
    assert case.method == "POST" and len(case.urls) == 6
    result = run_case(InProcessClient(manager, explain=False), case, warmup=2)
    assert result.statuses == {200} and len(result.ms) == 6  # CSRF enforced, token from the board's form
    assert {o.stage_id for o in Opportunity.objects.filter(pk__in=[o.pk for o in opps])} == {stages[0].pk}
    # one row each when made; then two moves of each card, and two more of the first (warm-up)
    assert sum(o.stage_changes.count() for o in opps) == 3 + 6 + 2


def test_the_bench_move_is_refused_without_the_token(client, branch_a, sales_a, stages):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(sales_a)
    opp = OpportunityFactory(branch=branch_a, owner=sales_a)
    response = strict.post(reverse("sales:opportunity_move", args=[opp.public_id]), {"stage": stages[1].pk},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 403
