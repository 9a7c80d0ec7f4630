"""Helpdesk pages. Each view: access helper, form, one service, then redirect or render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import customer_get_for_user, staff_view
from crm.charts import chart_csv_response

from . import selectors, services
from .forms import (AttachmentForm, ComplaintForm, EscalateForm, FromMessageForm, HelpdeskComplaintForm, NoteForm,
                    RerouteForm, StatusForm)
from .models import Complaint

SCOPES = [("mine", gettext_lazy("Mine")), ("department", gettext_lazy("My department")),
          ("all", gettext_lazy("All I may see"))]


@require_GET
@staff_view("complaints.view_complaint")
def queue(request):
    get = request.GET
    scope = get.get("scope") if get.get("scope") in dict(SCOPES) else "mine"
    try:
        page = max(1, int(get.get("page", "1")))
    except ValueError:
        page = 1
    filters = selectors.QueueFilters(scope=scope, status=get.get("status", ""), breached=get.get("breached") == "1")
    data = selectors.complaint_queue(request.user, filters, page=page)
    return render(request, "complaints/complaint_list.html", {
        **data, "filters": filters, "scopes": SCOPES, "statuses": Complaint.Status.choices,
    })


def _create(request, form, customer):
    data = form.cleaned_data
    try:
        complaint = services.complaint_create(
            customer=customer, channel=data["channel"], category=data["category"], priority=data["priority"],
            description=data["description"], asset=data.get("asset"), reference=data.get("reference", ""),
            defect=form.defect(), by=request.user)
    except ValidationError as error:
        form.add_error(None, error)
        return None
    messages.success(request, _("Complaint %(code)s taken and routed to %(department)s.") % {
        "code": complaint.code, "department": complaint.get_department_display()})
    return redirect(complaint)


@require_http_methods(["GET", "POST"])
@staff_view("complaints.add_complaint")
def complaint_create(request):
    """The helpdesk's intake: the customer found by phone among those the user may see."""
    form = HelpdeskComplaintForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        response = _create(request, form, form.customer)
        if response:
            return response
    return render(request, "complaints/complaint_form.html", {"form": form, "customer": None})


@require_http_methods(["GET", "POST"])
@staff_view("complaints.add_complaint")
def customer_complaint_create(request, customer_id):
    """Intake from the customer's 360 page."""
    customer = customer_get_for_user(request.user, customer_id)
    form = ComplaintForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        response = _create(request, form, customer)
        if response:
            return response
    return render(request, "complaints/complaint_form.html", {"form": form, "customer": customer})


@require_http_methods(["GET", "POST"])
@staff_view("complaints.add_complaint")
def complaint_from_message(request, interaction_id):
    """"Mark as complaint" on an inbound SMS of the customer's timeline: the message, the
    category to route it by, then the complaint."""
    interaction = selectors.interaction_get_for_user(request.user, interaction_id)
    if not selectors.is_inbound_sms(interaction):
        # A call, a note, an SMS we sent: nothing to mark (said, not a 500 nor a guess).
        return render(request, "complaints/complaint_from_message.html", {
            "interaction": interaction, "customer": interaction.customer, "form": None,
        }, status=400 if request.method == "POST" else 200)
    existing = selectors.complaint_for_message(interaction)
    if existing is not None:
        messages.info(request, _("This message is already complaint %(code)s.") % {"code": existing.code})
        return redirect(existing)
    form = FromMessageForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        complaint, created = services.complaint_from_message(
            interaction=interaction, category=form.cleaned_data["category"],
            priority=form.cleaned_data["priority"], by=request.user)
        if created:
            messages.success(request, _("Complaint %(code)s taken from the SMS and routed to %(department)s.") % {
                "code": complaint.code, "department": complaint.get_department_display()})
        return redirect(complaint)
    return render(request, "complaints/complaint_from_message.html", {
        "interaction": interaction, "customer": interaction.customer, "form": form,
    }, status=400 if request.method == "POST" else 200)


def _detail(request, complaint, *, status=200, **forms):
    user = request.user
    allowed = Complaint.TRANSITIONS.get(complaint.status, set())
    status_form = forms.get("status_form") or StatusForm()
    status_form.fields["status"].choices = [(v, lbl) for v, lbl in Complaint.Status.choices if v in allowed]
    context = {
        "complaint": complaint, **selectors.complaint_detail(complaint),
        "status_form": status_form,
        "note_form": forms.get("note_form") or NoteForm(),
        "reroute_form": forms.get("reroute_form") or RerouteForm(complaint=complaint),
        "escalate_form": forms.get("escalate_form") or EscalateForm(),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        "can_change": user.has_perm("complaints.change_complaint"),
        "can_note": user.has_perm("complaints.add_complaintnote"),
    }
    return render(request, "complaints/complaint_detail.html", context, status=status)


@require_GET
@staff_view("complaints.view_complaint")
def complaint_detail(request, complaint_id):
    return _detail(request, selectors.complaint_get_for_user(request.user, complaint_id))


@require_POST
@staff_view("complaints.change_complaint")
def complaint_status(request, complaint_id):
    complaint = selectors.complaint_get_for_user(request.user, complaint_id, write=True)
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_status_set(complaint=complaint, status=form.cleaned_data["status"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Status changed."))
            return redirect(complaint)
    return _detail(request, complaint, status=400, status_form=form)


@require_POST
@staff_view("complaints.add_complaintnote")
def complaint_note(request, complaint_id):
    complaint = selectors.complaint_get_for_user(request.user, complaint_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.complaint_note_add(complaint=complaint, body=form.cleaned_data["body"],
                                        reply=form.cleaned_data["reply"], by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Reply sent to the customer.") if form.cleaned_data["reply"]
                             else _("Note added."))
            return redirect(complaint)
    return _detail(request, complaint, status=400, note_form=form)


@require_POST
@staff_view("complaints.change_complaint")
def complaint_reroute(request, complaint_id):
    complaint = selectors.complaint_get_for_user(request.user, complaint_id, write=True)
    form = RerouteForm(request.POST, complaint=complaint)
    if form.is_valid():
        try:
            services.complaint_reroute(complaint=complaint, department=form.cleaned_data["department"],
                                       assignee=form.cleaned_data["assignee"], reason=form.cleaned_data["reason"],
                                       by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Complaint passed on."))
            return redirect(complaint)
    return _detail(request, complaint, status=400, reroute_form=form)


@require_POST
@staff_view("complaints.change_complaint")
def complaint_take(request, complaint_id):
    complaint = selectors.complaint_get_for_user(request.user, complaint_id, write=True)
    try:
        services.complaint_take(complaint=complaint, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The complaint is yours now."))
    return redirect(complaint)


@require_POST
@staff_view("complaints.change_complaint")
def complaint_escalate(request, complaint_id):
    complaint = selectors.complaint_get_for_user(request.user, complaint_id, write=True)
    form = EscalateForm(request.POST)
    if form.is_valid():
        services.complaint_escalate(complaint=complaint, to_branch=form.cleaned_data["to_branch"], by=request.user,
                                    reason=form.cleaned_data["reason"])
        messages.success(request, _("Complaint shared with %(branch)s.") % {"branch": form.cleaned_data["to_branch"]})
        return redirect(complaint)
    return _detail(request, complaint, status=400, escalate_form=form)


@require_POST
@staff_view("complaints.change_complaint")
def attachment_upload(request, complaint_id):
    complaint = selectors.complaint_get_for_user(request.user, complaint_id, write=True)
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        services.complaint_attachment_add(complaint=complaint, upload=form.cleaned_data["file"], by=request.user)
        messages.success(request, _("File attached."))
        return redirect(complaint)
    return _detail(request, complaint, status=400, attachment_form=form)


@require_GET
@staff_view("complaints.view_complaint")
def attachment_download(request, complaint_id, complaint_attachment_id):
    """The file, to staff who may see the complaint (its branch, the branch it was escalated
    to, head office); 404 to anyone else. Sent as a download with the type its content has."""
    complaint = selectors.complaint_get_for_user(request.user, complaint_id)
    attachment = get_object_or_404(complaint.attachments.all(), public_id=complaint_attachment_id)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404
    response = FileResponse(handle, content_type=attachment.content_type, as_attachment=True,
                            filename=attachment.original_name)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@staff_view("complaints.view_complaint")
def qc_report(request):
    """QC: defect groups (component × model × batch) and the ones far above their usual rate."""
    from . import qc

    return render(request, "complaints/qc_report.html", {
        "groups": qc.defect_groups(request.user), "chart": qc.defects_chart(request.user),
        "alpha": qc.ALPHA, "window": qc.WINDOW_DAYS, "min_recent": qc.MIN_RECENT,
        "can_recall": request.user.has_perm("complaints.make_recall_segment") and _segments_available()})


def _segments_available() -> bool:
    """The recall button needs marketing's static segments (issue 12)."""
    try:
        from marketing.segments import segment_static_create  # noqa: F401
    except ImportError:
        return False
    return True


@require_GET
@staff_view("complaints.view_complaint")
def qc_report_csv(request):
    from . import qc

    return chart_csv_response(qc.defects_chart(request.user), "production-defects-per-month")


def _period(request):
    """?period=month|week&n=<how many>: a bad or missing value falls back to the default."""
    from .reports import period_get

    period = period_get(request.GET.get("period"))
    try:
        n = min(max(int(request.GET.get("n", period.default)), 1), max(period.choices))
    except ValueError:
        n = period.default
    return period, n


@require_GET
@staff_view("complaints.view_complaint")
def reports(request):
    """Per month (or week): complaints by category, department and branch, the median times,
    the SLA met and the reopen rate, each with its table and CSV."""
    from django.urls import reverse

    from . import reports as complaint_reports

    period, n = _period(request)
    charts = [(chart, f"{reverse('complaints:report_csv', args=[key])}?period={period.key}&n={n}")
              for key, chart in complaint_reports.report(request.user, period=period, n=n).items()]
    return render(request, "complaints/reports.html", {
        "charts": charts, "period": period, "n": n, "periods": complaint_reports.PERIODS.values()})


@require_GET
@staff_view("complaints.view_complaint")
def report_csv(request, chart):
    from . import reports as complaint_reports

    if chart not in complaint_reports.CHARTS:
        raise Http404
    period, n = _period(request)
    return chart_csv_response(complaint_reports.chart(request.user, chart, period=period, n=n),
                              f"complaints-{chart}-per-{period.key}")


@require_POST
@staff_view("complaints.make_recall_segment")
def qc_recall_segment(request):
    """From a defect group of the QC page: a static segment of the owners of that model (and
    years, or of the group's production batch; optionally inside a VIN range), for a recall
    or service campaign."""
    data = {k: request.POST.get(k, "").strip() for k in ("component", "model", "batch", "vin_from", "vin_to")}
    try:
        segment = services.qc_recall_segment(user=request.user, by_batch=request.POST.get("reach") == "batch",
                                             **data)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Segment “%(name)s” made with %(count)s customers; a campaign can use it now.")
                         % {"name": segment.name, "count": segment.members.count()})
    return redirect("complaints:qc_report")
