"""Jira wiki markup → YFM: the element grammar (``jira_elements.py``) driven by a fast scanner.

pyparsing's ``transform_string`` tries every element at every position. :class:`Scanner` tries an
element only where it can start: at one of its first characters, or — for the block elements
(lists, tables, headings, quotes, rules) — at a line start whose first non-blank characters can
open one (``LINE_START_GUARD``). Same elements, same order, so the same output; tests compare it
with the stock scan and with the pinned output of the converter it replaced.

Issue references (``KEY-N`` for the configured project keys) are marked in a pre-pass over the
source, outside code, monospace, URLs, images, attachments, mentions and link targets.
"""

from __future__ import annotations

import re
from typing import Any

import jira2markdown.parser  # noqa: F401 - sets pyparsing's default whitespace to none, as the elements expect
from jira2markdown.elements import MarkupElements
from jira2markdown.markup.advanced import Code, Noformat, Panel
from jira2markdown.markup.base import AbstractMarkup
from jira2markdown.markup.headings import Headings
from jira2markdown.markup.images import Image
from jira2markdown.markup.links import Attachment, Link, MailTo, Mention, Url
from jira2markdown.markup.lists import OrderedList, UnorderedList
from jira2markdown.markup.tables import Table
from jira2markdown.markup.text_breaks import LineBreak, Mdash, Ndash, Ruler
from jira2markdown.markup.text_effects import (
    BlockQuote,
    Bold,
    Color,
    EscSpecialChars,
    InlineQuote,
    Monospaced,
    Quote,
    QuotedElement,
    Strikethrough,
    Superscript,
    Underline,
)
from pyparsing import MatchFirst, ParseException, ParserElement, White

from migrator.mapping.markup.context import ConversionContext
from migrator.mapping.markup.jira_elements import (
    OVERRIDES,
    JiraEmoticon,
    JiraMacro,
    JiraNoteMacro,
    JiraPanel,
    JiraUrl,
    JiraUsernames,
    JiraYfmEscapes,
)
from migrator.mapping.markup.jira_fast import quoted_shortcut
from migrator.mapping.markup.skip_guard import guard_skips
from migrator.mapping.markup.yfm import outside


def jira_elements() -> MarkupElements:
    elements = MarkupElements()
    for old, new in OVERRIDES:
        elements.replace(old, new)
    elements.insert_after(JiraPanel, JiraNoteMacro)
    elements.insert_after(JiraNoteMacro, JiraMacro)
    elements.insert_after(JiraUrl, JiraEmoticon)
    elements.insert(elements.index(EscSpecialChars), JiraYfmEscapes)
    return elements


# Where an element can start. Block elements start at a line start (after optional blank space,
# newlines included for headings, quotes and tables); the rest at one of their first characters.
_LINE_ELEMENTS: tuple[type[AbstractMarkup], ...] = (UnorderedList, OrderedList, Table, Headings, Quote, Ruler)
# Headings and quotes take pyparsing's ``White()`` before them, which includes Unicode spaces (NBSP,
# em space, ideographic space…); lists, tables and rulers only ASCII blanks.
_PYPARSING_WHITE = "".join(sorted(White.whiteStrs))
LINE_START_GUARD = re.compile(
    r"[ \t\r\n]*(?:[*#|\-])|[" + re.escape(_PYPARSING_WHITE) + r"]*(?:h[1-6]\. |bq\. )"
)
_FIRST_CHARS: tuple[tuple[type[AbstractMarkup], str], ...] = (
    (Code, "{"),
    (Noformat, "{"),
    (Panel, "{"),
    (BlockQuote, "{"),
    (Monospaced, "{"),
    (Color, "{"),
    (Mention, "["),
    (MailTo, "["),
    (Attachment, "["),
    (Link, "["),
    (Image, "!"),
    (Url, "hHfF"),
    (Bold, "*"),
    (EscSpecialChars, "*"),
    (Strikethrough, "-"),
    (Ndash, "-"),
    (Mdash, "-"),
    (Underline, "+"),
    (InlineQuote, "?"),
    (Superscript, "^"),
    (LineBreak, "\\"),
)
_CHAR_CANDIDATE_RE = re.compile(r"[{\[!*\-+?^~\\(:;@#=_<]|(?=(?:https?|ftp)://)", re.IGNORECASE)
_CANDIDATE_RE = re.compile(
    r"(?:^|(?<=\n))(?=" + LINE_START_GUARD.pattern + r")|" + _CHAR_CANDIDATE_RE.pattern,
    re.IGNORECASE,
)


def _first_chars(element: type[AbstractMarkup]) -> tuple[str, bool]:
    """(characters the element's match can start with, whether it can start at a line start)."""
    own = getattr(element, "FIRST_CHARS", None)
    if own is not None:
        return own, False
    if issubclass(element, _LINE_ELEMENTS):
        return "", True
    for base, chars in _FIRST_CHARS:
        if issubclass(element, base):
            return chars, False
    raise TypeError(f"no first characters known for Jira element {element.__name__}")


def _expr_of(element: AbstractMarkup) -> ParserElement:
    """The element's grammar with faster ``SkipTo`` loops, behind a shortcut for simple text effects."""
    expr = element.expr
    guard_skips(expr)
    if isinstance(element, QuotedElement):
        return quoted_shortcut(element, expr) or expr
    return expr


def nothing_to_convert(text: str) -> bool:
    """True when no element can match anywhere in ``text``: its conversion is the text itself
    (tidied). Proved against the full scan by a property test."""
    return _CANDIDATE_RE.search(text) is None


class Scanner:
    """Stands in for jira2markdown's ``Forward`` grammar objects: the elements only ever call
    ``transform_string`` on them (for nested text)."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, bool, ParserElement]] = []
        self._by_start: dict[tuple[bool, str], ParserElement | None] = {}

    def set_elements(self, elements: list[AbstractMarkup]) -> None:
        self._entries = [(*_first_chars(type(e)), _expr_of(e)) for e in elements]
        self._by_start.clear()

    def _expr(self, line_start: bool, char: str) -> ParserElement | None:
        key = (line_start, char)
        if key not in self._by_start:
            chosen = [
                expr
                for chars, at_line, expr in self._entries
                if (at_line and line_start) or (char and char in chars)
            ]
            self._by_start[key] = MatchFirst(chosen).streamline() if chosen else None
        return self._by_start[key]

    def transform_string(self, instring: str, *, debug: bool = False) -> str:
        out: list[str] = []
        last = loc = 0
        size = len(instring)
        search = _CANDIDATE_RE.search
        guard = LINE_START_GUARD.match
        while loc <= size:
            match = search(instring, loc)
            if match is None:
                break
            loc = match.start()
            line_start = (loc == 0 or instring[loc - 1] == "\n") and guard(instring, loc) is not None
            expr = self._expr(line_start, instring[loc : loc + 1])
            try:
                if expr is None:
                    raise ParseException(instring, loc)
                end, tokens = expr._parse(instring, loc, callPreParse=False)
            except ParseException:
                loc += 1
                continue
            if end <= loc:
                loc += 1
                continue
            out.append(instring[last:loc])
            out.extend(str(t) for t in _flatten(tokens.as_list()))
            last = loc = end
        out.append(instring[last:])
        return "".join(out)


def _flatten(items: list[Any]) -> list[Any]:
    flat: list[Any] = []
    for item in items:
        if isinstance(item, list):
            flat.extend(_flatten(item))
        else:
            flat.append(item)
    return flat


# Source regions whose text is never a reference: code, monospace, URLs, mentions, attachments,
# link targets, images. Errs on the side of protecting (a reference left as written is harmless).
_PROTECTED_RE = re.compile(
    r"\{(code|noformat)(?::[^}]*)?\}.*?\{\1\}"
    r"|\{\{.*?\}\}"
    r"|(?:https?|ftp|file)://[^\s\]|]*"
    r"|\[[~^][^\]]*\]"
    r"|\|[^\]\n|]*\]"
    r"|(?<!\w)![^\s!|][^!\n]*!",
    re.DOTALL | re.IGNORECASE,
)


class JiraGrammar:
    """jira2markdown's elements with our overrides, built once; the per-text context is swapped in.
    Not thread-safe (the list elements keep their indent state while parsing): one per worker."""

    def __init__(self) -> None:
        self._holder = JiraUsernames(ConversionContext(lambda name: None))
        inline, markup = Scanner(), Scanner()
        kwargs = {"inline_markup": inline, "markup": markup, "usernames": self._holder}
        elements = [element(**kwargs) for element in jira_elements()]
        inline.set_elements([e for e in elements if e.is_inline_element])
        markup.set_elements(elements)
        self._markup = markup

    def convert(self, text: str, ctx: ConversionContext) -> str:
        self._holder.context = ctx
        if ctx.refs is not None:
            text = outside(text, _PROTECTED_RE, ctx.references)
        return self._markup.transform_string(text)
