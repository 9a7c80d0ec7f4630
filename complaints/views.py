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
from .forms import AttachmentForm, ComplaintForm, EscalateForm, HelpdeskComplaintForm, NoteForm, RerouteForm, StatusForm
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
        "alpha": qc.ALPHA, "window": qc.WINDOW_DAYS, "min_recent": qc.MIN_RECENT})


@require_GET
@staff_view("complaints.view_complaint")
def qc_report_csv(request):
    from . import qc

    return chart_csv_response(qc.defects_chart(request.user), "production-defects-per-month")
