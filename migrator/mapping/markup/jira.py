"""Jira wiki markup → YFM: the element grammar (``jira_elements.py``) driven by a fast scanner.

pyparsing's ``transform_string`` tries every element at every position. :class:`Scanner` tries an
element only where it can start: at one of its first characters, or — for the block elements
(lists, tables, headings, quotes, rules) — at a line start whose first non-blank characters can
open one (``LINE_START_GUARD``); and there only the elements whose own opening stands at that
position (``_OPENINGS``: ``h1.``-``h6.`` for a heading, ``|`` for a table, bullets and a space for a
list, ``{code`` for code, ``[~`` or ``[alias|~`` for a mention…). Same elements, same order among
those left, so the same first match and the same output; the simple forms of headings, lists,
tables, text effects, links, code blocks, mentions, images and attachments are read by the shortcuts of ``jira_fast.py``. Tests compare it with the
stock scan and with the pinned output of the converter it replaced.

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
    JiraList,
    JiraMacro,
    JiraMention,
    JiraNoteMacro,
    JiraPanel,
    JiraUrl,
    JiraUsernames,
    JiraYfmEscapes,
)
from migrator.mapping.markup.jira_fast import (
    AttachmentShortcut,
    CodeShortcut,
    HeadingShortcut,
    ImageShortcut,
    LinkShortcut,
    ListShortcut,
    MentionShortcut,
    Shortcut,
    TableShortcut,
    quoted_shortcut,
)
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
# What must stand at a position for an element to match there: a necessary condition read off the
# element's grammar (its fixed opening), so an element is left out only where it would fail. Tried in
# the elements' own order among those left, the first match is the full scan's.
_WHITE_OPENING = "[" + re.escape(_PYPARSING_WHITE) + "]*"
_OPENINGS: tuple[tuple[type[AbstractMarkup], re.Pattern[str]], ...] = tuple(
    (element, re.compile(pattern, flags))
    for element, pattern, flags in (
        (UnorderedList, r"[ \t]*#?(?:\*+|-+) ", 0),  # optional blanks, nested "#", bullets and a space
        (OrderedList, r"[ \t]*\*?#+ ", 0),
        (Table, r"[ \t\r\n]*\|", 0),  # after an optional blank line
        (Headings, _WHITE_OPENING + r"h[1-6]\. ", 0),
        (Quote, _WHITE_OPENING + r"bq\. ", 0),
        (Ruler, r"[ \t]*----", 0),
        (Code, r"\{code", 0),
        (Noformat, r"\{noformat", 0),
        (Panel, r"\{panel", 0),
        (BlockQuote, r"\{quote\}", 0),
        (Monospaced, r"\{\{", 0),
        (Color, r"\{color:", 0),
        (Mention, r"\[(?:[^\]|]*\|)?~", 0),  # alias: up to the first "|", no "]" in it
        (MailTo, r"\[(?:[^\]|]*\|)?mailto:", 0),
        (Attachment, r"\[\^", 0),
        (Url, r"(?:https?|ftp)://", re.IGNORECASE),
        (Ndash, "--", 0),
        (Mdash, "---", 0),
    )
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


def _opening(element: type[AbstractMarkup]) -> re.Pattern[str] | None:
    """What must stand where the element starts for it to match (None: its first character will do)."""
    own: re.Pattern[str] | None = getattr(element, "OPENING", None)
    if own is not None:
        return own
    return next((opening for base, opening in _OPENINGS if issubclass(element, base)), None)


def _expr_of(element: AbstractMarkup) -> ParserElement:
    """The element's grammar with faster ``SkipTo`` loops, behind a shortcut for its simple forms
    (text effects, headings, lists, tables, links, code and noformat blocks, mentions, images,
    attachments)."""
    expr = element.expr
    guard_skips(expr)
    if isinstance(element, QuotedElement):
        return quoted_shortcut(element, expr) or expr
    for kinds, shortcut in _SHORTCUTS:
        if isinstance(element, kinds):
            return shortcut(element, expr)
    return expr


# The elements whose simple forms a shortcut reads (``jira_fast.py``), first match wins.
_SHORTCUTS: tuple[
    tuple[type[AbstractMarkup] | tuple[type[AbstractMarkup], ...], type[Shortcut[Any]]], ...
] = (
    (Headings, HeadingShortcut),
    (JiraList, ListShortcut),
    (Table, TableShortcut),
    ((Code, Noformat), CodeShortcut),
    (Link, LinkShortcut),
    (JiraMention, MentionShortcut),
    (Image, ImageShortcut),
    (Attachment, AttachmentShortcut),
)


def nothing_to_convert(text: str) -> bool:
    """True when no element can match anywhere in ``text``: its conversion is the text itself
    (tidied). Proved against the full scan by a property test."""
    return _CANDIDATE_RE.search(text) is None


Candidate = tuple[re.Pattern[str] | None, ParserElement]  # (opening, element's parser)


class Scanner:
    """Stands in for jira2markdown's ``Forward`` grammar objects: the elements only ever call
    ``transform_string`` on them (for nested text)."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, bool, re.Pattern[str] | None, ParserElement]] = []
        self._by_start: dict[tuple[bool, str], tuple[Candidate, ...]] = {}
        self._by_openings: dict[
            tuple[bool, str, tuple[int, ...] | None], tuple[ParserElement, bool] | None
        ] = {}

    def set_elements(self, elements: list[AbstractMarkup]) -> None:
        self._entries = [(*_first_chars(type(e)), _opening(type(e)), _expr_of(e)) for e in elements]
        self._by_start.clear()
        self._by_openings.clear()

    def _candidates(self, line_start: bool, char: str) -> tuple[Candidate, ...]:
        """The elements that can start with ``char`` (at a line start or not), in element order."""
        key = (line_start, char)
        found = self._by_start.get(key)
        if found is None:
            found = self._by_start[key] = tuple(
                (opening, expr)
                for chars, at_line, opening, expr in self._entries
                if (at_line and line_start) or (char and char in chars)
            )
        return found

    def _parser(self, instring: str, loc: int, line_start: bool) -> tuple[ParserElement, bool] | None:
        """One parser of the elements whose opening stands at ``loc`` — the element itself when it is
        the only one, else their ``MatchFirst`` (built once per set) — and whether to call it as
        ``MatchFirst`` calls an alternative (with its pre-parse)."""
        char = instring[loc : loc + 1]
        candidates = self._candidates(line_start, char)
        chosen = (
            tuple(
                index
                for index, (opening, _) in enumerate(candidates)
                if opening is None or opening.match(instring, loc) is not None
            )
            if any(opening is not None for opening, _ in candidates)
            else None  # all of them, wherever ``char`` stands
        )
        key = (line_start, char, chosen)
        if key not in self._by_openings:
            exprs = [e for _, e in candidates] if chosen is None else [candidates[i][1] for i in chosen]
            self._by_openings[key] = (
                None
                if not exprs
                else (exprs[0].streamline(), True)
                if len(exprs) == 1
                else (MatchFirst(exprs).streamline(), False)
            )
        return self._by_openings[key]

    def transform_string(self, instring: str, *, debug: bool = False) -> str:
        out: list[str] = []
        last = loc = 0
        size = len(instring)
        search = _CANDIDATE_RE.search
        while loc <= size:
            match = search(instring, loc)
            if match is None:
                break
            loc = match.start()
            parser = self._parser(instring, loc, loc == 0 or instring[loc - 1] == "\n")
            if parser is None:
                loc += 1
                continue
            try:  # an IndexError is a failure, as in MatchFirst
                end, tokens = parser[0]._parse(instring, loc, callPreParse=parser[1])
            except (ParseException, IndexError):
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
