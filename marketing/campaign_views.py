"""Staff pages of segments and campaigns (issue 12)."""

from __future__ import annotations

import csv
import uuid

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import staff_view
from crm.charts import Chart
from crm.forms import form_add_errors
from crm.models import Customer

from . import campaigns, segments
from .campaign_forms import CampaignForm, PreviewForm, SegmentBuilder, SegmentNameForm, StaticListForm
from .models import Campaign, Message, Segment


# --- segments --------------------------------------------------------------------------------
@require_GET
@staff_view("marketing.view_segment")
def segment_list(request):
    return render(request, "marketing/segments/list.html", {"segments": segments.segments_for_user(request.user)})


@require_http_methods(["GET", "POST"])
@staff_view("marketing.add_segment")
def segment_create(request):
    return _segment_form(request, Segment(), _("New segment"))


# Views of one segment or campaign load it first (another branch's is a 404 whatever the
# role), then check the permission (403).
@require_http_methods(["GET", "POST"])
@staff_view()
def segment_edit(request, segment_id):
    segment = segments.segment_get_for_user(request.user, segment_id, write=request.method == "POST")
    if segment.kind == Segment.Kind.STATIC:
        if request.method == "POST":
            raise PermissionDenied
        return render(request, "marketing/segments/static.html",
                      {"segment": segment, "preview": segments.segment_preview(segment)})
    return _segment_form(request, segment, segment.name)


def _segment_form(request, segment, title):
    posted = request.method == "POST"
    form = SegmentNameForm(request.POST if posted else None, instance=segment)
    builder = SegmentBuilder(request.user, request.POST if posted else None, segment.definition)
    preview = None
    if posted and request.POST.get("action", "save") == "save":
        try:
            builder.compile()
        except ValidationError:
            pass
        if form.is_valid() and not builder.errors:
            segment = segments.segment_save(segment=form.save(commit=False), definition=builder.definition,
                                            by=request.user)
            messages.success(request, _("Segment saved."))
            return redirect(segment)
    if not posted and segment.pk:
        preview = _preview(request.user, builder, segment.branch)
    return render(request, "marketing/segments/form.html", {
        "form": form, "builder": builder, "title": title, "segment": segment, "preview": preview,
        "criteria": builder.criteria})


def _preview(user, builder, branch) -> dict:
    try:
        compiled = builder.compile(partial=True)
    except ValidationError:
        return {"errors": builder.errors}
    if not compiled.groups:
        return None  # nothing chosen yet: the hint, not "0 customers"
    return segments.count_and_sample(Customer.objects.filter(segments.scope_q(branch)).filter(compiled.q()))


def _editing_branch(request, data):
    """The branch the segment being edited reaches: its own when it exists, else the user's."""
    public_id = data.get("segment", "")
    if public_id:
        if not _is_uuid(public_id):
            raise Http404
        return segments.segment_get_for_user(request.user, public_id).branch
    return segments.branch_for(request.user)


@require_GET
@staff_view("marketing.add_segment")
def segment_preview(request):
    """The live count and sample while editing (htmx, debounced): the send's own query.

    A GET (it changes nothing): the editor's form sends its rows as the query string."""
    builder = SegmentBuilder(request.user, request.GET)
    return render(request, "marketing/segments/partials/preview.html",
                  {"preview": _preview(request.user, builder, _editing_branch(request, request.GET))})


@require_POST
@staff_view("marketing.add_segment")
def segment_builder(request):
    """The criteria rows again after a row was added, removed or given another condition."""
    builder = SegmentBuilder(request.user, request.POST)
    return render(request, "marketing/segments/partials/builder.html", {
        "builder": builder, "criteria": builder.criteria, "oob_preview": True,
        "preview": _preview(request.user, builder, _editing_branch(request, request.POST))})


@require_http_methods(["GET", "POST"])
@staff_view("marketing.add_segment")
def segment_upload(request):
    """A static list from a CSV: read and shown first; created when confirmed (the read list
    waits in the cache for an hour under a one-time token)."""
    branch = segments.branch_for(request.user)
    token = request.POST.get("token", "")
    if request.method == "POST" and token:
        stash = cache.get(f"segment-upload:{request.user.pk}:{token}") if _is_uuid(token) else None
        if stash is None:
            messages.error(request, _("This upload has expired: upload the file again."))
            return redirect("marketing:segment_upload")
        cache.delete(f"segment-upload:{request.user.pk}:{token}")
        segment = segments.segment_static_create(name=stash["name"], customers_qs_or_ids=stash["ids"], branch=branch,
                                                 by=request.user, import_report=stash["report"])
        messages.success(request, _("Segment saved."))
        return redirect(segment)
    form = StaticListForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        try:
            read = segments.static_list_read(form.cleaned_data["file"].read(), branch=branch)
        except ValidationError as exc:
            form.add_error("file", exc)
        else:
            report = read.as_json()
            token = uuid.uuid4().hex
            cache.set(f"segment-upload:{request.user.pk}:{token}",
                      {"name": form.cleaned_data["name"], "ids": read.customer_ids, "report": report}, 3600)
    return render(request, "marketing/segments/upload.html", {"form": form, "report": report, "token": token})


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


# --- campaigns -------------------------------------------------------------------------------
@require_GET
@staff_view("marketing.view_campaign")
def campaign_list(request):
    return render(request, "marketing/campaigns/list.html",
                  {"campaigns": campaigns.campaigns_for_user(request.user)[:100]})


@require_http_methods(["GET", "POST"])
@staff_view("marketing.add_campaign")
def campaign_create(request):
    return _campaign_form(request, Campaign(), _("New campaign"))


@require_http_methods(["GET", "POST"])
@staff_view()
def campaign_edit(request, campaign_id):
    """Those who may not change campaigns see the form read-only; their POST is a 403."""
    campaign = campaigns.campaign_get_for_user(request.user, campaign_id, perm="marketing.view_campaign")
    if not request.user.has_perm("marketing.change_campaign"):
        if request.method == "POST":
            raise PermissionDenied
        form = CampaignForm(instance=campaign, user=request.user)
        for field in form.fields.values():
            field.disabled = True
        return render(request, "marketing/campaigns/form.html",
                      {"form": form, "title": campaign.name, "campaign": campaign, "read_only": True})
    if not campaign.is_editable:
        messages.error(request, _("This campaign is %(status)s: it can no longer be changed.")
                       % {"status": campaign.get_status_display()})
        return redirect(campaign)
    return _campaign_form(request, campaign, campaign.name)


def _campaign_form(request, campaign, title):
    form = CampaignForm(request.POST or None, instance=campaign, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaigns.campaign_save(campaign=form.save(commit=False), by=request.user)
        except ValidationError as exc:
            form_add_errors(form, exc)
        else:
            messages.success(request, _("Campaign saved."))
            return redirect(campaign)
    return render(request, "marketing/campaigns/form.html", {"form": form, "title": title, "campaign": campaign})


@require_GET
@staff_view()
def campaign_detail(request, campaign_id):
    campaign = campaigns.campaign_get_for_user(request.user, campaign_id, perm="marketing.view_campaign")
    context = {"campaign": campaign, "progress": campaigns.campaign_progress(campaign),
               "can_approve": request.user.has_perm("marketing.approve_campaign")
               and campaign.created_by_id != request.user.pk,
               "can_change": request.user.has_perm("marketing.change_campaign"),
               # A wall-clock time, the same in every zone: shown as typed, not converted.
               "send_at_wall": campaigns.wall_clock(campaign.send_at_local) if campaign.send_at_local else None}
    if campaign.status in (Campaign.Status.DRAFT, Campaign.Status.SUBMITTED, Campaign.Status.APPROVED,
                           Campaign.Status.SCHEDULED):
        context.update(_draft_context(request, campaign))
    else:
        stats = campaign.stats if campaign.stats else None
        context["stats"] = stats
        if stats:
            context["charts"] = _charts(stats)
    return render(request, "marketing/campaigns/detail.html", context)


def _draft_context(request, campaign) -> dict:
    """Preview for any recipient (one of the sample, or ?customer=<public id> of the segment),
    the live size of the segment and the cost estimate."""
    preview_data = segments.segment_preview(campaign.segment)
    form = PreviewForm(request.GET or None)
    customer = preview_data["sample"][0] if preview_data["sample"] else None
    if form.is_valid() and form.cleaned_data["customer"]:
        customer = segments.segment_customers(campaign.segment).select_related("branch") \
            .filter(public_id=form.cleaned_data["customer"]).first() or customer
    preview = campaigns.campaign_preview(campaign, customer)
    return {"segment_preview": preview_data, "preview": preview, "preview_customer": customer,
            "estimate": campaigns.cost_estimate(campaign=campaign, count=preview_data.get("count", 0),
                                                length=preview["length"])}


def _charts(stats: dict) -> list[Chart]:
    status_labels = dict(Message.Status.choices)
    by_status = sorted(stats["by_status"].items())
    charts = [Chart(title=_("Messages by status"), labels=[str(status_labels.get(k, k)) for k, _n in by_status],
                    series=[(_("Messages"), [n for _k, n in by_status])], label_header=_("Status"),
                    unit=_("messages"), dom_id="chart-status")]
    conversions = stats.get("conversions") or []
    if conversions:
        charts.append(Chart(
            title=_("Conversion rate: recipients and hold-out"), labels=[c["label"] for c in conversions],
            series=[(_("Recipients (%)"), [c["rate"] or 0 for c in conversions]),
                    (_("Hold-out (%)"), [c["holdout_rate"] or 0 for c in conversions])],
            label_header=_("Conversion"), unit="%", dom_id="chart-conversions"))
    return charts


@require_GET
@staff_view()
def campaign_progress(request, campaign_id):
    """The progress fragment, polled every 2 s while sending: counter rows, never a count of messages."""
    campaign = campaigns.campaign_get_for_user(request.user, campaign_id, perm="marketing.view_campaign")
    response = render(request, "marketing/campaigns/partials/progress.html",
                      {"campaign": campaign, "progress": campaigns.campaign_progress(campaign)})
    if request.headers.get("HX-Request") and campaign.status not in (Campaign.Status.SENDING,
                                                                     Campaign.Status.SCHEDULED):
        # Only a sending or scheduled page polls: it has just finished (or been paused or
        # cancelled). The whole page again shows its new state and, when done, its statistics.
        response["HX-Refresh"] = "true"
    return response


def _action(service, done_message, perm="marketing.change_campaign"):
    @require_POST
    @staff_view()
    def view(request, campaign_id):
        campaign = campaigns.campaign_get_for_user(request.user, campaign_id, perm=perm)
        try:
            service(campaign=campaign, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done_message())
        return redirect(campaign)

    view.__name__ = service.__name__
    return view


campaign_submit = _action(campaigns.campaign_submit, lambda: _("Submitted for approval."))
campaign_approve = _action(campaigns.campaign_approve, lambda: _("Campaign approved."),
                           perm="marketing.approve_campaign")
campaign_send = _action(campaigns.campaign_send_now, lambda: _("Sending started."))
campaign_pause = _action(campaigns.campaign_pause, lambda: _("Campaign paused."))
campaign_resume = _action(campaigns.campaign_resume, lambda: _("Campaign resumed."))
campaign_cancel = _action(campaigns.campaign_cancel, lambda: _("Campaign cancelled."))


@require_POST
@staff_view()
def campaign_test_send(request, campaign_id):
    campaign = campaigns.campaign_get_for_user(request.user, campaign_id, perm="marketing.change_campaign")
    try:
        to = campaigns.campaign_test_send(campaign=campaign, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except Exception:  # the provider refused or is down: say so, do not 500
        messages.error(request, _("The test could not be sent (the provider did not accept it). Try again later."))
    else:
        messages.success(request, _("Test sent to %(to)s.") % {"to": to})
    return redirect(campaign)


class _Echo:
    def write(self, value):
        return value


@require_GET
@staff_view()
def campaign_export(request, campaign_id):
    """Every recipient (and the hold-out), streamed: no list of a million rows in memory."""
    campaign = campaigns.campaign_get_for_user(request.user, campaign_id, perm="marketing.view_campaign")
    if not request.user.has_perm("marketing.view_message"):
        raise PermissionDenied
    writer = csv.writer(_Echo())
    header = [_("customer"), _("name"), _("branch"), _("to"), _("status"), _("error code"), _("SMS segments"),
              _("sent")]

    def rows():
        yield writer.writerow(header)
        for public_id, name, branch, to, status, code, parts, sent in campaigns.campaign_recipients_rows(campaign):
            yield writer.writerow([public_id, _safe(name), _safe(branch), to, status, code, parts,
                                   sent.isoformat() if sent else ""])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.public_id}.csv"'
    return response


def _safe(text: str) -> str:
    # A cell a spreadsheet would run as a formula is written with a quote in front.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text

