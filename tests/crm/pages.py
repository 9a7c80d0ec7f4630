"""Read pages the way a browser does: find a form, fill it in, post it, read the errors.

Only the standard library's HTML parser, so a broken template (a field missing from the
page, a form posting to the wrong URL, a missing CSRF token) fails the test the same way
it would fail a user.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_TEXT_INPUTS = {"text", "hidden", "email", "date", "datetime-local", "number", "search", "tel", "password", "url"}


@dataclass
class Form:
    action: str
    method: str
    attrs: dict
    fields: dict[str, list[str]] = field(default_factory=dict)
    checkboxes: set[str] = field(default_factory=set)  # names rendered as checkboxes (ticked or not)
    options: dict[str, list[str]] = field(default_factory=dict)  # select name -> option values

    def fill(self, **values) -> Form:
        """Type into fields: a str replaces the value, True/False ticks a checkbox, a list picks options."""
        for name, value in values.items():
            if name not in self.fields and name not in self.checkboxes and name not in self.options:
                raise AssertionError(f"the page has no field {name!r}; it has {sorted(self.all_names())}")
            if value is True:
                self.fields[name] = ["on"]
            elif value is False or value is None:
                self.fields.pop(name, None)
            elif isinstance(value, (list, tuple)):
                self.fields[name] = [str(v) for v in value]
            else:
                self.fields[name] = [str(value)]
        return self

    def all_names(self) -> set[str]:
        return set(self.fields) | self.checkboxes | set(self.options)

    def data(self) -> dict:
        return {name: values if len(values) > 1 else values[0] for name, values in self.fields.items()}

    def submit(self, client, *, url: str, follow: bool = False, **headers):
        """POST the form as the browser would: to its action, or to the page's own URL."""
        assert self.method == "post", f"form method is {self.method!r}"
        return client.post(self.action or url, self.data(), follow=follow, **headers)


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: tuple[str, bool] | None = None  # (name, multiple)
        self._select_first: str | None = None
        self._select_chosen = False
        self._in_option = False
        self._option_value: str | None = None
        self._option_selected = False
        self._option_text = ""
        self._textarea: str | None = None
        self._textarea_text = ""

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=a.get("method", "get").lower(), attrs=a)
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                self._form.checkboxes.add(name)
                if "checked" in a:
                    self._form.fields.setdefault(name, []).append(a.get("value") or "on")
            elif kind in _TEXT_INPUTS:
                values = self._form.fields.setdefault(name, [])
                if name == "csrfmiddlewaretoken" and values:
                    return  # crispy and the template each render one; the browser sends both, same value
                values.append(a.get("value", ""))
        elif tag == "select" and name:
            self._select = (name, "multiple" in a)
            self._select_first, self._select_chosen = None, False
            self._form.options[name] = []
        elif tag == "option" and self._select:
            self._in_option = True
            self._option_value = a.get("value")
            self._option_selected = "selected" in a
            self._option_text = ""
        elif tag == "textarea" and name:
            self._textarea, self._textarea_text = name, ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea_text += data
        elif self._in_option:
            self._option_text += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option" and self._in_option and self._select and self._form is not None:
            value = self._option_value if self._option_value is not None else self._option_text.strip()
            name, multiple = self._select
            self._form.options[name].append(value)
            if self._select_first is None:
                self._select_first = value
            if self._option_selected:
                self._form.fields.setdefault(name, []).append(value)
                self._select_chosen = True
            self._in_option, self._option_value, self._option_selected = False, None, False
        elif tag == "select" and self._select and self._form is not None:
            name, multiple = self._select
            if not multiple and not self._select_chosen and self._select_first is not None:
                self._form.fields[name] = [self._select_first]  # a browser submits the first option
            self._select = None
        elif tag == "textarea" and self._textarea is not None and self._form is not None:
            # The HTML parser keeps the newline Django writes after <textarea>; browsers drop it.
            self._form.fields[self._textarea] = [self._textarea_text.removeprefix("\n")]
            self._textarea = None


def forms_on(response) -> list[Form]:
    parser = _FormParser()
    parser.feed(response.content.decode())
    return parser.forms


def post_form(response, *, action: str | None = None) -> Form:
    """The page's POST form (ignoring the menu's log-out and language forms), or the one posting to ``action``."""
    candidates = [f for f in forms_on(response)
                  if f.method == "post" and "logout" not in f.action and "data-menu" not in f.attrs]
    if action is not None:
        candidates = [f for f in candidates if f.action == action]
    assert len(candidates) == 1, f"expected one matching POST form, found {[f.action for f in candidates]}"
    return candidates[0]


def field_error(response, name: str) -> str:
    """The error text shown under field ``name`` (crispy's invalid-feedback), tags stripped; "" if none."""
    raw = field_error_html(response, name)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", raw)).split())


def field_error_html(response, name: str) -> str:
    body = response.content.decode()
    match = re.search(rf'<div id="id_{re.escape(name)}_error" class="invalid-feedback">(.*?)</div>', body, re.S)
    return match.group(1) if match else ""


def timeline_entries(response) -> list[dict]:
    """The timeline as shown, top to bottom: each entry's header line and summary text."""
    body = response.content.decode()
    entries = []
    for chunk in body.split('<div class="timeline-item">')[1:]:
        header = re.search(r'<div class="small text-muted">(.*?)</div>', chunk, re.S).group(1)
        summary = re.search(r'<div class="timeline-summary">(.*?)</div>', chunk, re.S).group(1)
        entries.append({
            "header": " ".join(html.unescape(re.sub(r"<[^>]+>", " ", header)).split()),
            "summary": html.unescape(summary),
            "summary_html": summary,
        })
    return entries


def flash_messages(response) -> list[str]:
    """The flash messages at the top of the page (base.html), as text."""
    body = response.content.decode()
    pattern = r'<div class="alert alert-\w+ alert-dismissible fade show" role="alert">(.*?)<button'
    found = re.findall(pattern, body, re.S)
    return [" ".join(html.unescape(m).split()) for m in found]


def sms_panel_form(response):
    """The SMS box's form on a 360 page response (marketing's registered panel)."""
    parts = {part.key: part for part in response.context["side_panels"]}
    assert "sms" in parts, "the SMS panel is not on the page"
    return parts["sms"].data["form"]
