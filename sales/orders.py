"""Sales orders, their payment schedule, payments and shipments (services, then reads).

Every status change goes through ``_order_move``: a conditional UPDATE on the expected
status (two clerks pressing "Shipped" at once: one wins, the other is told), an
``OrderEvent`` (when, who, from, to) and a line on the customer's timeline.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy, ngettext

from accounts.models import Department, User
from accounts.services import notification_send
from crm import services as crm_services
from crm.registry import SearchHit
from crm.services import interaction_record

from .models import (OrderEvent, OrderVehicle, Payment, PaymentDue, Product, Quotation, QuotationLine, SalesOrder,
                     Shipment, TaxClass)
from .quotations import _rupiah, document_number

SHIPMENT_LATE = "sales.shipment_late"
PROOF_MAX_BYTES = 8 * 1024 * 1024


def proof_sniff(upload) -> str:
    """The photo's content type, or ValidationError: not a JPEG or PNG, too big, empty."""
    from complaints.attachments import IMAGE_KINDS, sniff

    return sniff(upload, kinds=IMAGE_KINDS, limit=int(getattr(settings, "SALES_PROOF_MAX_BYTES", PROOF_MAX_BYTES)))
ORDER_CONFIRMED = "sales.order_confirmed"
S = SalesOrder.Status

# Where each status may go by hand (shipped and delivered come from the shipment).
_NEXT = {S.CONFIRMED: (S.ALLOCATED,), S.ALLOCATED: (S.INVOICED,), S.DELIVERED: (S.CLOSED,)}
CANCELLABLE = (S.CONFIRMED, S.ALLOCATED, S.INVOICED)
_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")

STATUS_SUMMARY = {
    S.CONFIRMED: gettext_lazy("Order %(number)s confirmed: Rp %(total)s."),
    S.ALLOCATED: gettext_lazy("Order %(number)s: vehicle allocated."),
    S.INVOICED: gettext_lazy("Order %(number)s invoiced."),
    S.SHIPPED: gettext_lazy("Order %(number)s shipped."),
    S.DELIVERED: gettext_lazy("Order %(number)s delivered."),
    S.CLOSED: gettext_lazy("Order %(number)s closed."),
    S.CANCELLED: gettext_lazy("Order %(number)s cancelled."),
}


def _timeline(order: SalesOrder, by: User | None, summary: str, direction: str = "internal") -> None:
    interaction_record(customer=order.customer, kind="order", channel="system", direction=direction,
                       summary=summary, staff=by, source=order)


def _summary(order: SalesOrder, status: str, note: str = "") -> str:
    text = str(STATUS_SUMMARY[status]) % {"number": order.number, "total": _rupiah(order.total)}
    return f"{text} {note}".strip()


def order_create_from_quotation(*, quotation: Quotation, by: User | None) -> SalesOrder:
    """Called by quotation_accept inside its transaction, with the quotation locked."""
    now = timezone.now()
    try:
        with transaction.atomic():
            order = SalesOrder.objects.create(
                branch=quotation.branch, customer=quotation.customer, quotation=quotation,
                owner=quotation.opportunity.owner or by, total=quotation.total, status_changed_at=now,
                number=document_number(branch=quotation.branch, kind="SO", year=timezone.localdate().year))
    except IntegrityError:
        # The OneToOne on quotation: another accept got there first.
        raise ValidationError(_("This quotation was already accepted."), code="already_accepted")
    OrderEvent.objects.create(order=order, from_status="", to_status=S.CONFIRMED, at=now, by=by)
    _timeline(order, by, _summary(order, S.CONFIRMED))
    return order


def order_has_vehicle(order: SalesOrder) -> bool:
    return QuotationLine.objects.filter(quotation_id=order.quotation_id, tax_class=TaxClass.LUXURY).exists()


def _order_move(order: SalesOrder, *, to: str, by: User | None, allowed_from, note: str = "", **fields) -> SalesOrder:
    now = timezone.now()
    updated = SalesOrder.objects.filter(pk=order.pk, status__in=allowed_from).update(
        status=to, status_changed_at=now, **fields)
    if not updated:
        current = SalesOrder.objects.filter(pk=order.pk).values_list("status", flat=True).first()
        if current == S.CANCELLED:
            raise ValidationError(_("This order was cancelled: it cannot be %(action)s.")
                                  % {"action": str(S(to).label).lower()})
        raise ValidationError(_("The order is %(status)s now, so it cannot become %(to)s.")
                              % {"status": str(S(current).label).lower() if current else "?",
                                 "to": str(S(to).label).lower()})
    from_status = order.status
    for name, value in fields.items():
        setattr(order, name, value)
    order.status, order.status_changed_at = to, now
    OrderEvent.objects.create(order=order, from_status=from_status, to_status=to, at=now, by=by, note=note[:200])
    _timeline(order, by, _summary(order, to, note))
    return order


def vin_clean(value: str) -> str:
    vin = "".join((value or "").split()).upper()
    if not _VIN.fullmatch(vin):
        raise ValidationError({"vin": _("A VIN is 17 letters and digits, without I, O or Q.")})
    return vin


_VIN_SEPARATORS = re.compile(r"[\n,;]+")


def vehicle_units(order: SalesOrder) -> list[tuple[QuotationLine, int]]:
    """The order's vehicles one by one, in line order: ``(line, unit)``, unit 1 … quantity."""
    lines = QuotationLine.objects.filter(quotation_id=order.quotation_id, tax_class=TaxClass.LUXURY) \
        .order_by("position", "id")
    return [(line, unit) for line in lines for unit in range(1, line.quantity + 1)]


def vins_clean(value, count: int) -> list[str]:
    """``count`` VINs from what was typed: one per line (or separated by commas), spaces
    inside one ignored. Errors are the form's "vin" field's, naming the VIN at fault."""
    parts = [p for p in _VIN_SEPARATORS.split(value or "") if p.strip()] if isinstance(value, str) else list(value)
    if count == 1 and len(parts) <= 1:
        return [vin_clean(parts[0] if parts else "")]
    if len(parts) != count:
        raise ValidationError({"vin": ngettext(
            "This order has %(count)s vehicle: enter its VIN (%(found)s entered).",
            "This order has %(count)s vehicles: enter one VIN for each, one per line (%(found)s entered).",
            count) % {"count": count, "found": len(parts)}})
    vins = []
    for n, part in enumerate(parts, start=1):
        try:
            vins.append(vin_clean(part))
        except ValidationError:
            raise ValidationError({"vin": _("VIN %(n)s (%(value)s): a VIN is 17 letters and digits, without I, O "
                                            "or Q.") % {"n": n, "value": part.strip()[:30]}})
    twice = sorted({vin for vin in vins if vins.count(vin) > 1})
    if twice:
        raise ValidationError({"vin": _("%(vin)s is entered twice: each vehicle has its own VIN.")
                               % {"vin": twice[0]}})
    return vins


def _vins_free(order: SalesOrder, vins: list[str]) -> None:
    """Refuse a VIN another open order holds, or one already a customer's vehicle (two queries)."""
    from django.db.models.functions import Upper

    from crm.models import Asset

    held = OrderVehicle.objects.filter(vin__in=vins, released_at__isnull=True).exclude(order=order) \
        .select_related("order").order_by("id").first()
    if held is not None:
        raise ValidationError({"vin": _("VIN %(vin)s is already allocated to order %(number)s.")
                               % {"vin": held.vin, "number": held.order.number}}, code="vin_taken")
    # upper(vin) = …: on crm's UPPER(vin) index (3 ms at 1,000,000 assets); older assets may be lower case.
    owned = Asset.objects.alias(vin_upper=Upper("vin")).filter(vin_upper__in=vins).values_list("vin", flat=True)[:1]
    if owned:
        raise ValidationError({"vin": _("VIN %(vin)s is already registered as a customer's vehicle.")
                               % {"vin": owned[0].upper()}}, code="vin_taken")


def _allocate(order: SalesOrder, vin, by: User | None) -> tuple[dict, str]:
    """One VIN per vehicle unit, held by the order (the partial unique index settles a race
    between two orders). Returns the order's fields (its first VIN) and the event's note."""
    units = vehicle_units(order)
    if not units:
        return {}, ""
    vins = vins_clean(vin, len(units))
    _vins_free(order, vins)
    now = timezone.now()
    try:
        with transaction.atomic():
            OrderVehicle.objects.bulk_create([
                OrderVehicle(order=order, line=line, unit=unit, vin=v, allocated_at=now, allocated_by=by)
                for (line, unit), v in zip(units, vins)])
    except IntegrityError:
        # Another order took one of them between the check and the insert.
        raise ValidationError({"vin": _("One of these VINs was just allocated to another order: check them "
                                        "and try again.")}, code="vin_taken")
    note = ngettext("VIN %(vins)s.", "VINs %(vins)s.", len(vins)) % {"vins": ", ".join(vins)}
    return {"vin": vins[0]}, note


@transaction.atomic
def order_advance(*, order: SalesOrder, by: User | None, to: str, vin: str = "") -> SalesOrder:
    """Allocate (with the VIN when the order has a vehicle), invoice, close."""
    locked = SalesOrder.objects.select_for_update().get(pk=order.pk)
    order.status = locked.status
    if to not in _NEXT.get(locked.status, ()):
        if locked.status == S.CANCELLED:
            raise ValidationError(_("This order was cancelled: it cannot be %(action)s.")
                                  % {"action": str(S(to).label).lower() if to in S.values else to})
        raise ValidationError(_("The order is %(status)s now, so it cannot become %(to)s.")
                              % {"status": str(S(locked.status).label).lower(),
                                 "to": str(S(to).label).lower() if to in S.values else to})
    fields, note = _allocate(locked, vin, by) if to == S.ALLOCATED else ({}, "")
    return _order_move(order, to=to, by=by, allowed_from=(locked.status,), note=note, **fields)


@transaction.atomic
def order_cancel(*, order: SalesOrder, by: User | None, reason: str) -> SalesOrder:
    reason = " ".join((reason or "").split())[:200]
    if not reason:
        raise ValidationError({"reason": _("Say why the order is cancelled.")})
    locked = SalesOrder.objects.select_for_update().get(pk=order.pk)
    order.status = locked.status
    if locked.status not in CANCELLABLE:
        raise ValidationError(_("An order that is %(status)s can no longer be cancelled.")
                              % {"status": str(S(locked.status).label).lower()})
    # Its VINs are free for another order again.
    OrderVehicle.objects.filter(order=locked, released_at__isnull=True).update(released_at=timezone.now())
    return _order_move(order, to=S.CANCELLED, by=by, allowed_from=CANCELLABLE, note=reason, cancel_reason=reason)


# --- payments -----------------------------------------------------------------------------------
@transaction.atomic
def payment_due_add(*, order: SalesOrder, by: User | None, kind: str, due_date: dt.date, amount: Decimal,
                    leasing_company: str = "") -> PaymentDue:
    locked = SalesOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status == S.CANCELLED:
        raise ValidationError(_("This order was cancelled: it has no payments due."))
    if amount is None or amount <= 0 or amount != amount.to_integral_value():
        raise ValidationError({"amount": _("Enter an amount in whole rupiah, above zero.")})
    if kind == PaymentDue.Kind.LEASING and not leasing_company.strip():
        raise ValidationError({"leasing_company": _("Name the leasing company.")})
    scheduled = locked.payment_dues.aggregate(s=Coalesce(Sum("amount"), Decimal(0)))["s"]
    if scheduled + amount > locked.total:
        raise ValidationError({"amount": _("The schedule would come to Rp %(sum)s, more than the order's total "
                                           "(Rp %(total)s).") % {"sum": _rupiah(scheduled + amount),
                                                                 "total": _rupiah(locked.total)}})
    due = PaymentDue.objects.create(order=locked, kind=kind, due_date=due_date, amount=amount,
                                    leasing_company=leasing_company.strip())
    _timeline(locked, by, _("Order %(number)s: Rp %(amount)s due on %(date)s · %(kind)s.")
              % {"number": locked.number, "kind": due.get_kind_display(), "amount": _rupiah(amount),
                 "date": due_date.strftime("%d/%m/%Y")})
    return due


@transaction.atomic
def payment_record(*, order: SalesOrder, due: PaymentDue, by: User | None, amount: Decimal, paid_on: dt.date,
                   method: str, reference: str = "") -> Payment:
    locked = PaymentDue.objects.select_for_update().select_related("order").get(pk=due.pk, order=order)
    if locked.order.status == S.CANCELLED:
        raise ValidationError(_("This order was cancelled: record a refund in the accounting system instead."))
    if amount is None or amount <= 0 or amount != amount.to_integral_value():
        raise ValidationError({"amount": _("Enter an amount in whole rupiah, above zero.")})
    if amount > locked.outstanding:
        raise ValidationError({"amount": _("Only Rp %(left)s is still due on this line.")
                               % {"left": _rupiah(locked.outstanding)}})
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("A payment cannot be dated in the future.")})
    payment = Payment.objects.create(order=locked.order, due=locked, amount=amount, paid_on=paid_on, method=method,
                                     reference=reference.strip()[:80], recorded_by=by)
    locked.paid_amount += amount
    if locked.paid_amount == locked.amount:
        locked.paid_at = timezone.now()
    locked.save(update_fields=["paid_amount", "paid_at", "updated_at"])
    _timeline(locked.order, by, _("Order %(number)s: Rp %(amount)s received · %(kind)s.")
              % {"number": locked.order.number, "amount": _rupiah(amount), "kind": locked.get_kind_display()},
              direction="in")
    return payment


# --- shipments ----------------------------------------------------------------------------------
@transaction.atomic
def shipment_create(*, order: SalesOrder, by: User | None, method: str, promised_date: dt.date, carrier: str = "",
                    tracking_number: str = "") -> Shipment:
    locked = SalesOrder.objects.select_for_update().get(pk=order.pk)
    if locked.status == S.CANCELLED:
        raise ValidationError(_("A cancelled order cannot be shipped."))
    if locked.status in (S.SHIPPED, S.DELIVERED, S.CLOSED) or Shipment.objects.filter(order=locked).exists():
        raise ValidationError(_("This order already has its shipment."))
    if method == Shipment.Method.CARRIER and not carrier.strip():
        raise ValidationError({"carrier": _("Name the carrier.")})
    shipment = Shipment.objects.create(order=locked, branch_id=locked.branch_id, method=method,
                                       promised_date=promised_date,
                                       carrier=carrier.strip(), tracking_number=tracking_number.strip())
    _timeline(locked, by, _("Order %(number)s: delivery planned for %(date)s.")
              % {"number": locked.number, "date": promised_date.strftime("%d/%m/%Y")})
    return shipment


@transaction.atomic
def shipment_ship(*, shipment: Shipment, by: User | None) -> Shipment:
    """Out of the door: the shipment is in transit and the order shipped, together."""
    order = SalesOrder.objects.select_for_update().get(pk=shipment.order_id)
    if order.status == S.CANCELLED:
        raise ValidationError(_("A cancelled order cannot be shipped."))
    if Shipment.objects.filter(pk=shipment.pk).exclude(status=Shipment.Status.PLANNED).exists():
        raise ValidationError(_("This shipment is already on its way."))
    if order.status != S.INVOICED:
        raise ValidationError(_("Invoice the order before it is shipped (it is %(status)s).")
                              % {"status": str(S(order.status).label).lower()})
    now = timezone.now()
    if not Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.PLANNED).update(
            status=Shipment.Status.IN_TRANSIT, shipped_at=now):
        raise ValidationError(_("This shipment is already on its way."))
    shipment.status, shipment.shipped_at = Shipment.Status.IN_TRANSIT, now
    note = shipment.tracking_number and _("Tracking number %(n)s.") % {"n": shipment.tracking_number}
    shipment.order = _order_move(order, to=S.SHIPPED, by=by, allowed_from=(S.INVOICED,), note=note or "")
    return shipment


@transaction.atomic
def shipment_deliver(*, shipment: Shipment, by: User | None, receiver_name: str, photo=None) -> Shipment:
    """Handed over: the order is delivered and each vehicle on it becomes the customer's asset.
    ``photo`` (optional): a JPEG or PNG of the hand-over, kept as the proof."""
    receiver_name = " ".join((receiver_name or "").split())[:120]
    if not receiver_name:
        raise ValidationError({"receiver_name": _("Write who received it.")})
    content_type = ""
    if photo is not None:
        try:
            content_type = proof_sniff(photo)
        except ValidationError as exc:
            raise ValidationError({"photo": exc.messages})
    order = SalesOrder.objects.select_for_update().select_related("customer").get(pk=shipment.order_id)
    now = timezone.now()
    if not Shipment.objects.filter(pk=shipment.pk, status=Shipment.Status.IN_TRANSIT).update(
            status=Shipment.Status.DELIVERED, delivered_at=now, receiver_name=receiver_name):
        raise ValidationError(_("Only a shipment in transit can be delivered."))
    shipment.status, shipment.delivered_at, shipment.receiver_name = Shipment.Status.DELIVERED, now, receiver_name
    if photo is not None:
        # Saved last: a refused delivery stores no file. (A rollback after this leaves an
        # orphan file, never a row pointing at a missing one.)
        shipment.proof_photo.save(photo.name, photo, save=False)
        shipment.proof_content_type = content_type
        Shipment.objects.filter(pk=shipment.pk).update(proof_photo=shipment.proof_photo.name,
                                                        proof_content_type=content_type)
    _order_move(order, to=S.DELIVERED, by=by, allowed_from=(S.SHIPPED,),
                note=_("Received by %(name)s.") % {"name": receiver_name})
    _vehicles_to_assets(order, by=by, day=timezone.localdate())
    shipment.order = order
    return shipment


def _vehicles_to_assets(order: SalesOrder, *, by: User | None, day: dt.date) -> None:
    """Each vehicle unit becomes an asset of its own, with the VIN allocated to it (a unit
    with no allocation, from before allocation by unit, gets none). Its allocation is then
    released: the asset is what refuses the VIN to another order from now on."""
    lines = QuotationLine.objects.filter(quotation_id=order.quotation_id, tax_class=TaxClass.LUXURY) \
        .select_related("product").order_by("position", "id")
    allocated = {(v.line_id, v.unit): v for v in OrderVehicle.objects.filter(order=order, released_at__isnull=True)}
    now = timezone.now()
    for line in lines:
        product: Product | None = line.product
        for unit in range(1, line.quantity + 1):
            make = (product.make if product else "") or line.description.split(" ")[0]
            model = (product.model_name if product else "") or line.description
            months = product.warranty_months if product else 0
            allocation = allocated.get((line.pk, unit))
            asset = crm_services.asset_create(
                customer=order.customer, by=by, make=make[:60], model=model[:80],
                vin=allocation.vin if allocation else "",
                purchase_date=day, warranty_end=day + relativedelta(months=months) if months else None)
            if allocation:
                OrderVehicle.objects.filter(pk=allocation.pk).update(asset=asset, released_at=now)


def shipments_notify_late(today: dt.date | None = None) -> int:
    """Beat job: a shipment past its promised date tells the branch's shipment staff and the
    order's owner, once. The conditional UPDATE on ``late_notified_at`` is the claim: a
    second run, or a second worker, finds nothing left to claim."""
    today = today or timezone.localdate()
    notified = 0
    with transaction.atomic():
        late = list(Shipment.objects.filter(status__in=(Shipment.Status.PLANNED, Shipment.Status.IN_TRANSIT),
                                            promised_date__lt=today, late_notified_at__isnull=True)
                    .select_for_update(skip_locked=True, of=("self",))
                    .select_related("order", "order__owner").order_by("promised_date")[:500])
        if not late:
            return 0
        Shipment.objects.filter(pk__in=[s.pk for s in late], late_notified_at__isnull=True).update(
            late_notified_at=timezone.now())
        clerks: dict[int, list[User]] = {}
        for branch_id in {s.order.branch_id for s in late}:
            clerks[branch_id] = list(User.objects.filter(branch_id=branch_id, is_active=True,
                                                         department=Department.SHIPMENT))
        for shipment in late:
            notification_send(to=[*clerks[shipment.order.branch_id], shipment.order.owner], verb=SHIPMENT_LATE,
                              target=shipment.order)
            notified += 1
    return notified


# --- reads --------------------------------------------------------------------------------------
def orders_visible_to(user: User):
    return SalesOrder.objects.visible_to(user)


def _with_payment_state(queryset, today: dt.date):
    # Correlated subqueries on the order's few schedule rows (index on order_id), run only
    # for the rows of the page. Not EXISTS: PostgreSQL turns that into a hashed scan of every
    # unpaid row of every order (600 ms at 2,000,000 orders).
    dues = PaymentDue.objects.filter(order=OuterRef("pk")).order_by().values("order")
    first_unpaid = PaymentDue.objects.filter(order=OuterRef("pk"), paid_at__isnull=True).order_by("due_date")
    return queryset.annotate(
        scheduled=Coalesce(Subquery(dues.annotate(s=Sum("amount")).values("s")), Value(Decimal(0))),
        paid=Coalesce(Subquery(dues.annotate(s=Sum("paid_amount")).values("s")), Value(Decimal(0))),
        next_due=Subquery(first_unpaid.values("due_date")[:1]),
    ).annotate(overdue=ExpressionWrapper(Q(next_due__lt=today), output_field=BooleanField()))


def order_list(queryset, today: dt.date | None = None):
    """Rows for the order list: customer, branch, owner, shipment, payment state, one query."""
    today = today or timezone.localdate()
    return _with_payment_state(queryset.select_related("customer", "branch", "owner", "shipment"),
                               today).order_by("-id")


def order_detail(order: SalesOrder) -> dict:
    today = timezone.localdate()
    dues = list(order.payment_dues.all())
    for due in dues:
        due.overdue = due.is_overdue(today)
    lines = list(QuotationLine.objects.filter(quotation_id=order.quotation_id))
    events = list(order.events.select_related("by"))
    vehicle_count = sum(line.quantity for line in lines if line.tax_class == TaxClass.LUXURY)
    # Its vehicles by VIN: held now, or delivered as assets (not the ones a cancellation released).
    vehicles = list(order.vehicles.filter(Q(released_at__isnull=True) | Q(asset__isnull=False))
                    .select_related("line")) if vehicle_count else []
    for event in events:
        event.label = S(event.to_status).label if event.to_status in S.values else event.to_status
    return {
        "lines": lines,
        "events": events,
        "dues": dues,
        "payments": list(order.payments.select_related("due", "recorded_by")),
        "shipment": Shipment.objects.filter(order=order).first(),
        "has_vehicle": bool(vehicle_count),
        "vehicle_count": vehicle_count,
        "vehicles": vehicles,
        "has_unpaid": any(due.paid_at is None for due in dues),
        "next_statuses": [S(s) for s in _NEXT.get(order.status, ())],
        "cancellable": order.status in CANCELLABLE,
        "today": today,
    }


# A working list for a phone: the most urgent first; a hundred cards keep it fast to render.
QUEUE_ROWS = 100


def shipment_queue(user: User, today: dt.date | None = None) -> dict:
    """Shipments not yet delivered, by promised date, sorted into the queue's groups in one query."""
    today = today or timezone.localdate()
    rows = list(Shipment.objects.visible_to(user)
                .filter(status__in=(Shipment.Status.PLANNED, Shipment.Status.IN_TRANSIT))
                .select_related("order", "order__customer")
                .order_by("promised_date", "id")[:QUEUE_ROWS])
    groups = {"late": [], "today": [], "in_transit": [], "planned": []}
    for shipment in rows:
        if shipment.promised_date < today:
            groups["late"].append(shipment)
        elif shipment.promised_date == today:
            groups["today"].append(shipment)
        elif shipment.status == Shipment.Status.IN_TRANSIT:
            groups["in_transit"].append(shipment)
        else:
            groups["planned"].append(shipment)
    return {"groups": groups, "count": len(rows), "today": today, "full": len(rows) == QUEUE_ROWS,
            "limit": QUEUE_ROWS}


PANEL_ROWS = 5


def customer_orders_panel(customer, user) -> dict:
    """The 360 panel: the customer's open orders with payment and shipment state, and the
    quotations still waiting for an answer (two queries)."""
    open_orders = list(order_list(SalesOrder.objects.filter(customer=customer).open())[:PANEL_ROWS])
    waiting = list(Quotation.objects.filter(customer=customer, status__in=Quotation.OPEN_STATUSES)
                   .only("public_id", "number", "revision", "status", "total", "valid_until")
                   .order_by("-id")[:PANEL_ROWS])
    return {"orders": open_orders, "quotations": waiting, "empty": not open_orders and not waiting}


_NUMBER = re.compile(r"^[A-Z0-9-]{2,16}/(QUO|SO)/\d{4}/\d{6}(-R\d+)?$")


def number_search(user: User, query: str) -> list[SearchHit]:
    """A quotation or order number typed in full ("BDG/QUO/2026/000123", "-R2" too): one query."""
    query = "".join((query or "").split()).upper()
    match = _NUMBER.match(query)
    if not match:
        return []
    if match.group(1) == "SO":
        return [SearchHit(label=o.number, url=o.get_absolute_url(), hint=str(o.customer))
                for o in SalesOrder.objects.visible_to(user).filter(number=query).select_related("customer")[:3]]
    number, _sep, revision = query.partition("-R")
    rows = Quotation.objects.visible_to(user).filter(number=number).select_related("customer").order_by("-revision")
    if revision:
        rows = rows.filter(revision=int(revision))
    return [SearchHit(label=q.display_number, url=q.get_absolute_url(), hint=str(q.customer)) for q in rows[:3]]


# --- make bench (sales/bench.py calls these) ----------------------------------------------------
BENCH_ORDERS = 2_000_000  # at 1,000,000 customers (issue 11)


def bench_seed(*, total: int, stdout) -> None:
    """Tops quotations and orders up to ``total`` orders, each from its own accepted quotation,
    in SQL (INSERT … SELECT: two million rows through the ORM would take an hour). One in
    three has an unpaid down payment; one in fifty a delivery still to make, the rest
    delivered. Numbers "BENCH/…" keep clear of real ones."""
    from django.db import connection

    missing = total - SalesOrder.objects.count()
    if missing <= 0:
        return
    start = Quotation.objects.filter(number__startswith="BENCH/").count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM sales_opportunity")
        if not cursor.fetchone()[0]:
            return
        for offset in range(0, missing, 250_000):
            size = min(250_000, missing - offset)
            first = start + offset + 1
            cursor.execute("""
                WITH opps AS (SELECT row_number() OVER (ORDER BY id) - 1 AS rn, id, customer_id, branch_id, owner_id,
                                     count(*) OVER () AS n FROM sales_opportunity),
                q AS (
                  INSERT INTO sales_quotation (created_at, updated_at, public_id, branch_id, opportunity_id, customer_id,
                      created_by_id, number, revision, status, price_basis, quote_date, valid_until, notes, subtotal,
                      discount_total, tax_total, total, decided_at, reject_reason)
                  SELECT now(), now(), gen_random_uuid(), o.branch_id, o.id, o.customer_id, o.owner_id,
                         'BENCH/QUO/' || lpad(g::text, 8, '0'), 1, 'accepted', 'otr', current_date - (g %% 300)::int,
                         current_date - (g %% 300)::int + 14, '', 300000000, 0, 36000000, 336000000, now(), ''
                  FROM generate_series(%s, %s) g
                  -- A constant modulus (an InitPlan), so the join is hashed, not a nested loop.
                  JOIN opps o ON o.rn = g %% (SELECT count(*) FROM sales_opportunity)
                  RETURNING id, branch_id, customer_id, created_by_id)
                INSERT INTO sales_salesorder (created_at, updated_at, public_id, branch_id, customer_id, quotation_id,
                    owner_id, number, status, total, vin, cancel_reason, status_changed_at)
                SELECT now(), now(), gen_random_uuid(), q.branch_id, q.customer_id, q.id, q.created_by_id,
                       'BENCH/SO/' || lpad(q.id::text, 9, '0'),
                       (ARRAY['confirmed','allocated','invoiced','shipped','delivered','closed','closed','closed',
                              'closed','cancelled'])[1 + q.id %% 10],
                       336000000, '', CASE WHEN q.id %% 10 = 9 THEN 'Batal' ELSE '' END, now()
                FROM q""", [first, first + size - 1])
            stdout.write(f"sales: {offset + size:,} of {missing:,} orders added")
        cursor.execute("""
            INSERT INTO sales_paymentdue (created_at, updated_at, order_id, kind, leasing_company, due_date, amount,
                paid_amount, paid_at)
            SELECT now(), now(), s.id, 'down_payment', '', current_date - (s.id % 400)::int + 30, 68000000,
                   CASE WHEN s.id % 3 = 0 THEN 0 ELSE 68000000 END, CASE WHEN s.id % 3 = 0 THEN NULL ELSE now() END
            FROM sales_salesorder s
            WHERE s.number LIKE 'BENCH/%' AND NOT EXISTS (SELECT 1 FROM sales_paymentdue d WHERE d.order_id = s.id)""")
        cursor.execute("""
            INSERT INTO sales_shipment (created_at, updated_at, public_id, order_id, branch_id, method, carrier,
                tracking_number, promised_date, status, delivered_at, receiver_name, late_notified_at, proof_photo,
                proof_content_type)
            SELECT now(), now(), gen_random_uuid(), s.id, s.branch_id, 'own_driver', '', '',
                   current_date - (s.id % 60)::int + 7,
                   CASE WHEN s.id % 50 = 0 THEN 'planned' ELSE 'delivered' END,
                   CASE WHEN s.id % 50 = 0 THEN NULL ELSE now() END,
                   CASE WHEN s.id % 50 = 0 THEN '' ELSE 'Penerima' END, now(), '', ''
            FROM sales_salesorder s
            WHERE s.number LIKE 'BENCH/%' AND s.status IN ('invoiced', 'delivered', 'closed')
              AND NOT EXISTS (SELECT 1 FROM sales_shipment x WHERE x.order_id = s.id)""")
        for table in ("sales_quotation", "sales_salesorder", "sales_paymentdue", "sales_shipment"):
            cursor.execute(f"ANALYZE {table}")  # (VACUUM cannot run in the tests' transaction)


def bench_cases(*, runs: int, users: dict) -> list:
    """The order list and the shipment queue (≤ 60 ms p95) and a quotation PDF (≤ 1.5 s)."""
    from django.urls import reverse

    from crm.benchmarks.inputs import Typed
    from crm.benchmarks.measure import Case

    same = Typed("-", "same page")
    out = []
    for label, who in users.items():
        out += [
            Case(f"sales: order list ({label})", who, [(same, reverse("sales:order_list"))] * runs, 60,
                 group="departments"),
            Case(f"sales: shipment queue ({label})", who, [(same, reverse("sales:shipment_queue"))] * runs, 60,
                 group="departments"),
        ]
    rep = users.get("sales rep JKS")
    quotation = Quotation.objects.filter(created_by__email=rep).order_by("-id").first() if rep else None
    if quotation is not None:
        out.append(Case("sales: quotation PDF (sales rep JKS)", rep,
                        [(same, reverse("sales:quotation_pdf", args=[quotation.public_id]))] * max(runs // 4, 5),
                        1500, group="departments"))
    return out
