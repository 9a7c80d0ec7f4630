"""Staff pages of a branch: its business calendar and its activity report.

Every department may read a calendar (its own branch; head office every branch). Editing
needs the Branch Management or Head Office role; another branch's pages are a 404 whatever
the role, so the branch is loaded (and scoped) before the edit permission is checked.
"""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
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


# --- branch sync (issue 16) ------------------------------------------------------------------------
SYNC_VIEW = "branches.view_syncstate"
SYNC_RUN = "branches.change_syncstate"
CONFLICT_REVIEW = "branches.change_conflict"


@require_GET
@staff_view(SYNC_VIEW)
def sync_status(request):
    """Head office: every branch's sync; a branch instance: its own, with "Sync now"."""
    from django.conf import settings

    from .models import Conflict, Refusal

    if settings.RELASI_ROLE == "branch":
        return render(request, "branches/sync_branch.html", {**selectors.sync_local_status(),
                                                             "hq_url": settings.HQ_URL})
    context = {"rows": selectors.sync_overview(),
               "refusals": Refusal.objects.select_related("branch")[:20],
               "open_conflicts": Conflict.objects.filter(resolved_at__isnull=True).count()}
    return render(request, "branches/sync_hq.html", context)


@require_POST
@staff_view(SYNC_RUN)
def sync_now(request):
    from django.conf import settings

    if settings.RELASI_ROLE != "branch":
        raise Http404
    services.sync_now_request()
    return render(request, "branches/partials/sync_progress.html", selectors.sync_local_status())


@require_GET
@staff_view(SYNC_VIEW)
def sync_progress(request):
    from django.conf import settings

    if settings.RELASI_ROLE != "branch":
        raise Http404
    return render(request, "branches/partials/sync_progress.html", selectors.sync_local_status())


@require_GET
@staff_view(CONFLICT_REVIEW)
def conflict_list(request):
    from .models import Conflict

    show = request.GET.get("show", "open")
    conflicts = Conflict.objects.visible_to(request.user).select_related("branch", "resolved_by")
    if show != "all":
        conflicts = conflicts.filter(resolved_at__isnull=True)
    return render(request, "branches/sync_conflicts.html",
                  {"conflicts": selectors.conflicts_described(conflicts[:200]), "show": show})


@require_POST
@staff_view()
def conflict_resolve(request, conflict_id):
    from .models import Conflict

    # Another branch's conflict is a 404 whatever the role; then the permission (403).
    conflict = get_for_user_or_404(Conflict.objects, request.user, write_perm=CONFLICT_REVIEW, public_id=conflict_id)
    action = request.POST.get("action")
    if action not in ("keep", "take_other"):
        messages.error(request, _("Choose to keep the value or to take the other one."))
        return redirect("branches:conflict_list")
    try:
        services.conflict_resolve(conflict=conflict, by=request.user, take_other=action == "take_other")
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, _("Conflict reviewed."))
    return redirect("branches:conflict_list")
