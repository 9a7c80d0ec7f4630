"""``{{ customer|consents_given }}``: the labels of the channels a customer consented to, from
the one list of consent channels (crm.models.Channel)."""

from django import template

from crm.models import Channel

register = template.Library()


@register.filter
def consents_given(customer) -> list[str]:
    return [channel.label for channel in Channel if getattr(customer, f"{channel.value}_consent", False)]
