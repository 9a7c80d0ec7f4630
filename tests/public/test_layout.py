"""The public layout (templates/public/base.html, crm.public.public_render) and /p/'s URLs."""

import pytest
from django.urls import reverse

from tests.factories import BranchFactory

pytestmark = pytest.mark.django_db


def test_the_public_layout_has_the_company_and_the_branches_and_no_staff_navigation(client, campaign, branch_b,
                                                                                    head_office):
    branch_b.address = "Jl. Raya Darmo 1\nSurabaya"
    branch_b.save()
    response = client.get(reverse("marketing_public:sms_optout", args=[campaign.optout_code]))
    html = response.content.decode()
    assert '<span class="h5 mb-0 fw-semibold" id="public-company">Dealer Contoh</span>' in html
    for branch in (campaign.customer.branch, branch_b, head_office):
        assert branch.name in html and branch.city in html
    assert "Jl. Raya Darmo 1<br>Surabaya" in html
    # Head office first, then the branches by name.
    assert html.index("Kantor Pusat") < html.index("Cabang Bandung") < html.index("Cabang Surabaya")
    # Nothing of the staff site: no menu, no search, no staff link, no script at all.
    for staff_only in ('id="mainnav"', "/customers/", "/admin/", "<script"):
        assert staff_only not in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]


def test_the_opt_out_page_costs_the_same_queries_with_more_branches(client, campaign, django_assert_num_queries):
    url = reverse("marketing_public:sms_optout", args=[campaign.optout_code])
    # 1. the message with its customer (by its code); 2. the branches for the footer.
    with django_assert_num_queries(2):
        client.get(url)
    for i in range(8):
        BranchFactory(code=f"extra{i}", name=f"Cabang Tambahan {i}")
    with django_assert_num_queries(2):
        assert "Cabang Tambahan 7" in client.get(url).content.decode()


def test_public_pages_come_from_each_apps_public_urls():
    import crm.public_urls

    # Every installed app with a public_urls module, crm itself never (it names no app).
    from django.apps import apps
    from django.utils.module_loading import module_has_submodule

    with_public = {f"{c.name}.public_urls" for c in apps.get_app_configs()
                   if c.name != "crm" and module_has_submodule(c.module, "public_urls")}
    included = [p.urlconf_name.__name__ for p in crm.public_urls.urlpatterns]
    assert sorted(included) == sorted(with_public) and "marketing.public_urls" in included
    assert reverse("marketing_public:sms_optout", args=["AAAAAAAAAAAA"]) == "/p/s/AAAAAAAAAAAA"
