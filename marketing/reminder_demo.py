"""Demo data of the scheduled reminders (seed_demo's "reminders" step, registered in apps.py).

Five rules (birthday on the day, service and STNK a week before, insurance two weeks before,
warranty a month before), and STNK and insurance dates for the demo vehicles that have none:
two UPDATE statements, so a million vehicles take seconds. Safe to run again: rules are made
once by name, and vehicles that have dates keep them.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from .models import ReminderRule

RULES = [
    ("Ucapan ulang tahun", ReminderRule.Kind.BIRTHDAY, 0,
     "Selamat ulang tahun, {{ first_name }}! Salam hangat dari {{ branch_name }}.",
     "Happy birthday, {{ first_name }}! Warm wishes from {{ branch_name }}."),
    ("Servis berkala seminggu lagi", ReminderRule.Kind.SERVICE_DUE, 7,
     "Yth. {{ name }}, servis berkala {{ vehicle_plate }} jatuh tempo {{ next_service_due }}. Hubungi {{ branch_name }}.",
     ""),
    ("Pajak STNK seminggu lagi", ReminderRule.Kind.STNK_DUE, 7,
     "Yth. {{ name }}, pajak STNK {{ vehicle_plate }} jatuh tempo {{ stnk_due }}.", ""),
    ("Asuransi berakhir 2 minggu lagi", ReminderRule.Kind.INSURANCE_END, 14,
     "Yth. {{ name }}, asuransi {{ vehicle_plate }} berakhir {{ insurance_end }}.", ""),
    ("Garansi berakhir sebulan lagi", ReminderRule.Kind.WARRANTY_END, 30,
     "Yth. {{ name }}, garansi {{ vehicle_model }} berakhir {{ warranty_end }}.", ""),
]


def run(context) -> None:
    made = 0
    for name, kind, lead, body, body_en in RULES:
        _rule, created = ReminderRule.objects.get_or_create(
            name=name, defaults={"kind": kind, "lead_days": lead, "body": body, "body_en": body_en,
                                 "send_time": dt.time(9, 0)})
        made += created
    with connection.cursor() as cursor:
        # Spread over the coming year from the vehicle's id: every day has some due.
        cursor.execute("UPDATE crm_asset SET stnk_due = CURRENT_DATE + (id % 365)::int WHERE stnk_due IS NULL")
        stnk = cursor.rowcount
        cursor.execute("UPDATE crm_asset SET insurance_end = CURRENT_DATE + ((id * 7) % 365)::int "
                       "WHERE insurance_end IS NULL")
    if context.stdout is not None:
        context.stdout.write(f"reminders: {made} rules, dates on {stnk} vehicles")
