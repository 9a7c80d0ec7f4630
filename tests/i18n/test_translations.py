"""Every msgid of our code has an Indonesian translation, none of them fuzzy.

``makemessages`` runs over the working tree into a temporary copy of locale/, exactly as
a developer would run it (``make messages``), so a string added anywhere (a template, a
form, a model's verbose name, a management command) and not yet translated fails here,
named with where it comes from.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
# The same options as `make messages` (Makefile): tests and generated or vendored files are not ours to translate.
MAKEMESSAGES_IGNORE = ["tests", "test-artifacts", "static", "docs", "scripts"]


def _key(value):
    return tuple(value) if isinstance(value, (tuple, list)) else value


def read_catalog(path: Path):
    with path.open("rb") as f:
        return read_po(f, locale="id")


# %(name)s / %(count)d, {} / {0} (format_html), {{ name }} (SMS placeholders) and {% … %}.
_PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\{\s*\w+\s*\}\}|\{%.*?%\}|\{\w*\}")


def placeholders(text: str) -> list[str]:
    return sorted(" ".join(p.split()) for p in _PLACEHOLDER.findall(text))


def untranslated(catalog) -> list[str]:
    """Entries that are fuzzy, empty, or do not keep the msgid's placeholders exactly."""
    problems = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, (tuple, list)) else (message.string,)
        where = ", ".join(f"{file}:{line}" for file, line in message.locations) or "?"
        msgid = message.id[0] if isinstance(message.id, (tuple, list)) else message.id
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r} ({where})")
        elif not all(strings):
            problems.append(f"untranslated: {msgid!r} ({where})")
        elif any(placeholders(s) != placeholders(msgid) for s in strings):
            problems.append(f"placeholders differ: {msgid!r} → {strings[0]!r} ({where})")
    return problems


@pytest.fixture
def fresh_catalog(tmp_path, settings):
    """locale/ brought up to date with the code by makemessages, in a copy: the tree is linked
    into a temporary directory beside a copy of locale/ (makemessages writes each file's
    messages to the locale/ directory nearest to it, so run in place it would write ours)."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for entry in ROOT.iterdir():
        if not entry.name.startswith(".") and entry.name not in {"locale", *MAKEMESSAGES_IGNORE}:
            (tree / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "locale", tree / "locale")
    settings.LOCALE_PATHS = [tree / "locale"]
    cwd = os.getcwd()
    os.chdir(tree)  # makemessages reads the tree it is run in
    try:
        call_command("makemessages", locale=["id"], ignore_patterns=MAKEMESSAGES_IGNORE, symlinks=True,
                     verbosity=0)
    finally:
        os.chdir(cwd)
    return read_catalog(tree / "locale" / "id" / "LC_MESSAGES" / "django.po")


def test_every_message_of_our_code_is_translated(fresh_catalog):
    assert len(fresh_catalog) > 300  # makemessages really read the code
    problems = untranslated(fresh_catalog)
    assert not problems, (f"{len(problems)} message(s) need an Indonesian translation in "
                          f"locale/id/LC_MESSAGES/django.po (run `make messages`, translate, then "
                          f"`python manage.py compilemessages`):\n" + "\n".join(problems))


def test_the_committed_catalog_is_compiled():
    """The .mo the app loads says what the .po says (bootstrap recompiles a .po newer than its .mo)."""
    po = ROOT / "locale" / "id" / "LC_MESSAGES" / "django.po"
    mo = po.with_suffix(".mo")
    assert mo.exists(), "locale/id/LC_MESSAGES/django.mo is missing: python manage.py compilemessages"
    with mo.open("rb") as f:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(f) if m.id}
    written = {_key(m.id): _key(m.string) for m in read_catalog(po) if m.id and not m.fuzzy and
               all(m.string if isinstance(m.string, (tuple, list)) else (m.string,))}
    assert compiled == written, "django.mo differs from django.po: python manage.py compilemessages"


def test_the_check_itself_reports_missing_and_fuzzy_entries(tmp_path):
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        "#: crm/forms.py:10\nmsgid \"Save\"\nmsgstr \"Simpan\"\n\n"
        "#: crm/forms.py:11\nmsgid \"Cancel\"\nmsgstr \"\"\n\n"
        "#: templates/x.html:3\n#, fuzzy\nmsgid \"Customers\"\nmsgstr \"Pelanggan\"\n\n"
        "#: crm/views.py:5\nmsgid \"%(count)s SMS\"\nmsgid_plural \"%(count)s SMS\"\nmsgstr[0] \"\"\n\n"
        "#: crm/views.py:6\nmsgid \"Hi %(name)s\"\nmsgstr \"Halo %(nama)s\"\n\n"
        "#: marketing/text.py:7\nmsgid \"Use {{ first_name }}\"\nmsgstr \"Pakai {{ nama_depan }}\"\n\n"
        "#: crm/forms.py:12\nmsgid \"Used by {}\"\nmsgstr \"Dipakai oleh {}\"\n",
        encoding="utf-8")
    assert untranslated(read_catalog(po)) == [
        "untranslated: 'Cancel' (crm/forms.py:11)",
        "fuzzy: 'Customers' (templates/x.html:3)",
        "untranslated: '%(count)s SMS' (crm/views.py:5)",
        "placeholders differ: 'Hi %(name)s' → 'Halo %(nama)s' (crm/views.py:6)",
        "placeholders differ: 'Use {{ first_name }}' → 'Pakai {{ nama_depan }}' (marketing/text.py:7)",
    ]
