"""Forms of the sales pages. Phones are stored E.164 (crm.phone); amounts are whole rupiah."""

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch
from crm.forms import DayFirstDateField, PhoneInput
from crm.phone import normalize_phone
from crm.public import HoneypotMixin

from .models import AssignmentRule, Lead, Opportunity, Stage

MAX_BUDGET = 10**13  # Rp 10 trillion: beyond any vehicle; a typo with extra zeros


class InOurFormTag:
    """For forms drawn with {% crispy form %} inside the template's own <form>: crispy's
    default helper would open (and close) a second one, leaving the button outside it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


def _clean_phone(value: str) -> str:
    return normalize_phone(value)


class LeadForm(forms.ModelForm):
    confirm_duplicate = forms.BooleanField(
        label=_("I checked the matches above: this is a new lead, save it anyway"), required=False)

    class Meta:
        model = Lead
        fields = ["name", "company", "phone", "email", "city", "source", "model_of_interest", "budget",
                  "preferred_contact_time", "wants_test_drive", "notes"]
        widgets = {"phone": PhoneInput(attrs={"inputmode": "tel"}), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.duplicates = None

    def clean_phone(self):
        return _clean_phone(self.cleaned_data.get("phone", ""))

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean_budget(self):
        budget = self.cleaned_data.get("budget")
        if budget is not None and (budget < 0 or budget >= MAX_BUDGET):
            raise forms.ValidationError(_("Enter the budget in rupiah, e.g. 250000000."), code="budget")
        return budget

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("phone") and not cleaned.get("email") and not self.has_error("phone") \
                and not self.has_error("email"):
            raise forms.ValidationError(_("Give a phone number or an email, so the lead can be contacted."),
                                        code="contact")
        return cleaned


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Lead.Status.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class LeadReassignForm(forms.Form):
    owner = forms.ModelChoiceField(label=_("Assign to"), queryset=None)

    def __init__(self, *args, staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff


class LeadConvertForm(InOurFormTag, forms.Form):
    customer = forms.ChoiceField(label=_("Customer"), required=False, widget=forms.RadioSelect)
    title = forms.CharField(label=_("Opportunity title"), max_length=200)
    amount = forms.DecimalField(label=_("Amount (Rp)"), max_digits=14, decimal_places=0, min_value=0,
                                required=False)
    expected_close = DayFirstDateField(label=_("Expected close"), required=False)

    def __init__(self, *args, matches, **kwargs):
        super().__init__(*args, **kwargs)
        self.matches = {str(c.public_id): c for c in matches}
        self.fields["customer"].choices = [("", _("Create a new customer from the lead"))] + [
            (str(c.public_id), f"{c.name} · {c.phone or c.email} · {c.branch}") for c in matches]

    def clean_customer(self):
        value = self.cleaned_data.get("customer") or ""
        return self.matches.get(value)


class AssignmentRuleForm(InOurFormTag, forms.ModelForm):
    class Meta:
        model = AssignmentRule
        fields = ["method", "escalate_after_hours"]
        widgets = {"method": forms.RadioSelect}


class OpportunityForm(InOurFormTag, forms.ModelForm):
    expected_close = DayFirstDateField(label=_("Expected close"), required=False)

    class Meta:
        model = Opportunity
        fields = ["title", "amount", "probability", "expected_close", "model_of_interest", "trade_in",
                  "competitor", "next_step"]


class OpportunityMoveForm(forms.Form):
    stage = forms.IntegerField(label=_("Stage"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean_stage(self):
        stage = Stage.objects.filter(pk=self.cleaned_data["stage"], is_active=True).first()
        if stage is None:
            raise forms.ValidationError(_("That stage does not exist."), code="stage")
        return stage


class LeadImportForm(InOurFormTag, forms.Form):
    file = forms.FileField(label=_("CSV file"))


class ContactUsForm(HoneypotMixin, forms.Form):
    """The public "contact us / test drive" page."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    phone = forms.CharField(label=_("Mobile phone"), max_length=32,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    email = forms.EmailField(label=_("Email (optional)"), required=False)
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    branch = forms.ModelChoiceField(label=_("Nearest branch"), queryset=Branch.objects.none(),
                                    empty_label=None)
    model_of_interest = forms.CharField(label=_("Model you are interested in"), max_length=120, required=False)
    wants_test_drive = forms.BooleanField(label=_("I would like a test drive"), required=False)
    preferred_contact_time = forms.ChoiceField(label=_("When may we call you?"), choices=Lead.ContactTime.choices)
    message = forms.CharField(label=_("Message (optional)"), max_length=1000, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = Branch.objects.filter(is_head_office=False).order_by("name")

    def clean_phone(self):
        return _clean_phone(self.cleaned_data.get("phone", ""))

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()
