"""The final text of a conversion, once target keys and attachment ids are known.

``render_text(converted, issues=..., files=..., users=...)`` replaces the spans of a
:class:`ConvertedText` and nothing else — a pure function: the same input always gives the same text,
so a resumed run writes exactly what the first one did. Code was never spanned, so it is never
rewritten.

* Issue reference, migrated: the Tracker key (Tracker links bare keys); in a link's URL ``/KEY``
  (Tracker's issue page, relative to wherever Tracker is served); a whole ``<url>`` becomes the key.
  Not migrated: as written, or — in running text, when the old tracker's URL is known — a link to it.
* Embedded file, resolved: ``![name](/ajax/v2/attachments/<id>?inline=true =WxH)`` for images and
  ``[name](/ajax/v2/attachments/<id>)`` for other files (``../shared/reference/markup.md`` §1.4); the
  ``files`` map gives an attachment id or a ready URL. Unresolved: its fallback, listed as lossy.
* Mention: ``@login`` for a mapped person (``users`` overrides what conversion found), else inline code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from migrator.mapping.markup.tokens import (
    LINK_TARGET,
    TEXT,
    ConvertedText,
    FileRef,
    IssueRef,
    Mention,
    Span,
    mention_text,
)

ATTACHMENT_URL = "/ajax/v2/attachments/{id}"
SPAN_LOSSY = frozenset({"attachment_embed", "mention_unmapped"})
_EMPTY: Mapping[str, str] = {}


@dataclass(frozen=True)
class RenderedText:
    text: str
    lossy: list[str] = field(default_factory=list)


def render_text(
    converted: ConvertedText,
    *,
    issues: Mapping[str, str] = _EMPTY,
    files: Mapping[str, str | int] | None = None,
    users: Mapping[str, str] | None = None,
) -> RenderedText:
    """``converted`` with its references, files and mentions resolved (see the module doc)."""
    lossy = [kind for kind in converted.lossy if kind not in SPAN_LOSSY]
    out: list[str] = []
    last = 0
    for span in converted.spans:
        out.append(converted.text[last : span.start])
        out.append(_render(span, issues, files or {}, users, lossy))
        last = span.end
    out.append(converted.text[last:])
    return RenderedText("".join(out), lossy)


def _render(
    span: Span,
    issues: Mapping[str, str],
    files: Mapping[str, str | int],
    users: Mapping[str, str] | None,
    lossy: list[str],
) -> str:
    token = span.token
    if isinstance(token, IssueRef):
        return _issue(token, span.context, issues)
    if isinstance(token, FileRef):
        return _file(token, files, lossy)
    return _mention(token, users, lossy)


def _issue(ref: IssueRef, context: str, issues: Mapping[str, str]) -> str:
    target = issues.get(ref.key)
    if target is not None:
        return f"/{target}" if context == LINK_TARGET else target
    if context == TEXT and ref.url and ref.url != ref.written:
        return f"[{ref.written}]({ref.url})"
    return ref.written


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
