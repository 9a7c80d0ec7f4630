"""The customer list's filters (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import Branch, User

from .models import Channel, Customer, Tag

CONSENT_CHOICES = Channel.choices  # the consent channels are defined once, on the model


class CustomerFilter(django_filters.FilterSet):
    branch = django_filters.ModelChoiceFilter(label=_("Branch"), queryset=Branch.objects.none())
    city = django_filters.CharFilter(label=_("City"), method="filter_city")
    tag = django_filters.ModelChoiceFilter(label=_("Tag"), field_name="tags", queryset=Tag.objects.all())
    owner = django_filters.ModelChoiceFilter(label=_("Owner"), queryset=User.objects.none())
    consent = django_filters.ChoiceFilter(label=_("Consent to"), choices=CONSENT_CHOICES, method="filter_consent")

    class Meta:
        model = Customer
        fields = ["branch", "city", "tag", "owner", "consent"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        owners = User.objects.exclude(department="").order_by("first_name", "email")
        if user.sees_all_branches:
            self.filters["branch"].queryset = Branch.objects.filter(is_head_office=False)
        else:
            del self.filters["branch"]
            owners = owners.filter(branch_id=user.branch_id)
        self.filters["owner"].queryset = owners

    def filter_city(self, queryset, name, value):
        # Cities are typed free-form: match the whole name in any case (UPPER(city) index).
        value = " ".join(value.split())
        return queryset.filter(city__iexact=value) if value else queryset

    def filter_consent(self, queryset, name, value):
        # ``value`` is one of Channel's (ChoiceFilter refuses anything else).
        return queryset.filter(**{f"{Channel(value).value}_consent": True})
