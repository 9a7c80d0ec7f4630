"""Forms of the helpdesk and of the public complaint pages. They validate; services write."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, Department, User
from crm.models import Asset, Customer
from crm.phone import normalize_phone
from crm.public import HoneypotMixin
from crm.selectors import customers_visible_to

from .models import Category, Complaint, ComplaintChannel, Priority

DESCRIPTION_MAX = 4000


class ComplaintForm(forms.Form):
    """Take a complaint for a known customer (from the 360 page)."""

    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)
    channel = forms.ChoiceField(label=_("Received by"), choices=ComplaintChannel.choices,
                                initial=ComplaintChannel.PHONE)
    asset = forms.ModelChoiceField(label=_("Vehicle"), queryset=Asset.objects.none(), required=False)
    reference = forms.CharField(label=_("Order / appointment number"), max_length=60, required=False)
    description = forms.CharField(label=_("What is the complaint?"), max_length=DESCRIPTION_MAX,
                                  widget=forms.Textarea(attrs={"rows": 5}))
    # Production defects (Quality Control); model, year and VIN default to the vehicle's.
    defect_component = forms.CharField(label=_("Defect: component"), max_length=80, required=False)
    defect_part_number = forms.CharField(label=_("Defect: part number"), max_length=40, required=False)
    defect_model = forms.CharField(label=_("Defect: model"), max_length=80, required=False)
    defect_model_year = forms.IntegerField(label=_("Defect: model year"), min_value=1950, max_value=2100,
                                           required=False)
    defect_vin = forms.CharField(label=_("Defect: VIN"), max_length=17, required=False)
    defect_batch = forms.CharField(label=_("Defect: production batch"), max_length=40, required=False)

    DEFECT_FIELDS = ("component", "part_number", "model", "model_year", "vin", "batch")

    def defect(self) -> dict:
        return {k: self.cleaned_data.get(f"defect_{k}") for k in self.DEFECT_FIELDS}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("category") == Category.PRODUCTION_DEFECT and not cleaned.get("defect_component"):
            self.add_error("defect_component", _("Name the component that failed."))
        return cleaned

    def __init__(self, *args, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if customer is not None:
            # Only this customer's vehicles: another customer's asset is not offered (nor accepted).
            self.fields["asset"].queryset = customer.assets.all()
        else:
            del self.fields["asset"]


class HelpdeskComplaintForm(ComplaintForm):
    """Take a complaint on the helpdesk page: the customer is found by their phone number."""

    field_order = ["phone", "category", "priority", "channel", "reference", "description"]  # then the defect
    phone = forms.CharField(label=_("Customer's phone number"), max_length=32,
                            widget=forms.TextInput(attrs={"inputmode": "tel"}))

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.customer = None

    def clean_phone(self):
        phone = normalize_phone(self.cleaned_data["phone"])
        # Only a customer this member of staff may see: another branch's customer is "not found".
        customer = (customers_visible_to(self.user).filter(phone=phone).order_by("id").first())
        if customer is None:
            raise ValidationError(_("No customer of yours has this phone number. Register the customer first."))
        self.customer = customer
        return phone


class FromMessageForm(forms.Form):
    """Mark an inbound SMS as a complaint: what kind (the routing rules decide where it goes)."""

    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial=Priority.NORMAL)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Complaint.Status.choices)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Text"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    reply = forms.BooleanField(label=_("Send to the customer by SMS (otherwise an internal note)"), required=False)


class RerouteForm(forms.Form):
    department = forms.ChoiceField(label=_("Department"), choices=[
        (d.value, d.label) for d in Department if d != Department.HEAD_OFFICE])
    assignee = forms.ModelChoiceField(label=_("Person (empty: the department's queue)"),
                                      queryset=User.objects.none(), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=300)

    def __init__(self, *args, complaint: Complaint, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (User.objects.filter(branch_id=complaint.customer.branch_id,
                                                                is_active=True)
                                            .exclude(department="").order_by("first_name", "email"))

    def clean(self):
        cleaned = super().clean()
        assignee, department = cleaned.get("assignee"), cleaned.get("department")
        if assignee is not None and department and assignee.department != department:
            self.add_error("assignee", _("This person is not in that department."))
        return cleaned


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("Photo or PDF"))

    def clean_file(self):
        from .attachments import sniff

        upload = self.cleaned_data["file"]
        self.content_type = sniff(upload)
        return upload


class EscalateForm(forms.Form):
    to_branch = forms.ModelChoiceField(label=_("Share with branch"), queryset=Branch.objects.all())
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


# --- public ---------------------------------------------------------------------------------------
class PublicComplaintForm(HoneypotMixin, forms.Form):
    """The public complaint form: who you are (name and phone), your branch, what happened."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    phone = forms.CharField(label=_("Your mobile number"), max_length=32,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    branch = forms.ModelChoiceField(label=_("Your branch"), queryset=Branch.objects.filter(is_head_office=False))
    category = forms.ChoiceField(label=_("What is it about?"), choices=Category.choices)
    reference = forms.CharField(label=_("Order or service number (if you have one)"), max_length=60, required=False)
    description = forms.CharField(label=_("Tell us what happened"), max_length=DESCRIPTION_MAX,
                                  widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap_widgets(self)

    def clean_phone(self):
        return normalize_phone(self.cleaned_data["phone"])

    def clean_description(self):
        value = self.cleaned_data["description"].strip()
        if len(value) < 10:
            raise ValidationError(_("Please describe the problem in a few words."))
        return value


def bootstrap_widgets(form) -> None:
    """Bootstrap's classes on a public form drawn with ``{{ form }}`` (which keeps the honeypot
    hidden; crispy would draw it as a visible field)."""
    for name, field in form.fields.items():
        if name == getattr(form, "honeypot_name", None):
            continue
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs["class"] = f"{field.widget.attrs.get('class', '')} {css}".strip()
