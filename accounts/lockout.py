"""Login lockout (django-axes) with separate limits for an account and for an address.

``AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]`` makes axes count failures per
account (from any address) and per address (against any accounts), but it compares both
counts with the one ``AXES_FAILURE_LIMIT``. An office of fifty people behind one address
needs a higher limit for the address than for one account, so this handler locks when

    failures of the account >= AXES_FAILURE_LIMIT   or   failures from the address >= AXES_IP_FAILURE_LIMIT

(both within ``AXES_COOLOFF_TIME``). It reports the failures in units of
``AXES_FAILURE_LIMIT``, which axes' own comparison then uses unchanged.
"""

from django.conf import settings
from django.db.models import Sum

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt


def _failures(attempts) -> int:
    return attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0


class AccountOrAddressLockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request, credentials=None) -> int:
        username = get_client_username(request, credentials)
        ip_address = request.axes_ip_address
        account_limit = settings.AXES_FAILURE_LIMIT
        recent = self._recent(request)
        by_account = _failures(recent.filter(username=username)) if username else 0
        by_address = _failures(recent.filter(ip_address=ip_address)) if ip_address else 0
        if by_address >= settings.AXES_IP_FAILURE_LIMIT:
            return max(by_account, account_limit)
        return by_account

    def _recent(self, request):
        attempts = AccessAttempt.objects.all()
        if settings.AXES_COOLOFF_TIME is None:
            return attempts
        return attempts.filter(attempt_time__gte=get_cool_off_threshold(request))

    def reset_user_attempts(self, request, credentials=None) -> int:
        """After a successful login, forget only this account's failures from this address
        (the user's own typos). Failures from elsewhere keep counting against the account,
        and other accounts' failures from here keep counting against the address: logging in
        to one's own account must not give an attacker a fresh budget."""
        username = get_client_username(request, credentials)
        count, _ = AccessAttempt.objects.filter(username=username, ip_address=request.axes_ip_address).delete()
        return count
