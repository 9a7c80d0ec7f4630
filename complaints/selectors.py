"""Reads of the helpdesk: the queue, a complaint's page, the 360 panel, the home card, search."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Case, F, Q, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.access import get_for_user_or_404
from crm.public import is_public_code
from crm.registry import SearchHit

from .models import Complaint, ComplaintNote, RoutingEvent

PAGE_SIZE = 50
CARD_ROWS = 5
PANEL_ROWS = 5

_LIST_FIELDS = ("public_id", "code", "category", "priority", "status", "department", "created_at",
                "first_response_due", "first_response_at", "resolution_due", "resolved_at", "waiting_since",
                "customer__public_id", "customer__name", "assignee__first_name", "assignee__last_name",
                "assignee__email")


def complaint_get_for_user(user, complaint_id, *, write: bool = False) -> Complaint:
    return get_for_user_or_404(
        Complaint.objects.select_related("customer__branch", "assignee", "asset", "escalated_to", "created_by"),
        user, write_perm="complaints.change_complaint" if write else None, public_id=complaint_id)


def interaction_get_for_user(user, interaction_id):
    """A timeline entry, if the user may see its customer (404 otherwise)."""
    from crm.models import Interaction

    return get_for_user_or_404(Interaction.objects.select_related("customer__branch"), user,
                               public_id=interaction_id)


def is_inbound_sms(interaction) -> bool:
    return interaction.kind == "sms" and interaction.direction == "in"


def complaint_for_message(interaction) -> Complaint | None:
    """The complaint already taken from this message, if any (one query, two with the content type cold)."""
    from django.contrib.contenttypes.models import ContentType

    return Complaint.objects.filter(related_type=ContentType.objects.get_for_model(interaction),
                                    related_id=interaction.pk).only("public_id", "code").first()


def breached_q(now) -> Q:
    """Open and past a due time that still counts (no first response yet; not paused)."""
    return ~Q(status__in=Complaint.CLOSED_STATUSES) & (
        Q(first_response_at__isnull=True, first_response_due__lte=now)
        | Q(resolved_at__isnull=True, waiting_since__isnull=True, resolution_due__lte=now))


@dataclass
class QueueFilters:
    scope: str = "mine"  # mine | department | all
    status: str = ""  # "" (open), a status, or "any"
    breached: bool = False


def complaint_queue(user, filters: QueueFilters, *, page: int = 1):
    """The helpdesk list: a page of complaints visible to ``user``, newest first. Two
    queries (the page and, for the pager, whether there is a next page)."""
    now = timezone.now()
    qs = Complaint.objects.visible_to(user)
    if filters.scope == "mine":
        qs = qs.filter(assignee=user)
    elif filters.scope == "department":
        qs = qs.filter(department=user.department or "")
    if filters.status == "any":
        pass
    elif filters.status in Complaint.Status.values:
        qs = qs.filter(status=filters.status)
    else:
        qs = qs.exclude(status__in=Complaint.CLOSED_STATUSES)
    if filters.breached:
        qs = qs.filter(breached_q(now))
    qs = qs.select_related("customer", "assignee").only(*_LIST_FIELDS).order_by("-created_at", "-id")
    offset = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(qs[offset:offset + PAGE_SIZE + 1])
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    _decorate(rows, now)
    return {"rows": rows, "has_next": has_next, "page": max(page, 1)}


_NIL = str(uuid.UUID(int=0))


def _decorate(rows: list[Complaint], now) -> None:
    """What the list shows of each row, worked out once per page rather than per cell.

    Measured (docs/PERFORMANCE.md): with 50 rows the page's time went to the template, not
    the query: ``get_FOO_display`` hashes the field's lazily translated choices on every
    call (a gettext per choice, per cell), each ``{% url %}`` resolves the pattern again,
    and the SLA badge was an include per row. Here: one label map per field, one reversed
    URL per pattern with the id put in, and the badge's state."""
    from accounts.models import Department

    labels = {field: {value: str(label) for value, label in choices} for field, choices in (
        ("category", Complaint._meta.get_field("category").choices),
        ("priority", Complaint._meta.get_field("priority").choices),
        ("status", Complaint.Status.choices), ("department", Department.choices))}
    detail = reverse("complaints:complaint_detail", args=[_NIL])
    customer = reverse("crm:customer_detail", args=[_NIL])
    for row in rows:
        row.breached = row.is_breached(now)
        row.category_label = labels["category"].get(row.category, row.category)
        row.priority_label = labels["priority"].get(row.priority, row.priority)
        row.status_label = labels["status"].get(row.status, row.status)
        row.department_label = labels["department"].get(row.department, row.department)
        row.url = detail.replace(_NIL, str(row.public_id))
        row.customer_url = customer.replace(_NIL, str(row.customer.public_id))
        if row.breached:
            row.sla_state, row.sla_due = "breached", None
        elif row.waiting_since:
            row.sla_state, row.sla_due = "paused", None
        elif not row.first_response_at and row.first_response_due:
            row.sla_state, row.sla_due = "response", row.first_response_due
        elif row.resolution_due and not row.resolved_at:
            row.sla_state, row.sla_due = "resolution", row.resolution_due
        else:
            row.sla_state, row.sla_due = "", None


def complaint_detail(complaint: Complaint) -> dict:
    """What the complaint page shows beside the complaint: routing history, notes, files (three queries)."""
    history = list(RoutingEvent.objects.filter(complaint=complaint)
                   .select_related("from_user", "to_user", "by").order_by("created_at", "id"))
    notes = list(ComplaintNote.objects.filter(complaint=complaint).select_related("by").order_by("created_at", "id"))
    attachments = list(complaint.attachments.only("public_id", "original_name", "size", "content_type", "created_at",
                                                  "complaint_id").order_by("created_at", "id"))
    return {"history": history, "notes": notes, "attachments": attachments,
            "breached": complaint.is_breached(timezone.now())}


def open_complaints_panel(customer, user) -> dict:
    """The 360 page's open complaints of this customer (one query)."""
    rows = list(Complaint.objects.filter(customer=customer).exclude(status__in=Complaint.CLOSED_STATUSES)
                .select_related("assignee").only(*[f for f in _LIST_FIELDS if not f.startswith("customer__")],
                                                 "customer_id")
                .order_by("-created_at", "-id")[:PANEL_ROWS])
    now = timezone.now()
    for row in rows:
        row.breached = row.is_breached(now)
    actions = []
    if user.has_perm("complaints.add_complaint"):
        actions = [{"label": _("New complaint"), "url": reverse("complaints:customer_complaint_create",
                                                                 args=[customer.public_id])}]
    return {"rows": rows, "empty": not rows, "actions": actions}


def my_complaints_card(user) -> list[Complaint]:
    """My open complaints, breached first, then the oldest due first (one query)."""
    now = timezone.now()
    return list(
        Complaint.objects.visible_to(user).filter(assignee=user).exclude(status__in=Complaint.CLOSED_STATUSES)
        .select_related("customer").only("public_id", "code", "category", "status", "created_at",
                                         "first_response_due", "first_response_at", "resolution_due",
                                         "resolved_at", "waiting_since", "customer__name", "customer__public_id")
        .annotate(is_late=Case(When(breached_q(now), then=Value(0)), default=Value(1)))
        .order_by("is_late", F("resolution_due").asc(nulls_last=True), "id")[:CARD_ROWS]
    )


def complaint_search(user, query: str) -> list[SearchHit]:
    """The top search box finds a complaint by its tracking code (one query, or none)."""
    code = query.strip()
    if not is_public_code(code):
        return []
    found = (Complaint.objects.visible_to(user).filter(code=code).select_related("customer")
             .only("public_id", "code", "category", "status", "customer__name")[:1])
    return [SearchHit(label=f"{c.code} · {c.customer.name}", url=c.get_absolute_url(),
                      hint=f"{c.get_category_display()} · {c.get_status_display()}") for c in found]


def public_status(complaint: Complaint) -> dict:
    """What the customer sees on the public status page: no staff names, no internal notes."""
    replies = list(ComplaintNote.objects.filter(complaint=complaint, kind=ComplaintNote.Kind.REPLY)
                   .only("body", "created_at").order_by("created_at", "id"))
    return {"complaint": complaint, "replies": replies}
