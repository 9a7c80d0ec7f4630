"""Writes of the sales department. Each is one transaction; views, tasks and the demo call these."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Department, User
from accounts.services import notification_send
from crm import services as crm_services
from crm.models import Customer, Interaction

from . import activity_services
from .models import AssignmentRule, Lead, LeadEvent, Opportunity, Stage, StageChange

LEAD_ASSIGNED = "sales.lead_assigned"
OPPORTUNITY_WON = "sales.opportunity_won"
LEAD_ESCALATED = "sales.lead_escalated"
LEAD_ASKED_AGAIN = "sales.lead_asked_again"


# --- the lead's history -----------------------------------------------------------------------
def _lead_history(*, lead: Lead, summary: str, by: User | None, kind: str = Interaction.Kind.NOTE,
                  channel: str = Interaction.Channel.SYSTEM, direction: str = Interaction.Direction.INTERNAL,
                  at: dt.datetime | None = None) -> None:
    """A step of the lead: on the customer's timeline when it has one, else kept on the
    lead until conversion moves it there."""
    at = at or timezone.now()
    if lead.customer_id:
        crm_services.interaction_record(customer=lead.customer, kind=kind, channel=channel, direction=direction,
                                        summary=summary, staff=by, occurred_at=at, source=lead,
                                        department=Department.SALES)
    else:
        LeadEvent.objects.create(lead=lead, occurred_at=at, staff=by, summary=summary)


# --- capture ------------------------------------------------------------------------------------
@transaction.atomic
def lead_create(*, by: User | None, branch, source: str, name: str, customer: Customer | None = None,
                owner: User | None = None, assign: bool = True, **fields) -> Lead:
    """A new lead of ``branch``. Without an ``owner`` it is handed out by the branch's rule
    (``lead_assign``) in this same transaction."""
    if fields.get("email"):
        fields["email"] = fields["email"].strip().lower()
    lead = Lead(branch=branch, source=source, name=name, customer=customer, **fields)
    lead.score = activity_services.lead_score(lead, recent_activity=False)  # new: no activity yet
    lead.save(force_insert=True)
    source_label = Lead.Source(source).label
    summary = _("Lead created (%(source)s)") % {"source": source_label}
    if lead.model_of_interest:
        summary += _(": interested in %(model)s") % {"model": lead.model_of_interest}
    kind = Interaction.Kind.WEB_FORM if source == Lead.Source.WEB else Interaction.Kind.NOTE
    channel = Interaction.Channel.WEB if source == Lead.Source.WEB else Interaction.Channel.SYSTEM
    direction = Interaction.Direction.INBOUND if source == Lead.Source.WEB else Interaction.Direction.INTERNAL
    _lead_history(lead=lead, summary=summary + ".", by=by, kind=kind, channel=channel, direction=direction)
    if owner is not None:
        lead_reassign(lead=lead, owner=owner, by=by)
    elif assign:
        lead_assign(lead=lead, by=by)
    return lead


@transaction.atomic
def lead_from_web(*, branch, name: str, phone: str, email: str = "", notes: str = "", **fields) -> Lead:
    """The public contact form: the staff form's duplicate check, with nobody to ask.

    The same phone or email as an open lead of the branch: the request is added to that lead
    (on its history, its owner told) instead of a second lead for the same person. The phone
    or email of a customer of the branch: the new lead is that customer's, so its history
    lands on their timeline and conversion attaches to them. Two identical submissions at the
    same moment queue on a lock of (branch, phone) and make one lead."""
    email = (email or "").strip().lower()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"sales.lead_from_web:{branch.pk}:{phone}"])
    same_person = Q(phone=phone) | (Q(email=email) if email else Q())
    existing = (Lead.objects.open().filter(same_person, branch=branch).select_related("customer", "owner")
                .order_by("-id").first())
    if existing is not None:
        summary = _("Sent the contact form again")
        if fields.get("model_of_interest"):
            summary += _(": interested in %(model)s") % {"model": fields["model_of_interest"]}
        summary += "."
        if notes:
            summary += " " + notes[:500]
        _lead_history(lead=existing, summary=summary, by=None, kind=Interaction.Kind.WEB_FORM,
                      channel=Interaction.Channel.WEB, direction=Interaction.Direction.INBOUND)
        if existing.owner_id:
            notification_send(to=existing.owner, verb=LEAD_ASKED_AGAIN, target=existing)
        return existing
    known = (Q(phone=phone) | Q(phone_alt=phone) | (Q(email=email) if email else Q()))
    customer = Customer.objects.filter(known, branch=branch).order_by("id").first()
    return lead_create(by=None, branch=branch, source=Lead.Source.WEB, name=name, phone=phone, email=email,
                       customer=customer, notes=notes, **fields)


@transaction.atomic
def leads_import(*, rows: list[dict], branch, by: User | None) -> list[Lead]:
    """Every row a lead of ``branch``, assigned by the branch's rule: all or none."""
    return [lead_create(by=by, branch=branch, **fields) for fields in rows]


def assignment_rule_for(branch) -> AssignmentRule:
    """The branch's rule, made on first use. Two first arrivals at once: one INSERT wins, the
    other finds its row (the unique branch)."""
    rule = AssignmentRule.objects.filter(branch=branch).first()
    if rule is not None:
        return rule
    try:
        with transaction.atomic():
            return AssignmentRule.objects.create(branch=branch)
    except IntegrityError:
        return AssignmentRule.objects.get(branch=branch)


def assignable_staff(branch) -> list[User]:
    """Who takes new leads at ``branch``: its active sales staff, in a fixed order."""
    return list(User.objects.filter(branch=branch, department=Department.SALES, is_active=True).order_by("id"))


@transaction.atomic
def lead_assign(*, lead: Lead, by: User | None = None) -> User | None:
    """Give ``lead`` to the next rep by the branch's rule; the owner is notified.

    The branch's rule row is locked for the rest of the transaction (SELECT ... FOR UPDATE):
    concurrent arrivals at one branch queue on it, so the round robin's cursor is read and
    moved by one of them at a time (nobody skipped, nobody given two in a row) and the
    "fewest open leads" count includes the lead handed out just before.
    """
    rule_id = assignment_rule_for(lead.branch).pk
    rule = AssignmentRule.objects.select_for_update().get(pk=rule_id)
    if rule.method == AssignmentRule.Method.MANUAL:
        return None
    staff = assignable_staff(lead.branch)
    if not staff:
        return None  # nobody to give it to: it waits, unassigned, on the branch's list
    if rule.method == AssignmentRule.Method.LEAST_OPEN:
        counts = dict(
            Lead.objects.filter(owner__in=staff, status__in=Lead.OPEN_STATUSES).exclude(pk=lead.pk)
            .values_list("owner").annotate(n=Count("id")).values_list("owner", "n")
        )
        owner = min(staff, key=lambda u: (counts.get(u.pk, 0), u.pk))
    else:
        after = rule.last_assigned_id
        # The first rep after the last one given a lead (by id), wrapping round; a rep who
        # left since is simply passed.
        owner = next((u for u in staff if after is None or u.pk > after), staff[0])
    rule.last_assigned = owner
    rule.assigned_count += 1
    rule.save(update_fields=["last_assigned", "assigned_count"])
    _owner_set(lead=lead, owner=owner, by=by)
    return owner


def _owner_set(*, lead: Lead, owner: User, by: User | None) -> None:
    lead.owner = owner
    lead.assigned_at = timezone.now()
    lead.save(update_fields=["owner", "assigned_at"])
    _lead_history(lead=lead, by=by, summary=_("Lead assigned to %(owner)s.") % {"owner": owner})
    notification_send(to=owner, verb=LEAD_ASSIGNED, target=lead, by=by)


@transaction.atomic
def lead_reassign(*, lead: Lead, owner: User, by: User | None) -> Lead:
    if owner.branch_id != lead.branch_id or not owner.is_active:
        raise ValidationError(_("Choose an active member of staff of the lead's branch."), code="owner")
    _owner_set(lead=lead, owner=owner, by=by)
    return lead


# --- status -------------------------------------------------------------------------------------
_NEXT = {
    Lead.Status.NEW: {Lead.Status.CONTACTED, Lead.Status.QUALIFIED, Lead.Status.DISQUALIFIED},
    Lead.Status.CONTACTED: {Lead.Status.QUALIFIED, Lead.Status.DISQUALIFIED},
    Lead.Status.QUALIFIED: {Lead.Status.CONTACTED, Lead.Status.DISQUALIFIED},
    Lead.Status.DISQUALIFIED: {Lead.Status.NEW},  # reopened
    Lead.Status.CONVERTED: set(),
}


@transaction.atomic
def lead_status_set(*, lead: Lead, status: str, by: User | None, reason: str = "") -> Lead:
    lead = Lead.objects.select_for_update(of=("self",)).select_related("customer", "branch").get(pk=lead.pk)
    if status not in _NEXT.get(lead.status, set()):
        raise ValidationError(
            _("A lead that is %(current)s cannot become %(new)s.")
            % {"current": lead.get_status_display().lower(), "new": Lead.Status(status).label.lower()}
            if status in Lead.Status.values else _("Unknown status."),
            code="status",
        )
    reason = (reason or "").strip()
    if status == Lead.Status.DISQUALIFIED and not reason:
        raise ValidationError(_("Say why the lead is disqualified."), code="reason")
    now = timezone.now()
    lead.status = status
    lead.disqualify_reason = reason if status == Lead.Status.DISQUALIFIED else ""
    if status == Lead.Status.CONTACTED and lead.first_contacted_at is None:
        lead.first_contacted_at = now
    lead.save(update_fields=["status", "disqualify_reason", "first_contacted_at"])
    summary = _("Lead status: %(status)s.") % {"status": lead.get_status_display()}
    if reason:
        summary = _("Lead disqualified: %(reason)s.") % {"reason": reason}
    _lead_history(lead=lead, by=by, summary=summary, at=now)
    return lead


# --- conversion ---------------------------------------------------------------------------------
def first_stage() -> Stage:
    stage = Stage.objects.filter(is_active=True, is_won=False, is_lost=False).order_by("order", "id").first()
    if stage is None:
        raise ValidationError(_("The pipeline has no open stage. Add one in the back office."), code="stages")
    return stage


@transaction.atomic
def lead_convert(*, lead: Lead, by: User | None, customer: Customer | None = None,
                 title: str = "", amount: Decimal | None = None, expected_close: dt.date | None = None) -> Opportunity:
    """A qualified lead becomes a customer (or joins ``customer``, an existing one found by
    the duplicate check), a contact person when the buyer is a company, and an opportunity:
    all or nothing. The lead's steps so far move to the customer's timeline."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("branch", "customer").get(pk=lead.pk)
    if lead.status != Lead.Status.QUALIFIED:
        raise ValidationError(_("Only a qualified lead can be converted; this one is %(status)s.")
                              % {"status": lead.get_status_display().lower()}, code="status")
    stage = first_stage()
    customer = customer or lead.customer
    if customer is None:
        is_company = bool(lead.company)
        customer = crm_services.customer_create(
            by=by, branch=lead.branch, kind=Customer.Kind.COMPANY if is_company else Customer.Kind.PERSON,
            name=lead.company or lead.name, phone=lead.phone, email=lead.email, city=lead.city,
            owner=lead.owner or by,
        )
        if is_company:
            crm_services.contact_person_create(customer=customer, by=by, name=lead.name, phone=lead.phone,
                                               email=lead.email)
    now = timezone.now()
    # The lead's history so far, with its own times, on the customer's timeline.
    events = list(lead.events.all())
    if events:
        crm_services.interactions_record_bulk([
            {"customer": customer, "kind": Interaction.Kind.NOTE, "channel": Interaction.Channel.SYSTEM,
             "direction": Interaction.Direction.INTERNAL, "summary": e.summary, "staff": e.staff,
             "occurred_at": e.occurred_at, "source": lead, "department": Department.SALES}
            for e in events
        ])
        lead.events.all().delete()
    lead.customer = customer
    lead.status = Lead.Status.CONVERTED
    lead.converted_at = now
    lead.save(update_fields=["customer", "status", "converted_at"])
    # The lead's activities now belong to the customer too (their 360 page, their timeline).
    lead.activities.filter(customer__isnull=True).update(customer=customer)
    opportunity = Opportunity.objects.create(
        customer=customer, lead=lead, branch=lead.branch, owner=lead.owner or by, stage=stage,
        title=title or lead.model_of_interest or lead.name, amount=amount if amount is not None else (lead.budget or 0),
        probability=stage.probability, expected_close=expected_close, model_of_interest=lead.model_of_interest,
    )
    StageChange.objects.create(opportunity=opportunity, from_stage=None, to_stage=stage, by=by, changed_at=now)
    crm_services.interaction_record(
        customer=customer, kind=Interaction.Kind.NOTE, channel=Interaction.Channel.SYSTEM,
        direction=Interaction.Direction.INTERNAL, staff=by, occurred_at=now, source=opportunity,
        department=Department.SALES,
        summary=_("Lead converted; opportunity %(number)s opened (%(stage)s).")
        % {"number": opportunity.number, "stage": stage.name},
    )
    return opportunity


# --- the pipeline -------------------------------------------------------------------------------
@transaction.atomic
def opportunity_move(*, opportunity: Opportunity, stage: Stage, by: User | None, reason: str = "") -> Opportunity:
    """Move to ``stage``: the stage's probability, a stage-history row and a timeline entry.
    Won or lost closes it (lost needs a reason); a closed one is reopened by moving it to an
    open stage."""
    opp = Opportunity.objects.select_for_update(of=("self",)).select_related("stage", "customer").get(pk=opportunity.pk)
    if not stage.is_active:
        raise ValidationError(_("The stage “%(stage)s” is no longer in use.") % {"stage": stage.name}, code="stage")
    if stage.pk == opp.stage_id:
        return opp
    reason = (reason or "").strip()
    if stage.is_lost and not reason:
        raise ValidationError(_("Say why the opportunity was lost."), code="reason")
    now = timezone.now()
    previous = opp.stage
    opp.stage = stage
    opp.probability = stage.probability
    opp.closed_at = now if stage.is_closed else None
    opp.close_reason = reason if stage.is_closed else ""
    opp.save(update_fields=["stage", "probability", "closed_at", "close_reason"])
    StageChange.objects.create(opportunity=opp, from_stage=previous, to_stage=stage, by=by, changed_at=now)
    summary = _("Opportunity %(number)s moved from %(from)s to %(to)s.") % {
        "number": opp.number, "from": previous.name, "to": stage.name}
    if reason:
        summary += " " + _("Reason: %(reason)s.") % {"reason": reason}
    crm_services.interaction_record(customer=opp.customer, kind=Interaction.Kind.NOTE,
                                    channel=Interaction.Channel.SYSTEM, direction=Interaction.Direction.INTERNAL,
                                    staff=by, occurred_at=now, source=opp, summary=summary,
                                    department=Department.SALES)
    if stage.is_won:
        notification_send(to=opp.owner, verb=OPPORTUNITY_WON, target=opp, by=by)
    return opp


@transaction.atomic
def opportunity_update(*, opportunity: Opportunity, by: User | None, **fields) -> Opportunity:
    for name, value in fields.items():
        setattr(opportunity, name, value)
    opportunity.save(update_fields=list(fields))
    return opportunity


@transaction.atomic
def assignment_rule_set(*, branch, method: str, by: User | None, escalate_after_hours: int | None = None
                        ) -> AssignmentRule:
    rule = AssignmentRule.objects.select_for_update().get(pk=assignment_rule_for(branch).pk)
    rule.method = method
    fields = ["method"]
    if escalate_after_hours is not None:
        rule.escalate_after_hours = escalate_after_hours
        fields.append("escalate_after_hours")
    rule.save(update_fields=fields)
    return rule


# --- escalation of untouched leads ----------------------------------------------------------------
ESCALATION_BATCH = 500


def leads_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate each new lead nobody contacted within its branch's ``escalate_after_hours``
    business hours (the branch calendar: opening hours, closures, holidays) to the branch's
    managers, once. Safe to run twice at once: a lead is claimed by a conditional UPDATE
    (escalated_at from NULL) before anyone is told; the one that loses the race skips it.
    Returns how many were escalated."""
    from branches.selectors import business_between

    now = now or timezone.now()
    rules = {r.branch_id: r for r in AssignmentRule.objects.filter(escalate_after_hours__gt=0).select_related("branch")}
    if not rules:
        return 0
    shortest = min(r.escalate_after_hours for r in rules.values())
    # Business time never runs faster than the clock: younger leads cannot be due yet.
    candidates = list(Lead.objects.filter(
        status=Lead.Status.NEW, first_contacted_at__isnull=True, escalated_at__isnull=True,
        created_at__lte=now - dt.timedelta(hours=shortest), branch_id__in=list(rules),
    ).order_by("created_at")[:ESCALATION_BATCH])
    escalated = 0
    for lead in candidates:
        rule = rules[lead.branch_id]
        if business_between(rule.branch, lead.created_at, now) < rule.escalate_after_hours * 60:
            continue
        with transaction.atomic():
            claimed = Lead.objects.filter(pk=lead.pk, escalated_at__isnull=True, first_contacted_at__isnull=True,
                                          status=Lead.Status.NEW).update(escalated_at=now)
            if not claimed:
                continue  # contacted meanwhile, or another sweep got there first
            lead.escalated_at = now
            managers = list(User.objects.filter(branch_id=lead.branch_id, is_active=True,
                                                department=Department.BRANCH_MANAGEMENT))
            _lead_history(lead=lead, by=None, at=now, summary=_(
                "Lead escalated to the branch manager: nobody contacted it within %(hours)s business hours.")
                % {"hours": rule.escalate_after_hours})
            notification_send(to=managers, verb=LEAD_ESCALATED, target=lead)
        escalated += 1
    return escalated

