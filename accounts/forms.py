from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )
    shared_computer = forms.BooleanField(
        label=_("This is a shared computer"), required=False,
        help_text=_("Log out when the browser closes, and sooner when left unused."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # AuthenticationForm sets the email's maxlength (254) from the model; a password has
        # no natural limit, but nobody types 4,096 characters.
        self.fields["password"].widget.attrs["maxlength"] = 4096

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()
