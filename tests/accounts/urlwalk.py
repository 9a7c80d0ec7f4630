"""Every URL pattern of the project, read from the resolver, with a concrete URL for each.

Used by the anonymous walk and by the branch-scoping tests, so a URL added anywhere is
covered by both without editing a list.

URL parameters that name an object follow one rule: ``<uuid:<model>_id>`` carries the
``public_id`` of the installed model of that name (``customer_id`` → Customer,
``lead_id`` → Lead, ``contact_person_id`` → ContactPerson), so the tests know which object
each URL takes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter, PathConverter, SlugConverter, StringConverter, UUIDConverter
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RegexPattern, RoutePattern

SAMPLE_UUID = str(uuid.UUID("0f0f0f0f-1111-4222-8333-444444444444"))
_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>")


@dataclass
class Pattern:
    route: str  # the joined route, as ResolverMatch.route gives it
    name: str | None  # namespaced, e.g. "crm:customer_detail"; None for unnamed patterns
    namespace: str
    levels: list = field(default_factory=list)  # the pattern objects from the root to this one
    parameters: dict = field(default_factory=dict)  # name -> converter (or regex) of every level

    def __str__(self):
        return f"{self.name or '<unnamed>'} ({self.route})"

    @property
    def object_parameters(self) -> dict:
        """``<uuid:…>`` parameter name -> the model it names (None if it follows no rule)."""
        return {name: model_for_parameter(name) for name, converter in self.parameters.items()
                if isinstance(converter, UUIDConverter)}


def model_for_parameter(name: str):
    """The model a ``<model>_id`` URL parameter names: the one installed model with a
    ``public_id`` whose lower-case name is ``<model>`` without underscores; None if none."""
    if not name.endswith("_id"):
        return None
    wanted = name.removesuffix("_id").replace("_", "")
    found = [m for m in apps.get_models() if m._meta.model_name == wanted and _has_public_id(m)]
    if len(found) > 1:
        raise LookupError(f"URL parameter {name!r} could name any of {found}: rename one")
    return found[0] if found else None


def _has_public_id(model) -> bool:
    try:
        model._meta.get_field("public_id")
    except FieldDoesNotExist:
        return False
    return True


def _join(route1: str, route2: str) -> str:
    # As django.urls.resolvers.URLResolver._join_route.
    if not route1:
        return route2
    route2 = route2.removeprefix("^")
    return route1 + route2


def walk(patterns=None, route="", namespaces=(), levels=()) -> list[Pattern]:
    """Every leaf pattern below ``patterns`` (the root URLconf by default)."""
    found = []
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = (*namespaces, p.namespace) if p.namespace else namespaces
            found += walk(p.url_patterns, _join(route, str(p.pattern)), ns, (*levels, p.pattern))
        elif isinstance(p, URLPattern):
            namespace = ":".join(namespaces)
            name = (f"{namespace}:{p.name}" if namespace else p.name) if p.name else None
            all_levels = [*levels, p.pattern]
            parameters = {}
            for level in all_levels:
                if isinstance(level, RoutePattern):
                    parameters.update(level.converters)
                else:
                    parameters.update({k: "regex" for k in level.regex.groupindex})
            found.append(Pattern(_join(route, str(p.pattern)), name, namespace, all_levels, parameters))
    return found


def _sample_for_converter(converter) -> str | None:
    # Order matters: SlugConverter and PathConverter subclass StringConverter.
    if isinstance(converter, UUIDConverter):
        return SAMPLE_UUID
    if isinstance(converter, IntConverter):
        return "1"
    if isinstance(converter, (SlugConverter, PathConverter, StringConverter)):
        return "x"
    return None


def _route_level(pattern: RoutePattern, values: dict) -> str | None:
    missing = []

    def fill(match):
        name = match["parameter"]
        if name in values:
            return str(values[name])
        sample = _sample_for_converter(pattern.converters[name])
        if sample is None:
            missing.append(name)
            return ""
        return sample

    text = _ROUTE_PARAM.sub(fill, str(pattern._route))
    return None if missing else text


def _group_end(regex: str, start: int) -> int:
    """The index just after the group that opens at ``start`` (balanced parentheses)."""
    depth, i = 0, start
    while i < len(regex):
        c = regex[i]
        if c == "\\":
            i += 2
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ValueError(f"unbalanced group in {regex!r}")


def _sample_for_regex(body: str) -> str | None:
    """A value the group's regex accepts: the first alternative of a list of words, else a
    short sample."""
    candidates = []
    if re.fullmatch(r"\w+(\|\w+)*", body):
        candidates.append(body.split("|")[0])
    candidates += ["x", "1", SAMPLE_UUID]
    return next((c for c in candidates if re.fullmatch(body, c)), None)


def _regex_level(pattern: RegexPattern, values: dict) -> str | None:
    regex = str(pattern._regex).removeprefix("^")
    for end in ("\\Z", "$"):
        regex = regex.removesuffix(end)
    out, i = [], 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name = regex[i + 4:regex.index(">", i)]
            end = _group_end(regex, i)
            body = regex[regex.index(">", i) + 1:end - 1]
            value = str(values[name]) if name in values else _sample_for_regex(body)
            if value is None:
                return None
            out.append(value)
            i = end
        elif regex[i] == "\\" and i + 1 < len(regex) and not regex[i + 1].isalnum():
            out.append(regex[i + 1])
            i += 2
        elif regex[i] in "[](){}*+?|.^$\\":
            return None  # some other regex construct: no literal URL for it
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def concrete_url(pattern: Pattern, **values) -> str | None:
    """A URL that resolves to this very pattern, or None if none could be made.

    ``values`` fill named parameters (``customer_id=...``); the rest get samples.
    """
    parts = []
    for level in pattern.levels:
        part = _route_level(level, values) if isinstance(level, RoutePattern) else _regex_level(level, values)
        if part is None:
            return None
        parts.append(part)
    url = "/" + "".join(parts)
    try:
        match = resolve(url)
    except Resolver404:
        return None
    if (match.route, match.view_name if pattern.name else None) != (pattern.route, pattern.name):
        return None  # the URL reaches another pattern: testing it would test the wrong view
    return url
