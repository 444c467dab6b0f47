"""Texts with pointers in them: the spans a conversion leaves, their stored form, and their rendering.

A converted text cannot be finished by the converter: the Tracker key of a referenced issue and the
id of an embedded file are known only after the import. So every issue reference, embedded file and
mention is a *token* whose default rendering (what the text says while nothing is resolved) is in
:attr:`ConvertedText.text` and whose place is a :class:`Span`. :func:`render_text` replaces the
spans without converting again — a pure function: the same input always gives the same text, so a
resumed run writes exactly what the first one did. Code was never spanned, so it is never rewritten.

This module is its own room (it imports nothing of migrator): the mapping stage makes spans (the
converters in ``mapping/markup/``), the plan stores them (:func:`spans_to_json`), and the executor
and verify render them from the ledger — none of those may import the others.

Rendering:

* Issue reference, migrated: the Tracker key (Tracker links bare keys); in a link's URL ``/KEY``
  (Tracker's issue page, relative to wherever Tracker is served); a whole ``<url>`` becomes the key.
  Not migrated: as written, or — in running text, when the old tracker's URL is known — a link to it
  (a link's URL: the old page when known).
  With ``projects`` given, a ``KEY-N`` whose project is not one of them is not an issue of the old
  tracker at all (``UTF-8``, ``SHA-256``): always as written.
* Embedded file, resolved: ``![name](/ajax/v2/attachments/<id>?inline=true =WxH)`` for images and
  ``[name](/ajax/v2/attachments/<id>)`` for other files (``../shared/reference/markup.md`` §1.4); the
  ``files`` map gives an attachment id or a ready URL. Unresolved: its fallback, listed as lossy.
* Mention: ``@login`` for a mapped person (``users`` overrides what conversion found), else inline code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

# Where a span sits, which decides how a resolved pointer is written there.
TEXT = "text"  # running text
LINK_TEXT = "link_text"  # inside the text of a link: never becomes a link itself
LINK_TARGET = "link_target"  # the URL of a link: a Tracker key becomes "/KEY"
AUTOLINK = "autolink"  # a whole ``<url>``: a Tracker key replaces it

ATTACHMENT_URL = "/ajax/v2/attachments/{id}"
SPAN_LOSSY = frozenset({"attachment_embed", "mention_unmapped"})
_EMPTY: Mapping[str, str] = {}
_BACKTICKS_RE = re.compile(r"`+")
_PROJECT_KEY_RE = re.compile(r"([A-Z][A-Z0-9_]*)-\d+")


def code_span(text: str) -> str:
    """``text`` as YFM inline code, with a fence longer than any backtick run inside it."""
    longest = max((len(m) for m in _BACKTICKS_RE.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


@dataclass(frozen=True)
class IssueRef:
    """A reference to a source issue. ``key`` is the issue's key in the export (``PROJ-12``, ``45``,
    ``other/repo#3``) — the key of the ``issues`` map given to ``render_text``."""

    key: str
    written: str  # exactly as the source wrote it
    url: str | None = None  # the old tracker's page of the issue, when its base URL is known

    def default(self) -> str:
        return self.written


@dataclass(frozen=True)
class FileRef:
    """An embedded file (inline image or attachment link). ``keys`` are tried in order against the
    ``files`` map (a file name, an attachment id, an upload path, ``asana:<gid>``...)."""

    keys: tuple[str, ...]
    name: str  # link text / alt text
    image: bool
    fallback: str  # what the text says while the file is not resolved
    external: bool = False  # the fallback still shows the file (from its original URL)
    width: str = ""
    height: str = ""

    def default(self) -> str:
        return self.fallback

    @property
    def written(self) -> str:
        return self.name


@dataclass(frozen=True)
class Mention:
    """A person named in the text. ``login`` is the Tracker login found at conversion (or None)."""

    name: str  # as the source identifies the person (login, account id, e-mail, gid)
    label: str  # what to show when the person is not mapped
    login: str | None
    written: str = ""

    def default(self) -> str:
        return mention_text(self.login, self.label)


Token = IssueRef | FileRef | Mention


def mention_text(login: str | None, label: str) -> str:
    """``@login`` for a mapped person; an unmapped one as inline code, which pings nobody."""
    return f"@{login}" if login else code_span(f"@{label.lstrip('@')}")


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    token: Token
    context: str = TEXT


@dataclass
class ConvertedText:
    """YFM plus what a later pass needs. ``text`` is the rendering with nothing resolved: issue
    references as written, files by their fallback, mentions as found at conversion."""

    text: str
    lossy: list[str] = field(default_factory=list)  # kinds of lossy conversions, in order of appearance
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class RenderedText:
    text: str
    lossy: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------- rendering


def render_text(
    converted: ConvertedText,
    *,
    issues: Mapping[str, str] = _EMPTY,
    files: Mapping[str, str | int] | None = None,
    users: Mapping[str, str] | None = None,
    projects: Collection[str] | None = None,
) -> RenderedText:
    """``converted`` with its references, files and mentions resolved (see the module doc)."""
    lossy = [kind for kind in converted.lossy if kind not in SPAN_LOSSY]
    out: list[str] = []
    last = 0
    for span in converted.spans:
        out.append(converted.text[last : span.start])
        out.append(_render(span, issues, files or {}, users, projects, lossy))
        last = span.end
    out.append(converted.text[last:])
    return RenderedText("".join(out), lossy)


def _render(
    span: Span,
    issues: Mapping[str, str],
    files: Mapping[str, str | int],
    users: Mapping[str, str] | None,
    projects: Collection[str] | None,
    lossy: list[str],
) -> str:
    token = span.token
    if isinstance(token, IssueRef):
        return _issue(token, span.context, issues, projects)
    if isinstance(token, FileRef):
        return _file(token, files, lossy)
    return _mention(token, users, lossy)


def _issue(ref: IssueRef, context: str, issues: Mapping[str, str], projects: Collection[str] | None) -> str:
    target = issues.get(ref.key)
    if target is not None:
        return f"/{target}" if context == LINK_TARGET else target
    if projects is not None and not _of_projects(ref.key, projects):
        return ref.written
    if context == LINK_TARGET:
        return ref.url or ref.written  # a link to a key (Jira [text|PROJ-12]) goes to the old page
    if context == TEXT and ref.url and ref.url != ref.written:
        return f"[{ref.written}]({ref.url})"
    return ref.written


def _of_projects(key: str, projects: Collection[str]) -> bool:
    """False only for a ``KEY-N`` whose project is not one of ``projects`` (numbers, ``owner/repo#N``
    and ``!N`` belong to the old tracker whatever the projects)."""
    match = _PROJECT_KEY_RE.fullmatch(key)
    return match is None or match.group(1) in projects


def _file(ref: FileRef, files: Mapping[str, str | int], lossy: list[str]) -> str:
    found = next((files[key] for key in ref.keys if key in files), None)
    if found is None:
        if not ref.external:
            lossy.append("attachment_embed")
        return ref.fallback
    url = attachment_url(found)
    name = _link_text(ref.name)
    if not ref.image:
        return f"[{name}]({url})"
    size = f" ={ref.width}x{ref.height}" if ref.width or ref.height else ""
    inline = "&inline=true" if "?" in url else "?inline=true"
    return f"![{name}]({url}{inline}{size})"


def attachment_url(found: str | int) -> str:
    """An attachment id → Tracker's relative attachment URL; a URL or path is used as given."""
    value = str(found).strip()
    if value.isdigit():
        return ATTACHMENT_URL.format(id=value)
    return value.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def _link_text(name: str) -> str:
    return name.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")


def _mention(mention: Mention, users: Mapping[str, str] | None, lossy: list[str]) -> str:
    login = users.get(mention.name, mention.login) if users is not None else mention.login
    if not login:
        lossy.append("mention_unmapped")
    return mention_text(login, mention.label)


# ------------------------------------------------------------------------- rewriting spans


def rewrite_spans(converted: ConvertedText, rewrite: Callable[[Span], Token | str]) -> ConvertedText:
    """``converted`` with each span's token replaced by what ``rewrite`` returns for it: a token
    (rendered by default, still spanned) or a string (final text, no longer spanned). Offsets of the
    spans after a changed one move with it; lossy kinds of spans are recomputed."""
    out: list[str] = []
    spans: list[Span] = []
    lossy = [kind for kind in converted.lossy if kind not in SPAN_LOSSY]
    size = last = 0
    for span in converted.spans:
        between = converted.text[last : span.start]
        out.append(between)
        size += len(between)
        last = span.end
        result = rewrite(span)
        if isinstance(result, str):
            out.append(result)
            size += len(result)
            continue
        rendered = result.default()
        lossy += _token_lossy(result)
        spans.append(Span(size, size + len(rendered), result, span.context))
        out.append(rendered)
        size += len(rendered)
    out.append(converted.text[last:])
    return ConvertedText("".join(out), lossy, tuple(spans))


def _token_lossy(token: Token) -> list[str]:
    if isinstance(token, FileRef) and not token.external:
        return ["attachment_embed"]
    if isinstance(token, Mention) and not token.login:
        return ["mention_unmapped"]
    return []


def prefixed(converted: ConvertedText, prefix: str) -> ConvertedText:
    """``converted`` with ``prefix`` put before its text (the spans move along)."""
    if not prefix:
        return converted
    shift = len(prefix)
    spans = tuple(replace(s, start=s.start + shift, end=s.end + shift) for s in converted.spans)
    return ConvertedText(prefix + converted.text, list(converted.lossy), spans)


# ----------------------------------------------------------------------------- stored form


def spans_to_json(spans: Iterable[Span]) -> list[dict[str, Any]]:
    """The spans as JSON-serialisable dicts (stored in the plan; :func:`spans_from_json` reads them)."""
    return [_span_json(span) for span in spans]


def _span_json(span: Span) -> dict[str, Any]:
    token = span.token
    data: dict[str, Any] = {"start": span.start, "end": span.end, "context": span.context}
    if isinstance(token, IssueRef):
        data["issue"] = {"key": token.key, "written": token.written, "url": token.url}
    elif isinstance(token, FileRef):
        data["file"] = {
            "keys": list(token.keys),
            "name": token.name,
            "image": token.image,
            "fallback": token.fallback,
            "external": token.external,
            "width": token.width,
            "height": token.height,
        }
    else:
        data["mention"] = {
            "name": token.name,
            "label": token.label,
            "login": token.login,
            "written": token.written,
        }
    return data


def spans_from_json(items: Iterable[Mapping[str, Any]]) -> tuple[Span, ...]:
    """The spans stored by :func:`spans_to_json`."""
    return tuple(_span_from_json(item) for item in items)


def _span_from_json(item: Mapping[str, Any]) -> Span:
    token: Token
    if "issue" in item:
        ref = item["issue"]
        token = IssueRef(str(ref["key"]), str(ref["written"]), ref.get("url"))
    elif "file" in item:
        ref = item["file"]
        token = FileRef(
            tuple(str(k) for k in ref["keys"]),
            str(ref["name"]),
            bool(ref["image"]),
            str(ref["fallback"]),
            bool(ref.get("external", False)),
            str(ref.get("width", "")),
            str(ref.get("height", "")),
        )
    else:
        ref = item["mention"]
        token = Mention(str(ref["name"]), str(ref["label"]), ref.get("login"), str(ref.get("written", "")))
    return Span(int(item["start"]), int(item["end"]), token, str(item.get("context", TEXT)))


def issue_keys(spans: Iterable[Span]) -> set[str]:
    """The source keys the spans' issue references name."""
    return {span.token.key for span in spans if isinstance(span.token, IssueRef)}


def file_keys(spans: Iterable[Span]) -> set[str]:
    """Every ``files``-map key the spans' embedded files try."""
    return {key for span in spans if isinstance(span.token, FileRef) for key in span.token.keys}
