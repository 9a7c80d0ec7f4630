"""The notification settings form: which kinds also come by email."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .notifications import notification_kinds


class NotificationSettingsForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label=_("Also send me an email for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Every notification appears under the bell; ticked kinds also arrive by email."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The kinds declared now (apps declare theirs at start-up), in the reader's language.
        self.fields["email_kinds"].choices = [(kind.code, kind.label) for kind in notification_kinds()]
