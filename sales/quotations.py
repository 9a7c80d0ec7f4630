"""Quotations: line totals, numbering, revisions, accept / reject / expire.

``line_amounts`` is the one place money is computed: the form's preview, the stored
columns, the page and the PDF all show what it returned, whole rupiah per line, rounded
half up as an Indonesian invoice shows it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from crm.services import interaction_record, interactions_record_bulk

from . import catalogue
from .models import Opportunity, Product, Quotation, QuotationLine, TaxClass

ONE = Decimal("1")
HUNDRED = Decimal("100")
DEFAULT_VALID_DAYS = 14


@dataclass(frozen=True)
class LineAmounts:
    gross: Decimal  # quantity × unit price
    discount: Decimal  # percent (rounded) plus amount
    net: Decimal  # the taxable base
    tax: Decimal
    total: Decimal


def _whole(value: Decimal) -> Decimal:
    return value.quantize(ONE, rounding=ROUND_HALF_UP)


def line_amounts(*, quantity: int, unit_price: Decimal, discount_percent: Decimal = Decimal(0),
                 discount_amount: Decimal = Decimal(0), tax_rate: Decimal) -> LineAmounts:
    """One line's figures in whole rupiah. Raises ValidationError (keyed by field) for a
    quantity below one, a price or discount that is negative or not whole rupiah, or a
    discount above the line's amount."""
    unit_price, discount_percent, discount_amount = Decimal(unit_price), Decimal(discount_percent), \
        Decimal(discount_amount)
    errors = {}
    if int(quantity) < 1:
        errors["quantity"] = _("The quantity must be at least 1.")
    if unit_price < 0 or unit_price != unit_price.to_integral_value():
        errors["unit_price"] = _("Enter a price in whole rupiah, not negative.")
    if not (0 <= discount_percent <= 100):
        errors["discount_percent"] = _("A discount is between 0 and 100 percent.")
    if discount_amount < 0 or discount_amount != discount_amount.to_integral_value():
        errors["discount_amount"] = _("Enter a discount in whole rupiah, not negative.")
    if errors:
        raise ValidationError(errors)
    gross = int(quantity) * unit_price
    discount = _whole(gross * discount_percent / HUNDRED) + discount_amount
    if discount > gross:
        raise ValidationError({"discount_amount": _("The discount (Rp %(discount)s) is more than the line's amount "
                                                    "(Rp %(gross)s).") % {"discount": _rupiah(discount),
                                                                          "gross": _rupiah(gross)}})
    net = gross - discount
    tax = _whole(net * Decimal(tax_rate) / HUNDRED)
    return LineAmounts(gross=gross, discount=discount, net=net, tax=tax, total=net + tax)


@dataclass
class Totals:
    subtotal: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    total: Decimal = Decimal(0)

    def add(self, amounts: LineAmounts) -> None:
        self.subtotal += amounts.gross
        self.discount += amounts.discount
        self.tax += amounts.tax
        self.total += amounts.total


def quotation_totals(lines) -> Totals:
    """The quotation's totals: the sum of its lines' whole-rupiah figures."""
    totals = Totals()
    for line in lines:
        totals.add(line if isinstance(line, LineAmounts) else LineAmounts(
            gross=line.gross, discount=line.discount, net=line.net, tax=line.tax, total=line.total))
    return totals


# --- numbering ----------------------------------------------------------------------------------
def document_number(*, branch, kind: str, year: int) -> str:
    """The next number of ``kind`` ("QUO", "SO") at ``branch`` in ``year``: "BDG/QUO/2026/000123".

    One upsert: the counter row is created or incremented and stays locked until this
    transaction ends, so concurrent creations wait their turn (no duplicates) and a rollback
    gives the number back (no gaps). MAX()+1 would hand two writers the same number.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("document_number must run inside the transaction that saves the document")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO sales_documentcounter (branch_id, kind, year, last) VALUES (%s, %s, %s, 1) "
            "ON CONFLICT (branch_id, kind, year) DO UPDATE SET last = sales_documentcounter.last + 1 "
            "RETURNING last",
            [branch.pk, kind, year],
        )
        (last,) = cursor.fetchone()
    return f"{branch.code.upper()}/{kind}/{year}/{last:06d}"


# --- writes -------------------------------------------------------------------------------------
@dataclass
class LineInput:
    description: str
    quantity: int
    unit_price: Decimal
    discount_percent: Decimal = Decimal(0)
    discount_amount: Decimal = Decimal(0)
    product: Product | None = None
    tax_class: str = TaxClass.STANDARD


def _build_lines(quotation: Quotation, lines: list[LineInput]) -> list[QuotationLine]:
    """Lines with their rates on the quotation's date and their amounts; errors name the line."""
    if not lines:
        raise ValidationError(_("Add at least one line."))
    rates = catalogue.tax_rates_on(quotation.quote_date)
    built = []
    for position, line in enumerate(lines, start=1):
        tax_class = line.product.tax_class if line.product else line.tax_class
        if tax_class not in rates:
            raise ValidationError(_("No PPN rate is set for %(date)s: ask head office to add one.")
                                  % {"date": quotation.quote_date.strftime("%d/%m/%Y")})
        try:
            amounts = line_amounts(quantity=line.quantity, unit_price=line.unit_price,
                                   discount_percent=line.discount_percent, discount_amount=line.discount_amount,
                                   tax_rate=rates[tax_class])
        except ValidationError as exc:
            raise ValidationError({field: [_("Line %(n)s: %(error)s") % {"n": position, "error": m} for m in msgs]
                                   for field, msgs in exc.message_dict.items()})
        built.append(QuotationLine(
            quotation=quotation, position=position, product=line.product,
            description=line.description or (line.product.name if line.product else ""), tax_class=tax_class,
            quantity=line.quantity, unit_price=line.unit_price, discount_percent=line.discount_percent,
            discount_amount=line.discount_amount, tax_rate=rates[tax_class], gross=amounts.gross,
            discount=amounts.discount, net=amounts.net, tax=amounts.tax, total=amounts.total))
    return built


def _with_vehicle_line(lines: list[LineInput], vehicle: Product | None, branch) -> list[LineInput]:
    """The quoted vehicle is a line of its own, first, at the branch's price, unless listed."""
    if vehicle is None or any(line.product and line.product.pk == vehicle.pk for line in lines):
        return lines
    return [LineInput(description=vehicle.name, quantity=1, unit_price=catalogue.price_for(vehicle, branch),
                      product=vehicle), *lines]


def _save_lines(quotation: Quotation, lines: list[LineInput]) -> None:
    built = _build_lines(quotation, _with_vehicle_line(lines, quotation.vehicle, quotation.branch))
    totals = quotation_totals(built)
    quotation.lines.all().delete()
    QuotationLine.objects.bulk_create(built)
    quotation.subtotal, quotation.discount_total = totals.subtotal, totals.discount
    quotation.tax_total, quotation.total = totals.tax, totals.total
    quotation.save(update_fields=["subtotal", "discount_total", "tax_total", "total", "updated_at"])


def _note(quotation: Quotation, by: User | None, summary: str, direction: str = "internal") -> None:
    interaction_record(customer=quotation.customer, kind="quotation", channel="system", direction=direction,
                       summary=summary, staff=by, source=quotation)


@transaction.atomic
def quotation_create(*, opportunity: Opportunity, by: User | None, lines: list[LineInput],
                     quote_date: dt.date | None = None, valid_until: dt.date | None = None,
                     vehicle: Product | None = None, price_basis: str = Quotation.PriceBasis.ON_THE_ROAD,
                     notes: str = "") -> Quotation:
    quote_date = quote_date or timezone.localdate()
    valid_until = valid_until or quote_date + dt.timedelta(days=DEFAULT_VALID_DAYS)
    if valid_until < quote_date:
        raise ValidationError({"valid_until": _("The validity date cannot be before the quotation date.")})
    quotation = Quotation(branch=opportunity.branch, opportunity=opportunity, customer=opportunity.customer,
                          created_by=by, vehicle=vehicle, price_basis=price_basis, quote_date=quote_date,
                          valid_until=valid_until, notes=notes)
    # Check the lines before taking a number: a bad line must not use one up (it would roll
    # back anyway, but it would hold the counter's lock for nothing).
    _build_lines(quotation, _with_vehicle_line(lines, vehicle, opportunity.branch))
    quotation.number = document_number(branch=opportunity.branch, kind="QUO", year=quote_date.year)
    quotation.save()
    _save_lines(quotation, lines)
    _note(quotation, by, _("Quotation %(number)s prepared: Rp %(total)s.")
          % {"number": quotation.display_number, "total": _rupiah(quotation.total)})
    return quotation


@transaction.atomic
def quotation_update(*, quotation: Quotation, by: User | None, lines: list[LineInput], quote_date: dt.date,
                     valid_until: dt.date, vehicle: Product | None, price_basis: str, notes: str) -> Quotation:
    """Change a draft. A quotation the customer has seen is revised instead (quotation_revise)."""
    locked = Quotation.objects.select_for_update().get(pk=quotation.pk)
    if locked.status != Quotation.Status.DRAFT:
        raise ValidationError(_("Only a draft can be changed; revise a sent quotation instead."))
    if valid_until < quote_date:
        raise ValidationError({"valid_until": _("The validity date cannot be before the quotation date.")})
    if quote_date.year != locked.quote_date.year:
        raise ValidationError({"quote_date": _("The quotation date must stay in %(year)s, the year of its number.")
                               % {"year": locked.quote_date.year}})
    quotation.quote_date, quotation.valid_until, quotation.vehicle = quote_date, valid_until, vehicle
    quotation.price_basis, quotation.notes = price_basis, notes
    quotation.save(update_fields=["quote_date", "valid_until", "vehicle", "price_basis", "notes", "updated_at"])
    _save_lines(quotation, lines)
    return quotation


@transaction.atomic
def quotation_revise(*, quotation: Quotation, by: User | None) -> Quotation:
    """A new revision (same number, "-R<n>") as a draft with the same lines, priced at today's
    tax rate; the old one is kept, readable, as replaced."""
    old = Quotation.objects.select_for_update().get(pk=quotation.pk)
    if not old.is_open:
        raise ValidationError(_("Only an open quotation can be revised."))
    today = timezone.localdate()
    revision = (Quotation.objects.filter(number=old.number).aggregate(m=Max("revision"))["m"] or 1) + 1
    new = Quotation.objects.create(
        branch=old.branch, opportunity=old.opportunity, customer=old.customer, created_by=by, number=old.number,
        revision=revision, vehicle=old.vehicle, price_basis=old.price_basis, quote_date=today,
        valid_until=today + max(old.valid_until - old.quote_date, dt.timedelta(days=1)), notes=old.notes)
    _save_lines(new, [LineInput(description=line.description, quantity=line.quantity, unit_price=line.unit_price,
                                discount_percent=line.discount_percent, discount_amount=line.discount_amount,
                                product=line.product, tax_class=line.tax_class) for line in old.lines.all()])
    Quotation.objects.filter(pk=old.pk).update(status=Quotation.Status.SUPERSEDED, decided_at=timezone.now())
    _note(new, by, _("Quotation %(old)s revised as %(new)s: Rp %(total)s.")
          % {"old": old.display_number, "new": new.display_number, "total": _rupiah(new.total)})
    return new


@transaction.atomic
def quotation_mark_sent(*, quotation: Quotation, by: User | None) -> Quotation:
    if not Quotation.objects.filter(pk=quotation.pk, status=Quotation.Status.DRAFT).update(
            status=Quotation.Status.SENT):
        raise ValidationError(_("Only a draft can be marked as sent."))
    quotation.status = Quotation.Status.SENT
    _note(quotation, by, _("Quotation %(number)s given to the customer (valid until %(date)s).")
          % {"number": quotation.display_number, "date": quotation.valid_until.strftime("%d/%m/%Y")},
          direction="out")
    return quotation


QUOTATION_PDF = "sales.quotation_pdf"  # the attachment provider (sales/apps.py, sales.pdf)


def quotation_email_key(quotation: Quotation) -> str:
    """The messaging pipeline's idempotency key: one email per revision, however often it is asked."""
    return f"sales.quotation_email:{quotation.number}:R{quotation.revision}"


def _plain(text: str) -> str:
    """A value written into a message template: no braces, so it is never read as a placeholder."""
    return str(text).replace("{", "(").replace("}", ")")


def _email_texts(quotation: Quotation, by: User | None, language: str) -> tuple[str, str]:
    from django.conf import settings
    from django.utils import translation

    from crm.formatting import format_rupiah

    with translation.override(language):
        values = {"number": quotation.display_number, "total": format_rupiah(quotation.total, language=language),
                  "date": quotation.valid_until.strftime("%d/%m/%Y"), "company": settings.COMPANY_NAME,
                  "branch": quotation.branch.name, "staff": (by.get_full_name() or by.email) if by else ""}
        values = {k: _plain(v) for k, v in values.items()}
        subject = _("Quotation %(number)s from %(company)s") % values
        body = (_("Dear {{ name }},") + "\n\n"
                + _("Please find attached our quotation %(number)s for %(total)s, valid until %(date)s.") % values
                + "\n\n" + _("Kind regards,") + "\n" + (values["staff"] + "\n" if values["staff"] else "")
                + "%(company)s · %(branch)s" % values)
    return subject, body


@transaction.atomic
def quotation_email(*, quotation: Quotation, by: User | None):
    """Email the quotation with its PDF through the messaging pipeline: one message per
    revision (the pipeline's idempotency key), rendered and attached when it is sent. A draft
    becomes "sent". The row lock makes a double click wait for the first, which it then finds
    done: ValidationError code "already_emailed", nothing sent twice."""
    from django.conf import settings

    from marketing.models import Send
    from marketing.services import message_send_one

    locked = Quotation.objects.select_for_update().select_related("customer", "branch").get(pk=quotation.pk)
    key = quotation_email_key(locked)
    if Send.objects.filter(idempotency_key=key).exists():
        raise ValidationError(_("Quotation %(number)s was already emailed.") % {"number": locked.display_number},
                              code="already_emailed")
    if not locked.is_open:
        raise ValidationError(_("Only an open quotation can be emailed."), code="not_open")
    if locked.valid_until < timezone.localdate():
        raise ValidationError(_("This quotation expired on %(date)s: revise it first.")
                              % {"date": locked.valid_until.strftime("%d/%m/%Y")}, code="expired")
    customer = locked.customer
    if not customer.email:
        raise ValidationError(_("%(name)s has no email address: add one on the customer's page first.")
                              % {"name": customer.name}, code="no_email")
    if not customer.email_consent:
        raise ValidationError(_("%(name)s has not agreed to receive email: record their consent on the customer's "
                                "page first.") % {"name": customer.name}, code="no_consent")
    if locked.status == Quotation.Status.DRAFT:
        Quotation.objects.filter(pk=locked.pk).update(status=Quotation.Status.SENT)
        locked.status = quotation.status = Quotation.Status.SENT
    subject, body = _email_texts(locked, by, settings.LANGUAGE_CODE)
    subject_en, body_en = _email_texts(locked, by, "en")
    send = message_send_one(customer=customer, channel=Send.Channel.EMAIL, subject=subject, body=body,
                            subject_en=subject_en, body_en=body_en, by=by, key=key,
                            purpose=Send.Purpose.TRANSACTIONAL, attachments=[(QUOTATION_PDF, str(locked.public_id))])
    _note(locked, by, _("Quotation %(number)s emailed to %(email)s with its PDF (valid until %(date)s).")
          % {"number": locked.display_number, "email": customer.email,
             "date": locked.valid_until.strftime("%d/%m/%Y")}, direction="out")
    return send


@transaction.atomic
def quotation_accept(*, quotation: Quotation, by: User | None):
    """The customer accepts: the quotation turns into a sales order, once. The row lock makes
    a double click wait for the first; it then finds the quotation accepted and changes nothing."""
    from .orders import order_create_from_quotation

    locked = Quotation.objects.select_for_update().get(pk=quotation.pk)
    if locked.status == Quotation.Status.ACCEPTED:
        raise ValidationError(_("This quotation was already accepted."), code="already_accepted")
    if not locked.is_open:
        raise ValidationError(_("A quotation that is %(status)s cannot be accepted.")
                              % {"status": locked.get_status_display().lower()})
    if locked.valid_until < timezone.localdate():
        raise ValidationError(_("This quotation expired on %(date)s: revise it first.")
                              % {"date": locked.valid_until.strftime("%d/%m/%Y")})
    locked.status, locked.decided_at = Quotation.Status.ACCEPTED, timezone.now()
    locked.save(update_fields=["status", "decided_at", "updated_at"])
    _note(locked, by, _("Quotation %(number)s accepted by the customer.") % {"number": locked.display_number},
          direction="in")
    order = order_create_from_quotation(quotation=locked, by=by)
    _opportunity_win(locked, by)
    return order


def _opportunity_win(quotation: Quotation, by: User | None) -> None:
    """The accepted quotation wins its opportunity, in the accept's transaction: its amount
    becomes what was sold, and it moves to the pipeline's won stage through the pipeline's
    own service (stage history, forecast probability, timeline, the owner told). Already won
    (another of its quotations was accepted first): left as it is. No won stage set up in
    the pipeline: the order is made all the same, the opportunity stays where it is."""
    import logging

    from .models import Stage
    from .services import opportunity_move

    opportunity = Opportunity.objects.select_for_update(of=("self",)).select_related("stage").get(
        pk=quotation.opportunity_id)
    if opportunity.stage.is_won:
        return
    won = Stage.objects.filter(is_won=True, is_active=True).order_by("order", "id").first()
    if won is None:
        logging.getLogger(__name__).warning("No active won stage: opportunity %s left at %s", opportunity.pk,
                                            opportunity.stage)
        return
    Opportunity.objects.filter(pk=opportunity.pk).update(amount=quotation.total)
    opportunity_move(opportunity=opportunity, stage=won, by=by,
                     reason=_("quotation %(number)s accepted") % {"number": quotation.display_number})


@transaction.atomic
def quotation_reject(*, quotation: Quotation, by: User | None, reason: str) -> Quotation:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Say why the customer declined.")})
    if not Quotation.objects.filter(pk=quotation.pk, status__in=Quotation.OPEN_STATUSES).update(
            status=Quotation.Status.REJECTED, reject_reason=reason[:200], decided_at=timezone.now()):
        raise ValidationError(_("Only an open quotation can be rejected."))
    quotation.refresh_from_db()
    _note(quotation, by, _("Quotation %(number)s declined: %(reason)s.")
          % {"number": quotation.display_number, "reason": reason[:200]}, direction="in")
    return quotation


def quotations_expire(today: dt.date | None = None) -> int:
    """Beat job: open quotations past their validity become expired, each noted on the
    customer's timeline once (the conditional UPDATE is the claim; a second run finds none)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        due = list(Quotation.objects.filter(status__in=Quotation.OPEN_STATUSES, valid_until__lt=today)
                   .select_for_update(skip_locked=True).values_list("pk", flat=True)[:1000])
        if not due:
            return 0
        Quotation.objects.filter(pk__in=due, status__in=Quotation.OPEN_STATUSES).update(
            status=Quotation.Status.EXPIRED, decided_at=timezone.now())
        expired = list(Quotation.objects.filter(pk__in=due).only("pk", "customer_id", "number", "revision",
                                                                  "valid_until"))
        interactions_record_bulk([
            {"customer": q.customer, "kind": "quotation", "channel": "system", "direction": "internal",
             "department": "sales", "source": q,
             "summary": _("Quotation %(number)s expired (valid until %(date)s).")
             % {"number": q.display_number, "date": q.valid_until.strftime("%d/%m/%Y")}}
            for q in expired])
    return len(expired)


# --- reads --------------------------------------------------------------------------------------
def quotations_visible_to(user: User):
    return Quotation.objects.visible_to(user)


def opportunity_quotations(opportunity: Opportunity) -> list[Quotation]:
    """Every quotation of the opportunity, each revision on its own, newest first (one query)."""
    return list(Quotation.objects.filter(opportunity=opportunity)
                .only("public_id", "number", "revision", "status", "total", "quote_date", "valid_until")
                .order_by("-id"))


def quotation_list(queryset):
    return queryset.select_related("customer", "branch", "opportunity").order_by("-id")


def quotation_detail(quotation: Quotation) -> dict:
    """What the page and the PDF show: the lines, the other revisions, the order (if any)."""
    lines = list(quotation.lines.select_related("product"))
    revisions = list(Quotation.objects.filter(number=quotation.number).exclude(pk=quotation.pk)
                     .only("public_id", "number", "revision", "status", "total").order_by("revision"))
    order = getattr(quotation, "_order", None)
    if order is None and quotation.status == Quotation.Status.ACCEPTED:
        from .models import SalesOrder
        order = SalesOrder.objects.filter(quotation=quotation).only("public_id", "number").first()
    return {"lines": lines, "revisions": revisions, "order": order}


def quotation_email_state(quotation: Quotation):
    """The email of this revision, if it was sent by email: its message (address, status,
    when), one query; None otherwise."""
    from marketing.models import Message

    return Message.objects.filter(send__idempotency_key=quotation_email_key(quotation)) \
        .only("to", "status", "sent_at", "created_at").first()


def _rupiah(amount) -> str:
    from crm.formatting import format_rupiah
    return format_rupiah(amount).removeprefix("Rp").strip()
