"""The per-text state of one conversion, and turning its markers into spans.

Converters do not write a token's text directly: :meth:`ConversionContext.mark` returns an opaque marker (a
private-use character, the token's index, another private-use character) that survives escaping and
every later step of the converter; :func:`finish` then replaces each marker by the token's default
rendering and records its :class:`Span`. A text that already contains those private-use characters
is converted without markers (its pointers stay as written, unspanned).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from migrator.mapping.markup.references import ReferenceFinder
from migrator.mapping.markup.tokens import (
    AUTOLINK,
    LINK_TEXT,
    TEXT,
    ConvertedText,
    FileRef,
    IssueRef,
    Mention,
    Span,
    Token,
)
from migrator.mapping.markup.yfm import code_ranges, link_text_ranges

UserLogin = Callable[[str], str | None]

MARK_OPEN = "\ue000"
MARK_CLOSE = "\ue001"
MARKER_RE = re.compile(f"{MARK_OPEN}(\\d+){MARK_CLOSE}")
_TRAILING_PUNCTUATION_RE = re.compile(r"[.,;:!?)\]'\"]+$")
BARE_URL_RE = re.compile(r"(?:https?|ftp)://[^\s<>]*[^\s<>.,;:!?'\")\]]", re.IGNORECASE)


def can_mark(text: str) -> bool:
    return MARK_OPEN not in text and MARK_CLOSE not in text


class ConversionContext:
    """The user lookup, the reference finder, the tokens met so far and the lossy kinds of one text."""

    def __init__(
        self, user_login: UserLogin, refs: ReferenceFinder | None = None, *, marking: bool = True
    ) -> None:
        self.user_login = user_login
        self.refs = refs if refs is not None and refs.active else None
        self.marking = marking
        self.lossy: list[str] = []
        self.tokens: list[tuple[Token, str]] = []

    def mark(self, token: Token, context: str | None = None) -> str:
        """The marker standing for ``token`` (or, when marking is off, its default text).
        ``context`` is given by converters that know it (link targets, autolinks)."""
        if isinstance(token, FileRef) and not token.external:
            self.lossy.append("attachment_embed")
        if isinstance(token, Mention) and not token.login:
            self.lossy.append("mention_unmapped")
        if not self.marking:
            return token.default()
        self.tokens.append((token, context or ""))
        return f"{MARK_OPEN}{len(self.tokens) - 1}{MARK_CLOSE}"

    def mention(self, name: str, label: str | None = None, written: str = "") -> str:
        """A person named ``name`` by the source: ``@login`` when mapped, else `` `@label` ``."""
        login = self.user_login(name) if name else None
        return self.mark(Mention(name=name, label=label or name, login=login, written=written or name))

    def references(self, text: str) -> str:
        """Plain ``text`` (no URLs in it) with its issue references marked."""
        if self.refs is None or not self.marking:
            return text
        out: list[str] = []
        last = 0
        for start, end, ref in self.refs.find(text):
            out.append(text[last:start])
            out.append(self.mark(ref))
            last = end
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    def whole_reference(self, text: str) -> IssueRef | None:
        """The issue reference ``text`` is, all of it (``PROJ-12``, or the marker it became), else None."""
        if self.refs is None or not self.marking:
            return None
        marker = MARKER_RE.fullmatch(text)
        if marker is not None:
            token = self.tokens[int(marker.group(1))][0]
            return token if isinstance(token, IssueRef) else None
        found = list(self.refs.find(text))
        if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(text):
            return found[0][2]
        return None

    def url(self, url: str, context: str | None = None) -> str | None:
        """A marker for ``url`` when it is an issue page of the old tracker, else None."""
        if self.refs is None or not self.marking:
            return None
        ref = self.refs.url_reference(url)
        if ref is None:
            return None
        if context == AUTOLINK:
            ref = replace(ref, written=f"<{url}>")
        return self.mark(ref, context)

    def bare_url(self, url: str) -> str:
        """A bare URL as it should stay in the text: an old issue page (trailing punctuation aside)
        becomes a marker, anything else is kept."""
        trail = _TRAILING_PUNCTUATION_RE.search(url)
        head, tail = (url[: trail.start()], trail.group(0)) if trail else (url, "")
        marked = self.url(head) if head else None
        return marked + tail if marked else url

    def unmark(self, text: str) -> str:
        """``text`` with every marker back to what the source wrote (for code, which is never rewritten)."""
        if MARK_OPEN not in text:
            return text
        return MARKER_RE.sub(lambda m: self.tokens[int(m.group(1))][0].written, text)


def finish(text: str, ctx: ConversionContext) -> ConvertedText:
    """Replace the markers left in ``text`` by their default rendering and record their spans.
    A marker that ended up inside code gets no span: code is never rewritten."""
    if not ctx.tokens or MARK_OPEN not in text:
        return ConvertedText(text, ctx.lossy)
    in_code = _Ranges(code_ranges(text))
    in_link_text = _Ranges(link_text_ranges(text))
    out: list[str] = []
    spans: list[Span] = []
    size = last = 0
    for match in MARKER_RE.finditer(text):
        token, context = ctx.tokens[int(match.group(1))]
        out.append(text[last : match.start()])
        size += match.start() - last
        last = match.end()
        if in_code.contains(match.start()):
            rendered = token.default()  # as the converter wrote it, but never rewritten later
            out.append(rendered)
            size += len(rendered)
            continue
        if not context:
            context = LINK_TEXT if in_link_text.contains(match.start()) else TEXT
        rendered = token.default()
        spans.append(Span(size, size + len(rendered), token, context))
        out.append(rendered)
        size += len(rendered)
    out.append(text[last:])
    return ConvertedText("".join(out), ctx.lossy, tuple(spans))


class _Ranges:
    def __init__(self, ranges: list[tuple[int, int]]) -> None:
        self._ranges = ranges

    def contains(self, position: int) -> bool:
        return any(start <= position < end for start, end in self._ranges)
