"""The ``source:`` keys about texts: ``markup`` (one for all, or one per text field), ``base_url``
and ``references`` — checked here, with every problem collected (never raised)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from migrator.mapping.config_checks import Problems, check_keys
from migrator.mapping.markup import MARKUPS, STYLES
from migrator.sources.spec import TEXT_FIELDS, ReferencesSpec

MARKUP_FIELD_KEYS = frozenset(TEXT_FIELDS)
REFERENCES_KEYS = frozenset({"styles", "project_keys", "repository"})
_PROJECT_KEY_RE = re.compile(r"[A-Z][A-Z0-9_]*")
_REPOSITORY_RE = re.compile(r"[\w.\-]+(?:/[\w.\-]+)+")


@dataclass(frozen=True)
class Markups:
    default: str
    by_field: dict[str, str]


def parse_markup(raw: Any, problems: Problems) -> Markups:
    """``markup: jira`` for every text, or ``markup: {description: adf, comments: html}`` (a field
    not named is ``plain``)."""
    if isinstance(raw, dict):
        check_keys("source.markup", raw, MARKUP_FIELD_KEYS, problems)
        by_field = {
            name: _markup(f"source.markup.{name}", value, problems)
            for name, value in raw.items()
            if name in MARKUP_FIELD_KEYS
        }
        return Markups("plain", by_field)
    return Markups(_markup("source.markup", raw, problems), {})


def _markup(path: str, value: Any, problems: Problems) -> str:
    if value not in MARKUPS:
        problems.add(
            path,
            f"unknown markup {value!r}",
            f"one of {', '.join(MARKUPS)}, or a map {{{', '.join(f'{f}: <markup>' for f in TEXT_FIELDS)}}}",
        )
        return "plain"
    return str(value)


def parse_base_url(raw: Any, problems: Problems) -> str | None:
    """The old tracker's address (Jira: ``https://jira.example.com``; GitHub: the repository's URL)."""
    if raw is None:
        return None
    parts = urlsplit(raw) if isinstance(raw, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        problems.add(
            "source.base_url",
            f"must be an http(s) URL, got {raw!r}",
            "the old tracker's address, e.g. https://jira.example.com or https://github.com/owner/repo",
        )
        return None
    return str(raw).rstrip("/")


def parse_references(raw: Any, problems: Problems) -> ReferencesSpec:
    if raw is None:
        return ReferencesSpec()
    if not isinstance(raw, dict):
        problems.add("source.references", "must be a mapping with styles / project_keys / repository")
        return ReferencesSpec()
    check_keys("source.references", raw, REFERENCES_KEYS, problems)
    return ReferencesSpec(
        styles=_styles(raw.get("styles"), problems),
        project_keys=_project_keys(raw.get("project_keys"), problems),
        repository=_repository(raw.get("repository"), problems),
    )


def _styles(raw: Any, problems: Problems) -> tuple[str, ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        problems.add("source.references.styles", "must be a list", f"of {', '.join(STYLES)}")
        return None
    unknown = [s for s in raw if s not in STYLES]
    if unknown:
        problems.add(
            "source.references.styles",
            f"unknown style(s) {', '.join(unknown)}",
            f"one of {', '.join(STYLES)}",
        )
    return tuple(s for s in raw if s in STYLES)


def _project_keys(raw: Any, problems: Problems) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not all(isinstance(k, str) and _PROJECT_KEY_RE.fullmatch(k) for k in raw):
        problems.add(
            "source.references.project_keys",
            f"must be a list of project keys, got {raw!r}",
            "capital letters, digits and _ (e.g. [PROJ, OPS]); leave it out to use the export's own keys",
        )
        return ()
    return tuple(raw)


def _repository(raw: Any, problems: Problems) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or not _REPOSITORY_RE.fullmatch(raw.strip("/")):
        problems.add(
            "source.references.repository",
            f"must be owner/repo, got {raw!r}",
            "the repository whose owner/repo#12 means #12 (default: from base_url)",
        )
        return None
    return raw.strip("/")
