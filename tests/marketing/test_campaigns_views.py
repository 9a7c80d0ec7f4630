"""The campaign pages: form, detail with preview and cost, actions, progress poll, statistics,
CSV export; access and pinned query counts (issue 12)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Department
from crm.models import Customer
from marketing import campaigns
from marketing.models import Campaign, CampaignBranch, Message
from tests.factories import CampaignFactory, CustomerFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketing_a(branch_a):
    return UserFactory(email="marketing.a@relasi.test", branch=branch_a, department=Department.MARKETING)


def _customers(branch, n):
    made = [CustomerFactory(branch=branch) for _ in range(n)]
    Customer.objects.filter(pk__in=[c.pk for c in made]).update(sms_consent=True)
    return made


def _sending(author, approver, branch, n=5, **fields):
    _customers(branch, n)
    campaign = campaigns.campaign_save(campaign=Campaign(name="Promo", segment=SegmentFactory(branch=branch),
                                                         body="Halo {{ first_name }}", **fields), by=author)
    campaigns.campaign_submit(campaign=campaign, by=author)
    campaigns.campaign_approve(campaign=campaign, by=approver)
    campaigns.campaign_send_now(campaign=campaign, by=approver)
    campaigns.campaigns_tick()
    campaign.refresh_from_db()
    return campaign


def test_it_creates_a_campaign_from_the_form(client, marketing_a, branch_a):
    segment = SegmentFactory(branch=branch_a)
    client.force_login(marketing_a)
    assert client.get(reverse("marketing:campaign_create")).status_code == 200
    bad = client.post(reverse("marketing:campaign_create"), {
        "name": "Promo", "segment": segment.public_id, "channel": "sms", "body": "Halo {{ nama }}",
        "holdout_percent": 80, "conversion_days": 14})
    assert bad.status_code == 200
    assert bad.context["form"].errors["body"][0].startswith("Unknown placeholder")
    assert "holdout_percent" in bad.context["form"].errors
    good = client.post(reverse("marketing:campaign_create"), {
        "name": "Promo", "segment": segment.public_id, "channel": "sms", "body": "Halo {{ first_name }}",
        "holdout_percent": 10, "conversion_days": 14, "send_at_local": "2099-01-02T09:00"})
    campaign = Campaign.objects.get()
    assert good.status_code == 302 and good.url == campaign.get_absolute_url()
    assert campaigns.wall_clock(campaign.send_at_local).strftime("%Y-%m-%d %H:%M") == "2099-01-02 09:00"
    page = client.get(campaign.get_absolute_url())
    assert page.context["send_at_wall"].strftime("%Y-%m-%d %H:%M") == "2099-01-02 09:00"  # as typed, any zone
    form = client.get(reverse("marketing:campaign_edit", args=[campaign.public_id]))
    assert 'value="2099-01-02T09:00"' in form.content.decode()


def test_a_schedule_in_the_past_is_a_field_error(client, marketing_a, branch_a):
    segment = SegmentFactory(branch=branch_a)
    client.force_login(marketing_a)
    response = client.post(reverse("marketing:campaign_create"), {
        "name": "Promo", "segment": segment.public_id, "channel": "sms", "body": "Halo",
        "holdout_percent": 0, "conversion_days": 14, "send_at_local": "2020-01-02T09:00"})
    assert "already passed" in response.context["form"].errors["send_at_local"][0]


def test_the_form_offers_only_the_branchs_segments(client, marketing_a, branch_b):
    other = SegmentFactory(branch=branch_b)
    client.force_login(marketing_a)
    response = client.post(reverse("marketing:campaign_create"), {
        "name": "Promo", "segment": other.public_id, "channel": "sms", "body": "Halo", "holdout_percent": 0,
        "conversion_days": 14})
    assert "segment" in response.context["form"].errors


def test_the_draft_page_previews_and_estimates(client, marketing_a, branch_a):
    people = _customers(branch_a, 3)
    campaign = campaigns.campaign_save(campaign=Campaign(name="Promo", segment=SegmentFactory(branch=branch_a),
                                                         body="Halo {{ first_name }}"), by=marketing_a)
    client.force_login(marketing_a)
    response = client.get(campaign.get_absolute_url() + f"?customer={people[0].public_id}")
    body = response.content.decode()
    assert response.status_code == 200
    first = people[0].name.split(" ")[0]
    assert f"Halo {first}" in body and 'id="campaign-segment-count">3<' in body
    assert 'id="campaign-cost"' in body


def test_the_approve_button_works_once_and_not_for_the_author(client, marketing_a, manager_a, branch_a):
    campaign = CampaignFactory(branch=branch_a, created_by=marketing_a, status=Campaign.Status.SUBMITTED)
    client.force_login(marketing_a)
    assert client.post(reverse("marketing:campaign_approve", args=[campaign.public_id])).status_code == 403
    client.force_login(manager_a)
    response = client.post(reverse("marketing:campaign_approve", args=[campaign.public_id]), follow=True)
    assert "Campaign approved." in response.content.decode()
    again = client.post(reverse("marketing:campaign_approve", args=[campaign.public_id]), follow=True)
    assert "only a campaign waiting for approval can be approved" in again.content.decode()


def test_the_actions_answer_404_405_and_login(client, marketing_a, staff_b, branch_a):
    campaign = CampaignFactory(branch=branch_a, created_by=marketing_a)
    url = reverse("marketing:campaign_submit", args=[campaign.public_id])
    assert client.post(url).status_code == 302 and Campaign.objects.get().status == "draft"  # to log in
    client.force_login(marketing_a)
    assert client.get(url).status_code == 405
    other = UserFactory(branch=staff_b.branch, department=Department.MARKETING)
    client.force_login(other)
    assert client.post(url).status_code == 404
    assert client.get(campaign.get_absolute_url()).status_code == 404


def test_editing_a_sending_campaign_is_refused_with_a_message(client, marketing_a, manager_a, branch_a):
    campaign = _sending(marketing_a, manager_a, branch_a)
    client.force_login(marketing_a)
    response = client.get(reverse("marketing:campaign_edit", args=[campaign.public_id]), follow=True)
    assert "can no longer be changed" in response.content.decode()


def test_the_progress_poll_reads_counters_in_a_fixed_number_of_queries(client, marketing_a, manager_a, branch_a,
                                                                       django_assert_num_queries):
    small = _sending(marketing_a, manager_a, branch_a, n=3)
    big = _sending(marketing_a, manager_a, branch_a, n=40)
    Message.objects.filter(send__campaign_run__campaign=big).update(status="delivered")
    client.force_login(manager_a)
    # session, user, the user's permissions (2), the campaign, its branch runs with their sends, the counters
    for campaign in (small, big):
        with django_assert_num_queries(7):
            response = client.get(reverse("marketing:campaign_progress", args=[campaign.public_id]))
        assert response.status_code == 200 and not response.has_header("HX-Refresh")
    body = response.content.decode()
    # The second segment (everyone of the branch consenting) has the first campaign's three too.
    assert 'data-percent="100"' in body and 'id="progress-delivered">43<' in body
    assert 'hx-trigger="every 2s"' in body  # still "sending" until the tick finishes it


def test_the_finished_page_shows_stored_statistics_in_fixed_queries(client, marketing_a, manager_a, branch_a,
                                                                     django_assert_num_queries):
    campaign = _sending(marketing_a, manager_a, branch_a, n=12, holdout_percent=20)
    Message.objects.filter(send__campaign_run__campaign=campaign).update(status="delivered",
                                                                        sent_at=timezone.now())
    send = CampaignBranch.objects.get(campaign=campaign).send
    send.status = "done"
    send.save()
    assert campaigns.campaigns_finish() == 1
    client.force_login(manager_a)
    # session, user, permissions (2), campaign, branch runs, counters (the statistics are stored, not recomputed)
    with django_assert_num_queries(7):
        response = client.get(campaign.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="stats-delivered">' in body and "chart-status" in body and "chart-conversions" in body
    assert 'hx-trigger="every 2s"' not in body  # finished: no more polling
    # A page that was polling learns it has finished: htmx reloads it (with the statistics).
    poll = client.get(reverse("marketing:campaign_progress", args=[campaign.public_id]), HTTP_HX_REQUEST="true")
    assert poll["HX-Refresh"] == "true"


def test_the_csv_export_streams_every_recipient(client, marketing_a, manager_a, branch_a, readonly_a):
    campaign = _sending(marketing_a, manager_a, branch_a, n=6)
    client.force_login(manager_a)
    response = client.get(reverse("marketing:campaign_export", args=[campaign.public_id]))
    assert response.status_code == 200 and response.streaming
    lines = b"".join(response.streaming_content).decode().strip().splitlines()
    assert len(lines) == 1 + 6 and lines[0].startswith("customer,name,branch,to,status")
    client.force_login(readonly_a)  # quality control does not read campaigns
    assert client.get(reverse("marketing:campaign_export", args=[campaign.public_id])).status_code == 403


def test_sales_read_a_campaign_but_cannot_change_it(client, sales_a, branch_a):
    campaign = CampaignFactory(branch=branch_a)
    client.force_login(sales_a)
    assert client.get(campaign.get_absolute_url()).status_code == 200
    page = client.get(reverse("marketing:campaign_edit", args=[campaign.public_id]))
    assert page.status_code == 200 and page.context["read_only"]
    assert client.post(reverse("marketing:campaign_edit", args=[campaign.public_id]), {}).status_code == 403
    assert client.post(reverse("marketing:campaign_submit", args=[campaign.public_id])).status_code == 403
    assert Campaign.objects.get().status == Campaign.Status.DRAFT


def test_the_list_shows_the_branchs_campaigns(client, marketing_a, branch_a, branch_b):
    CampaignFactory(branch=branch_a, name="Kampanye A")
    CampaignFactory(branch=branch_b, name="Kampanye B")
    client.force_login(marketing_a)
    body = client.get(reverse("marketing:campaign_list")).content.decode()
    assert "Kampanye A" in body and "Kampanye B" not in body


def test_the_pages_render_for_indonesian_staff(client, branch_a, manager_a):
    author = UserFactory(branch=branch_a, department=Department.MARKETING, language="id")
    campaign = _sending(author, manager_a, branch_a, n=3)
    client.force_login(author)
    for url in (campaign.get_absolute_url(), reverse("marketing:campaign_progress", args=[campaign.public_id]),
                reverse("marketing:campaign_list"), reverse("marketing:segment_list"),
                reverse("marketing:segment_create"), campaign.segment.get_absolute_url(),
                reverse("marketing:campaign_create"), reverse("marketing:segment_upload")):
        response = client.get(url)
        assert response.status_code == 200, url
    assert 'max="3"' in client.get(reverse("marketing:campaign_progress", args=[campaign.public_id])).content.decode()


def test_the_home_card_lists_campaigns_waiting_for_the_managers_approval(client, marketing_a, manager_a, branch_a,
                                                                        branch_b):
    waiting = CampaignFactory(branch=branch_a, created_by=marketing_a, status=Campaign.Status.SUBMITTED,
                              name="Tunggu setuju")
    CampaignFactory(branch=branch_a, created_by=manager_a, status=Campaign.Status.SUBMITTED, name="Milik sendiri")
    CampaignFactory(branch=branch_b, status=Campaign.Status.SUBMITTED, name="Cabang lain")
    CampaignFactory(branch=branch_a, created_by=marketing_a, name="Masih draf")
    assert campaigns.to_approve_card(manager_a) == [waiting]
    client.force_login(manager_a)
    body = client.get(reverse("crm:home")).content.decode()
    assert "Tunggu setuju" in body and "Milik sendiri" not in body and "Cabang lain" not in body
