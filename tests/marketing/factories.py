"""Factories of the marketing app's own rows (the branch-scoping walk finds them here)."""

import datetime as dt

import factory

from marketing.models import ReminderRule


class ReminderRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReminderRule

    name = factory.Sequence(lambda n: f"Ucapan ulang tahun {n}")
    kind = ReminderRule.Kind.BIRTHDAY
    channel = "sms"
    body = "Selamat ulang tahun, {{ first_name }}!"
    lead_days = 0
    send_time = dt.time(9, 0)
    branch = None
