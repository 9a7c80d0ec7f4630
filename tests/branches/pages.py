"""tests/crm/pages.py for the calendar page, whose opening-hours rows use <input type="time">."""

from tests.crm import pages
from tests.crm.pages import field_error, flash_messages  # noqa: F401


class _Parser(pages._FormParser):
    def handle_starttag(self, tag, attrs):
        if tag == "input":
            # A time input posts its value like a text input.
            attrs = [(k, "text" if k == "type" and v == "time" else v) for k, v in attrs]
        super().handle_starttag(tag, attrs)


def forms_on(response) -> list[pages.Form]:
    parser = _Parser()
    parser.feed(response.content.decode())
    return parser.forms


def form_posting_to(response, action: str) -> pages.Form:
    found = [f for f in forms_on(response) if f.method == "post" and f.action == action]
    assert len(found) == 1, f"expected one form posting to {action}, found {len(found)}"
    return found[0]
