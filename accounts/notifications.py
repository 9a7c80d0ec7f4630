"""The kinds of staff notification, declared by the apps that send them.

Each app declares the kinds it sends in its ``AppConfig.ready()``, so the settings page can
offer an email copy of each, and ``notification_send`` refuses a kind nobody declared (a
typo would otherwise create notifications no one can switch off)::

    class SalesConfig(AppConfig):
        def ready(self):
            from accounts.notifications import notification_kind_register
            notification_kind_register("sales.lead_assigned", _("Lead assigned to you"))

An app removed from INSTALLED_APPS removes its kinds: its old notifications still list
(under their code), and their email preferences are kept but unused.

This module imports no models, so any app's ``ready()`` can use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# accounts' own kinds. crm.services sends this one when a customer's owner is set.
CUSTOMER_ASSIGNED = "customer_assigned"

_CODE = re.compile(r"[a-z][a-z0-9_.]{0,63}")


@dataclass(frozen=True)
class NotificationKind:
    code: str  # stored on each notification (Notification.verb) and on each preference
    label: str  # a lazy translation, shown in the reader's language


_kinds: dict[str, NotificationKind] = {}


def notification_kind_register(code: str, label) -> NotificationKind:
    """Declare a kind. Declaring the same kind again is harmless; two apps claiming one code
    with different labels is an error."""
    if not _CODE.fullmatch(code):
        raise ValueError(f"{code!r}: a notification kind is lower-case letters, digits, '_' and '.', at most 64")
    kind = NotificationKind(code=code, label=label)
    existing = _kinds.get(code)
    if existing is not None and str(existing.label) != str(label):
        raise ValueError(f"Notification kind {code!r} is already declared as {existing.label!r}")
    return _kinds.setdefault(code, kind)


def notification_kind_unregister(code: str) -> None:
    """For tests that declare a kind of their own."""
    _kinds.pop(code, None)


def notification_kind(code: str) -> NotificationKind | None:
    return _kinds.get(code)


def notification_kinds() -> list[NotificationKind]:
    """Every declared kind, in the order the apps declared them."""
    return list(_kinds.values())


def notification_kind_label(code: str) -> str:
    """The kind's label in the current language; the bare code for a kind no app declares now."""
    kind = _kinds.get(code)
    return str(kind.label) if kind is not None else code
