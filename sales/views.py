"""Staff pages of the sales department. Each view: access helper, form, one service."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_for_user_or_404, staff_view
from accounts.models import Branch, Department, User
from crm.charts import chart_csv_response
from crm.selectors import page_of, parse_page

from . import activity_selectors, activity_services, imports, selectors, services
from .filters import LeadFilter, OpportunityFilter
from .forms import (AssignmentRuleForm, LeadConvertForm, LeadForm, LeadImportForm, LeadReassignForm, LeadStatusForm,
                    OpportunityForm, OpportunityMoveForm)
from .models import Lead, Opportunity, PipelineTotal, Stage
from .quotations import opportunity_quotations

LEAD_PAGE_SIZE = 50


def lead_get_for_user(user, lead_id, *, write=False) -> Lead:
    return get_for_user_or_404(Lead.objects.select_related("branch", "owner", "customer"), user,
                               write_perm="sales.change_lead" if write else None, public_id=lead_id)


def opportunity_get_for_user(user, opportunity_id, *, write=False) -> Opportunity:
    return get_for_user_or_404(Opportunity.objects.select_related("branch", "owner", "customer", "stage", "lead"),
                               user, write_perm="sales.change_opportunity" if write else None,
                               public_id=opportunity_id)


def _first_error(exc: ValidationError) -> str:
    return exc.messages[0] if exc.messages else _("That did not work.")


# --- leads ----------------------------------------------------------------------------------------
@require_GET
@staff_view("sales.view_lead")
def lead_list(request):
    user = request.user
    query = " ".join(request.GET.get("q", "").split())[:100]
    filterset = LeadFilter(request.GET or None, queryset=selectors.leads_visible_to(user), user=user)
    if filterset.is_bound and not filterset.is_valid():
        qs = Lead.objects.none()
    else:
        qs = filterset.qs if filterset.is_bound else filterset.queryset
    qs = selectors.lead_search(qs, query)
    sort = "score" if request.GET.get("sort") == "score" else ""
    page = page_of(selectors.lead_list(qs, sort=sort), parse_page(request.GET.get("page")), LEAD_PAGE_SIZE)
    params = request.GET.copy()
    params.pop("page", None)
    return render(request, "sales/lead_list.html", {
        "filter": filterset, "page": page, "query": query, "querystring": params.urlencode(), "sort": sort,
        "sort_querystring": _without(request.GET, "page", "sort")})


def _lead_branch(request):
    user = request.user
    if user.sees_all_branches:
        branch_id = request.POST.get("branch") or request.GET.get("branch")
        if branch_id:
            return get_object_or_404(Branch, pk=branch_id) if str(branch_id).isdigit() else None
        return None
    return user.branch


@require_http_methods(["GET", "POST"])
@staff_view("sales.add_lead")
def lead_create(request):
    """New lead. A first POST that matches customers or open leads (phone, email; name and
    city as a hint) shows them with links and asks to confirm; the second POST saves."""
    user = request.user
    if not user.sees_all_branches and user.branch_id is None:
        raise PermissionDenied
    branches = list(Branch.objects.filter(is_head_office=False).order_by("name")) if user.sees_all_branches else []
    form = LeadForm(request.POST or None)
    duplicates = None
    branch_error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        branch = _lead_branch(request)
        if branch is None:
            branch_error = _("Choose the branch the lead belongs to.")
        else:
            duplicates = selectors.lead_duplicates(phone=data["phone"], email=data["email"], name=data["name"],
                                                   city=data["city"])
            if not duplicates or data.get("confirm_duplicate"):
                fields = {k: v for k, v in data.items() if k != "confirm_duplicate"}
                lead = services.lead_create(by=user, branch=branch, **fields)
                if lead.owner:
                    messages.success(request, _("Lead saved and assigned to %(owner)s.") % {"owner": lead.owner})
                else:
                    messages.warning(request, _("Lead saved. Nobody could be assigned: assign it by hand."))
                return redirect(lead)
    return render(request, "sales/lead_form.html", {
        "form": form, "duplicates": duplicates, "branches": branches, "branch_error": branch_error,
        "chosen_branch": request.POST.get("branch", "")}, status=200)


@require_GET
@staff_view("sales.view_lead")
def lead_detail(request, lead_id):
    lead = lead_get_for_user(request.user, lead_id)
    context = {
        "lead": lead,
        "events": selectors.lead_events(lead),
        "opportunities": selectors.lead_opportunities(lead),
        "activities": activity_selectors.record_activities(lead=lead),
        "score_parts": activity_services.lead_score_parts(lead),
        "status_form": LeadStatusForm(),
        "statuses": [s for s in services._NEXT.get(lead.status, ())],
        "can_change": request.user.has_perm("sales.change_lead"),
        "can_reassign": request.user.has_perm("sales.change_lead") and _may_reassign(request.user, lead),
    }
    if context["can_reassign"] and lead.is_open:
        context["reassign_staff"] = list(_staff_qs(lead.branch))
    return render(request, "sales/lead_detail.html", context)


def _staff_qs(branch):
    return User.objects.filter(branch=branch, is_active=True, department=Department.SALES).order_by("first_name",
                                                                                                   "email")


@require_POST
@staff_view("sales.change_lead")
def lead_status(request, lead_id):
    lead = lead_get_for_user(request.user, lead_id, write=True)
    form = LeadStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
        return redirect(lead)
    try:
        services.lead_status_set(lead=lead, status=form.cleaned_data["status"], by=request.user,
                                 reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, _first_error(exc))
    else:
        messages.success(request, _("Lead status changed."))
    return redirect(lead)


def _may_reassign(user, lead) -> bool:
    """Managers hand out any lead of their branch; a rep hands over their own lead, or takes
    one nobody has."""
    return user.has_perm("sales.change_assignmentrule") or lead.owner_id in (None, user.pk)


@require_POST
@staff_view("sales.change_lead")
def lead_reassign(request, lead_id):
    lead = lead_get_for_user(request.user, lead_id, write=True)
    if not _may_reassign(request.user, lead):
        raise PermissionDenied
    form = LeadReassignForm(request.POST, staff=_staff_qs(lead.branch))
    if form.is_valid():
        services.lead_reassign(lead=lead, owner=form.cleaned_data["owner"], by=request.user)
        messages.success(request, _("Lead assigned to %(owner)s.") % {"owner": form.cleaned_data["owner"]})
    else:
        messages.error(request, _("Choose an active member of staff of the lead's branch."))
    return redirect(lead)


@require_http_methods(["GET", "POST"])
@staff_view("sales.change_lead")
def lead_convert(request, lead_id):
    lead = lead_get_for_user(request.user, lead_id, write=True)
    if not request.user.has_perm("crm.add_customer") or not request.user.has_perm("sales.add_opportunity"):
        raise PermissionDenied
    if lead.status != Lead.Status.QUALIFIED:
        refusal = _("Only a qualified lead can be converted; this one is %(status)s.") % {
            "status": lead.get_status_display().lower()}
        return render(request, "sales/lead_convert.html", {"lead": lead, "refusal": refusal})
    duplicates = selectors.lead_duplicates(phone=lead.phone, email=lead.email, name=lead.name, city=lead.city,
                                           exclude_lead=lead)
    # Only customers of the lead's branch can be joined (another branch's stays theirs).
    matches = [c for c in duplicates.customers + duplicates.hints if c.branch_id == lead.branch_id]
    initial = {"title": lead.model_of_interest or lead.name, "amount": lead.budget,
               "customer": str(lead.customer.public_id) if lead.customer else ""}
    if lead.customer and lead.customer not in matches:
        matches.insert(0, lead.customer)
    form = LeadConvertForm(request.POST or None, matches=matches, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            opportunity = services.lead_convert(lead=lead, by=request.user, customer=data["customer"],
                                                title=data["title"], amount=data["amount"],
                                                expected_close=data["expected_close"])
        except ValidationError as exc:
            form.add_error(None, _first_error(exc))
        else:
            messages.success(request, _("Lead converted: opportunity %(number)s opened.")
                             % {"number": opportunity.number})
            return redirect(opportunity)
    return render(request, "sales/lead_convert.html", {"lead": lead, "form": form, "duplicates": duplicates})


@require_http_methods(["GET", "POST"])
@staff_view("sales.change_assignmentrule")
def assignment_rule(request):
    user = request.user
    if user.sees_all_branches:
        branch_id = request.GET.get("branch") or request.POST.get("branch")
        branches = Branch.objects.filter(is_head_office=False).order_by("name")
        branch = branches.filter(pk=branch_id).first() if str(branch_id or "").isdigit() else branches.first()
    else:
        branches, branch = [], user.branch
    if branch is None:
        raise PermissionDenied
    rule = services.assignment_rule_for(branch)
    form = AssignmentRuleForm(request.POST or None, instance=rule)
    if request.method == "POST" and form.is_valid():
        services.assignment_rule_set(branch=branch, by=user, **form.cleaned_data)
        messages.success(request, _("Lead assignment rule saved."))
        return redirect(f"{request.path}?branch={branch.pk}" if user.sees_all_branches else request.path)
    return render(request, "sales/assignment_rule.html", {
        "form": form, "rule": rule, "branch": branch, "branches": branches,
        "staff": selectors.sales_staff_of(branch)})


# --- opportunities --------------------------------------------------------------------------------
@require_GET
@staff_view("sales.view_opportunity")
def opportunity_board(request):
    user = request.user
    filterset = OpportunityFilter(request.GET or None, queryset=selectors.opportunities_visible_to(user), user=user,
                                  board=True)
    if filterset.is_bound and not filterset.is_valid():
        qs = Opportunity.objects.none()
    else:
        qs = filterset.qs if filterset.is_bound else filterset.queryset
    stage_id = request.GET.get("stage")
    if request.htmx and stage_id and stage_id.isdigit():
        # "More" at the bottom of a column: its next cards.
        stage = get_object_or_404(Stage, pk=stage_id, is_active=True)
        raw_offset = request.GET.get("offset", "")
        offset = min(int(raw_offset), 100_000) if raw_offset.isdigit() else 0
        column = selectors.board(qs, stage=stage, offset=offset, totals=_pipeline_totals(request, filterset))[0]
        return render(request, "sales/partials/board_more.html", {
            "column": column, "offset": offset + selectors.BOARD_CARDS_PER_STAGE,
            "querystring": _without(request.GET, "stage", "offset")})
    columns = selectors.board(qs, totals=_pipeline_totals(request, filterset))
    return render(request, "sales/opportunity_board.html", {
        "filter": filterset, "columns": columns, "per_stage": selectors.BOARD_CARDS_PER_STAGE,
        "querystring": _without(request.GET, "stage", "offset"),
        "can_move": user.has_perm("sales.change_opportunity")})


def _pipeline_totals(request, filterset):
    """The totals the database keeps, for the scope of ``filterset`` (None: sum the rows)."""
    if filterset.is_bound and not filterset.is_valid():
        return PipelineTotal.objects.none()
    return selectors.pipeline_totals(request.user, filterset.form.cleaned_data if filterset.is_bound else {})


def _without(params, *names) -> str:
    params = params.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


@require_GET
@staff_view("sales.view_opportunity")
def opportunity_list(request):
    user = request.user
    filterset = OpportunityFilter(request.GET or None, queryset=selectors.opportunities_visible_to(user), user=user)
    if filterset.is_bound and not filterset.is_valid():
        qs = Opportunity.objects.none()
    else:
        qs = filterset.qs if filterset.is_bound else filterset.queryset
    page = page_of(selectors.opportunity_list(qs), parse_page(request.GET.get("page")), LEAD_PAGE_SIZE)
    return render(request, "sales/opportunity_list.html", {
        "filter": filterset, "page": page, "querystring": _without(request.GET, "page")})


@require_GET
@staff_view("sales.view_opportunity")
def opportunity_detail(request, opportunity_id):
    opp = opportunity_get_for_user(request.user, opportunity_id)
    return render(request, "sales/opportunity_detail.html", {
        "opp": opp, "history": selectors.opportunity_history(opp),
        "activities": activity_selectors.record_activities(opportunity=opp),
        "quotations": opportunity_quotations(opp) if request.user.has_perm("sales.view_quotation") else [],
        "stages": list(Stage.objects.filter(is_active=True)),
        "can_change": request.user.has_perm("sales.change_opportunity")})


@require_http_methods(["GET", "POST"])
@staff_view("sales.change_opportunity")
def opportunity_edit(request, opportunity_id):
    opp = opportunity_get_for_user(request.user, opportunity_id, write=True)
    form = OpportunityForm(request.POST or None, instance=opp)
    if request.method == "POST" and form.is_valid():
        services.opportunity_update(opportunity=opp, by=request.user,
                                    **{name: form.cleaned_data[name] for name in form.changed_data})
        messages.success(request, _("Opportunity saved."))
        return redirect(opp)
    return render(request, "sales/opportunity_form.html", {"form": form, "opp": opp})


@require_POST
@staff_view("sales.change_opportunity")
def opportunity_move(request, opportunity_id):
    """A card dropped on another column (htmx), or the stage form of the detail page.

    htmx: 200 with the card redrawn; a refused move answers 422 with the message, and the
    board's script puts the card back where it was."""
    opp = opportunity_get_for_user(request.user, opportunity_id, write=True)
    form = OpportunityMoveForm(request.POST)
    error = ""
    if form.is_valid():
        try:
            moved = services.opportunity_move(opportunity=opp, stage=form.cleaned_data["stage"], by=request.user,
                                              reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            error = _first_error(exc)
        else:
            moved.owner = opp.owner  # a move keeps the owner: the card needs no query for it
            opp = moved
    else:
        error = next(iter(form.errors.values()))[0]
    if request.htmx:
        if error:
            return HttpResponse(error, status=422, content_type="text/plain; charset=utf-8")
        return render(request, "sales/partials/board_card.html",
                      {"opp": selectors.board_cards_ready([opp])[0], "can_move": True})
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Moved to %(stage)s.") % {"stage": opp.stage.name})
    return redirect(opp)



# --- forecast -------------------------------------------------------------------------------------
def _forecast_scope(request):
    user = request.user
    filterset = OpportunityFilter(request.GET or None, queryset=selectors.opportunities_visible_to(user), user=user,
                                  board=True)
    del filterset.filters["close_month"]
    if filterset.is_bound and not filterset.is_valid():
        return filterset, Opportunity.objects.none()
    return filterset, (filterset.qs if filterset.is_bound else filterset.queryset)


@require_GET
@staff_view("sales.view_opportunity")
def forecast(request):
    filterset, qs = _forecast_scope(request)
    totals = _pipeline_totals(request, filterset)
    return render(request, "sales/forecast.html", {
        "filter": filterset, "pipeline": selectors.forecast_pipeline_chart(qs, totals=totals),
        "won": selectors.forecast_won_chart(qs), "funnel": selectors.funnel(qs, totals=totals),
        "querystring": _without(request.GET, "chart")})


@require_GET
@staff_view("sales.view_opportunity")
def forecast_csv(request):
    _filterset, qs = _forecast_scope(request)
    if request.GET.get("chart") == "won":
        chart = selectors.forecast_won_chart(qs)
        return chart_csv_response(chart, f"won-{chart.labels[-1]:%Y-%m}")
    chart = selectors.forecast_pipeline_chart(qs, totals=_pipeline_totals(request, _filterset))
    return chart_csv_response(chart, f"pipeline-{chart.labels[0]:%Y-%m}")


# --- CSV import -----------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
@staff_view("sales.add_lead")
def lead_import(request):
    """Upload → preview (every row with its errors, nothing written) → import the valid rows
    in one transaction, or download the rejects as a CSV."""
    user = request.user
    if not user.sees_all_branches and user.branch_id is None:
        raise PermissionDenied
    branches = list(Branch.objects.filter(is_head_office=False).order_by("name")) if user.sees_all_branches else []
    context = {"form": LeadImportForm(), "branches": branches, "columns": imports.COLUMNS,
               "chosen_branch": request.POST.get("branch", "")}
    if request.method == "GET":
        return render(request, "sales/lead_import.html", context)
    action = request.POST.get("action", "preview")
    try:
        if action == "preview":
            form = LeadImportForm(request.POST, request.FILES)
            context["form"] = form
            if not form.is_valid():
                return render(request, "sales/lead_import.html", context, status=400)
            text = imports.read_upload(form.cleaned_data["file"])
        else:
            text = imports.unsign(request.POST.get("token", ""))
        rows = imports.parse(text)
    except imports.ImportRefused as exc:
        context["refusal"] = str(exc)
        return render(request, "sales/lead_import.html", context, status=400)
    if action == "rejects":
        response = HttpResponse(imports.rejects_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="leads-rejected.csv"'
        return response
    valid = [r for r in rows if r.importable]
    known = [r for r in rows if r.ok and r.matches]
    if action == "import":
        branch = _lead_branch(request)
        chosen = valid + known if request.POST.get("include_known") == "1" else valid
        if branch is None:
            context["refusal"] = _("Choose the branch the leads belong to.")
        elif not chosen:
            context["refusal"] = _("No row can be imported.")
        else:
            chosen.sort(key=lambda r: r.number)
            leads = services.leads_import(rows=[r.fields for r in chosen], branch=branch, by=user)
            messages.success(request, _("%(n)s leads imported; %(rejected)s rows left out.")
                             % {"n": len(leads), "rejected": len(rows) - len(chosen)})
            return redirect("sales:lead_list")
    context.update({"rows": rows, "valid": len(valid), "known": len(known),
                    "rejected": len(rows) - len(valid) - len(known), "token": imports.sign(text),
                    "include_known": request.POST.get("include_known") == "1"})
    return render(request, "sales/lead_import.html", context)
