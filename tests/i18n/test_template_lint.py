"""Every word a user reads in our templates goes through a translation tag.

A simple lint, not a parser: it removes what is translated or not text ({% translate %},
{% blocktranslate %}…{% endblocktranslate %}, comments, other tags and variables, scripts,
styles, SVG, markup), keeps text nodes and the attributes people read (title, placeholder,
aria-label, alt), and fails on any letters left that are not on the allowlist (the brand,
the language names the switcher shows in their own language, channel acronyms).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt"}
# Written the same in both languages, or deliberately untranslated (a language's own name).
ALLOWED = {"Relasi", "SMS", "Bahasa Indonesia", "English", "WIB", "WITA", "WIT", "Rp", "km"}

_BLOCKTRANSLATE = re.compile(r"{%-?\s*blocktrans(?:late)?\b.*?{%-?\s*endblocktrans(?:late)?\s*-?%}", re.S)
_COMMENT_BLOCK = re.compile(r"{%\s*comment\b.*?%}.*?{%\s*endcomment\s*%}", re.S)
_TAG = re.compile(r"{%.*?%}", re.S)
_VARIABLE = re.compile(r"{{.*?}}", re.S)
_COMMENT = re.compile(r"{#.*?#}", re.S)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_LITERAL_IN_DEFAULT = re.compile(r"\|default(?:_if_none)?:(\"[^\"]*\"|'[^']*')")
_LETTERS = re.compile(r"[^\W\d_]+(?:[\s'’-]+[^\W\d_]+)*")


class _TextCollector(HTMLParser):
    SKIP = {"script", "style", "svg"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        for name, value in attrs:
            if name in READ_ATTRIBUTES and value:
                self.found.append((self.getpos()[0], value))

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.found.append((self.getpos()[0], data))


def _blank(match: re.Match) -> str:
    """Remove the match but keep its line breaks, so line numbers stay right."""
    return "\n" * match.group(0).count("\n")


def untranslated(source: str) -> list[tuple[int, str]]:
    """(line, text) of every piece of user-facing text outside a translation tag."""
    problems = []
    for match in _LITERAL_IN_DEFAULT.finditer(source):
        # "Nobody" or "not yet" is text; a lower-case word ("info") is a CSS class or a value.
        if re.search(r"[A-Z]|\w\s+\w", match.group(1)):
            problems.append((source.count("\n", 0, match.start()) + 1, match.group(0)))
    for pattern in (_COMMENT_BLOCK, _BLOCKTRANSLATE, _COMMENT, _HTML_COMMENT, _TAG, _VARIABLE):
        source = pattern.sub(_blank, source)
    collector = _TextCollector()
    collector.feed(source)
    collector.close()
    for line, text in collector.found:
        words = [w for w in _LETTERS.findall(text) if w not in ALLOWED]
        if words:
            problems.append((line, " ".join(text.split())))
    return problems


def template_files() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


def test_it_finds_text_outside_translation_tags():
    # The lint itself: what it must catch, and what it must let through.
    assert untranslated("<p>Save</p>") == [(1, "Save")]
    assert untranslated('<input placeholder="Search customers">') == [(1, "Search customers")]
    assert untranslated('{{ x|default:"Nobody" }}') == [(1, '|default:"Nobody"')]
    assert untranslated("<div class=\"alert-{{ tags|default:'info' }}\"></div>") == []
    assert untranslated("\n<button>{% translate 'Save' %}</button> <b>Cancel</b>") == [(2, "Cancel")]
    assert untranslated("{% blocktranslate with n=1 %}Page {{ n }}{% endblocktranslate %}") == []
    assert untranslated('<a title="{{ c.name }}">{{ c.name }}</a> · … → 12/11 {# note #}') == []
    assert untranslated("<title>{% block t %}Relasi{% endblock %} · Relasi</title>") == []
    assert untranslated('<svg><path d="M11 10"/></svg><script src="a.js"></script>') == []
    assert untranslated('<div class="alert">{% comment %}Why not{% endcomment %}</div>') == []


@pytest.mark.parametrize("path", template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_template_translates_its_text(path):
    problems = untranslated(path.read_text())
    assert not problems, f"{path.relative_to(TEMPLATES)}: text outside a translation tag:\n" + "\n".join(
        f"  line {line}: {text}" for line, text in problems)
