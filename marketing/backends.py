"""Where messages leave Relasi. Twilio is called from this module only.

A backend answers ``send_sms(to, body)`` with the provider's id, or raises one of:
- TransientError: provably not sent, safe to retry later: a 429 (Twilio says a 429'd
  request was not processed), queue overflow (21611/30001), or a connection that was
  never made (refused, connect timeout, name resolution);
- PermanentError: will never be sent (invalid number, opted out, landline);
- UnknownOutcome: anything else. The request may have reached the provider and been
  accepted: a read timeout, a connection dropped or reset after the request was written
  (requests raises that as ConnectionError too, so catching ConnectionError to retry sends
  duplicates), a 5xx (Twilio does not promise a 500 was not processed), an unreadable
  answer. Never resent blindly: reconciled against the provider's message list first.
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
    status: str  # the provider's status: "queued", "sent", "delivered", "undelivered"...
    error_code: str = ""


def classify_request_error(exc: Exception) -> Exception:
    """TransientError only when the request provably never reached the provider.

    Under the twilio client, requests/urllib3 report a refused connection as
    ``ConnectionError(MaxRetryError(reason=NewConnectionError))`` (NameResolutionError is a
    NewConnectionError) and a connect timeout as ``ConnectTimeout``; a connection lost after
    the request was written as ``ConnectionError(ProtocolError(...))``.
    """
    import requests
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return TransientError("connect-timeout", str(exc)[:300])
    if isinstance(exc, requests.exceptions.ConnectionError) and not isinstance(exc, requests.exceptions.Timeout):
        reason = exc.args[0] if exc.args else None
        if isinstance(reason, MaxRetryError):
            reason = reason.reason
        if isinstance(reason, NewConnectionError):
            return TransientError("connection-refused", str(exc)[:300])
    return UnknownOutcome(f"{type(exc).__name__}: {exc}"[:300])


class DevelopmentBackend:
    """Keeps messages in Relasi's own Outbox page: nothing leaves the machine."""

    def send_sms(self, *, to: str, body: str) -> Accepted:
        return Accepted(sid=f"DEV{uuid.uuid4().hex}", status="delivered")

    def find_sent(self, *, to: str, after, body: str) -> list[Accepted]:
        return []  # nothing leaves the machine, so nothing can be in flight

    def fetch_status(self, *, sid: str) -> Accepted | None:
        return Accepted(sid=sid, status="delivered")


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
        from twilio.base.exceptions import TwilioRestException

        kwargs = {"to": to, "body": body, **self._sender()}
        if settings.TWILIO_STATUS_CALLBACK_URL:
            kwargs["status_callback"] = settings.TWILIO_STATUS_CALLBACK_URL
        try:
            message = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            code = int(exc.code or 0)
            if exc.status == 429 or code in (20429, 21611, 30001):
                raise TransientError(str(code or exc.status), str(exc.msg)[:300])
            if exc.status >= 500:
                raise UnknownOutcome(f"HTTP {exc.status}: {exc.msg}"[:300])
            raise PermanentError(str(code or exc.status), str(exc.msg)[:300])
        except Exception as exc:  # the transport: see classify_request_error
            raise classify_request_error(exc) from exc
        return Accepted(sid=message.sid, status=message.status or "queued")

    def find_sent(self, *, to: str, after, body: str) -> list[Accepted]:
        """Messages with this text to ``to`` created at or after ``after``, newest first.

        Filtered by recipient only, not by DateSent: a message still queued at the
        provider has no send date yet, and must be found all the same.
        """
        found = self.client.messages.list(to=to, limit=50)
        return [Accepted(sid=m.sid, status=m.status or "queued", error_code=str(m.error_code or ""))
                for m in found if m.body == body and (m.date_created is None or m.date_created >= after)]

    def fetch_status(self, *, sid: str) -> Accepted | None:
        from twilio.base.exceptions import TwilioRestException

        try:
            m = self.client.messages(sid).fetch()
        except TwilioRestException as exc:
            if exc.status == 404:
                return None
            raise
        return Accepted(sid=m.sid, status=m.status or "queued", error_code=str(m.error_code or ""))


def get_sms_backend():
    return import_string(settings.SMS_BACKEND)()


def send_email(*, to: str, subject: str, body: str, attachments=()) -> Accepted:
    """``attachments``: ``(filename, bytes, mimetype)`` each (see crm.registry.AttachmentProvider)."""
    EmailMessage(subject=subject, body=body, to=[to], attachments=list(attachments)).send()
    return Accepted(sid=f"EMAIL{uuid.uuid4().hex}", status="delivered")
