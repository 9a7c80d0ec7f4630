"""Staff pages of the catalogue, quotations, sales orders and shipments (issue 11).

Each view: the access helper, a form, one service, then redirect (or render the page again
with the form's errors, status 400). Objects are loaded branch-scoped: another branch's
quotation, order or shipment is a 404.
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import get_for_user_or_404, staff_view
from crm.forms import form_add_errors
from crm.selectors import page_of, parse_page

from . import catalogue, orders, pdf, quotations
from .models import Quotation, SalesOrder, Shipment
from .order_forms import (ConfirmForm, DeliverForm, LineFormSet, OrderAdvanceForm, PaymentDueForm, PaymentForm,
                          ProductFilterForm, QuotationForm, ReasonForm, ShipmentForm)
from .views import opportunity_get_for_user

PAGE_SIZE = 50


def quotation_get_for_user(user, quotation_id, *, write=False) -> Quotation:
    return get_for_user_or_404(
        Quotation.objects.select_related("branch", "customer", "opportunity", "vehicle", "created_by"), user,
        write_perm="sales.change_quotation" if write else None, public_id=quotation_id)


def sales_order_get_for_user(user, sales_order_id, *, write=False) -> SalesOrder:
    return get_for_user_or_404(
        SalesOrder.objects.select_related("branch", "customer", "owner", "quotation"), user,
        write_perm="sales.change_salesorder" if write else None, public_id=sales_order_id)


def shipment_get_for_user(user, shipment_id, *, write=False) -> Shipment:
    return get_for_user_or_404(Shipment.objects.select_related("order", "order__customer", "order__branch"), user,
                               write_perm="sales.change_shipment" if write else None, public_id=shipment_id)


def _require(user, perm: str) -> None:
    """The role check of a write, after the object was found: another branch's object is a
    404 whatever the role (the decorator checks only that the user may read such pages)."""
    if not user.has_perm(perm):
        raise PermissionDenied


def _errors(exc: ValidationError) -> list[str]:
    return exc.messages or [_("That did not work.")]


# --- catalogue ----------------------------------------------------------------------------------
@require_GET
@staff_view("sales.view_product")
def product_list(request):
    form = ProductFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    branch = None if request.user.sees_all_branches else request.user.branch
    products = catalogue.products_for_branch(branch, category=data.get("category", ""), query=data.get("q", ""))
    page = page_of(products, parse_page(request.GET.get("page")), PAGE_SIZE)
    return render(request, "sales/catalogue/product_list.html", {"form": form, "page": page, "branch": branch})


# --- quotations ---------------------------------------------------------------------------------
@require_GET
@staff_view("sales.view_quotation")
def quotation_list(request):
    qs = quotations.quotation_list(quotations.quotations_visible_to(request.user))
    status = request.GET.get("status", "")
    if status in Quotation.Status.values:
        qs = qs.filter(status=status)
    page = page_of(qs, parse_page(request.GET.get("page")), PAGE_SIZE)
    return render(request, "sales/quotations/quotation_list.html", {
        "page": page, "status": status, "statuses": Quotation.Status.choices})


def _quotation_form_page(request, *, opportunity, quotation=None):
    branch = opportunity.branch
    today = timezone.localdate()
    if quotation is not None:
        initial = {"vehicle": quotation.vehicle, "price_basis": quotation.price_basis,
                   "quote_date": quotation.quote_date, "valid_until": quotation.valid_until, "notes": quotation.notes}
        lines = [{"product": line.product, "description": line.description, "quantity": line.quantity,
                  "unit_price": line.unit_price, "discount_percent": line.discount_percent,
                  "discount_amount": line.discount_amount} for line in quotation.lines.select_related("product")]
    else:
        initial = {"quote_date": today, "valid_until": today + dt.timedelta(days=quotations.DEFAULT_VALID_DAYS)}
        lines = []
    form = QuotationForm(request.POST or None, initial=initial)
    formset = LineFormSet(request.POST or None, initial=lines or None, prefix="lines",
                          form_kwargs={"branch": branch})
    status = 200
    if request.method == "POST":
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            try:
                if quotation is None:
                    quotation = quotations.quotation_create(opportunity=opportunity, by=request.user,
                                                            lines=formset.line_inputs(), **data)
                    messages.success(request, _("Quotation %(number)s saved.") % {"number": quotation})
                else:
                    quotations.quotation_update(quotation=quotation, by=request.user, lines=formset.line_inputs(),
                                                **data)
                    messages.success(request, _("Quotation %(number)s updated.") % {"number": quotation})
                return redirect(quotation)
            except ValidationError as exc:
                form_add_errors(form, exc)
        status = 400
    return render(request, "sales/quotations/quotation_form.html", {
        "form": form, "formset": formset, "opportunity": opportunity, "quotation": quotation,
        "products": list(catalogue.products_for_branch(branch)), "branch": branch}, status=status)


@require_http_methods(["GET", "POST"])
@staff_view("sales.view_opportunity")
def quotation_create(request, opportunity_id):
    opportunity = opportunity_get_for_user(request.user, opportunity_id)
    _require(request.user, "sales.add_quotation")
    return _quotation_form_page(request, opportunity=opportunity)


@require_http_methods(["GET", "POST"])
@staff_view("sales.view_quotation")
def quotation_edit(request, quotation_id):
    quotation = quotation_get_for_user(request.user, quotation_id, write=True)
    if quotation.status != Quotation.Status.DRAFT:
        messages.error(request, _("Only a draft can be changed; revise a sent quotation instead."))
        return redirect(quotation)
    return _quotation_form_page(request, opportunity=quotation.opportunity, quotation=quotation)


def _quotation_page(request, quotation, *, status=200, **forms):
    context = {
        **quotations.quotation_detail(quotation), "quotation": quotation,
        "reject_form": forms.get("reject_form") or ReasonForm(), "errors": forms.get("errors", []),
        "can_change": request.user.has_perm("sales.change_quotation"),
        "email": quotations.quotation_email_state(quotation) if quotation.is_open else None,
        "expired_by_date": quotation.is_open and quotation.valid_until < timezone.localdate(),
    }
    return render(request, "sales/quotations/quotation_detail.html", context, status=status)


@require_GET
@staff_view("sales.view_quotation")
def quotation_detail(request, quotation_id):
    return _quotation_page(request, quotation_get_for_user(request.user, quotation_id))


@require_GET
@staff_view("sales.view_quotation")
def quotation_pdf(request, quotation_id):
    quotation = quotation_get_for_user(request.user, quotation_id)
    response = HttpResponse(pdf.quotation_pdf(quotation), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{pdf.quotation_pdf_filename(quotation)}"'
    return response


@require_POST
@staff_view("sales.view_quotation")
def quotation_send(request, quotation_id):
    """Give the quotation to the customer: by hand (``how`` absent or "hand": marked as sent),
    or by email with its PDF (``how=email``, through the messaging pipeline)."""
    quotation = quotation_get_for_user(request.user, quotation_id, write=True)
    if request.POST.get("how") == "email":
        try:
            quotations.quotation_email(quotation=quotation, by=request.user)
        except ValidationError as exc:
            if exc.code == "already_emailed":  # a double click: the first one queued it
                messages.info(request, _errors(exc)[0])
                return redirect(quotation)
            return _quotation_page(request, quotation, status=400, errors=_errors(exc))
        messages.success(request, _("Emailed to %(email)s with the PDF attached.")
                         % {"email": quotation.customer.email})
        return redirect(quotation)
    try:
        quotations.quotation_mark_sent(quotation=quotation, by=request.user)
        messages.success(request, _("Marked as given to the customer."))
    except ValidationError as exc:
        messages.error(request, _errors(exc)[0])
    return redirect(quotation)


@require_POST
@staff_view("sales.view_quotation")
def quotation_revise(request, quotation_id):
    quotation = quotation_get_for_user(request.user, quotation_id, write=True)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _quotation_page(request, quotation, status=400, errors=form.errors["confirm"])
    try:
        new = quotations.quotation_revise(quotation=quotation, by=request.user)
    except ValidationError as exc:
        return _quotation_page(request, quotation, status=400, errors=_errors(exc))
    messages.success(request, _("Revision %(number)s made: change it, then give it to the customer.")
                     % {"number": new})
    return redirect("sales:quotation_edit", quotation_id=new.public_id)


@require_POST
@staff_view("sales.view_quotation")
def quotation_accept(request, quotation_id):
    quotation = quotation_get_for_user(request.user, quotation_id, write=True)
    if not request.user.has_perm("sales.change_salesorder"):
        return _quotation_page(request, quotation, status=403, errors=[_("Your role does not allow this.")])
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        return _quotation_page(request, quotation, status=400, errors=form.errors["confirm"])
    try:
        order = quotations.quotation_accept(quotation=quotation, by=request.user)
    except ValidationError as exc:
        if exc.code == "already_accepted":
            # A double click: the first one made the order; show it, change nothing.
            existing = SalesOrder.objects.filter(quotation=quotation).first()
            if existing is not None:
                messages.info(request, _("This quotation was already accepted."))
                return redirect(existing)
        return _quotation_page(request, quotation, status=400, errors=_errors(exc))
    messages.success(request, _("Accepted: sales order %(number)s confirmed.") % {"number": order.number})
    return redirect(order)


@require_POST
@staff_view("sales.view_quotation")
def quotation_reject(request, quotation_id):
    quotation = quotation_get_for_user(request.user, quotation_id, write=True)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            quotations.quotation_reject(quotation=quotation, by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Quotation marked as declined."))
            return redirect(quotation)
        except ValidationError as exc:
            form_add_errors(form, exc)
    return _quotation_page(request, quotation, status=400, reject_form=form)


# --- orders -------------------------------------------------------------------------------------
@require_GET
@staff_view("sales.view_salesorder")
def order_list(request):
    qs = orders.orders_visible_to(request.user)
    status = request.GET.get("status", "open")
    if status == "open":
        qs = qs.open()
    elif status in SalesOrder.Status.values:
        qs = qs.filter(status=status)
    page = page_of(orders.order_list(qs), parse_page(request.GET.get("page")), PAGE_SIZE)
    return render(request, "sales/orders/order_list.html", {
        "page": page, "status": status, "statuses": SalesOrder.Status.choices})


def _order_page(request, order, *, status=200, **forms):
    detail = orders.order_detail(order)
    context = {
        **detail, "order": order,
        "advance_form": forms.get("advance_form") or OrderAdvanceForm(),
        "cancel_form": forms.get("cancel_form") or ReasonForm(),
        "due_form": forms.get("due_form") or PaymentDueForm(initial={"due_date": detail["today"]}),
        "payment_form": forms.get("payment_form") or PaymentForm(order=order, dues=detail["dues"],
                                                                 initial={"paid_on": detail["today"]}),
        "shipment_form": forms.get("shipment_form") or ShipmentForm(),
        "deliver_form": forms.get("deliver_form") or DeliverForm(),
        "can_change": request.user.has_perm("sales.change_salesorder"),
        "can_ship": request.user.has_perm("sales.change_shipment"),
        "can_plan": request.user.has_perm("sales.add_shipment"),
        # A refused step is said at the top too: its form may not be on the page any more.
        "page_errors": [e for form in forms.values() for e in form.non_field_errors()],
    }
    return render(request, "sales/orders/order_detail.html", context, status=status)


@require_GET
@staff_view("sales.view_salesorder")
def order_detail(request, sales_order_id):
    return _order_page(request, sales_order_get_for_user(request.user, sales_order_id))


@require_POST
@staff_view("sales.view_salesorder")
def order_advance(request, sales_order_id):
    order = sales_order_get_for_user(request.user, sales_order_id, write=True)
    form = OrderAdvanceForm(request.POST)
    if form.is_valid():
        try:
            orders.order_advance(order=order, by=request.user, to=form.cleaned_data["to"],
                                 vin=form.cleaned_data["vin"])
            messages.success(request, _("Order %(number)s is now %(status)s.")
                             % {"number": order.number, "status": order.get_status_display().lower()})
            return redirect(order)
        except ValidationError as exc:
            form_add_errors(form, exc)
    return _order_page(request, order, status=400, advance_form=form)


@require_POST
@staff_view("sales.view_salesorder")
def order_cancel(request, sales_order_id):
    order = sales_order_get_for_user(request.user, sales_order_id, write=True)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            orders.order_cancel(order=order, by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Order %(number)s cancelled.") % {"number": order.number})
            return redirect(order)
        except ValidationError as exc:
            form_add_errors(form, exc)
    return _order_page(request, order, status=400, cancel_form=form)


@require_POST
@staff_view("sales.view_salesorder")
def order_payment_due_add(request, sales_order_id):
    order = sales_order_get_for_user(request.user, sales_order_id)
    _require(request.user, "sales.add_paymentdue")
    form = PaymentDueForm(request.POST)
    if form.is_valid():
        try:
            orders.payment_due_add(order=order, by=request.user, **form.cleaned_data)
            messages.success(request, _("Added to the payment schedule."))
            return redirect(order)
        except ValidationError as exc:
            form_add_errors(form, exc)
    return _order_page(request, order, status=400, due_form=form)


@require_POST
@staff_view("sales.view_salesorder")
def order_payment_record(request, sales_order_id):
    order = sales_order_get_for_user(request.user, sales_order_id)
    _require(request.user, "sales.add_payment")
    form = PaymentForm(request.POST, order=order, dues=list(order.payment_dues.all()))
    if form.is_valid():
        try:
            orders.payment_record(order=order, by=request.user, **form.cleaned_data)
            messages.success(request, _("Payment recorded."))
            return redirect(order)
        except ValidationError as exc:
            form_add_errors(form, exc)
    return _order_page(request, order, status=400, payment_form=form)


@require_POST
@staff_view("sales.view_salesorder")
def order_shipment_create(request, sales_order_id):
    order = sales_order_get_for_user(request.user, sales_order_id)
    _require(request.user, "sales.add_shipment")
    form = ShipmentForm(request.POST)
    if form.is_valid():
        try:
            orders.shipment_create(order=order, by=request.user, **form.cleaned_data)
            messages.success(request, _("Delivery planned."))
            return redirect(order)
        except ValidationError as exc:
            form_add_errors(form, exc)
    return _order_page(request, order, status=400, shipment_form=form)


# --- shipments ----------------------------------------------------------------------------------
@require_GET
@staff_view("sales.view_shipment")
def shipment_queue(request):
    return render(request, "sales/orders/shipment_queue.html", {
        **orders.shipment_queue(request.user), "deliver_form": DeliverForm(),
        "can_ship": request.user.has_perm("sales.change_shipment")})


def _back(request, shipment):
    """Back to the queue the clerk came from (two taps on a phone), else to the order."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(shipment.get_absolute_url())


@require_POST
@staff_view("sales.view_shipment")
def shipment_ship(request, shipment_id):
    shipment = shipment_get_for_user(request.user, shipment_id, write=True)
    try:
        orders.shipment_ship(shipment=shipment, by=request.user)
        messages.success(request, _("%(number)s is on its way.") % {"number": shipment.order.number})
    except ValidationError as exc:
        messages.error(request, "%s: %s" % (shipment.order.number, _errors(exc)[0]))
    return _back(request, shipment)


@require_POST
@staff_view("sales.view_shipment")
def shipment_deliver(request, shipment_id):
    shipment = shipment_get_for_user(request.user, shipment_id, write=True)
    form = DeliverForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise ValidationError(_("Write who received it."))
        orders.shipment_deliver(shipment=shipment, by=request.user, receiver_name=form.cleaned_data["receiver_name"],
                                photo=form.cleaned_data.get("photo"))
        messages.success(request, _("%(number)s delivered.") % {"number": shipment.order.number})
    except ValidationError as exc:
        messages.error(request, "%s: %s" % (shipment.order.number, _errors(exc)[0]))
    return _back(request, shipment)


@require_GET
@staff_view("sales.view_shipment")
def shipment_proof(request, shipment_id):
    """The hand-over photo, to staff who may see the shipment (404 to anyone else)."""
    shipment = shipment_get_for_user(request.user, shipment_id)
    if not shipment.proof_photo:
        return render(request, "sales/orders/shipment_proof_missing.html", {"shipment": shipment})
    try:
        handle = shipment.proof_photo.open("rb")
    except FileNotFoundError:
        raise Http404
    response = FileResponse(handle, content_type=shipment.proof_content_type or "application/octet-stream")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
