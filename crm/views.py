"""Staff pages of the shared customer record. Each view: access helper, form, one service."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import customer_get_for_user, get_for_user_or_404, staff_view

from . import selectors, services
from .filters import CustomerFilter
from .forms import AssetForm, ContactPersonForm, CustomerForm, InteractionCorrectionForm, InteractionForm
from .models import Customer
from .registry import cards_for, panels_for, search_hits_for


@require_GET
@staff_view()
def home(request):
    """Beranda: the cards the apps registered (crm.registry.home_cards) that this user may see."""
    return render(request, "crm/home.html", {"cards": cards_for(request.user)})


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
        # Other apps' records for the same words (crm.registry.search_providers).
        "search_hits": search_hits_for(user, query) if query and not search_too_short else [],
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


def _correctable_since() -> dt.datetime:
    """Entries logged after this may still be corrected by their author (the timeline's "Correct" link)."""
    return timezone.now() - dt.timedelta(minutes=settings.INTERACTION_CORRECTION_MINUTES)


def _detail_context(request, customer, interaction_form=None) -> dict:
    # crm's own relations, loaded once for the profile and for every panel that reads them.
    prefetch_related_objects([customer], "tags", "assets", "contact_persons")
    parts = panels_for(customer, request.user)
    return {
        "customer": customer,
        "correctable_since": _correctable_since(),
        "tags": list(customer.tags.all()),
        "consents": selectors.customer_consents(customer),
        "side_panels": [p for p in parts if p.spec.column != "main"],
        "main_panels": [p for p in parts if p.spec.column == "main"],
        "timeline": selectors.customer_timeline(customer=customer),
        "interaction_form": interaction_form or InteractionForm(),
        "can_edit": request.user.has_perm("crm.change_customer"),
        "can_log": request.user.has_perm("crm.add_interaction"),
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
    context = {"customer": customer, "timeline": timeline, "correctable_since": _correctable_since()}
    return render(request, template, context)


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
        "correctable_since": _correctable_since(),
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


@require_http_methods(["GET", "POST"])
@staff_view("crm.change_asset")
def asset_edit(request, customer_id, asset_id):
    customer = customer_get_for_user(request.user, customer_id, queryset=Customer.objects.all())
    asset = get_for_user_or_404(customer.assets, request.user, public_id=asset_id)
    # The title names the vehicle as saved: a bound form changes ``asset`` in memory.
    title = _("Edit vehicle %(vehicle)s") % {"vehicle": asset}
    form = AssetForm(request.POST or None, instance=asset)
    if request.method == "POST" and form.is_valid():
        services.asset_update(asset=asset, by=request.user, **form.cleaned_data)
        messages.success(request, _("Vehicle updated."))
        return redirect(customer)
    return render(request, "crm/child_form.html", {"form": form, "customer": customer, "title": title})


@require_http_methods(["GET", "POST"])
@staff_view("crm.change_contactperson")
def contact_person_edit(request, customer_id, contact_person_id):
    customer = customer_get_for_user(request.user, customer_id, queryset=Customer.objects.all())
    person = get_for_user_or_404(customer.contact_persons, request.user, public_id=contact_person_id)
    title = _("Edit contact person %(name)s") % {"name": person.name}
    form = ContactPersonForm(request.POST or None, instance=person)
    if request.method == "POST" and form.is_valid():
        services.contact_person_update(person=person, by=request.user, **form.cleaned_data)
        messages.success(request, _("Contact person updated."))
        return redirect(customer)
    return render(request, "crm/child_form.html", {"form": form, "customer": customer, "title": title})


@require_http_methods(["GET", "POST"])
@staff_view("crm.add_interaction")
def interaction_correct(request, customer_id, interaction_id):
    customer = customer_get_for_user(request.user, customer_id, queryset=Customer.objects.all())
    interaction = get_for_user_or_404(customer.interactions.select_related("staff"), request.user,
                                      public_id=interaction_id)
    refusal = services.interaction_correction_refusal(interaction=interaction, by=request.user)
    if refusal:
        # Someone else's entry, the system's, or too late: a 403 that says which.
        context = {"customer": customer, "reason": refusal}
        return render(request, "crm/interaction_not_correctable.html", context, status=403)
    form = InteractionCorrectionForm(request.POST or None, initial={"summary": interaction.summary})
    if request.method == "POST" and form.is_valid():
        try:
            services.interaction_correct(interaction=interaction, by=request.user,
                                         summary=form.cleaned_data["summary"])
        except ValidationError as error:
            # The window closed between loading the page and saving it.
            form.add_error(None, error)
        else:
            messages.success(request, _("Interaction corrected."))
            return redirect(customer)
    context = {"form": form, "customer": customer, "interaction": interaction}
    return render(request, "crm/interaction_correct_form.html", context)
