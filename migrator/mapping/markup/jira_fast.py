"""Shortcuts for the simple, common forms of jira2markdown's text effects, headings, lists, tables,
links, code blocks, mentions, images and attachments; everything else goes to the pyparsing
grammar. Each gives the grammar's match (same end, same tokens, the element's own parse action)
without pyparsing, and hands any other case to the grammar unchanged. Proved equal on the pinned
corpus and by property tests against pyparsing's full scan.

One room (over 500 lines): the shortcuts of one grammar, each read off its element's grammar and
proved by one harness (``tests/mapping/markup/test_markup_jira_fast.py``); they share the base class,
the match contract and the pyparsing semantics (greedy words, no backtracking) they reproduce.

Text effects (``*bold*``, ``_em_``, ``+ins+``, ``??cite??``, ``^sup^``, ``-del-``).

A text effect is jira2markdown's ``QuotedElement``::

    (StringStart | PrecededBy(\\W)) + Combine(ELEMENT + Optional(~ELEMENT, default=" "))
    ELEMENT = TOKEN + ~White & ~Char(TOKEN) + SkipTo(TOKEN, ignore=White+TOKEN | <others>, fail_on="\\n")
              + TOKEN + FollowedBy(\\W | StringEnd)

When the text between the opening token and the first next token holds no newline and no
character that could start an ignored expression, the token right after it is not preceded by
blank space, the closing token is followed by a non-word character (or the end) that is not the
token's first character, and the opening token is preceded by a non-word character (or the
start), the grammar's match is exactly that span.

Headings: ``LineStart + Optional(White) + Combine("h1"-"h6" + ". " + SkipTo(LineEnd | StringEnd))``;
at a line start with the ``h`` right there (no blank before it) the match is the rest of the line.

Lists: ``OneOrMore(row, stop_on=LIST_BREAK)``, a row being ``LineStart + [ \t]* + Optional(nested)
+ bullets + SkipTo(EOL + [ \t]* + Char(nested + bullets) | LIST_BREAK, ignore={quote}|{panel|{color)
+ Optional(EOL)``. Only a line end can stop the ``SkipTo``; when no ignored expression opens in a
row, its text runs to the first line end followed by another item, a blank line or the end of the
text, and rows are read on as the grammar reads them (same bullet rule, :class:`ListBullets`). A
list with an ignored expression in a row goes to the grammar, the indent state put back first.

Tables: ``(StringStart ^ Optional(EMPTY_LINE, default="\\n")) + OneOrMore(LineStart + Group(row) + NL)
+ (StringEnd | Optional(EMPTY_LINE, default="\\n"))``, a row being ``SEP + ZeroOrMore(SkipTo(SEP |
ROW_BREAK, ignore=link|mailto|image|mention) + Optional(SEP), stop_on=any line end)``. For a table
whose ``|`` stands right at the line start and whose cells hold no ``!`` (where an ignored image
opens), cells run to the next ``|`` or to a line end followed by ``|``, a blank line or the end —
over any ``[`` and up to the first ``]`` after it (the ignored link, tried first, matches exactly
that) — and the tokens around the table are the grammar's (``"\\n"`` before it unless it opens the
text; after it an empty line, ``"\\n"``, or nothing at the end).

Links: ``Combine("[" + Optional(SkipTo("|", fail_on="]")("alias") + "|") + SkipTo("]")("url") + "]")``
is, whenever a ``]`` follows, the span up to the first ``]``, its alias the text before the first
``|`` in it (if any). Without a ``]`` the grammar answers (it fails).

Code and noformat blocks: ``Combine("{code" + Optional(":" + Word(alphanums + "#+")("lang") +
FollowedBy("}" | "|")) + ... + "}" + SkipTo("{code}")("text") + "{code}")`` (``{noformat`` the same
without the language) is, whenever a ``}`` and then the closing ``{code}`` follow, the span up to
that closing tag: the parameters run to the first ``}``, the text to the first closing tag after it,
and the language is the ASCII word right after ``:`` when ``}`` or ``|`` follows it. Without either
the grammar answers (it fails). A pyparsing parse of one such block took ~170 µs, the most of any
common element (a description with a ``{code}`` block cost 4-6 times one without).

Mentions (ours, :class:`JiraMention`): ``(StringStart | Optional(PrecededBy(White()), default=" ")) +
Combine("[" + Optional(SkipTo("|", fail_on="]") + "|", default="") + "~" +
Optional(CaselessLiteral("accountid:")) + Word(NAME_CHARS)("accountid") + "]") + (StringEnd |
Optional(FollowedBy(White() | Char(punctuation, exclude_chars="[") | mention), default=" "))``. The
alias runs to the first ``|`` when no ``]`` comes before it and is never given back (a ``|`` not
followed by ``~`` fails the mention); ``accountid:`` is compared in upper case, as pyparsing does, and
combined as the grammar spells it; the name is the greedy run of name characters, ``]`` right after
it. A blank (`` \t\r\n``) before it gives no token, anything else a space; after it the end of the
text ends one past it, a blank or punctuation gives no token, anything else a space — except a
``[`` (the grammar's look-ahead mention would run its action) and the Unicode blanks ``White()``
skips, which go to the grammar. ~145 → ~65 µs a comment with a mention.

Images: ``(StringStart | PrecededBy(Regex("\\W"))) + Combine("!" + Word(printables + " ", min=3,
exclude_chars="|!")("url") + Optional("|" + ZeroOrMore(attribute("attrs", list_all_matches=True),
stop_on="!")) + "!")``, an attribute being ``Word(alphanums + " ") + Optional("=" + Word(printables
+ " ", exclude_chars=",!")) + Optional(",")`` with ``=`` and ``,`` suppressed. Every word is greedy
and never gives characters back, so each is one greedy regular expression: the url is the run of
ASCII characters from the space to ``~`` but ``!`` and ``|`` (at least three), then ``!``, or ``|``
and the attributes read one by one until one does not start, then ``!``. The tokens are the
grammar's: the url, a group per attribute. ~130 → ~65 µs ``!a.png!``, ~160 → ~80 ``!a.png|thumbnail!``.

Attachments: ``Combine("[^" + SkipTo("]")("filename") + "]")`` is, whenever a ``]`` follows, the span up
to the first ``]`` (newlines included), the file name the text between. ~90-120 → ~50 µs a comment
with one.
"""

from __future__ import annotations

import re
import string
from typing import Generic, TypeVar

from jira2markdown.markup.advanced import Code, Noformat
from jira2markdown.markup.base import AbstractMarkup
from jira2markdown.markup.headings import Headings
from jira2markdown.markup.images import Image
from jira2markdown.markup.links import Attachment, Link
from jira2markdown.markup.tables import Table
from jira2markdown.markup.text_effects import QuotedElement
from pyparsing import ParserElement, ParseResults, White

from migrator.mapping.markup.jira_elements import JiraList, JiraMention, ListBullets
from migrator.mapping.markup.skip_guard import first_set

_NON_WORD = re.compile(r"\W")
Element = TypeVar("Element", bound=AbstractMarkup)
Match = tuple[int, list[str]]  # (end, tokens): what the element's grammar returns


class Shortcut(ParserElement, Generic[Element]):
    """Reads an element's simple forms itself; hands every other case (and every try without parse
    actions) to the element's grammar."""

    def __init__(self, element: Element, grammar: ParserElement) -> None:
        super().__init__()
        self.element = element
        self.grammar = grammar
        self.mayReturnEmpty = False
        self.mayIndexError = False

    def _generateDefaultName(self) -> str:  # noqa: N802
        return f"shortcut({self.grammar})"

    def parseImpl(  # noqa: N802
        self, instring: str, loc: int, do_actions: bool = True
    ) -> tuple[int, ParseResults | list[str]]:
        if do_actions:
            simple = self.simple(instring, loc)
            if simple is not None:
                return simple
        return self.grammar._parse(instring, loc, do_actions, callPreParse=False)

    def simple(self, text: str, loc: int) -> Match | None:
        """The grammar's match at ``loc`` when it is a simple form; None to ask the grammar."""
        raise NotImplementedError


class QuotedShortcut(Shortcut[QuotedElement]):
    def __init__(self, element: QuotedElement, grammar: ParserElement, stop_chars: frozenset[str]) -> None:
        super().__init__(element, grammar)
        self.token: str = element.TOKEN
        self.stop_chars = stop_chars | frozenset("\n")

    def simple(self, text: str, loc: int) -> Match | None:
        token = self.token
        size = len(token)
        if not text.startswith(token, loc):
            return None
        if loc > 0 and not _NON_WORD.match(text, loc - 1):
            return None
        start = loc + size
        if start >= len(text) or text[start].isspace() or text[start] in token:
            return None
        close = text.find(token, start)
        if close < 0:
            return None
        inner = text[start:close]
        if any(char in self.stop_chars for char in inner) or text[close - 1] in " \t\r\n":
            return None
        end = close + size
        if end < len(text) and (not _NON_WORD.match(text, end) or text[end] == token[0]):
            return None
        return end, [str(self.element.action(ParseResults([inner])))]


def quoted_shortcut(element: QuotedElement, grammar: ParserElement) -> ParserElement | None:
    """The shortcut for a text-effect element, or None when its ignored expressions cannot be
    characterised by their first characters."""
    found = first_set(element.get_ignore_expr())
    if found is None or found[1] or len(element.TOKEN) not in (1, 2):
        return None
    return QuotedShortcut(element, grammar, found[0])


_SIMPLE_HEADING = re.compile(r"h([1-6])\. ([^\n]*)")


class HeadingShortcut(Shortcut[Headings]):
    def simple(self, text: str, loc: int) -> Match | None:
        match = _SIMPLE_HEADING.match(text, loc) if loc == 0 or text[loc - 1] == "\n" else None
        if match is None:
            return None
        level = "h" + match[1]
        tokens = ParseResults([level + ". " + match[2]])
        tokens["level"] = level
        tokens["text"] = match[2]
        return match.end(), [str(self.element.action(tokens))]


# Where an ignored expression of a list row ({quote}, {panel}, {color}) can open.
_LIST_IGNORED = re.compile(r"\{(?:quote\}|panel|color:)")
_LIST_BREAK = re.compile(r"\n[ \t]*(?:\n|\Z)")
_ROW_BLANKS = re.compile(r"[ \t]*")


class ListShortcut(Shortcut[JiraList]):
    def __init__(self, element: JiraList, grammar: ParserElement) -> None:
        super().__init__(element, grammar)
        self.bullets = ListBullets(element.indent_state, element.tokens)
        self.nested = element.nested_token
        # after a row's line: what ends the row (another item, a blank line, the end)
        self.row_end = re.compile(r"\n[ \t]*(?:[" + re.escape(self.nested + element.tokens) + r"]|\n|\Z)")

    def simple(self, text: str, loc: int) -> Match | None:
        indent = self.element.indent_state.indent
        rows = self._rows(text, loc)
        if rows is None:
            self.element.indent_state.indent = indent  # as the grammar will find it
            return None
        end, found = rows
        return end, [self.element.located(text, loc, ParseResults(found))]

    def _rows(self, text: str, loc: int) -> tuple[int, list[str]] | None:
        """(end, rows) of the list at ``loc`` when every row is simple; None otherwise."""
        size = len(text)
        rows: list[str] = []
        pos = loc
        while pos < size and not _LIST_BREAK.match(text, pos):
            if pos > 0 and text[pos - 1] != "\n":
                break
            start = _ROW_BLANKS.match(text, pos).end()  # type: ignore[union-attr]  # matches empty
            nested = self.nested if text.startswith(self.nested, start) else ""
            bullets = self.bullets.bullets_at(text, start + len(nested))
            if bullets is None:
                break
            start += len(nested) + len(bullets)
            stop = self._row_stop(text, start)
            if _LIST_IGNORED.search(text, start, stop) is not None:
                return None
            if stop == size:
                rows.append(nested + bullets + text[start:])
                pos = size + 1  # the row's Optional(LineEnd) matches at the end, one past it
            else:
                rows.append(nested + bullets + text[start:stop] + "\n")
                pos = stop + 1
        return (pos, rows) if rows else None

    def _row_stop(self, text: str, start: int) -> int:
        """Where the row's text ends: the first line end followed by another item, a blank line or
        the end of the text (lines in between continue the item); else the end of the text."""
        stop = start
        while True:
            newline = text.find("\n", stop)
            if newline < 0:
                return len(text)
            if self.row_end.match(text, newline) is not None:
                return newline
            stop = newline + 1


_EMPTY_LINE = re.compile(r"([ \t]*)(\n|\Z)")


class TableShortcut(Shortcut[Table]):
    def simple(self, text: str, loc: int) -> Match | None:
        if not text.startswith("|", loc) or (loc > 0 and text[loc - 1] != "\n"):
            return None
        rows = _table_rows(text, loc)
        if rows is None:
            return None
        end, cells = rows
        table = str(self.element.action(ParseResults([ParseResults(row) for row in cells])))
        after, tokens = _after_table(text, end)
        return after, ([] if loc == 0 else ["\n"]) + [table] + tokens


def _table_rows(text: str, loc: int) -> tuple[int, list[list[str]]] | None:
    """(end, cells of each row) of the table at ``loc``; None when a cell could hold an ignored
    expression."""
    size = len(text)
    rows: list[list[str]] = []
    pos = loc
    while text.startswith("|", pos) and (pos == 0 or text[pos - 1] == "\n"):
        pos += 2 if text.startswith("||", pos) else 1
        cells: list[str] = []
        while pos < size and text[pos] != "\n":
            stop = _cell_end(text, pos)
            if stop is None:
                return None
            cells.append(text[pos:stop])
            pos = stop + (2 if text.startswith("||", stop) else 1 if text.startswith("|", stop) else 0)
        rows.append(cells)
        pos += 1  # the row's line end (one past the end at the end of the text, as LineEnd)
    return pos, rows


_CELL_STOPS = re.compile(r"[|\n\[!]")


def _cell_end(text: str, pos: int) -> int | None:
    """The first ``|``, or line end followed by ``|``, a line end or the end of the text, outside
    links (``[`` up to the first ``]``, the grammar's ignored link); else the end. None where an
    image could open (``!``)."""
    while True:
        found = _CELL_STOPS.search(text, pos)
        if found is None:
            return len(text)
        stop = found.start()
        char = text[stop]
        if char == "|":
            return stop
        if char == "!":
            return None
        if char == "\n":
            if stop + 1 == len(text) or text[stop + 1] in "|\n":
                return stop
            pos = stop + 1
            continue
        close = text.find("]", stop + 1)  # a link is ignored up to its "]"; without one, "[" is text
        pos = stop + 1 if close < 0 else close + 1


def _after_table(text: str, pos: int) -> tuple[int, list[str]]:
    """``StringEnd | Optional(EMPTY_LINE, default="\\n")`` after the last row: (end, tokens)."""
    if pos >= len(text):  # StringEnd: at the end it ends one past it
        return max(pos, len(text) + 1), []
    empty = _EMPTY_LINE.match(text, pos)
    if empty is None:
        return pos, ["\n"]
    blanks, newline = empty.groups()
    tokens = ([blanks] if blanks else []) + ([newline] if newline else [])
    return (empty.end() if newline else len(text) + 1), tokens


class LinkShortcut(Shortcut[Link]):
    def simple(self, text: str, loc: int) -> Match | None:
        close = text.find("]", loc + 1) if text.startswith("[", loc) else -1
        if close < 0:
            return None
        bar = text.find("|", loc + 1, close)
        tokens = ParseResults([text[loc : close + 1]])
        url = text[loc + 1 : close] if bar < 0 else text[bar + 1 : close]
        alias = "" if bar < 0 else text[loc + 1 : bar]
        if alias:  # pyparsing names no empty match
            tokens["alias"] = alias
        if url:
            tokens["url"] = url
        return close + 1, [str(self.element.action(tokens))]


# ``":" + Word(alphanums + "#+")("lang") + FollowedBy("}" | "|")``: the word is greedy and cannot give
# characters back, and neither can this pattern (a shorter word is followed by a word character).
_CODE_LANGUAGE = re.compile(r":([A-Za-z0-9#+]+)(?=[}|])")


class CodeShortcut(Shortcut[Code | Noformat]):
    """``{code[:lang…]}text{code}`` and ``{noformat[…]}text{noformat}``."""

    def __init__(self, element: Code | Noformat, grammar: ParserElement) -> None:
        super().__init__(element, grammar)
        name = "code" if isinstance(element, Code) else "noformat"
        self.opening = "{" + name
        self.closing = "{" + name + "}"
        self.has_language = isinstance(element, Code)

    def simple(self, text: str, loc: int) -> Match | None:
        if not text.startswith(self.opening, loc):
            return None
        after = loc + len(self.opening)
        language = _CODE_LANGUAGE.match(text, after) if self.has_language else None
        brace = text.find("}", after)  # ``... + "}"``: a language, when read, stops before it too
        if brace < 0:
            return None
        close = text.find(self.closing, brace + 1)
        if close < 0:
            return None
        end = close + len(self.closing)
        tokens = ParseResults([text[loc:end]])
        inner = text[brace + 1 : close]
        if inner:  # pyparsing names no empty match
            tokens["text"] = inner
        if language is not None:
            tokens["lang"] = language[1]
        return end, [str(self.element.action(tokens))]


# pyparsing's ``White()`` matches these; before them it skips the other blanks it knows (NBSP…).
_WHITE = " \t\r\n"
_OTHER_BLANKS = frozenset(White.whiteStrs) - frozenset(_WHITE)
_PUNCTUATION_AFTER_MENTION = frozenset(string.punctuation) - {"["}
_ACCOUNT_ID = "accountid:"


class MentionShortcut(Shortcut[JiraMention]):
    """``[~name]``, ``[~accountid:…]`` and ``[Alias|~…]``."""

    def __init__(self, element: JiraMention, grammar: ParserElement) -> None:
        super().__init__(element, grammar)
        # ``Word(NAME_CHARS)``: greedy, and neither it nor this pattern gives characters back
        self.user_name = re.compile("[" + re.escape(element.NAME_CHARS) + "]+")

    def simple(self, text: str, loc: int) -> Match | None:
        found = self._mention(text, loc)
        if found is None:
            return None
        end, written, name = found
        after = _after_mention(text, end)
        if after is None:
            return None
        tokens = ParseResults([written])
        tokens["accountid"] = name
        before = [] if loc == 0 or text[loc - 1] in _WHITE else [" "]
        return after[0], [*before, str(self.element.action(tokens)), *after[1]]

    def _mention(self, text: str, loc: int) -> tuple[int, str, str] | None:
        """(end, the mention as the grammar combines it, the name) of the mention at ``loc``."""
        if not text.startswith("[", loc):
            return None
        bar, close = text.find("|", loc + 1), text.find("]", loc + 1)
        # ``Optional(SkipTo("|", fail_on="]") + "|")``: an alias up to the first "|" before any "]";
        # once read it is not given back, so a "|" not followed by "~" fails the mention
        tilde = bar + 1 if bar >= 0 and (close < 0 or bar < close) else loc + 1
        if not text.startswith("~", tilde):
            return None
        pos = tilde + 1
        # ``Optional(CaselessLiteral("accountid:"))``: compared as pyparsing does, kept as spelled there
        account = _ACCOUNT_ID if text[pos : pos + len(_ACCOUNT_ID)].upper() == _ACCOUNT_ID.upper() else ""
        name = self.user_name.match(text, pos + len(account))
        if name is None or not text.startswith("]", name.end()):
            return None
        return name.end() + 1, text[loc : tilde + 1] + account + name[0] + "]", name[0]


def _after_mention(text: str, end: int) -> Match | None:
    """``StringEnd() | Optional(FollowedBy(White() | Char(punctuation, exclude_chars="[") | mention),
    default=" ")`` at ``end``; None where the grammar must answer: before a ``[`` (the look-ahead
    mention runs its action) or a blank ``White()`` skips."""
    if end == len(text):
        return end + 1, []  # StringEnd: at the end it ends one past it
    char = text[end]
    if char in _WHITE or char in _PUNCTUATION_AFTER_MENTION:
        return end, []
    if char == "[" or char in _OTHER_BLANKS:
        return None
    return end, [" "]


# ``Word(printables + " ", min=3, exclude_chars="|!")``: ASCII from the space to "~" but "!" and "|"
_IMAGE_URL = re.compile(r"[ \x22-\x7b\x7d\x7e]{3,}")
# an attribute: ``Word(alphanums + " ") + Optional("=" + Word(printables + " ", exclude_chars=",!"))
# + Optional(",")``; each word greedy, none gives characters back
_IMAGE_ATTRIBUTE_NAME = re.compile(r"[A-Za-z0-9 ]+")
_IMAGE_ATTRIBUTE_VALUE = re.compile(r"=([ \x22-\x2b\x2d-\x7e]+)")


class ImageShortcut(Shortcut[Image]):
    """``!url!`` and ``!url|attributes!``."""

    def simple(self, text: str, loc: int) -> Match | None:
        if not text.startswith("!", loc) or (loc > 0 and not _NON_WORD.match(text, loc - 1)):
            return None
        url = _IMAGE_URL.match(text, loc + 1)
        if url is None:
            return None
        pos = url.end()
        attributes: list[list[str]] | None = None
        if text.startswith("|", pos):
            pos, attributes = _image_attributes(text, pos + 1)
        if not text.startswith("!", pos):
            return None
        tokens = ParseResults([text[loc : url.end()] + _combined(attributes) + "!"])
        tokens["url"] = url[0]
        if attributes:  # ``list_all_matches``: one group per attribute
            tokens["attrs"] = ParseResults([ParseResults(attribute) for attribute in attributes])
        return pos + 1, [str(self.element.action(tokens))]


def _image_attributes(text: str, pos: int) -> tuple[int, list[list[str]]]:
    """``ZeroOrMore(attribute, stop_on="!")`` at ``pos``: (end, each attribute's words)."""
    attributes: list[list[str]] = []
    while not text.startswith("!", pos):
        name = _IMAGE_ATTRIBUTE_NAME.match(text, pos)
        if name is None:
            break
        attribute, pos = [name[0]], name.end()
        value = _IMAGE_ATTRIBUTE_VALUE.match(text, pos)
        if value is not None:
            attribute.append(value[1])
            pos = value.end()
        pos += text.startswith(",", pos)
        attributes.append(attribute)
    return pos, attributes


def _combined(attributes: list[list[str]] | None) -> str:
    """What ``Combine`` keeps of the attributes part: ``|`` and the words (``=`` and ``,`` are
    suppressed)."""
    if attributes is None:
        return ""
    return "|" + "".join(word for attribute in attributes for word in attribute)


class AttachmentShortcut(Shortcut[Attachment]):
    """``[^file]``: ``Combine("[^" + SkipTo("]")("filename") + "]")``, the span up to the first ``]``."""

    def simple(self, text: str, loc: int) -> Match | None:
        close = text.find("]", loc + 2) if text.startswith("[^", loc) else -1
        if close < 0:
            return None
        tokens = ParseResults([text[loc : close + 1]])
        if close > loc + 2:  # pyparsing names no empty match
            tokens["filename"] = text[loc + 2 : close]
        return close + 1, [str(self.element.action(tokens))]
