"""The segment pages: list, editor with its live count (htmx), upload of a list (issue 12)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Department
from crm.models import Customer
from marketing.models import Segment
from tests.factories import CustomerFactory, SegmentFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def marketing_a(branch_a):
    return UserFactory(email="marketing.a@relasi.test", branch=branch_a, department=Department.MARKETING)


@pytest.fixture
def people(branch_a, branch_b):
    made = [CustomerFactory(branch=branch_a, city="Bandung") for _ in range(12)]
    made += [CustomerFactory(branch=branch_a, city="Garut") for _ in range(3)]
    made += [CustomerFactory(branch=branch_b, city="Bandung") for _ in range(4)]
    return made


def _post(prefix_rows, **extra):
    data = {"name": "Bandung", **extra}
    for (gi, ri), (key, value) in prefix_rows.items():
        data[f"c-{gi}-{ri}-key"] = key
        data[f"c-{gi}-{ri}-value"] = value
    return data


def test_it_lists_only_the_branchs_segments(client, marketing_a, branch_a, branch_b):
    SegmentFactory(branch=branch_a, name="Milik A")
    SegmentFactory(branch=branch_b, name="Milik B")
    SegmentFactory(branch=None, name="Pusat")
    client.force_login(marketing_a)
    response = client.get(reverse("marketing:segment_list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Milik A" in body and "Milik B" not in body and "Pusat" not in body


def test_the_pages_need_a_login_and_the_permission(client, readonly_a, branch_a):
    segment = SegmentFactory(branch=branch_a)
    for url in (reverse("marketing:segment_list"), reverse("marketing:segment_create"), segment.get_absolute_url()):
        assert client.get(url).status_code == 302  # to log in
    client.force_login(readonly_a)  # quality control neither builds nor reads segments
    assert client.get(reverse("marketing:segment_list")).status_code == 403
    assert client.get(segment.get_absolute_url()).status_code == 403
    assert client.get(reverse("marketing:segment_preview")).status_code == 403


def test_another_branchs_segment_is_a_404(client, marketing_a, branch_b):
    client.force_login(marketing_a)
    assert client.get(SegmentFactory(branch=branch_b).get_absolute_url()).status_code == 404


def test_the_htmx_endpoints_take_only_their_method(client, marketing_a):
    client.force_login(marketing_a)
    assert client.post(reverse("marketing:segment_preview")).status_code == 405  # a read: GET
    assert client.get(reverse("marketing:segment_builder")).status_code == 405


def test_the_live_count_is_the_branchs(client, marketing_a, people, django_assert_num_queries):
    client.force_login(marketing_a)
    data = _post({(0, 0): ("city", "bandung")})
    # session, user, the user's permissions (2), then in a savepoint with a statement timeout
    # (SAVEPOINT, set_config, RELEASE): the count, and, fewer than SAMPLE_FAST_MIN found, the
    # sample of 10 (with branches) in a savepoint of its own with a short timeout (SAVEPOINT,
    # set_config, the sample, RELEASE)
    with django_assert_num_queries(12):
        response = client.get(reverse("marketing:segment_preview"), data, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "12 customers" in body  # branch B's four Bandung customers are not this branch's
    assert body.count("<li>") == 10


def test_the_live_count_says_what_is_wrong(client, marketing_a, people):
    client.force_login(marketing_a)
    response = client.get(reverse("marketing:segment_preview"), _post({(0, 0): ("age_min", "500")}))
    assert "less than or equal to 120" in response.content.decode()


def test_the_builder_adds_a_group_and_shows_the_criterions_widget(client, marketing_a, people):
    client.force_login(marketing_a)
    data = _post({(0, 0): ("consent", "")}, action="add-group")
    response = client.post(reverse("marketing:segment_builder"), data)
    body = response.content.decode()
    assert 'name="c-0-0-value"' in body and "<select" in body  # consent: a choice of channels
    assert 'name="c-1-0-key"' in body  # the new group
    assert 'hx-swap-oob="true"' in body  # and the count comes along


def test_it_saves_a_segment_and_shows_errors_at_the_row(client, marketing_a, people, branch_a):
    client.force_login(marketing_a)
    bad = client.post(reverse("marketing:segment_create"),
                      _post({(0, 0): ("city", "Bandung"), (0, 1): ("warranty_ending", "0")}, action="save"))
    assert bad.status_code == 200
    assert "greater than or equal to 1" in bad.content.decode()
    assert not Segment.objects.exists()
    good = client.post(reverse("marketing:segment_create"),
                       _post({(0, 0): ("city", "Bandung"), (1, 0): ("city", "Garut")}, action="save"))
    segment = Segment.objects.get()
    assert good.status_code == 302 and good.url == segment.get_absolute_url()
    assert segment.branch == branch_a
    assert segment.definition == {"groups": [[{"key": "city", "value": "Bandung"}], [{"key": "city", "value": "Garut"}]]}
    page = client.get(segment.get_absolute_url())
    assert "15 customers" in page.content.decode()


def test_it_uploads_a_list_shows_the_preview_then_saves(client, marketing_a, people, branch_a):
    client.force_login(marketing_a)
    lines = [people[0].phone.replace("+62", "0"), people[1].email, "junk!", "081299999999", people[-1].phone]
    upload = SimpleUploadedFile("list.csv", "\n".join(lines).encode(), content_type="text/csv")
    response = client.post(reverse("marketing:segment_upload"), {"name": "Daftar pameran", "file": upload})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="report-customers">2<' in body and 'id="report-junk">1<' in body and 'id="report-unmatched">2<' in body
    assert "Line 3" in body
    assert not Segment.objects.exists()  # nothing saved before it is confirmed
    token = response.context["token"]
    saved = client.post(reverse("marketing:segment_upload"), {"token": token})
    segment = Segment.objects.get()
    assert saved.url == segment.get_absolute_url()
    assert set(segment.members.values_list("customer_id", flat=True)) == {people[0].pk, people[1].pk}
    assert client.post(reverse("marketing:segment_upload"), {"token": token}).status_code == 302  # used up
    assert Segment.objects.count() == 1
    page = client.get(segment.get_absolute_url())
    assert page.status_code == 200 and "2 customers" in page.content.decode()


def test_a_static_segment_cannot_be_posted_to(client, marketing_a, branch_a):
    segment = SegmentFactory(branch=branch_a, kind=Segment.Kind.STATIC, definition={})
    client.force_login(marketing_a)
    assert client.post(segment.get_absolute_url(), {}).status_code == 403
    assert Customer.objects.count() == 0


def test_the_live_count_of_another_branchs_segment_is_a_404(client, marketing_a, branch_b):
    client.force_login(marketing_a)
    other = SegmentFactory(branch=branch_b)
    url = reverse("marketing:segment_preview")
    assert client.get(url, {"segment": str(other.public_id), "c-0-0-key": "city", "c-0-0-value": "x"}).status_code \
        == 404
    assert client.get(url, {"segment": "not-a-uuid"}).status_code == 404  # not a 500
