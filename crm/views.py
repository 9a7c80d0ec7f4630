"""Staff pages of the shared customer record. Each view: access helper, form, one service."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import customer_get_for_user, staff_view
from marketing.forms import SmsForm

from . import selectors, services
from .filters import CustomerFilter
from .forms import AssetForm, ContactPersonForm, CustomerForm, InteractionForm
from .models import Customer


@require_GET
@staff_view()
def home(request):
    return redirect("crm:customer_list")


@require_GET
@staff_view("crm.view_customer")
def customer_list(request):
    user = request.user
    query = selectors.clean_search_query(request.GET.get("q", ""))
    filterset = CustomerFilter(request.GET or None, queryset=selectors.customers_visible_to(user), user=user)
    search_too_short = bool(query) and selectors.customer_search_filter(query) is None
    if filterset.is_bound and not filterset.is_valid():
        # A bad filter value (an unknown branch id, say) shows at the field; no rows.
        qs = Customer.objects.none()
    else:
        qs = selectors.customer_search(queryset=filterset.qs if filterset.is_bound else filterset.queryset,
                                       query=query)
    page = selectors.page_of(
        selectors.customer_list(user=user, queryset=qs),
        selectors.parse_page(request.GET.get("page")),
        settings.CUSTOMER_LIST_PAGE_SIZE,
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "query": query,
        "search_too_short": search_too_short,
        "min_search": selectors.MIN_SEARCH_LENGTH,
        "querystring": params.urlencode(),
    }
    template = "crm/partials/customer_rows.html" if request.htmx and request.htmx.target == "customer-results" \
        else "crm/customer_list.html"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@staff_view("crm.add_customer")
def customer_create(request):
    if not request.user.sees_all_branches and request.user.branch_id is None:
        # A branch must own every customer; staff saved without one cannot pick any.
        raise PermissionDenied
    form = CustomerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        fields = kwargs.pop("fields")
        branch = fields.pop("branch", None) or request.user.branch
        customer = services.customer_create(by=request.user, branch=branch, **fields, **kwargs)
        messages.success(request, _("Customer %(name)s created.") % {"name": customer.name})
        return redirect(customer)
    return render(request, "crm/customer_form.html", {"form": form, "creating": True})


@require_http_methods(["GET", "POST"])
@staff_view("crm.change_customer")
def customer_edit(request, customer_id):
    customer = customer_get_for_user(request.user, customer_id, write=True)
    form = CustomerForm(request.POST or None, instance=customer, user=request.user)
    if request.method == "POST" and form.is_valid():
        kwargs = form.service_kwargs()
        services.customer_update(customer=customer, by=request.user, **kwargs.pop("fields"), **kwargs)
        messages.success(request, _("Changes to %(name)s saved.") % {"name": customer.name})
        return redirect(customer)
    if request.method == "POST":
        # The form bound to the instance has changed it in memory; show the saved name.
        customer.refresh_from_db(fields=["name"])
    return render(request, "crm/customer_form.html", {"form": form, "customer": customer, "creating": False})


def _detail_context(request, customer, interaction_form=None) -> dict:
    return {
        "customer": customer,
        "tags": list(customer.tags.all()),
        "assets": selectors.customer_assets(customer=customer),
        "contact_persons": list(customer.contact_persons.all()),
        "timeline": selectors.customer_timeline(customer=customer),
        "interaction_form": interaction_form or InteractionForm(),
        "can_edit": request.user.has_perm("crm.change_customer"),
        "can_log": request.user.has_perm("crm.add_interaction"),
        "can_sms": request.user.has_perm("marketing.add_send"),
        "sms_form": SmsForm(initial={"key": uuid.uuid4()}),
    }


@require_GET
@staff_view("crm.view_customer")
def customer_detail(request, customer_id):
    customer = customer_get_for_user(request.user, customer_id)
    return render(request, "crm/customer_detail.html", _detail_context(request, customer))


@require_GET
@staff_view("crm.view_interaction")
def customer_timeline(request, customer_id):
    customer = customer_get_for_user(request.user, customer_id, queryset=Customer.objects.all())
    timeline = selectors.customer_timeline(customer=customer, page=selectors.parse_page(request.GET.get("page")))
    template = "crm/partials/timeline.html" if request.htmx else "crm/customer_timeline.html"
    return render(request, template, {"customer": customer, "timeline": timeline})


@require_POST
@staff_view("crm.add_interaction")
def interaction_create(request, customer_id):
    customer = customer_get_for_user(request.user, customer_id)
    form = InteractionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        services.interaction_record(
            customer=customer,
            kind=data["kind"],
            channel=data["channel"],
            direction=data["direction"],
            department=services.staff_department(request.user),
            staff=request.user,
            summary=data["summary"],
            occurred_at=data["occurred_at"],
        )
        if not request.htmx:
            messages.success(request, _("Interaction logged."))
            return redirect(customer)
        form, logged = InteractionForm(), True
    else:
        if not request.htmx:
            context = _detail_context(request, customer, interaction_form=form)
            return render(request, "crm/customer_detail.html", context, status=400)
        # htmx swaps only 2xx answers: the form comes back with its errors at the fields.
        logged = False
    context = {
        "customer": customer,
        "interaction_form": form,
        "timeline": selectors.customer_timeline(customer=customer),
        "logged": logged,
        "can_log": True,
    }
    return render(request, "crm/partials/timeline_panel.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("crm.add_asset")
def asset_create(request, customer_id):
    customer = customer_get_for_user(request.user, customer_id, queryset=Customer.objects.all())
    form = AssetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.asset_create(customer=customer, by=request.user, **form.cleaned_data)
        messages.success(request, _("Vehicle added."))
        return redirect(customer)
    return render(request, "crm/child_form.html", {"form": form, "customer": customer, "title": _("Add a vehicle")})


@require_http_methods(["GET", "POST"])
@staff_view("crm.add_contactperson")
def contact_person_create(request, customer_id):
    customer = customer_get_for_user(request.user, customer_id, queryset=Customer.objects.all())
    form = ContactPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.contact_person_create(customer=customer, by=request.user, **form.cleaned_data)
        messages.success(request, _("Contact person added."))
        return redirect(customer)
    context = {"form": form, "customer": customer, "title": _("Add a contact person")}
    return render(request, "crm/child_form.html", context)
