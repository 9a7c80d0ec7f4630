"""Forms of the catalogue, quotation, order and shipment pages. Amounts are whole rupiah."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.forms import DayFirstDateField

from .models import PaymentDue, Payment, Product, Quotation, SalesOrder, Shipment, TaxClass
from .quotations import LineInput, line_amounts

MAX_AMOUNT = Decimal(10) ** 13  # Rp 10 trillion: beyond any order; a typo with extra zeros


def _rupiah_field(label, *, required=True):
    return forms.DecimalField(label=label, required=required, min_value=0, max_value=MAX_AMOUNT - 1, max_digits=14,
                              decimal_places=0, error_messages={
                                  "max_decimal_places": _("Enter whole rupiah, without decimals."),
                                  "min_value": _("The amount cannot be negative."),
                                  "max_value": _("That is too large: check the number of zeros.")})


class ProductFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    category = forms.ChoiceField(label=_("Category"), required=False,
                                 choices=[("", _("All categories")), *Product.Category.choices])


class QuotationForm(forms.Form):
    vehicle = forms.ModelChoiceField(label=_("Vehicle"), required=False,
                                     queryset=Product.objects.filter(is_active=True, category="vehicle"),
                                     help_text=_("Added as the first line at your branch's price."))
    price_basis = forms.ChoiceField(label=_("Price basis"), choices=Quotation.PriceBasis.choices)
    quote_date = DayFirstDateField(label=_("Quotation date"))
    valid_until = DayFirstDateField(label=_("Valid until"))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 2}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("quote_date"), cleaned.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The validity date cannot be before the quotation date."))
        return cleaned


class QuotationLineForm(forms.Form):
    product = forms.ModelChoiceField(label=_("Product"), required=False,
                                     queryset=Product.objects.filter(is_active=True))
    description = forms.CharField(label=_("Description"), required=False, max_length=200)
    quantity = forms.IntegerField(label=_("Qty"), required=False, max_value=10000,
                                  error_messages={"invalid": _("Enter a whole number.")})
    unit_price = _rupiah_field(_("Unit price (Rp)"), required=False)
    discount_percent = forms.DecimalField(label=_("Disc. %"), required=False, min_value=0, max_value=100,
                                          max_digits=5, decimal_places=2,
                                          error_messages={"max_value": _("A discount is between 0 and 100 percent."),
                                                          "min_value": _("A discount is between 0 and 100 percent.")})
    discount_amount = _rupiah_field(_("Disc. (Rp)"), required=False)

    def __init__(self, *args, branch=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.branch = branch

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("product") and not (data.get("description") or "").strip()

    def clean(self):
        from .catalogue import price_for

        cleaned = super().clean()
        if self.errors or self.is_blank:
            return cleaned
        product = cleaned.get("product")
        if not (cleaned.get("description") or "").strip() and product:
            cleaned["description"] = product.name
        quantity = cleaned.get("quantity")
        if quantity is None:
            self.add_error("quantity", _("Enter the quantity."))
            return cleaned
        if quantity < 1:
            self.add_error("quantity", _("The quantity must be at least 1."))
            return cleaned
        if cleaned.get("unit_price") is None:
            if product is None:
                self.add_error("unit_price", _("Enter the price of a free-text line."))
                return cleaned
            cleaned["unit_price"] = price_for(product, self.branch)
        cleaned["discount_percent"] = cleaned.get("discount_percent") or Decimal(0)
        cleaned["discount_amount"] = cleaned.get("discount_amount") or Decimal(0)
        try:  # the amounts themselves (a discount above the line) are checked the one way they are computed
            line_amounts(quantity=quantity, unit_price=cleaned["unit_price"],
                         discount_percent=cleaned["discount_percent"], discount_amount=cleaned["discount_amount"],
                         tax_rate=Decimal(0))
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.add_error(field, message)
        return cleaned

    def line_input(self) -> LineInput:
        d = self.cleaned_data
        return LineInput(description=d["description"].strip(), quantity=d["quantity"], unit_price=d["unit_price"],
                         discount_percent=d["discount_percent"], discount_amount=d["discount_amount"],
                         product=d.get("product"),
                         tax_class=d["product"].tax_class if d.get("product") else TaxClass.STANDARD)


class BaseLineFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not [f for f in self.forms if not f.is_blank]:
            raise ValidationError(_("Add at least one line."))

    def line_inputs(self) -> list[LineInput]:
        return [f.line_input() for f in self.forms if not f.is_blank]


LineFormSet = forms.formset_factory(QuotationLineForm, formset=BaseLineFormSet, extra=4, max_num=30,
                                    validate_max=True)


class ConfirmForm(forms.Form):
    """A button that must say what it does: an empty or replayed POST changes nothing."""
    confirm = forms.ChoiceField(choices=[("yes", "yes")], error_messages={
        "required": _("Press the button to confirm."), "invalid_choice": _("Press the button to confirm.")})


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class OrderAdvanceForm(forms.Form):
    to = forms.ChoiceField(choices=[(s, s.label) for s in (SalesOrder.Status.ALLOCATED, SalesOrder.Status.INVOICED,
                                                           SalesOrder.Status.CLOSED)])
    # One VIN per vehicle unit, one per line (sales.orders.vins_clean reads them).
    vin = forms.CharField(label=_("VIN"), required=False, max_length=2000,
                          widget=forms.Textarea(attrs={"rows": 2, "autocapitalize": "characters",
                                                       "spellcheck": "false"}))


class PaymentDueForm(forms.ModelForm):
    amount = _rupiah_field(_("Amount (Rp)"))
    due_date = DayFirstDateField(label=_("Due date"))

    class Meta:
        model = PaymentDue
        fields = ["kind", "leasing_company", "due_date", "amount"]


class PaymentForm(forms.ModelForm):
    amount = _rupiah_field(_("Amount (Rp)"))
    paid_on = DayFirstDateField(label=_("Paid on"))

    class Meta:
        model = Payment
        fields = ["due", "amount", "paid_on", "method", "reference"]

    def __init__(self, *args, order=None, dues=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["due"]
        field.queryset = PaymentDue.objects.filter(order=order, paid_at__isnull=True) \
            if order is not None else PaymentDue.objects.none()
        if dues is not None:
            # The page has the order's schedule already: the options come from it, not from
            # another query (the queryset above still checks what is posted).
            field.choices = [(d.pk, f"{d.get_kind_display()} · {d.due_date:%d/%m/%Y}") for d in dues
                             if d.paid_at is None]


class ShipmentForm(forms.ModelForm):
    promised_date = DayFirstDateField(label=_("Promised for"))

    class Meta:
        model = Shipment
        fields = ["method", "carrier", "tracking_number", "promised_date"]


class DeliverForm(forms.Form):
    receiver_name = forms.CharField(label=_("Received by"), max_length=120)
    photo = forms.FileField(label=_("Photo of the hand-over"), required=False,
                            widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png",
                                                                   "capture": "environment"}))
