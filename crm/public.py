"""What every public page (no login, under /p/) is made with, written once.

- ``public_render``: the public layout (templates/public/base.html) with the company's name
  and the branches' contacts, never cached by shared caches, kept out of search engines.
- ``rate_limit``: per client IP, or per target (``key=``), counted in Redis (django-ratelimit
  on the default cache); over the limit the visitor gets our own "too many requests" page
  with status 429 and Retry-After.
- ``HoneypotMixin``: a field no human sees or fills; a form that comes back with it filled is
  answered like a success, and nothing is saved.
- ``public_code_new`` / ``PUBLIC_CODE_SQL``: unguessable codes for links and lookups (72
  random bits, 12 URL-safe characters), never a sequential number.
- ``public_lookup`` / ``CodeAndPhoneForm``: find a row by its code *and* the customer's phone,
  with one query and the same answer (and about the same time) whether the code or the phone
  was wrong.

The client's address: ``REMOTE_ADDR``; with ``BEHIND_PROXY`` on, the right-most
``X-Forwarded-For`` hop, the one our own proxy appended (any hop left of it is whatever the
client chose to send). One proxy is assumed; with more in front (a CDN and a load balancer)
that hop is the CDN's address.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
from collections.abc import Callable

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import get_usage

from accounts.models import Branch

from .phone import normalize_phone

log = logging.getLogger(__name__)


# --- the layout -------------------------------------------------------------------------------
def public_render(request, template_name: str, context: dict | None = None, *, status: int = 200):
    """Render a page of the public site (templates extend ``public/base.html``).

    Pages that carry a customer's code must not be kept by shared caches or indexed."""
    base = {
        "company_name": settings.COMPANY_NAME,
        # One query, when the footer is drawn.
        "public_branches": Branch.objects.only("name", "city", "address").order_by("-is_head_office", "name"),
    }
    response = render(request, template_name, {**base, **(context or {})}, status=status)
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- rate limits ------------------------------------------------------------------------------
def client_ip(request) -> str:
    """The address a rate limit counts: REMOTE_ADDR, or behind our proxy (BEHIND_PROXY) the
    right-most X-Forwarded-For hop. IPv6 addresses count per /64 (one subscriber's network)."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    candidate = remote
    if settings.BEHIND_PROXY:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            candidate = hops[-1]
    for value in (candidate, remote):
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            continue
        if address.version == 6:
            return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)
        return str(address)
    return "unknown"  # no usable address at all: such clients share one counter


def rate_limit(group: str, rate: str, *, key: Callable[..., str] | None = None):
    """At most ``rate`` requests ("10/m", "100/h", "5/10m") per client IP, or per target with
    ``key(request, *args, **kwargs)`` (the view's arguments: e.g. the code in the URL, so one
    code is not tried from a thousand addresses). Stack one decorator per limit; each
    ``group`` names its own counter.

    Windows are fixed (django-ratelimit): the count starts again when the window ends.
    Redis unreachable: the request is let through and a warning logged. A public page that
    withdraws consent must keep working, and the codes it takes are unguessable anyway.
    """

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            value = key(request, *args, **kwargs) if key is not None else client_ip(request)
            try:
                usage = get_usage(request, group=f"public:{group}", key=lambda _group, _request: str(value),
                                  rate=rate, increment=True)
            except Exception:
                log.warning("Rate limit %s not checked (cache unreachable?)", group, exc_info=True)
                usage = None
            if usage and usage["should_limit"]:
                return too_many_requests(request, retry_after=usage["time_left"])
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def posted_phone(field: str = "phone") -> Callable[..., str]:
    """A ``key`` for ``rate_limit``: the phone number posted in ``field``, normalised, so one
    customer's number counts as one target however it is typed."""

    def key(request, *args, **kwargs) -> str:
        raw = request.POST.get(field, "")
        try:
            return normalize_phone(raw) or raw
        except ValidationError:
            return raw.strip()

    return key


def too_many_requests(request, *, retry_after: int):
    response = public_render(request, "public/rate_limited.html", status=429)
    response["Retry-After"] = str(max(1, int(retry_after)))
    return response


# --- honeypot -----------------------------------------------------------------------------------
class HoneypotMixin(forms.Form):
    """A text field people never see (moved off screen by relasi.css, hidden from screen
    readers, skipped by Tab) and bots fill in. The view asks ``form.caught_by_honeypot()``
    before anything else and, when caught, answers exactly as for a success and saves nothing.

    ``{{ form }}`` draws it last, hidden; a template that draws fields one by one includes
    ``public/honeypot.html`` (the same markup).
    """

    honeypot_name = "website"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = forms.CharField(
            label=_("Leave this field empty"), required=False, max_length=200,
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        self.fields[self.honeypot_name] = field

    @property
    def honeypot(self):
        return self[self.honeypot_name]

    def caught_by_honeypot(self) -> bool:
        return bool(self.data.get(self.add_prefix(self.honeypot_name)))

    def get_context(self):
        # ``{{ form }}`` draws the other fields as usual; render() adds this one, hidden.
        context = super().get_context()
        context["fields"] = [(f, e) for f, e in context["fields"] if f.name != self.honeypot_name]
        return context

    def render(self, template_name=None, context=None, renderer=None):
        html = super().render(template_name, context, renderer)
        # A whole form (str(), as_div()...) comes without a context; the parts Django renders
        # with this same method (a field's label) come with theirs.
        return html + self.honeypot_html() if context is None else html

    __str__ = __html__ = render  # as Django's RenderableMixin does, bound to this render()

    def honeypot_html(self):
        return format_html('<div class="hp-field" aria-hidden="true">{} {}</div>',
                           self.honeypot.label_tag(), self.honeypot)


# --- codes ------------------------------------------------------------------------------------------
PUBLIC_CODE_BYTES = 9  # 72 random bits
PUBLIC_CODE_LENGTH = 12  # base64url characters: 9 bytes, no padding
_PUBLIC_CODE = re.compile(r"[A-Za-z0-9_-]{%d}" % PUBLIC_CODE_LENGTH)
# The same kind of code made by PostgreSQL, for rows written by INSERT ... SELECT: nine
# random bytes (six and three from two version-4 UUIDs, whose first bytes are all random;
# gen_random_uuid() is built in, no pgcrypto), base64url-encoded. Volatile: one per row.
PUBLIC_CODE_SQL = ("translate(encode(substring(uuid_send(gen_random_uuid()) from 1 for 6) || "
                   "substring(uuid_send(gen_random_uuid()) from 1 for 3), 'base64'), '+/', '-_')")


def public_code_new() -> str:
    """A new code: 72 random bits from ``secrets``, 12 characters [A-Za-z0-9_-]."""
    return secrets.token_urlsafe(PUBLIC_CODE_BYTES)


def is_public_code(value: str) -> bool:
    return bool(value) and _PUBLIC_CODE.fullmatch(value) is not None


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def public_lookup(queryset: QuerySet, *, code: str, phone: str, code_field: str,
                  phone_fields: tuple[str, ...] = ("customer__phone",)):
    """The row of ``queryset`` whose ``code_field`` is ``code`` and one of whose
    ``phone_fields`` is ``phone`` (as typed: normalised here), else None.

    A wrong code and a wrong phone look the same from outside: exactly one query either way
    (by the unique code; a malformed code or phone still costs it), then a constant-time
    comparison of fixed-length digests against every phone field, made even when no row came
    back (against nothing)."""
    try:
        wanted = normalize_phone(phone)
    except ValidationError:
        wanted = ""
    code = code.strip() if isinstance(code, str) else ""
    names = [f"_public_phone_{i}" for i in range(len(phone_fields))]
    rows = list(queryset.filter(**{code_field: code if is_public_code(code) else ""})
                .annotate(**{name: F(path) for name, path in zip(names, phone_fields)})[:1])
    row = rows[0] if rows else None
    wanted_digest = _digest(wanted or "\0no phone")
    match = False
    for name in names:
        stored = (getattr(row, name) or "") if row is not None else ""
        # No short cut: every comparison runs, with or without a row.
        match |= hmac.compare_digest(_digest(stored or "\0none stored"), wanted_digest)
    return row if (row is not None and wanted and match) else None


class CodeAndPhoneForm(HoneypotMixin, forms.Form):
    """"Your code and your phone number": finds the row, or says the same thing whichever was wrong.

    ``CodeAndPhoneForm(data, queryset=..., code_field="public_code")``; when valid, the row is
    ``form.found``. The view rate-limits it per IP and per target (the phone typed)."""

    code = forms.CharField(label=_("Code"), max_length=32)
    phone = forms.CharField(label=_("Phone number"), max_length=32,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))

    not_found_message = _("We found nothing for this code and phone number. Check both and try again.")

    def __init__(self, *args, queryset: QuerySet, code_field: str,
                 phone_fields: tuple[str, ...] = ("customer__phone",), **kwargs):
        super().__init__(*args, **kwargs)
        self.queryset, self.code_field, self.phone_fields = queryset, code_field, phone_fields
        self.found = None

    def clean_phone(self):
        # Something that is no phone number at all is said at the field: that tells nothing
        # about any code. A real number that is not the customer's gets the common answer.
        value = self.cleaned_data["phone"]
        normalize_phone(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        self.found = public_lookup(self.queryset, code=cleaned["code"], phone=cleaned["phone"],
                                   code_field=self.code_field, phone_fields=self.phone_fields)
        if self.found is None:
            raise ValidationError(self.not_found_message, code="not_found")
        return cleaned
