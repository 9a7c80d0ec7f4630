"""Staff pages of a branch: its business calendar and its activity report.

Every department may read a calendar (its own branch; head office every branch). Editing
needs the Branch Management or Head Office role; another branch's pages are a 404 whatever
the role, so the branch is loaded (and scoped) before the edit permission is checked.
"""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.access import get_for_user_or_404, staff_view
from accounts.templatetags.relasi_time import zone_abbreviation
from crm.charts import chart_csv_response

from . import selectors, services
from .forms import ClosureForm, hours_formset
from .models import Closure

VIEW = "branches.view_openinghours"
CHANGE_HOURS = "branches.change_openinghours"
ADD_CLOSURE = "branches.add_closure"
DELETE_CLOSURE = "branches.delete_closure"


@require_GET
@staff_view(VIEW)
def branch_list(request):
    return render(request, "branches/branch_list.html", {"branches": selectors.branches_list(request.user)})


def _calendar_context(request, branch, *, formset=None, closure_form=None) -> dict:
    page = selectors.calendar_page(branch)
    user = request.user
    return {
        "branch": branch,
        "zone_name": zone_abbreviation(ZoneInfo(branch.time_zone)),
        "page": page,
        "can_change_hours": user.has_perm(CHANGE_HOURS),
        "can_add_closure": user.has_perm(ADD_CLOSURE),
        "can_delete_closure": user.has_perm(DELETE_CLOSURE),
        "formset": formset or hours_formset(page.calendar),
        "closure_form": closure_form or ClosureForm(),
    }


def _render_calendar(request, branch, status=200, **forms):
    return render(request, "branches/branch_calendar.html", _calendar_context(request, branch, **forms), status=status)


@require_GET
@staff_view(VIEW)
def calendar(request, branch_id):
    branch = selectors.branch_get_for_user(request.user, branch_id)
    return _render_calendar(request, branch)


@require_POST
@staff_view(VIEW)
def hours_edit(request, branch_id):
    branch = selectors.branch_get_for_user(request.user, branch_id, perm=CHANGE_HOURS)
    if "use_default" in request.POST:
        services.opening_hours_reset(branch=branch, by=request.user)
        messages.success(request, _("%(branch)s now opens on the default hours.") % {"branch": branch.name})
        return redirect("branches:calendar", branch.public_id)
    formset = hours_formset(data=request.POST)
    if formset.is_valid():
        try:
            services.opening_hours_replace(branch=branch, ranges=formset.ranges(), by=request.user)
        except ValidationError as error:  # the service's own checks; the formset's should have caught them
            formset.non_form_errors().extend(error.messages)
        else:
            messages.success(request, _("Opening hours of %(branch)s saved.") % {"branch": branch.name})
            return redirect("branches:calendar", branch.public_id)
    return _render_calendar(request, branch, status=400, formset=formset)


@require_POST
@staff_view(VIEW)
def closure_create(request, branch_id):
    branch = selectors.branch_get_for_user(request.user, branch_id, perm=ADD_CLOSURE)
    form = ClosureForm(request.POST)
    if form.is_valid():
        try:
            closure = services.closure_create(branch=branch, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)  # an error dict: each message at its field
        else:
            messages.success(request, _("Closure added: %(closure)s.") % {"closure": closure})
            return redirect(closure)
    return _render_calendar(request, branch, status=400, closure_form=form)


@require_POST
@staff_view(VIEW)
def closure_delete(request, branch_id, closure_id):
    branch = selectors.branch_get_for_user(request.user, branch_id)
    closure = get_for_user_or_404(Closure.objects.filter(branch=branch).select_related("branch"), request.user,
                                  write_perm=DELETE_CLOSURE, public_id=closure_id)
    services.closure_delete(closure=closure, by=request.user)
    messages.success(request, _("Closure removed: %(closure)s.") % {"closure": closure})
    return redirect(closure)


@require_GET
@staff_view("crm.view_interaction")
def report(request, branch_id):
    branch = selectors.branch_get_for_user(request.user, branch_id)
    chart = selectors.branch_activity_chart(branch)
    return render(request, "branches/branch_report.html", {"branch": branch, "chart": chart})


@require_GET
@staff_view("crm.view_interaction")
def report_csv(request, branch_id):
    branch = selectors.branch_get_for_user(request.user, branch_id)
    chart = selectors.branch_activity_chart(branch)
    return chart_csv_response(chart, f"{branch.code}-activity-{chart.labels[-1]:%Y-%m-%d}")
