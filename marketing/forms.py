from django import forms
from django.utils.translation import gettext_lazy as _

from .text import check_template


class SmsForm(forms.Form):
    body = forms.CharField(label=_("SMS"), max_length=1600, widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Placeholders: {{ first_name }}, {{ vehicle_plate }}, {{ branch_name }}…"))
    # Made when the form is shown: a double click posts the same key, and sends once.
    key = forms.UUIDField(widget=forms.HiddenInput)

    def clean_body(self):
        body = self.cleaned_data["body"].strip()
        check_template(body)
        return body
