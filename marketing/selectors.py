"""Reads of the marketing app: what its panel on the customer 360 page shows."""

from __future__ import annotations

import uuid

from django.urls import reverse
from django.utils.translation import gettext as _

from crm.phone import is_sms_capable

from .forms import SmsForm


def sms_panel(customer, user) -> dict:
    """The single-SMS box. With no consent or no mobile number nothing would be sent, so
    the panel says what to do instead of offering a form that cannot work."""
    if not customer.sms_consent:
        reason = _("No SMS consent: record the customer's consent on their profile before sending an SMS.")
    elif not customer.phone or not is_sms_capable(customer.phone):
        reason = _("No mobile number that can receive SMS: add one on the customer's profile.")
    else:
        reason = ""
    actions = []
    if reason and user.has_perm("crm.change_customer"):
        actions = [{"label": _("Edit profile"), "url": reverse("crm:customer_edit", args=[customer.public_id])}]
    return {
        "form": SmsForm(initial={"key": uuid.uuid4()}),
        "vehicles": list(customer.assets.all()),  # prefetched by the 360 view: no query
        "empty": bool(reason),
        "empty_text": reason,
        "actions": actions,
    }
