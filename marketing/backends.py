"""Where messages leave Relasi. Twilio is called from this module only.

A backend answers ``send_sms(to, body)`` with the provider's id, or raises one of:
- TransientError: not sent, safe to retry later (429, 5xx, connection refused);
- PermanentError: will never be sent (invalid number, opted out, landline);
- UnknownOutcome: the request may have reached the provider (read timeout): never resend
  blindly, reconcile first.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string


class TransientError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class PermanentError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


class UnknownOutcome(Exception):
    pass


@dataclass
class Accepted:
    sid: str
    status: str  # the provider's first status: "queued", "sent" or "delivered"


# Twilio error codes that will not change on retry (FACTS.md).
PERMANENT_CODES = {21211, 21408, 21610, 21614, 30005, 30006, 30007}


class DevelopmentBackend:
    """Keeps messages in Relasi's own Outbox page: nothing leaves the machine."""

    def send_sms(self, *, to: str, body: str) -> Accepted:
        return Accepted(sid=f"DEV{uuid.uuid4().hex}", status="delivered")

    def find_sent(self, *, to: str, after, body: str) -> list[str]:
        return []  # nothing leaves the machine, so nothing can be in flight


class TwilioBackend:
    def __init__(self):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        base_url = settings.TWILIO_API_BASE_URL.rstrip("/")

        class _HttpClient(TwilioHttpClient):
            # The client hard-codes https://api.twilio.com; this is its documented hook
            # for pointing it elsewhere (our local gateway in tests and `make run`).
            def request(self, method, url, *args, **kwargs):
                if base_url and url.startswith("https://api.twilio.com"):
                    url = base_url + url[len("https://api.twilio.com"):]
                return super().request(method, url, *args, **kwargs)

        http_client = _HttpClient(timeout=settings.TWILIO_TIMEOUT_SECONDS, max_retries=0)
        self.client = Client(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)

    def _sender(self) -> dict:
        if settings.TWILIO_MESSAGING_SERVICE_SID:
            return {"messaging_service_sid": settings.TWILIO_MESSAGING_SERVICE_SID}
        return {"from_": settings.TWILIO_FROM_NUMBER}

    def send_sms(self, *, to: str, body: str) -> Accepted:
        import requests
        from twilio.base.exceptions import TwilioRestException

        kwargs = {"to": to, "body": body, **self._sender()}
        if settings.TWILIO_STATUS_CALLBACK_URL:
            kwargs["status_callback"] = settings.TWILIO_STATUS_CALLBACK_URL
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = int(exc.code or 0)
            if exc.status == 429 or exc.status >= 500 or code in (20429, 21611, 30001):
                raise TransientError(str(code or exc.status), str(exc.msg)[:300])
            raise PermanentError(str(code or exc.status), str(exc.msg)[:300])
        except requests.exceptions.ConnectTimeout as exc:
            raise TransientError("connect-timeout", str(exc)[:300])
        except requests.exceptions.ConnectionError as exc:
            if isinstance(exc.__context__, requests.exceptions.ReadTimeout) or "Read timed out" in str(exc):
                raise UnknownOutcome(str(exc)[:300])
            raise TransientError("connection", str(exc)[:300])
        except requests.exceptions.Timeout as exc:
            # The POST may have been accepted: only reconciliation can tell.
            raise UnknownOutcome(str(exc)[:300])
        return Accepted(sid=message.sid, status=message.status or "queued")

    def find_sent(self, *, to: str, after, body: str) -> list[str]:
        """SIDs of messages with this text to ``to`` created after ``after``, newest first."""
        found = self.client.messages.list(to=to, date_sent_after=after, limit=20)
        return [m.sid for m in found if m.body == body]


def get_sms_backend():
    return import_string(settings.SMS_BACKEND)()


def send_email(*, to: str, subject: str, body: str) -> Accepted:
    EmailMessage(subject=subject, body=body, to=[to]).send()
    return Accepted(sid=f"EMAIL{uuid.uuid4().hex}", status="delivered")
