from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from .models import User


class EmailAuthenticationForm(AuthenticationForm):
    # Django's own words, made ours so the Indonesian login page says "kata sandi" like the
    # rest of Relasi (Django's catalog says "sandi" and "nama pengguna").
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Please enter a correct %(username)s and password. Note that both fields may be "
                           "case-sensitive."),
    }
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
        self.fields["password"].label = _("Password")

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class ProfileForm(forms.ModelForm):
    """What a staff member sets for themselves: the language of every page they see."""

    class Meta:
        model = User
        fields = ["language"]
        widgets = {"language": forms.RadioSelect}
        labels = {"language": _("Language")}
        help_texts = {"language": _("Every page, the back office included, is shown in this language.")}
