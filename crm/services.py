"""Writes to the shared customer record. Views, admin, tasks and commands all come here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Department, User
from accounts.notifications import CUSTOMER_ASSIGNED
from accounts.services import notification_send

from . import sync
from .models import Asset, ContactPerson, Channel, Customer, Interaction, Tag
from .phone import phone_search_keys

# The consent channels, as defined once by crm.models.Channel (each with its three fields on Customer).
CONSENT_CHANNELS = tuple(Channel.values)


def customer_search_text(*, name: str, email: str = "", phones: Iterable[str] = (), plates: Iterable[str] = ()) -> str:
    """The text the search box looks in, lower-cased: name, email, phone keys and plates.

    Plates are stored with and without spaces ("b 1234 xyz b1234xyz"), phones in E.164
    and national form, so what staff type matches without any parsing at query time.
    """
    parts = [name.lower()]
    if email:
        parts.append(email.lower())
    parts.extend(phone_search_keys(p) for p in phones if p)
    for plate in plates:
        if plate:
            plate = plate.lower()
            parts.append(plate)
            parts.append(plate.replace(" ", ""))
    return " ".join(p for p in parts if p)


def customer_refresh_search_text(*, customer: Customer) -> None:
    plates = customer.assets.exclude(plate_number="").values_list("plate_number", flat=True)
    customer.search_text = customer_search_text(
        name=customer.name, email=customer.email, phones=[customer.phone, customer.phone_alt], plates=plates
    )
    Customer.objects.filter(pk=customer.pk).update(search_text=customer.search_text)


def _apply_consent(customer: Customer, consents: dict[str, bool], *, source: str, now: dt.datetime) -> list[str]:
    """Set consent flags, stamping time and source; return the channels whose answer changed."""
    changed = []
    for channel in CONSENT_CHANNELS:
        if channel not in consents:
            continue
        new = bool(consents[channel])
        if getattr(customer, f"{channel}_consent") != new:
            changed.append(channel)
        elif getattr(customer, f"{channel}_consent_at") is not None:
            continue
        # A change, or the first answer on record (a refusal is worth its time and source too).
        setattr(customer, f"{channel}_consent", new)
        setattr(customer, f"{channel}_consent_at", now)
        setattr(customer, f"{channel}_consent_source", source)
    return changed


def staff_department(user: User | None) -> str:
    """The department a write is filed under: the staff member's own, else head office.

    The one fallback for writes by someone without a department (a superuser, the system,
    a task with no user): the back office and the system act for head office.
    """
    return user.department if user is not None and user.department else Department.HEAD_OFFICE


def _system_note(*, customer: Customer, by: User | None, summary: str,
                 occurred_at: dt.datetime | None = None) -> Interaction:
    """History of a change to the record itself, as the staff UI writes it."""
    return interaction_record(
        customer=customer, kind=Interaction.Kind.NOTE, channel=Interaction.Channel.SYSTEM,
        direction=Interaction.Direction.INTERNAL, department=staff_department(by), staff=by,
        summary=summary, occurred_at=occurred_at,
    )


def _changed_labels(model: type[models.Model], stored: models.Model, fields: dict) -> list[str]:
    """Verbose names of the fields whose new value differs from the stored row."""
    return [str(model._meta.get_field(name).verbose_name) for name, value in fields.items()
            if getattr(stored, name) != value]


@transaction.atomic
def customer_create(*, by: User | None, branch, tags: Iterable[Tag] = (), consents: dict[str, bool] | None = None,
                    consent_source: str = "staff", **fields) -> Customer:
    now = timezone.now()
    if fields.get("owner") is None and by is not None and by.is_active and by.department:
        # Whoever registers the customer looks after it until someone else is chosen
        # (the same people the form offers as owners: active staff with a department).
        fields["owner"] = by
    customer = Customer(branch=branch, **fields)
    if consents:
        _apply_consent(customer, consents, source=consent_source, now=now)
    customer.search_text = customer_search_text(
        name=customer.name, email=customer.email, phones=[customer.phone, customer.phone_alt]
    )
    customer.save()
    if tags:
        customer.tags.set(tags)
    interaction_record(
        customer=customer, kind=Interaction.Kind.NOTE, channel=Interaction.Channel.SYSTEM,
        direction=Interaction.Direction.INTERNAL, department=staff_department(by), staff=by,
        summary=_("Customer record created."), occurred_at=now,
    )
    # The owner hears of it, unless they made the customer themselves (notification_send skips ``by``).
    notification_send(to=customer.owner, verb=CUSTOMER_ASSIGNED, target=customer, by=by)
    return customer


@transaction.atomic
def customer_update(*, customer: Customer, by: User | None, tags: Iterable[Tag] | None = None,
                    consents: dict[str, bool] | None = None, consent_source: str = "staff", **fields) -> Customer:
    now = timezone.now()
    # Compare with the row as stored (locked), not with ``customer``: a bound ModelForm
    # has already copied the new values onto the instance it was given.
    stored = Customer.objects.select_for_update().get(pk=customer.pk)
    changed_fields = [name for name, value in fields.items() if getattr(stored, name) != value]
    for name in CONSENT_CHANNELS:
        for suffix in ("consent", "consent_at", "consent_source"):
            setattr(customer, f"{name}_{suffix}", getattr(stored, f"{name}_{suffix}"))
    for name, value in fields.items():
        setattr(customer, name, value)
    changed_consent = _apply_consent(customer, consents or {}, source=consent_source, now=now)
    customer.save()
    if tags is not None:
        customer.tags.set(tags)
    customer_refresh_search_text(customer=customer)
    notes = []
    if changed_fields:
        labels = ", ".join(str(Customer._meta.get_field(f).verbose_name) for f in changed_fields)
        notes.append(_("Profile updated: %(fields)s.") % {"fields": labels})
    for channel in changed_consent:
        if getattr(customer, f"{channel}_consent"):
            note = _("%(channel)s consent given (%(source)s).")
        else:
            note = _("%(channel)s consent withdrawn (%(source)s).")
        notes.append(note % {"channel": channel.upper(), "source": consent_source})
    if notes:
        interaction_record(
            customer=customer, kind=Interaction.Kind.NOTE, channel=Interaction.Channel.SYSTEM,
            direction=Interaction.Direction.INTERNAL, department=staff_department(by), staff=by,
            summary=" ".join(notes), occurred_at=now,
        )
    if "owner" in changed_fields:
        # The new owner hears of it, unless they took the customer themselves.
        notification_send(to=customer.owner, verb=CUSTOMER_ASSIGNED, target=customer, by=by)
    return customer


@transaction.atomic
def contact_person_create(*, customer: Customer, by: User | None, **fields) -> ContactPerson:
    person = ContactPerson.objects.create(customer=customer, **fields)
    _system_note(customer=customer, by=by,
                 summary=_("Contact person added: %(name)s.") % {"name": person.name})
    return person


@transaction.atomic
def contact_person_update(*, person: ContactPerson, by: User | None, **fields) -> ContactPerson:
    # Compare with the row as stored (locked): a bound ModelForm has already changed ``person``.
    stored = ContactPerson.objects.select_for_update().get(pk=person.pk)
    labels = _changed_labels(ContactPerson, stored, fields)
    for name, value in fields.items():
        setattr(person, name, value)
    person.save()
    if not labels:
        return person
    if person.customer_id != stored.customer_id:
        # Moved to another customer: both timelines say so, neither names the other
        # customer (it may belong to a branch the reader cannot see).
        _system_note(customer=stored.customer, by=by,
                     summary=_("Contact person %(name)s moved to another customer.") % {"name": stored.name})
        _system_note(customer=person.customer, by=by,
                     summary=_("Contact person added: %(name)s.") % {"name": person.name})
    else:
        _system_note(customer=person.customer, by=by,
                     summary=_("Contact person %(name)s updated: %(fields)s.")
                     % {"name": person.name, "fields": ", ".join(labels)})
    return person


@transaction.atomic
def contact_person_delete(*, person: ContactPerson, by: User | None) -> None:
    customer = person.customer
    name = person.name
    with sync.deleted_by(by):
        person.delete()
    _system_note(customer=customer, by=by, summary=_("Contact person removed: %(name)s.") % {"name": name})


@transaction.atomic
def asset_create(*, customer: Customer, by: User | None, **fields) -> Asset:
    asset = Asset.objects.create(customer=customer, **fields)
    customer_refresh_search_text(customer=customer)
    _system_note(customer=customer, by=by, summary=_("Vehicle added: %(vehicle)s.") % {"vehicle": asset})
    return asset


@transaction.atomic
def asset_update(*, asset: Asset, by: User | None, **fields) -> Asset:
    # Compare with the row as stored (locked): a bound ModelForm has already changed ``asset``.
    stored = Asset.objects.select_for_update().get(pk=asset.pk)
    labels = _changed_labels(Asset, stored, fields)
    for name, value in fields.items():
        setattr(asset, name, value)
    asset.save()
    # The plate lives in the owner's search text: refresh it whatever changed, so the
    # search box never finds a customer by a plate it no longer has (or misses the new one).
    customer_refresh_search_text(customer=asset.customer)
    if not labels:
        return asset
    if asset.customer_id != stored.customer_id:
        customer_refresh_search_text(customer=stored.customer)
        _system_note(customer=stored.customer, by=by,
                     summary=_("Vehicle %(vehicle)s moved to another customer.") % {"vehicle": stored})
        _system_note(customer=asset.customer, by=by,
                     summary=_("Vehicle added: %(vehicle)s.") % {"vehicle": asset})
    else:
        _system_note(customer=asset.customer, by=by,
                     summary=_("Vehicle %(vehicle)s updated: %(fields)s.")
                     % {"vehicle": asset, "fields": ", ".join(labels)})
    return asset


@transaction.atomic
def asset_delete(*, asset: Asset, by: User | None) -> None:
    customer = asset.customer
    label = str(asset)
    with sync.deleted_by(by):
        asset.delete()
    customer_refresh_search_text(customer=customer)
    _system_note(customer=customer, by=by, summary=_("Vehicle removed: %(vehicle)s.") % {"vehicle": label})


def _interaction(*, customer: Customer, kind: str, channel: str, direction: str, summary: str,
                 department: str | None = None, staff: User | None = None, occurred_at: dt.datetime | None = None,
                 source: models.Model | None = None) -> Interaction:
    interaction = Interaction(
        customer=customer,
        branch_id=customer.branch_id,
        kind=kind,
        channel=channel,
        direction=direction,
        department=department or staff_department(staff),
        staff=staff,
        summary=summary,
        occurred_at=occurred_at or timezone.now(),
    )
    if source is not None:
        interaction.source_type = ContentType.objects.get_for_model(source)
        interaction.source_id = source.pk
    return interaction


def interaction_record(
    *,
    customer: Customer,
    kind: str,
    channel: str,
    direction: str,
    summary: str,
    department: str | None = None,
    staff: User | None = None,
    occurred_at: dt.datetime | None = None,
    source: models.Model | None = None,
) -> Interaction:
    """The one way to add to a customer's contact history, for every app.

    ``department`` defaults to the staff member's (``staff_department``: head office for
    someone without one). ``source`` links the touch to the record it came from (a
    quotation, a complaint, an SMS message...), so the timeline can point back to it.
    """
    interaction = _interaction(customer=customer, kind=kind, channel=channel, direction=direction, summary=summary,
                               department=department, staff=staff, occurred_at=occurred_at, source=source)
    interaction.save()
    _last_contact_move([interaction])
    return interaction


def interactions_record_bulk(entries: Iterable[dict]) -> list[Interaction]:
    """``interaction_record`` for many touches in one INSERT (a batch of SMS sent): each
    entry takes the same keyword arguments, with the same defaults."""
    interactions = Interaction.objects.bulk_create([_interaction(**entry) for entry in entries])
    _last_contact_move(interactions)
    return interactions


def _last_contact_move(interactions: list[Interaction]) -> None:
    """Move each customer's last_contact_at forward to its latest person touch among these
    (one statement; never backwards: a late entry for last week changes nothing)."""
    latest: dict[int, dt.datetime] = {}
    for i in interactions:
        if i.kind in Interaction.PERSON_KINDS and i.channel != Interaction.Channel.SYSTEM:
            latest[i.customer_id] = max(i.occurred_at, latest.get(i.customer_id, i.occurred_at))
    if not latest:
        return
    with connection.cursor() as cursor:
        # GREATEST ignores NULL in PostgreSQL: a first touch sets it. The rows are locked in id
        # order first (the CTE): two batches touching the same customers in different orders
        # (two workers recording their accepted SMS) then wait for each other instead of
        # deadlocking, which the UPDATE's own join order would risk.
        cursor.execute(
            "WITH locked AS MATERIALIZED (SELECT id FROM crm_customer WHERE id = ANY(%s::bigint[]) "
            "ORDER BY id FOR NO KEY UPDATE) "
            "UPDATE crm_customer c SET last_contact_at = GREATEST(c.last_contact_at, v.at), updated_at = now() "
            "FROM locked JOIN unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) ON v.id = locked.id "
            "WHERE c.id = locked.id AND c.last_contact_at IS DISTINCT FROM GREATEST(c.last_contact_at, v.at)",
            [list(latest), list(latest), list(latest.values())],
        )


SUMMARY_MAX_LENGTH = 2000


def interaction_summary_clean(value: str | None) -> str:
    """The one rule for what a person writes on the timeline (logging it, correcting it)."""
    summary = (value or "").strip()
    if not summary:
        raise ValidationError(_("Write what happened."), code="required")
    if len(summary) > SUMMARY_MAX_LENGTH:
        raise ValidationError(_("Keep the summary under 2000 characters."), code="max_length")
    return summary


def interaction_correction_refusal(*, interaction: Interaction, by: User | None,
                                   now: dt.datetime | None = None) -> str | None:
    """Why ``by`` may not correct ``interaction`` now, or None if they may.

    Only the author, only what a person typed (not a record's own history or a touch
    written by another app), and only for INTERACTION_CORRECTION_MINUTES after logging it.
    """
    if by is None or interaction.staff_id is None or interaction.staff_id != by.pk:
        return _("Only the person who logged this interaction can correct it.")
    if interaction.source_type_id is not None or interaction.channel == Interaction.Channel.SYSTEM:
        return _("This entry was recorded by the system and cannot be corrected.")
    window = dt.timedelta(minutes=settings.INTERACTION_CORRECTION_MINUTES)
    if (now or timezone.now()) > interaction.created_at + window:
        return _("An interaction can be corrected only within %(minutes)d minutes of logging it.") % {
            "minutes": settings.INTERACTION_CORRECTION_MINUTES}
    return None


@transaction.atomic
def interaction_correct(*, interaction: Interaction, by: User | None, summary: str) -> Interaction:
    """The author fixes the summary of what they logged; the first wording is kept."""
    # Decide on the row as stored (locked), not on an instance a form may have changed.
    stored = Interaction.objects.select_for_update().get(pk=interaction.pk)
    refusal = interaction_correction_refusal(interaction=stored, by=by)
    if refusal:
        raise ValidationError(refusal, code="not_correctable")
    try:
        summary = interaction_summary_clean(summary)
    except ValidationError as exc:
        raise ValidationError({"summary": exc.messages}, code=exc.code)
    if not stored.original_summary:
        stored.original_summary = stored.summary
    stored.summary = summary
    stored.corrected_at = timezone.now()
    stored.save(update_fields=["summary", "original_summary", "corrected_at", "updated_at"])
    for name in ("summary", "original_summary", "corrected_at", "updated_at"):
        setattr(interaction, name, getattr(stored, name))
    return interaction
