"""Writes of the helpdesk: taking a complaint, routing it, working it, and the SLA sweep.

Every step a customer would care about goes on their timeline (crm.services.interaction_record,
``source`` = the complaint); whoever receives a complaint is notified
(accounts.services.notification_send).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Branch, Department, User
from accounts.services import notification_send
from branches.selectors import HORIZON_DAYS, NoBusinessTime, business_between, business_calendar
from crm.models import Customer, Interaction
from crm.public import public_code_new
from crm.services import interaction_record, interactions_record_bulk

from .models import (Category, Complaint, ComplaintChannel, ComplaintNote, Priority, RoutingCursor, RoutingEvent,
                     RoutingRule, SlaPolicy, Strategy)

log = logging.getLogger(__name__)

# Notification kinds (declared in apps.py).
ASSIGNED = "complaints.assigned"
QUEUED = "complaints.queued"
ESCALATED = "complaints.escalated"
WARNING = "complaints.sla_warning"
# The assignee is warned this long (wall-clock) before the resolution time.
WARN_BEFORE = dt.timedelta(hours=2)

# A resolved or closed complaint may be reopened for this many days after it was resolved.
REOPEN_DAYS = 14
# Business minutes when no SlaPolicy row matches (the migration seeds the same values).
DEFAULT_SLA = {
    Priority.URGENT: (60, 8 * 60),
    Priority.HIGH: (2 * 60, 2 * 8 * 60),
    Priority.NORMAL: (4 * 60, 4 * 8 * 60),
    Priority.LOW: (8 * 60, 10 * 8 * 60),
}
# The seeds' routing: category → department (plus Branch Management for branch data).
DEFAULT_ROUTES = {
    Category.ORDER_STATUS: Department.SALES,
    Category.VEHICLE_REPAIR: Department.SERVICE,
    Category.PRODUCTION_DEFECT: Department.QUALITY_CONTROL,
    Category.DELIVERY: Department.SHIPMENT,
    Category.BRANCH_DATA: Department.BRANCH_MANAGEMENT,
    Category.OTHER: Department.BRANCH_MANAGEMENT,
}
SWEEP_BATCH = 500
QUEUE_NOTIFY_MAX = 25  # a department queue tells at most this many of its staff

_TIMELINE_CHANNEL = {
    ComplaintChannel.PHONE: Interaction.Channel.PHONE,
    ComplaintChannel.SMS: Interaction.Channel.SMS,
    ComplaintChannel.EMAIL: Interaction.Channel.EMAIL,
    ComplaintChannel.IN_PERSON: Interaction.Channel.IN_PERSON,
    ComplaintChannel.WEB: Interaction.Channel.WEB,
}


# --- SLA ----------------------------------------------------------------------------------------
def sla_minutes(*, priority: str, category: str) -> tuple[int, int]:
    """(first response, resolution) business minutes: the category's own policy for this
    priority if there is one, else the priority's, else DEFAULT_SLA."""
    policies = {p.category: p for p in SlaPolicy.objects.filter(priority=priority, category__in=[category, ""])}
    policy = policies.get(category) or policies.get("")
    if policy is not None:
        return policy.first_response_minutes, policy.resolution_minutes
    return DEFAULT_SLA.get(priority, DEFAULT_SLA[Priority.NORMAL])


def _calendar(branch: Branch, start: dt.datetime):
    first = timezone.localtime(start, branch_zone(branch)).date()
    return business_calendar(branch, since=first, until=first + dt.timedelta(days=HORIZON_DAYS))


def branch_zone(branch: Branch):
    from zoneinfo import ZoneInfo

    return ZoneInfo(branch.time_zone)


def sla_dues(*, branch: Branch, start: dt.datetime, priority: str, category: str
             ) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the first response and the resolution are due, counted in the branch's business
    hours (opening hours, closures, public holidays) from ``start``. None: the branch has no
    business time that far ahead (closed for good), so no SLA can be kept."""
    response, resolution = sla_minutes(priority=priority, category=category)
    calendar = _calendar(branch, start)
    try:
        return calendar.add(start, response), calendar.add(start, resolution)
    except NoBusinessTime:
        return None, None


# --- intake -------------------------------------------------------------------------------------
@transaction.atomic
def complaint_create(*, customer: Customer, channel: str, category: str, description: str,
                     priority: str = Priority.NORMAL, asset=None, reference: str = "", by: User | None = None,
                     now: dt.datetime | None = None, defect: dict | None = None) -> Complaint:
    """Take a complaint: its SLA clock starts now, it is routed by the rules, and it goes on
    the customer's timeline. ``defect``: a production defect's component, part_number, model,
    model_year, vin, batch (model, year and VIN default to the vehicle's)."""
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": _("Say what the complaint is about.")})
    if asset is not None and asset.customer_id != customer.pk:
        raise ValidationError({"asset": _("That vehicle is not this customer's.")})
    defect = {k: v for k, v in (defect or {}).items() if v not in (None, "")}
    if asset is not None:
        defect.setdefault("model", asset.model)
        defect.setdefault("model_year", asset.year)
        defect.setdefault("vin", asset.vin)
        defect.setdefault("batch", asset.production_batch)
    defect_fields = {f"defect_{k}": (v.strip() if isinstance(v, str) else v) for k, v in defect.items()
                     if k in ("component", "part_number", "model", "model_year", "vin", "batch") and v not in (None, "")}
    now = now or timezone.now()
    first_due, resolution_due = sla_dues(branch=customer.branch, start=now, priority=priority, category=category)
    complaint = Complaint.objects.create(
        code=public_code_new(), customer=customer, branch_id=customer.branch_id, asset=asset, reference=reference.strip(), channel=channel,
        category=category, priority=priority, description=description, created_by=by,
        first_response_due=first_due, resolution_due=resolution_due, **defect_fields,
    )
    if now != complaint.created_at:  # a pinned clock (tests, imports): keep the times consistent
        Complaint.objects.filter(pk=complaint.pk).update(created_at=now)
        complaint.created_at = now
    interaction_record(
        customer=customer, kind=Interaction.Kind.COMPLAINT, channel=_TIMELINE_CHANNEL.get(channel, "system"),
        direction=Interaction.Direction.INBOUND, staff=by, occurred_at=now, source=complaint,
        summary=_("Complaint %(code)s (%(category)s): %(text)s") % {
            "code": complaint.code, "category": complaint.get_category_display(), "text": description[:500]},
    )
    complaint_route(complaint=complaint, by=by)
    return complaint


def complaint_from_message(*, interaction: Interaction, category: str, priority: str = Priority.NORMAL,
                           by: User | None) -> tuple[Complaint, bool]:
    """An inbound SMS on the customer's timeline that staff mark as a complaint: a complaint
    with its text, channel SMS, routed by the rules, linked to the message (``related``).
    Marked twice (two clicks, two colleagues): the first complaint, ``created`` False."""
    from django.contrib.contenttypes.models import ContentType

    if not (interaction.kind == Interaction.Kind.SMS and interaction.direction == Interaction.Direction.INBOUND):
        raise ValidationError(_("Only an SMS the customer sent can be marked as a complaint."), code="not_inbound_sms")
    message_type = ContentType.objects.get_for_model(Interaction)
    with transaction.atomic():
        # The message's row is the lock: two marks at once make one complaint.
        Interaction.objects.select_for_update().filter(pk=interaction.pk).first()
        existing = Complaint.objects.filter(related_type=message_type, related_id=interaction.pk).first()
        if existing is not None:
            return existing, False
        complaint = complaint_create(customer=interaction.customer, channel=ComplaintChannel.SMS, category=category,
                                     priority=priority, description=interaction.summary, by=by)
        Complaint.objects.filter(pk=complaint.pk).update(related_type=message_type, related_id=interaction.pk)
        complaint.related_type, complaint.related_id = message_type, interaction.pk
    return complaint, True


# --- routing ------------------------------------------------------------------------------------
def rule_for(complaint: Complaint) -> RoutingRule | None:
    """The most specific active rule for this complaint (see RoutingRule)."""
    branch_id = complaint.customer.branch_id
    rules = (RoutingRule.objects.filter(category=complaint.category, is_active=True)
             .filter(Q(branch__isnull=True) | Q(branch_id=branch_id))
             .filter(Q(priority="") | Q(priority=complaint.priority)))
    ranked = sorted(rules, key=lambda r: (r.branch_id is None, r.priority == "", r.position, r.id))
    return ranked[0] if ranked else None


def _staff_of(branch_id: int, department: str):
    return User.objects.filter(branch_id=branch_id, department=department, is_active=True)


def _pick_round_robin(branch_id: int, department: str) -> User | None:
    # The cursor row is locked while we pick: two complaints routed at once get the next
    # two people, not the same one.
    RoutingCursor.objects.get_or_create(branch_id=branch_id, department=department)
    cursor = RoutingCursor.objects.select_for_update().get(branch_id=branch_id, department=department)
    staff = _staff_of(branch_id, department).order_by("id")
    chosen = staff.filter(id__gt=cursor.last_user_id or 0).first() or staff.first()
    if chosen is not None:
        cursor.last_user = chosen
        cursor.save(update_fields=["last_user"])
    return chosen


def _pick_least_loaded(branch_id: int, department: str) -> User | None:
    # Lock the department's cursor too, so two complaints routed at once do not both see
    # the same "least loaded" person.
    RoutingCursor.objects.get_or_create(branch_id=branch_id, department=department)
    RoutingCursor.objects.select_for_update().get(branch_id=branch_id, department=department)
    open_statuses = [s for s in Complaint.Status.values if s not in Complaint.CLOSED_STATUSES]
    return (_staff_of(branch_id, department)
            .annotate(load=Count("complaints_assigned", filter=Q(complaints_assigned__status__in=open_statuses)))
            .order_by("load", "id").first())


@transaction.atomic
def complaint_route(*, complaint: Complaint, by: User | None = None, reason: str = "") -> Complaint:
    """Route by the rules: the department, then the person (or the department's queue)."""
    rule = rule_for(complaint)
    department = rule.department if rule else DEFAULT_ROUTES.get(complaint.category, Department.BRANCH_MANAGEMENT)
    strategy = rule.strategy if rule else Strategy.ROUND_ROBIN
    branch_id = complaint.customer.branch_id
    assignee = None
    if strategy == Strategy.ROUND_ROBIN:
        assignee = _pick_round_robin(branch_id, department)
    elif strategy == Strategy.LEAST_LOADED:
        assignee = _pick_least_loaded(branch_id, department)
    return _move(complaint=complaint, department=department, assignee=assignee, rule=rule, by=by,
                 reason=reason or _("Routed by the rules."))


@transaction.atomic
def complaint_reroute(*, complaint: Complaint, department: str, assignee: User | None, reason: str,
                      by: User | None) -> Complaint:
    """Send a complaint elsewhere by hand, with a reason (kept in the routing history)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the complaint goes elsewhere.")})
    if not complaint.is_open:
        raise ValidationError(_("This complaint is closed; reopen it first."))
    if assignee is not None and (assignee.department != department or not assignee.is_active
                                 or assignee.branch_id != complaint.customer.branch_id):
        raise ValidationError({"assignee": _("Choose someone of that department at the customer's branch.")})
    if department not in Department.values:
        raise ValidationError({"department": _("Choose a department.")})
    return _move(complaint=complaint, department=department, assignee=assignee, rule=None, by=by, reason=reason)


def _move(*, complaint, department, assignee, rule, by, reason) -> Complaint:
    RoutingEvent.objects.create(
        complaint=complaint, from_department=complaint.department, to_department=department,
        from_user=complaint.assignee, to_user=assignee, rule=rule, reason=reason[:300], by=by,
    )
    complaint.department = department
    complaint.assignee = assignee
    if complaint.status in (Complaint.Status.NEW, Complaint.Status.ASSIGNED):
        complaint.status = Complaint.Status.ASSIGNED if assignee else Complaint.Status.NEW
    complaint.save(update_fields=["department", "assignee", "status"])
    label = Department(department).label
    interaction_record(
        customer=complaint.customer, kind=Interaction.Kind.COMPLAINT, channel=Interaction.Channel.SYSTEM,
        direction=Interaction.Direction.INTERNAL, staff=by, department=department, source=complaint,
        summary=(_("Complaint %(code)s passed to %(department)s (%(person)s): %(reason)s")
                 % {"code": complaint.code, "department": label, "reason": reason,
                    "person": str(assignee) if assignee else _("department queue")}),
    )
    if assignee is not None:
        notification_send(to=assignee, verb=ASSIGNED, target=complaint, by=by)
    else:
        queue = _staff_of(complaint.customer.branch_id, department).order_by("id")[:QUEUE_NOTIFY_MAX]
        notification_send(to=list(queue), verb=QUEUED, target=complaint, by=by)
    return complaint


@transaction.atomic
def complaint_take(*, complaint: Complaint, by: User) -> Complaint:
    """Take a complaint from the department queue (or from a colleague)."""
    if not complaint.is_open:
        raise ValidationError(_("This complaint is closed; reopen it first."))
    # The case stays with its department (a manager taking a Sales case does not make it theirs).
    return _move(complaint=complaint, department=complaint.department or by.department, assignee=by, rule=None,
                 by=by, reason=_("Taken from the queue."))


# --- working a complaint ------------------------------------------------------------------------
def _respond(complaint: Complaint, now: dt.datetime) -> list[str]:
    if complaint.first_response_at is None:
        complaint.first_response_at = now
        return ["first_response_at"]
    return []


@transaction.atomic
def complaint_status_set(*, complaint: Complaint, status: str, by: User | None,
                         now: dt.datetime | None = None) -> Complaint:
    """Move a complaint along new → assigned → in progress → waiting → resolved → closed.

    Waiting for the customer pauses the resolution clock: when it ends, the business time
    that was left is counted again from then. Reopening is allowed for REOPEN_DAYS after
    resolution."""
    complaint = Complaint.objects.select_for_update().select_related("customer__branch").get(pk=complaint.pk)
    now = now or timezone.now()
    old = complaint.status
    if status == old:
        return complaint
    if status not in Complaint.TRANSITIONS.get(old, set()):
        raise ValidationError({"status": _("A complaint that is “%(old)s” cannot become “%(new)s”.") % {
            "old": Complaint.Status(old).label, "new": Complaint.Status(status).label}})
    reopening = old in Complaint.CLOSED_STATUSES and status not in Complaint.CLOSED_STATUSES
    if reopening and complaint.resolved_at and now - complaint.resolved_at > dt.timedelta(days=REOPEN_DAYS):
        raise ValidationError({"status": _("Resolved more than %(days)d days ago: take a new complaint instead.")
                               % {"days": REOPEN_DAYS}})
    fields = ["status"]
    branch = complaint.customer.branch
    if old == Complaint.Status.WAITING_CUSTOMER and complaint.waiting_since and complaint.resolution_due:
        # The pause ends: what was left of the resolution time is counted again from now.
        calendar = _calendar(branch, complaint.waiting_since)
        left = business_between(branch, complaint.waiting_since, complaint.resolution_due, calendar=calendar)
        try:
            complaint.resolution_due = _calendar(branch, now).add(now, left)
        except NoBusinessTime:
            complaint.resolution_due = None
        complaint.waiting_since = None
        fields += ["resolution_due", "waiting_since"]
    if status == Complaint.Status.WAITING_CUSTOMER:
        complaint.waiting_since = now
        fields.append("waiting_since")
    if status in (Complaint.Status.IN_PROGRESS, Complaint.Status.WAITING_CUSTOMER, Complaint.Status.RESOLVED):
        fields += _respond(complaint, now)
    if status == Complaint.Status.RESOLVED:
        complaint.resolved_at = now
        fields.append("resolved_at")
    elif status == Complaint.Status.CLOSED:
        complaint.closed_at = now
        fields.append("closed_at")
    elif reopening:
        complaint.resolved_at = complaint.closed_at = None
        complaint.reopen_count += 1
        fields += ["resolved_at", "closed_at", "reopen_count"]
    complaint.status = status
    complaint.save(update_fields=list(dict.fromkeys(fields)))
    summary = (_("Complaint %(code)s reopened.") if reopening else _("Complaint %(code)s is now: %(status)s.")) % {
        "code": complaint.code, "status": complaint.get_status_display()}
    interaction_record(
        customer=complaint.customer, kind=Interaction.Kind.COMPLAINT, channel=Interaction.Channel.SYSTEM,
        direction=Interaction.Direction.INTERNAL, staff=by, department=complaint.department or None,
        source=complaint, summary=summary, occurred_at=now,
    )
    return complaint


@transaction.atomic
def complaint_note_add(*, complaint: Complaint, body: str, reply: bool, by: User,
                       now: dt.datetime | None = None) -> ComplaintNote:
    """An internal note, or a reply to the customer by SMS (through the message pipeline,
    exactly once, consent and quiet hours as it applies them). Both go on the timeline."""
    complaint = Complaint.objects.select_for_update().select_related("customer").get(pk=complaint.pk)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the note or the reply.")})
    if reply and not complaint.is_open:
        raise ValidationError({"body": _("This complaint is closed: reopen it before replying to the customer.")})
    if reply and not complaint.customer.phone:
        raise ValidationError({"body": _("The customer has no mobile number to reply to.")})
    if reply and not complaint.customer.sms_consent:
        # The pipeline would skip it: say so now rather than record a reply nobody gets.
        raise ValidationError({"body": _("The customer has not agreed to receive SMS: call them and write an "
                                         "internal note.")})
    now = now or timezone.now()
    note = ComplaintNote.objects.create(complaint=complaint, kind=ComplaintNote.Kind.REPLY if reply
                                        else ComplaintNote.Kind.INTERNAL, body=body, by=by)
    if reply:
        from marketing.services import message_send_one

        send = message_send_one(customer=complaint.customer, channel="sms", body=body, by=by,
                                key=f"complaint-reply-{note.pk}")
        note.send = send
        note.save(update_fields=["send"])
        fields = _respond(complaint, now)
        if fields:
            complaint.save(update_fields=fields)
    interaction_record(
        customer=complaint.customer, kind=Interaction.Kind.COMPLAINT,
        channel=Interaction.Channel.SMS if reply else Interaction.Channel.SYSTEM,
        direction=Interaction.Direction.OUTBOUND if reply else Interaction.Direction.INTERNAL,
        staff=by, department=complaint.department or None, source=complaint, occurred_at=now,
        summary=(_("Reply on complaint %(code)s: %(text)s") if reply
                 else _("Note on complaint %(code)s: %(text)s")) % {"code": complaint.code, "text": body[:1000]},
    )
    return note


@transaction.atomic
def complaint_escalate(*, complaint: Complaint, to_branch: Branch, by: User | None, reason: str = "") -> Complaint:
    """Share a complaint with another branch (head office, the selling branch): it sees it too."""
    complaint.escalated_to = to_branch
    complaint.save(update_fields=["escalated_to"])
    RoutingEvent.objects.create(complaint=complaint, from_department=complaint.department,
                                to_department=complaint.department, from_user=complaint.assignee,
                                to_user=complaint.assignee, by=by,
                                reason=(_("Escalated to %(branch)s.") % {"branch": to_branch.name}
                                        + (f" {reason}" if reason else ""))[:300])
    managers = _staff_of(to_branch.pk, Department.BRANCH_MANAGEMENT)
    if to_branch.is_head_office:
        managers = User.objects.filter(branch=to_branch, is_active=True,
                                       department__in=[Department.HEAD_OFFICE, Department.BRANCH_MANAGEMENT])
    notification_send(to=list(managers.order_by("id")[:QUEUE_NOTIFY_MAX]), verb=ESCALATED, target=complaint, by=by)
    return complaint


# --- the SLA sweep --------------------------------------------------------------------------------
def _claim(queryset, field: str, now: dt.datetime) -> list[int]:
    """Claim a batch for escalation: lock rows nobody else holds, then the conditional
    UPDATE that marks them. A second sweep (beat firing twice, a retried task) finds the
    mark set, or the rows locked and skipped, and escalates nothing twice."""
    with transaction.atomic():
        ids = list(queryset.select_for_update(skip_locked=True).order_by().values_list("pk", flat=True)[:SWEEP_BATCH])
        if not ids:
            return []
        Complaint.objects.filter(pk__in=ids, **{f"{field}__isnull": True}).update(**{field: now})
    return ids


def complaints_escalate_breached(*, now: dt.datetime | None = None) -> int:
    """Escalate every open complaint whose first response or resolution is overdue, once
    each: the branch's managers are told and the step goes on the customer's timeline."""
    now = now or timezone.now()
    open_ = Complaint.objects.exclude(status__in=Complaint.CLOSED_STATUSES)
    count = 0
    kinds = (
        ("response_escalated_at", open_.filter(first_response_at__isnull=True, response_escalated_at__isnull=True,
                                               first_response_due__lte=now), _("first response")),
        ("resolution_escalated_at", open_.filter(resolved_at__isnull=True, resolution_escalated_at__isnull=True,
                                                 waiting_since__isnull=True, resolution_due__lte=now),
         _("resolution")),
    )
    managers: dict[int, list[User]] = {}  # per branch, read once per sweep
    for field, queryset, what in kinds:
        while True:
            ids = _claim(queryset, field, now)
            if not ids:
                break
            count += len(ids)
            _escalations_tell(list(Complaint.objects.filter(pk__in=ids).select_related("customer", "assignee")),
                              what, managers)
    _warn_before_breach(open_, now)
    return count


def _warn_before_breach(open_, now: dt.datetime) -> int:
    """Tell the assignee, once, that a resolution time is less than WARN_BEFORE away."""
    due_soon = open_.filter(assignee__isnull=False, resolved_at__isnull=True, waiting_since__isnull=True,
                            resolution_warned_at__isnull=True, resolution_due__gt=now,
                            resolution_due__lte=now + WARN_BEFORE)
    warned = 0
    while True:
        ids = _claim(due_soon, "resolution_warned_at", now)
        if not ids:
            return warned
        warned += len(ids)
        for complaint in Complaint.objects.filter(pk__in=ids).select_related("assignee"):
            notification_send(to=complaint.assignee, verb=WARNING, target=complaint)


def _escalations_tell(complaints: list[Complaint], what: str, managers: dict[int, list[User]]) -> None:
    """A claimed batch: each complaint's branch managers (and assignee) are told, and the
    step goes on each customer's timeline, in one INSERT for the batch (measured: the sweep
    spent its time on a managers query and a timeline insert per complaint)."""
    for branch_id in {c.branch_id for c in complaints} - set(managers):
        managers[branch_id] = list(_staff_of(branch_id, Department.BRANCH_MANAGEMENT).order_by("id")
                                   [:QUEUE_NOTIFY_MAX])
    with transaction.atomic():
        for complaint in complaints:
            notification_send(to=managers[complaint.branch_id] + [complaint.assignee], verb=ESCALATED,
                              target=complaint)
        interactions_record_bulk([dict(
            customer=complaint.customer, kind=Interaction.Kind.COMPLAINT, channel=Interaction.Channel.SYSTEM,
            direction=Interaction.Direction.INTERNAL, department=complaint.department or None, source=complaint,
            summary=_("Complaint %(code)s is past its %(what)s time: escalated to the branch manager.")
            % {"code": complaint.code, "what": what},
        ) for complaint in complaints])


# --- attachments ------------------------------------------------------------------------------------
@transaction.atomic
def complaint_attachment_add(*, complaint: Complaint, upload, by: User | None):
    """Keep a photo or PDF with the complaint (checked by content: complaints.attachments.sniff)."""
    from .attachments import sniff
    from .models import ComplaintAttachment

    content_type = sniff(upload)
    name = os.path.basename(upload.name or "file")[:200]
    attachment = ComplaintAttachment(complaint=complaint, original_name=name, content_type=content_type,
                                     size=upload.size, uploaded_by=by)
    # Stored under a random name: the customer's file name never becomes a path.
    attachment.file.save(f"{uuid.uuid4().hex}{os.path.splitext(name)[1].lower()}", upload, save=False)
    attachment.save()
    interaction_record(
        customer=complaint.customer, kind=Interaction.Kind.COMPLAINT, channel=Interaction.Channel.SYSTEM,
        direction=Interaction.Direction.INTERNAL, staff=by, department=complaint.department or None,
        source=complaint, summary=_("File attached to complaint %(code)s: %(name)s") % {
            "code": complaint.code, "name": name},
    )
    return attachment


# --- Quality Control: a recall segment ------------------------------------------------------------
def qc_recall_segment(*, user: User, component: str, model: str, batch: str, by_batch: bool = False,
                      vin_from: str = "", vin_to: str = "", now: dt.datetime | None = None):
    """A static campaign segment (marketing) of the customers who own a vehicle of a defect
    group's model (and years, or of its production batch; optionally inside a VIN range):
    what a recall or service campaign is sent to. Limited to the user's branch unless they
    see every branch."""
    from marketing.segments import segment_static_create

    from . import qc
    from .segments import vin_clean, vin_range_check

    if not model:
        raise ValidationError(_("This group names no model: a recall needs the model."))
    if by_batch and not batch:
        raise ValidationError(_("This group names no production batch: choose the model years instead."))
    if vin_from and vin_to:
        vin_from, vin_to = vin_range_check(vin_from, vin_to)
    else:
        vin_from, vin_to = (vin_clean(vin_from) if vin_from else ""), (vin_clean(vin_to) if vin_to else "")
    if not qc.group_exists(user, component=component, model=model, batch=batch, now=now):
        raise ValidationError(_("There is no such defect group."))
    name = _("Recall: %(component)s · %(model)s · batch %(batch)s") % {
        "component": component or "—", "model": model, "batch": batch or "—"}
    if by_batch:
        name += " · " + _("vehicles of the batch")
    if vin_from or vin_to:
        name += f" · VIN {vin_from or '…'}–{vin_to or '…'}"
    return segment_static_create(name=name[:120], customers_qs_or_ids=qc.recall_customers(
        user, component=component, model=model, batch=batch, by_batch=by_batch, vin_from=vin_from, vin_to=vin_to,
        now=now), branch=None if user.sees_all_branches else user.branch, by=user)
