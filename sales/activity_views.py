"""Staff pages of issue 10, part 2: activities and my agenda, each rep's performance, targets.

Each view: access helper, form, one service.
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import customer_get_for_user, get_for_user_or_404, staff_view
from accounts.models import Branch
from crm.forms import form_add_errors
from crm.charts import chart_csv_response

from . import activity_selectors as selectors
from . import activity_services as services
from .activity_forms import ActivityCompleteForm, ActivityForm, PerformanceForm, TargetsForm
from .models import Activity
from .views import lead_get_for_user, opportunity_get_for_user


def activity_get_for_user(user, activity_id, *, write=False) -> Activity:
    return get_for_user_or_404(
        Activity.objects.select_related("branch", "assignee", "customer", "lead", "opportunity", "done_by"), user,
        write_perm="sales.change_activity" if write else None, public_id=activity_id)


# --- my agenda --------------------------------------------------------------------------------------
@require_GET
@staff_view("sales.view_activity")
def agenda(request):
    """My agenda; a manager (who sets the reps' targets) may open a rep's with ``?rep=``."""
    user, rep, reps = request.user, request.user, []
    if user.has_perm("sales.change_salestarget"):
        reps = selectors.agenda_reps(user)
        chosen = request.GET.get("rep", "")
        if chosen:
            rep = next((r for r in reps if str(r.pk) == chosen), None)
            if rep is None:
                raise Http404
    return render(request, "sales/activities/agenda.html", {
        "agenda": selectors.agenda(user, assignee=rep), "rep": rep, "reps": reps})


# --- new activity, from a lead, an opportunity or a customer ------------------------------------------
def _activity_new(request, *, about, back: str, **link):
    """The form for an activity about ``about`` (a lead, an opportunity or a customer)."""
    user = request.user
    staff = services.assignable_staff(about.branch)
    initial = {"kind": Activity.Kind.CALL, "assignee": user.pk if user.branch_id == about.branch_id else None,
               "due_at": timezone.localtime(timezone.now() + dt.timedelta(hours=1)).replace(minute=0, second=0,
                                                                                             microsecond=0)}
    form = ActivityForm(request.POST or None, staff=staff, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(by=user, **form.cleaned_data, **link)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("Activity planned for %(assignee)s.") % {"assignee": activity.assignee})
            return redirect(back)
    return render(request, "sales/activities/activity_form.html", {"form": form, "about": about, "back": back})


@require_http_methods(["GET", "POST"])
@staff_view("sales.add_activity")
def activity_create_for_lead(request, lead_id):
    lead = lead_get_for_user(request.user, lead_id)
    return _activity_new(request, about=lead, back=lead.get_absolute_url(), lead=lead)


@require_http_methods(["GET", "POST"])
@staff_view("sales.add_activity")
def activity_create_for_opportunity(request, opportunity_id):
    opportunity = opportunity_get_for_user(request.user, opportunity_id)
    return _activity_new(request, about=opportunity, back=opportunity.get_absolute_url(), opportunity=opportunity)


@require_http_methods(["GET", "POST"])
@staff_view("sales.add_activity")
def activity_create_for_customer(request, customer_id):
    customer = customer_get_for_user(request.user, customer_id)
    return _activity_new(request, about=customer, back=customer.get_absolute_url(), customer=customer)


# --- one activity -----------------------------------------------------------------------------------
@require_GET
@staff_view("sales.view_activity")
def activity_detail(request, activity_id):
    activity = activity_get_for_user(request.user, activity_id)
    return render(request, "sales/activities/activity_detail.html", {
        "activity": activity, "complete_form": ActivityCompleteForm(),
        "can_change": request.user.has_perm("sales.change_activity")})


@require_http_methods(["GET", "POST"])
@staff_view("sales.change_activity")
def activity_edit(request, activity_id):
    activity = activity_get_for_user(request.user, activity_id, write=True)
    if activity.is_done:
        messages.error(request, _("This activity is done; it can no longer be changed."))
        return redirect(activity)
    form = ActivityForm(request.POST or None, instance=activity, staff=services.assignable_staff(activity.branch))
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(activity=activity, by=request.user,
                                     **{name: form.cleaned_data[name] for name in form.changed_data})
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("Activity saved."))
            return redirect(activity)
    return render(request, "sales/activities/activity_form.html", {
        "form": form, "activity": activity, "back": activity.get_absolute_url()})


@require_POST
@staff_view("sales.change_activity")
def activity_complete(request, activity_id):
    activity = activity_get_for_user(request.user, activity_id, write=True)
    form = ActivityCompleteForm(request.POST)
    if not form.is_valid():
        messages.error(request, next(iter(form.errors.values()))[0])
        return redirect(activity)
    try:
        services.activity_complete(activity=activity, by=request.user, outcome=form.cleaned_data["outcome"])
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("Done: it is on the timeline."))
    return redirect(activity)


# --- performance and targets ------------------------------------------------------------------------
def _performance_scope(request, data):
    """The branch and month asked for: head office picks a branch, everyone else sees their
    own; a bad month is said at the field and this month is shown."""
    user = request.user
    form = PerformanceForm(data or None, user=user)
    month = timezone.localdate().replace(day=1)
    branch = None if user.sees_all_branches else user.branch
    if form.is_bound and form.is_valid():
        month = (form.cleaned_data.get("month") or month).replace(day=1)
        branch = form.cleaned_data.get("branch") or branch
    if branch is None and user.sees_all_branches:
        branch = Branch.objects.filter(is_head_office=False).order_by("name").first()
    if branch is None:
        raise PermissionDenied
    return form, branch, month


def _scope_query(user, branch, month) -> str:
    params = {"month": f"{month:%Y-%m}"}
    if user.sees_all_branches:
        params["branch"] = branch.pk
    return urlencode(params)


@require_GET
@staff_view("sales.view_salestarget")
def performance(request):
    form, branch, month = _performance_scope(request, request.GET)
    rows = selectors.performance(branch, month)
    return render(request, "sales/performance.html", {
        "form": form, "branch": branch, "month": month, "rows": rows,
        "totals": selectors.performance_totals(rows),
        "won_chart": selectors.performance_won_chart(rows, month),
        "leads_chart": selectors.performance_leads_chart(rows, month),
        "querystring": _scope_query(request.user, branch, month)})


@require_GET
@staff_view("sales.view_salestarget")
def performance_csv(request):
    _form, branch, month = _performance_scope(request, request.GET)
    rows = selectors.performance(branch, month)
    chart = {"won": selectors.performance_won_chart, "leads": selectors.performance_leads_chart}.get(
        request.GET.get("chart"), selectors.performance_table)(rows, month)
    return chart_csv_response(chart, f"sales-performance-{branch.code}-{month:%Y-%m}")


@require_http_methods(["GET", "POST"])
@staff_view("sales.change_salestarget")
def targets(request):
    user = request.user
    if not user.has_perm("sales.add_salestarget"):
        raise PermissionDenied
    scope_form, branch, month = _performance_scope(request, request.GET)
    reps = selectors.target_reps(branch)
    form = TargetsForm(request.POST or None, reps=reps, targets=selectors.targets_of(branch, month))
    if request.method == "POST" and form.is_valid():
        try:
            services.sales_targets_set(branch=branch, month=month, targets=form.targets(), by=user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Targets for %(month)s saved.") % {"month": f"{month:%Y-%m}"})
            return redirect(f"{reverse('sales:performance')}?{_scope_query(user, branch, month)}")
    return render(request, "sales/performance_targets.html", {
        "form": form, "scope_form": scope_form, "branch": branch, "month": month,
        "querystring": _scope_query(user, branch, month)})
