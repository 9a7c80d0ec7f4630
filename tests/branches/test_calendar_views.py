"""The branch calendar page and its forms: who may see and change which branch, field errors,
and what is saved. Pages are read and filled in the way a browser does (tests/crm/pages.py)."""

import datetime as dt
import functools
import html as htmllib
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from accounts.models import Department
from branches import services
from branches.models import Closure, OpeningHours
from tests.branches.factories import ClosureFactory
from tests.branches.pages import field_error, flash_messages, form_posting_to
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def calendar_url(branch):
    return reverse("branches:calendar", args=[branch.public_id])


def hours_url(branch):
    return reverse("branches:hours_edit", args=[branch.public_id])


def closure_url(branch):
    return reverse("branches:closure_create", args=[branch.public_id])


def delete_url(closure):
    return reverse("branches:closure_delete", args=[closure.branch.public_id, closure.public_id])


def week(branch):
    return list(OpeningHours.objects.filter(branch=branch).order_by("weekday", "opens")
                .values_list("weekday", "opens", "closes"))


@pytest.fixture
def no_role(branch_a):
    """Staff with no department yet: no role group, no permission."""
    return UserFactory(email="new.a@relasi.test", branch=branch_a, department="")


@pytest.fixture
def manager_b(branch_b):
    return UserFactory(email="manager.b@relasi.test", branch=branch_b, department=Department.BRANCH_MANAGEMENT)


@pytest.fixture
def closure_a(branch_a):
    today = timezone.localdate()
    return ClosureFactory(branch=branch_a, starts_on=today + dt.timedelta(days=20),
                          ends_on=today + dt.timedelta(days=22), reason="Renovasi ruang servis")


# --- The page ------------------------------------------------------------------------------


def test_it_shows_the_default_hours_holidays_and_closures_to_a_branch_manager(client, manager_a, branch_a,
                                                                              closure_a):
    client.force_login(manager_a)
    response = client.get(calendar_url(branch_a))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="default-hours-note"' in html and "Monday to Friday 08:00–12:00 and 13:00–17:00" in html
    assert "Renovasi ruang servis" in html
    page = response.context["page"]
    assert len(page.next_days) == 7 and len(page.holidays) == 8
    assert page.holidays[0].date >= timezone.localdate()
    assert [h.date for h in page.holidays] == sorted(h.date for h in page.holidays)
    holidays_table = htmllib.unescape(html.split('id="holidays"')[1].split("</table>")[0])
    assert all(h.name in holidays_table for h in page.holidays)
    # The manager may change it: both forms and the closure's remove button are there.
    form_posting_to(response, hours_url(branch_a))
    form_posting_to(response, closure_url(branch_a))
    form_posting_to(response, delete_url(closure_a))


def test_it_shows_the_calendar_read_only_to_other_departments(client, sales_a, branch_a, closure_a):
    client.force_login(sales_a)
    response = client.get(calendar_url(branch_a))
    html = response.content.decode()
    assert response.status_code == 200 and "Renovasi ruang servis" in html
    assert hours_url(branch_a) not in html and closure_url(branch_a) not in html and delete_url(closure_a) not in html


def test_it_shows_a_closed_day_with_its_reason_in_the_next_seven_days(client, manager_a, branch_a):
    today = timezone.localdate()
    ClosureFactory(branch=branch_a, starts_on=today, ends_on=today + dt.timedelta(days=1), reason="Banjir")
    client.force_login(manager_a)
    page = client.get(calendar_url(branch_a)).context["page"]
    assert [(d.ranges, d.note) for d in page.next_days[:2]] == [((), "Banjir"), ((), "Banjir")]
    assert page.open_until is None and page.next_opening.date() >= today + dt.timedelta(days=2)


def test_it_answers_404_for_another_branchs_calendar(client, manager_b, staff_b, branch_a, closure_a):
    for user in (manager_b, staff_b):
        client.force_login(user)
        assert client.get(calendar_url(branch_a)).status_code == 404
        assert client.post(hours_url(branch_a), {"use_default": "1"}).status_code == 404
        assert client.post(closure_url(branch_a), {}).status_code == 404
        assert client.post(delete_url(closure_a)).status_code == 404
    assert Closure.objects.filter(pk=closure_a.pk).exists()


def test_it_answers_404_for_a_closure_named_under_another_branch(client, manager_a, branch_a, branch_b):
    closure_b = ClosureFactory(branch=branch_b)
    client.force_login(manager_a)
    url = reverse("branches:closure_delete", args=[branch_a.public_id, closure_b.public_id])
    assert client.post(url).status_code == 404
    assert Closure.objects.filter(pk=closure_b.pk).exists()


def test_head_office_sees_and_changes_every_branch(client, head_office_user, branch_a, branch_b):
    client.force_login(head_office_user)
    for branch in (branch_a, branch_b):
        assert client.get(calendar_url(branch)).status_code == 200
    response = client.post(closure_url(branch_b), {"starts_on": "2027-01-04", "ends_on": "2027-01-05",
                                                   "reason": "Audit stok"})
    assert response.status_code == 302
    assert Closure.objects.get(branch=branch_b).reason == "Audit stok"


def test_it_sends_anonymous_visitors_to_log_in(client, branch_a, closure_a):
    for url in (calendar_url(branch_a), reverse("branches:branch_list")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next={url}"
    for url in (hours_url(branch_a), closure_url(branch_a), delete_url(closure_a)):
        response = client.post(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_it_refuses_staff_without_a_role(client, no_role, branch_a):
    client.force_login(no_role)
    assert client.get(calendar_url(branch_a)).status_code == 403
    assert client.get(reverse("branches:branch_list")).status_code == 403


def test_it_refuses_changes_by_departments_that_may_only_read(client, sales_a, branch_a, closure_a):
    client.force_login(sales_a)
    data = {"hours-TOTAL_FORMS": "1", "hours-INITIAL_FORMS": "0", "hours-0-weekday": "0",
            "hours-0-opens": "09:00", "hours-0-closes": "10:00"}
    assert client.post(hours_url(branch_a), data).status_code == 403
    assert client.post(hours_url(branch_a), {"use_default": "1"}).status_code == 403
    assert client.post(closure_url(branch_a), {"starts_on": "2027-01-04", "ends_on": "2027-01-05",
                                               "reason": "x"}).status_code == 403
    assert client.post(delete_url(closure_a)).status_code == 403
    assert week(branch_a) == [] and Closure.objects.filter(branch=branch_a).count() == 1


def test_the_forms_take_post_only(client, manager_a, branch_a, closure_a):
    client.force_login(manager_a)
    for url in (hours_url(branch_a), closure_url(branch_a), delete_url(closure_a)):
        assert client.get(url).status_code == 405
    for url in (calendar_url(branch_a), reverse("branches:branch_list")):
        assert client.post(url).status_code == 405


def test_the_branch_list_shows_each_user_the_branches_they_may_see(client, manager_a, head_office_user,
                                                                    branch_a, branch_b):
    client.force_login(manager_a)
    assert [b.pk for b in client.get(reverse("branches:branch_list")).context["branches"]] == [branch_a.pk]
    client.force_login(head_office_user)
    listed = [b.pk for b in client.get(reverse("branches:branch_list")).context["branches"]]
    assert listed == [head_office_user.branch_id, branch_a.pk, branch_b.pk]  # head office first, then by name


# --- Opening hours -------------------------------------------------------------------------


def test_a_manager_saves_the_week_as_filled_in_on_the_page(client, manager_a, branch_a):
    client.force_login(manager_a)
    page = client.get(calendar_url(branch_a))
    form = form_posting_to(page, hours_url(branch_a))
    # The page starts from the default week: 11 ranges (Mon–Fri two, Saturday one) and 3 blank rows.
    assert form.fields["hours-TOTAL_FORMS"] == ["14"] and form.fields["hours-INITIAL_FORMS"] == ["11"]
    assert form.fields["hours-10-weekday"] == ["5"] and form.fields["hours-10-closes"] == ["12:00"]
    # Friday's afternoon starts later (Friday prayers), Saturday goes, Sunday morning opens.
    form.fill(**{"hours-9-opens": "13:30", "hours-10-DELETE": True,
                 "hours-11-weekday": "6", "hours-11-opens": "09:00", "hours-11-closes": "12:00"})
    response = form.submit(client, url=calendar_url(branch_a), follow=True)
    assert response.redirect_chain == [(calendar_url(branch_a), 302)]
    assert flash_messages(response) == ["Opening hours of Cabang Bandung saved."]
    saved = week(branch_a)
    assert len(saved) == 11
    assert (4, dt.time(13, 30), dt.time(17)) in saved and (6, dt.time(9), dt.time(12)) in saved
    assert not [r for r in saved if r[0] == 5]
    assert 'id="default-hours-note"' not in response.content.decode()


def test_it_shows_overlapping_ranges_at_the_field(client, manager_a, branch_a):
    client.force_login(manager_a)
    form = form_posting_to(client.get(calendar_url(branch_a)), hours_url(branch_a))
    form.fill(**{"hours-11-weekday": "0", "hours-11-opens": "11:00", "hours-11-closes": "14:00"})
    response = form.submit(client, url=calendar_url(branch_a))
    assert response.status_code == 400
    assert field_error(response, "hours-11-opens") == "Overlaps 08:00–12:00 on the same day."
    assert week(branch_a) == []


def test_it_shows_a_range_that_closes_before_it_opens_at_the_field(client, manager_a, branch_a):
    client.force_login(manager_a)
    form = form_posting_to(client.get(calendar_url(branch_a)), hours_url(branch_a))
    form.fill(**{"hours-0-closes": "07:00", "hours-1-opens": "", "hours-12-weekday": "6",
                 "hours-12-opens": "25:00", "hours-12-closes": "10:00"})
    response = form.submit(client, url=calendar_url(branch_a))
    assert response.status_code == 400
    assert field_error(response, "hours-0-closes") == "Closes at or before it opens: enter a time after 08:00."
    assert field_error(response, "hours-1-opens") == "This field is required."
    assert field_error(response, "hours-12-opens") == "Enter a valid time."
    assert 'class="form-control form-control-sm is-invalid"' in response.content.decode()
    assert week(branch_a) == []


def test_it_refuses_a_week_with_no_hours(client, manager_a, branch_a):
    client.force_login(manager_a)
    form = form_posting_to(client.get(calendar_url(branch_a)), hours_url(branch_a))
    form.fill(**{f"hours-{i}-DELETE": True for i in range(11)})
    response = form.submit(client, url=calendar_url(branch_a))
    assert response.status_code == 400
    assert "Enter at least one opening range" in response.content.decode()


def test_a_tampered_post_is_a_clear_400_not_a_500(client, manager_a, branch_a):
    client.force_login(manager_a)
    for data in ({}, {"hours-TOTAL_FORMS": "x"}, {"hours-TOTAL_FORMS": "99999", "hours-INITIAL_FORMS": "0"},
                 {"hours-TOTAL_FORMS": "1", "hours-INITIAL_FORMS": "0", "hours-0-weekday": "9",
                  "hours-0-opens": "08:00", "hours-0-closes": "09:00"}):
        assert client.post(hours_url(branch_a), data).status_code == 400, data
    assert week(branch_a) == []


def test_a_manager_goes_back_to_the_default_hours(client, manager_a, branch_a):
    services.opening_hours_replace(branch=branch_a, ranges=[(0, dt.time(9), dt.time(10))])
    client.force_login(manager_a)
    page = client.get(calendar_url(branch_a))
    assert 'name="use_default"' in page.content.decode()
    response = client.post(hours_url(branch_a), {"use_default": "1"}, follow=True)
    assert flash_messages(response) == ["Cabang Bandung now opens on the default hours."]
    assert week(branch_a) == [] and 'id="default-hours-note"' in response.content.decode()


# --- Closures ------------------------------------------------------------------------------


def test_a_manager_adds_a_closure(client, manager_a, branch_a):
    client.force_login(manager_a)
    form = form_posting_to(client.get(calendar_url(branch_a)), closure_url(branch_a))
    form.fill(starts_on="2027-03-08", ends_on="2027-03-16", reason="  Libur Lebaran bengkel  ")
    response = form.submit(client, url=calendar_url(branch_a), follow=True)
    assert response.redirect_chain == [(calendar_url(branch_a), 302)]
    closure = Closure.objects.get(branch=branch_a)
    assert (closure.starts_on, closure.ends_on, closure.reason) == (
        dt.date(2027, 3, 8), dt.date(2027, 3, 16), "Libur Lebaran bengkel")
    assert "Libur Lebaran bengkel" in response.content.decode()


@pytest.mark.parametrize("data, field, message", [
    ({"starts_on": "2027-03-08", "ends_on": "2027-03-01", "reason": "x"}, "ends_on",
     "The last day closed is before the first day."),
    ({"starts_on": "2027-03-08", "ends_on": "2027-03-09", "reason": "   "}, "reason", "This field is required."),
    ({"starts_on": "8 Maret", "ends_on": "2027-03-09", "reason": "x"}, "starts_on", "Enter a valid date."),
    ({"starts_on": "2027-01-05", "ends_on": "2027-01-06", "reason": "x"}, "starts_on",
     "Overlaps the closure “Audit stok” ({first} – {last})."),
])
def test_it_shows_closure_errors_at_the_field(client, manager_a, branch_a, data, field, message):
    services.closure_create(branch=branch_a, starts_on=dt.date(2027, 1, 4), ends_on=dt.date(2027, 1, 5),
                            reason="Audit stok")
    client.force_login(manager_a)
    response = client.post(closure_url(branch_a), data)
    assert response.status_code == 400
    short = functools.partial(formats.date_format, format="SHORT_DATE_FORMAT")
    assert field_error(response, field) == message.format(first=short(dt.date(2027, 1, 4)),
                                                          last=short(dt.date(2027, 1, 5)))
    assert Closure.objects.filter(branch=branch_a).count() == 1


def test_a_manager_removes_a_closure(client, manager_a, branch_a, closure_a):
    client.force_login(manager_a)
    form = form_posting_to(client.get(calendar_url(branch_a)), delete_url(closure_a))
    response = form.submit(client, url=calendar_url(branch_a), follow=True)
    assert response.redirect_chain == [(calendar_url(branch_a), 302)]
    assert not Closure.objects.filter(pk=closure_a.pk).exists()
    assert "Renovasi ruang servis" in flash_messages(response)[0]


# --- Query counts --------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 12])
def test_the_calendar_page_takes_a_fixed_number_of_queries(client, manager_a, branch_a, rows,
                                                           django_assert_num_queries):
    today = timezone.now().astimezone(ZoneInfo(branch_a.time_zone)).date()
    services.opening_hours_replace(branch=branch_a, ranges=[
        (day, dt.time(7 + k), dt.time(8 + k)) for day in range(7) for k in range(rows)])
    for i in range(rows):
        ClosureFactory(branch=branch_a, starts_on=today + dt.timedelta(days=10 * i + 3),
                       ends_on=today + dt.timedelta(days=10 * i + 4), reason=f"Tutup {i}")
    client.force_login(manager_a)
    # 1 session, 2 the user with its branch, 3-4 the user's and its role's permissions,
    # 5 the branch, 6 its opening hours, 7 its closures from today on.
    with django_assert_num_queries(7):
        response = client.get(calendar_url(branch_a))
    assert response.status_code == 200
    assert len(response.context["page"].closures) == rows
