"""Text markup -> YFM (Yandex Flavored Markdown, what Tracker renders with ``markupType: md``).

``convert(text, source_markup, user_login=...)`` returns the YFM text and the list of constructs
that could only be converted lossily (subscript, non-palette colours, unmapped mentions, embedded
attachment references, ...). It never drops text: a converter that raises falls back to the
escaped plain text and reports ``converter_failed``.

* ``jira``: jira2markdown with YFM-specific elements (see ``_jira_elements``);
* ``markdown`` (GitHub/GitLab): passthrough plus YFM escapes, ``<details>`` → cut, ``<br>`` →
  newline, ``@user`` mentions mapped — all outside code;
* ``html``: a markdownify subclass with CommonMark and YFM escapes;
* ``plain``: every markup character escaped so the text shows as written;
* ``yfm``: unchanged.

The reference (cases J*/G*/H* in ``/work/shared/reference/markup.md`` §7) is tested in
``tests/mapping/test_markup.py``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from string import punctuation
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
    Strikethrough,
    Subscript,
    Superscript,
    Underline,
)
from markdownify import MarkdownConverter
from pyparsing import (
    CaselessLiteral,
    Char,
    Combine,
    FollowedBy,
    MatchFirst,
    Optional,
    ParseException,
    ParserElement,
    ParseResults,
    PrecededBy,
    Regex,
    SkipTo,
    StringEnd,
    StringStart,
    Suppress,
    White,
    Word,
    alphanums,
    replace_with,
)

log = logging.getLogger(__name__)

UserLogin = Callable[[str], str | None]

PALETTE = {"red", "green", "blue", "grey", "gray", "yellow", "orange", "violet"}
COLOR_ALIASES = {"purple": "violet", "magenta": "violet"}
NOTE_TYPES = {"info": "info", "tip": "tip", "note": "warning", "warning": "warning"}
EMOTICONS = {
    "(/)": "✅",
    "(x)": "❌",
    "(!)": "⚠️",
    "(i)": "ℹ️",
    "(y)": "👍",
    "(n)": "👎",
    "(?)": "❓",
    "(+)": "➕",
    "(-)": "➖",
    "(on)": "💡",
    "(off)": "💡",
    "(*)": "⭐",
    "(*r)": "⭐",
    "(*g)": "⭐",
    "(*b)": "⭐",
    "(*y)": "⭐",
    "(flag)": "🚩",
    "(flagoff)": "🏳️",
    ":)": "🙂",
    ":(": "🙁",
    ":P": "😛",
    ":D": "😀",
    ";)": "😉",
}
_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_BACKTICKS_RE = re.compile(r"`+")


@dataclass
class ConvertedText:
    text: str
    lossy: list[str] = field(default_factory=list)  # kinds of lossy conversions, in order of appearance


@dataclass
class _Context:
    user_login: UserLogin
    lossy: list[str] = field(default_factory=list)

    def mention(self, name: str, label: str | None = None) -> str:
        login = self.user_login(name)
        if login:
            return f"@{login}"
        self.lossy.append("mention_unmapped")
        return _code_span(f"@{label or name}")


class MarkupConverter:
    """Converts texts of one source markup to YFM; reuse one instance for many texts (the Jira
    grammar is built once). Not thread-safe: one per worker."""

    def __init__(self, source_markup: str, *, user_login: UserLogin) -> None:
        factory = _CONVERTERS.get(source_markup)
        if factory is None:
            raise ValueError(f"unknown source markup {source_markup!r}")
        self.source_markup = source_markup
        self.user_login = user_login
        self._converter = factory()

    def convert(self, text: str) -> ConvertedText:
        text = _normalise(text)
        ctx = _Context(self.user_login)
        try:
            out = self._converter(text, ctx)
        except Exception as exc:  # a converter bug must never lose text: fall back to escaped plain text
            log.warning(
                "%s markup conversion failed (%s: %s); the text is kept as plain text",
                self.source_markup,
                type(exc).__name__,
                exc,
            )
            log.debug("markup conversion failure", exc_info=True)
            return ConvertedText(escape_plain(text), ["converter_failed"])
        return ConvertedText(_tidy(out), ctx.lossy)


def convert(text: str, source_markup: str, *, user_login: UserLogin) -> ConvertedText:
    """Convert ``text`` written in ``source_markup`` (plain | jira | markdown | html | yfm) to YFM.
    For many texts use one :class:`MarkupConverter`."""
    return MarkupConverter(source_markup, user_login=user_login).convert(text)


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")


# =============================================================================================
# Shared helpers


def _code_span(text: str) -> str:
    longest = max((len(m) for m in _BACKTICKS_RE.findall(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if longest else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _fenced(body: str, lang: str = "") -> str:
    longest = max((len(m) for m in _BACKTICKS_RE.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def _block(text: str) -> str:
    """A block construct that needs blank lines around it (cut, note, table, HR)."""
    return f"\n\n{text}\n\n"


def _note(kind: str, title: str, body: str) -> str:
    return _block(f'{{% note {kind} "{_quote(title)}" %}}\n\n{body.strip()}\n\n{{% endnote %}}')


def _cut(title: str, body: str) -> str:
    return _block(f'{{% cut "{_quote(title)}" %}}\n\n{body.strip()}\n\n{{% endcut %}}')


def _quote(title: str) -> str:
    return title.replace("\\", "\\\\").replace('"', '\\"').strip()


def _tidy(text: str) -> str:
    """Collapse runs of blank lines (outside fenced code), drop trailing spaces, trim the ends."""
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        fence = _fence_state(line, fence)
        if fence is None and not line.strip() and out and not out[-1].strip():
            continue
        out.append(line if fence is not None else line.rstrip())
    return "\n".join(out).strip("\n")


def _fence_state(line: str, fence: str | None) -> str | None:
    """Track fenced code: returns the open fence after ``line`` (None outside code)."""
    match = _FENCE_RE.match(line)
    if fence is None:
        return match.group(1) if match else None
    if (
        match
        and match.group(1)[0] == fence[0]
        and len(match.group(1)) >= len(fence)
        and not line.strip(" `~")
    ):
        return None
    return fence


_YFM_TEXT_RE = re.compile(
    r"\{%|\{\{|@\[|\^|(?<=[^\s#])##|##(?=[^\s#])|\{(?=(?:red|green|blue|grey|gray|yellow|orange|violet)\}\()"
)


def escape_yfm_extras(text: str) -> str:
    """Escape the YFM-only syntax that CommonMark escaping leaves alone (markup.md §6.4):
    Liquid ``{%``/``{{``, video ``@[``, superscript ``^``, monospace ``##``, colour ``{red}(``."""
    return _YFM_TEXT_RE.sub(_escape_yfm_match, text)


def _escape_yfm_match(match: re.Match[str]) -> str:
    token = match.group(0)
    if token.startswith("{") and len(token) == 2:
        return "&#123;" + token[1]
    if token == "@[":
        return "@\\["
    if token == "{":
        return "\\{"
    return "".join("\\" + ch for ch in token)


# =============================================================================================
# plain


_PLAIN_URL_RE = re.compile(r"(?:https?|ftp)://\S+|mailto:\S+", re.IGNORECASE)


def escape_plain(text: str) -> str:
    """Escape every markup character so that ``text`` renders exactly as written (newlines kept).
    Bare URLs are left alone so that they still autolink."""
    escaper = MarkdownConverter(escape_misc=True)
    # markdownify's bundled stub omits its documented hooks (escape, convert_*, options)
    escape = escaper.escape  # type: ignore[attr-defined]
    return _outside(text, _PLAIN_URL_RE, lambda seg: escape_yfm_extras(escape(seg, set())))


def _convert_plain(text: str, ctx: _Context) -> str:
    return escape_plain(text)


# =============================================================================================
# jira


class _JiraMarkup(AbstractMarkup):
    """Base for our elements: jira2markdown passes ``usernames`` to every element; we pass our
    per-conversion context there instead (it is only ever read by our own elements)."""

    @property
    def ctx(self) -> _Context:
        if not isinstance(self.usernames, _JiraUsernames):
            raise TypeError("jira elements need the conversion context as 'usernames'")
        return self.usernames.context


class _JiraUsernames(dict[str, str]):
    """An (always truthy) stand-in for jira2markdown's username map that carries our context."""

    def __init__(self, context: _Context) -> None:
        super().__init__()
        self.context = context

    def __bool__(self) -> bool:
        return True


class _JiraCode(Code):
    def action(self, tokens: ParseResults) -> str:
        return _block(_fenced(tokens.text.strip("\n"), tokens.lang or ""))


class _JiraNoformat(Noformat):
    def action(self, tokens: ParseResults) -> str:
        return _block(_fenced(tokens.text.strip("\n")))


class _JiraPanel(Panel, _JiraMarkup):
    def action(self, tokens: ParseResults) -> str:
        title = next((v for p, v in tokens.get("params", []) if p.lower() == "title"), "")
        body = self.markup.transform_string(
            "\n".join(line.lstrip() for line in tokens.text.strip().splitlines())
        )
        return _note("info", title, body)


class _JiraNoteMacro(_JiraMarkup):
    """``{info}``, ``{tip}``, ``{note}``, ``{warning}`` (optionally ``:title=T``) → YFM notes."""

    FIRST_CHARS = "{"

    @property
    def expr(self) -> ParserElement:
        alternatives = [self._macro(name) for name in NOTE_TYPES]
        return MatchFirst(alternatives)

    def _macro(self, name: str) -> ParserElement:
        end = "{" + name + "}"
        expr = (
            Suppress("{" + name)
            + Optional(Regex(r":[^}]*").set_results_name("params"))
            + Suppress("}")
            + SkipTo(end).set_results_name("text")
            + Suppress(end)
        )

        def action(tokens: ParseResults) -> str:
            return self._convert(name, tokens)

        return expr.set_parse_action(action)

    def _convert(self, name: str, tokens: ParseResults) -> str:
        params = str(tokens.get("params") or "").lstrip(":")
        title = next((p.split("=", 1)[1] for p in params.split("|") if p.lower().startswith("title=")), "")
        body = self.markup.transform_string(
            "\n".join(line.lstrip() for line in tokens.text.strip().splitlines())
        )
        return _note(NOTE_TYPES[name], title, body)


class _JiraMention(Mention, _JiraMarkup):
    """``[~user]`` / ``[Alias|~accountid:X]`` → ``@login`` (or `` `@name` `` when unmapped). Jira user
    names may contain ``.``, ``_``, ``@`` and ``+`` (jira2markdown only takes letters, digits, ``:-``)."""

    NAME_CHARS = alphanums + ":-._@+"

    def action(self, tokens: ParseResults) -> str:
        raw = tokens[0]
        alias = raw[1 : raw.index("~")].strip() if "~" in raw else ""
        return self.ctx.mention(tokens.accountid, alias or None)

    @property
    def expr(self) -> ParserElement:
        mention = Combine(
            "["
            + Optional(SkipTo("|", fail_on="]") + Suppress("|"), default="")
            + "~"
            + Optional(CaselessLiteral("accountid:"))
            + Word(self.NAME_CHARS).set_results_name("accountid")
            + "]",
        )
        return (
            (StringStart() | Optional(PrecededBy(White(), retreat=1), default=" "))
            + mention.set_parse_action(self.action)
            + (
                StringEnd()
                | Optional(FollowedBy(White() | Char(punctuation, exclude_chars="[") | mention), default=" ")
            )
        )


class _JiraUnderline(Underline):
    QUOTE_CHAR = "++"
    END_QUOTE_CHAR = "++"


class _JiraCite(InlineQuote):
    QUOTE_CHAR = "_"
    END_QUOTE_CHAR = "_"


class _JiraSuperscript(Superscript):
    QUOTE_CHAR = "^"
    END_QUOTE_CHAR = "^"


class _JiraSubscript(_JiraMarkup):
    """``~sub~`` (also inside words, ``H~2~O``) → plain text; YFM has no reliable subscript."""

    FIRST_CHARS = "~"

    @property
    def expr(self) -> ParserElement:
        return Regex(r"~(?P<text>[^~\s\[\]]+)~").set_parse_action(self._action)

    def _action(self, tokens: ParseResults) -> str:
        self.ctx.lossy.append("subscript")
        return self.inline_markup.transform_string(tokens.text)


class _JiraColor(Color, _JiraMarkup):
    def action(self, tokens: ParseResults) -> str:
        text = self.inline_markup.transform_string(tokens.text)
        name = str(tokens.color[0]).lower() if tokens.color and not tokens.red else ""
        name = COLOR_ALIASES.get(name, name)
        if not text.strip():
            return text
        if name in PALETTE and "\n" not in text:
            escaped = text.replace(")", "\\)")
            return f"{{{name}}}({escaped})"
        self.ctx.lossy.append("color")
        return text


class _JiraRuler(Ruler):
    """``----`` on its own line → ``---`` with blank lines around it (else YFM reads the line above
    as a setext heading). jira2markdown's own ruler only matches at the very start of the text."""

    @property
    def expr(self) -> ParserElement:
        return Regex(r"^[ \t]*----[ \t]*$", flags=re.MULTILINE).set_parse_action(replace_with("\n\n---\n\n"))


class _JiraList(_JiraMarkup):
    """Mixin: a list right after a line of text gets a blank line before it (an ordered list not
    starting at 1 cannot interrupt a paragraph in CommonMark; the blank line is always safe)."""

    def located(self, string: str, loc: int, tokens: ParseResults) -> str:
        out = self.action(tokens)
        line_start = string.rfind("\n", 0, loc) + 1
        before = string[:line_start].rstrip(" \t")
        if before and not before.endswith("\n\n") and before.strip():
            return "\n" + out
        return out


class _JiraUnorderedList(UnorderedList, _JiraList):
    @property
    def expr(self) -> ParserElement:
        return super().expr.set_parse_action(self.located)


class _JiraOrderedList(OrderedList, _JiraList):
    @property
    def expr(self) -> ParserElement:
        return super().expr.set_parse_action(self.located)


class _JiraTable(Table, _JiraMarkup):
    """GFM table when every cell is one line; YFM ``#|`` table (first row bold) otherwise."""

    def action(self, tokens: ParseResults) -> str:
        rows = [
            [self.markup.transform_string(cell).strip() for cell in row] for row in tokens if len(row) > 0
        ]
        if not rows:
            return ""
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        if any("\n" in cell for row in rows for cell in row):
            return _block(self._yfm_table(rows))
        lines = ["|" + "|".join(row) + "|" for row in rows]
        lines.insert(1, "|" + "---|" * width)
        return "\n".join(lines) + "\n"

    @staticmethod
    def _yfm_table(rows: list[list[str]]) -> str:
        out = ["#|"]
        for index, row in enumerate(rows):
            cells = [_bold(c) if index == 0 else c for c in row]
            if any("\n" in c for c in cells):
                out.append("||\n" + "\n|\n".join(cells) + "\n||")
            else:
                out.append("|| " + " | ".join(cells) + " ||")
        out.append("|#")
        return "\n".join(out)


def _bold(cell: str) -> str:
    if not cell or (cell.startswith("**") and cell.endswith("**")) or "\n" in cell:
        return cell
    return f"**{cell}**"


class _JiraImage(Image, _JiraMarkup):
    """External images stay images (sizes as ``=WxH``); attached files become a named reference —
    the attachment itself is imported, but its Tracker id is not known at plan time."""

    def action(self, tokens: ParseResults) -> str:
        url = str(tokens.url).strip()
        attrs = self._parse_attrs(tokens.attrs or [])
        if re.match(r"https?://", url, re.IGNORECASE):
            size = ""
            if attrs.get("width") or attrs.get("height"):
                size = f" ={attrs.get('width', '')}x{attrs.get('height', '')}"
            return f"![]({url.replace(' ', '%20')}{size})"
        self.ctx.lossy.append("attachment_embed")
        return _code_span(url)


class _JiraAttachmentLink(Attachment, _JiraMarkup):
    def action(self, tokens: ParseResults) -> str:
        self.ctx.lossy.append("attachment_embed")
        return _code_span(str(tokens.filename))


class _JiraEmoticon(AbstractMarkup):
    FIRST_CHARS = "(:;"

    @property
    def expr(self) -> ParserElement:
        options = sorted(EMOTICONS, key=len, reverse=True)
        return Regex("|".join(re.escape(o) for o in options)).set_parse_action(self._action)

    @staticmethod
    def _action(tokens: ParseResults) -> str:
        return EMOTICONS[tokens[0]]


class _JiraYfmEscapes(AbstractMarkup):
    """Literal text that YFM would otherwise read as syntax (Liquid, video, monospace, raw HTML, ``__``)."""

    FIRST_CHARS = "{@#=_<"

    @property
    def expr(self) -> ParserElement:
        return Regex(r"\{%|\{\{|@\[|##|==|__|<").set_parse_action(self._action)

    @staticmethod
    def _action(tokens: ParseResults) -> str:
        token = tokens[0]
        if token in ("{%", "{{"):
            return "&#123;" + token[1]
        if token == "@[":
            return "@\\["
        return "".join("\\" + ch for ch in token)


def _jira_elements() -> MarkupElements:
    elements = MarkupElements()
    for old, new in (
        (Code, _JiraCode),
        (Noformat, _JiraNoformat),
        (Panel, _JiraPanel),
        (Mention, _JiraMention),
        (Underline, _JiraUnderline),
        (InlineQuote, _JiraCite),
        (Superscript, _JiraSuperscript),
        (Subscript, _JiraSubscript),
        (Color, _JiraColor),
        (Ruler, _JiraRuler),
        (Table, _JiraTable),
        (UnorderedList, _JiraUnorderedList),
        (OrderedList, _JiraOrderedList),
        (Image, _JiraImage),
        (Attachment, _JiraAttachmentLink),
    ):
        elements.replace(old, new)
    elements.insert_after(_JiraPanel, _JiraNoteMacro)
    elements.insert_after(Url, _JiraEmoticon)
    elements.insert(elements.index(EscSpecialChars), _JiraYfmEscapes)
    return elements


# Where a Jira element can start. pyparsing's ``transform_string`` tries every element at every
# position (~0.5 ms per character); an element can only match where its first character is (or at
# a line start, for the block elements), so we try only those elements there — same result, in the
# same order (tests/mapping/test_mapping_markup.py checks it against the stock scan).
_LINE_ELEMENTS: tuple[type[AbstractMarkup], ...] = (UnorderedList, OrderedList, Table, Headings, Quote, Ruler)
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
_JIRA_CANDIDATE_RE = re.compile(
    r"^|[{\[!*\-+?^~\\(:;@#=_<]|(?=(?:https?|ftp)://)", re.MULTILINE | re.IGNORECASE
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


class _Scanner:
    """Stands in for jira2markdown's ``Forward`` grammar objects: the elements only ever call
    ``transform_string`` on them (for nested text)."""

    def __init__(self) -> None:
        self._entries: list[tuple[str, bool, ParserElement]] = []
        self._by_start: dict[tuple[bool, str], ParserElement | None] = {}

    def set_elements(self, elements: list[AbstractMarkup]) -> None:
        self._entries = [(*_first_chars(type(e)), e.expr) for e in elements]
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
        while loc <= size:
            match = _JIRA_CANDIDATE_RE.search(instring, loc)
            if match is None:
                break
            loc = match.start()
            expr = self._expr(loc == 0 or instring[loc - 1] == "\n", instring[loc : loc + 1])
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


class _JiraGrammar:
    """jira2markdown's elements with our overrides, built once; the per-text context is swapped in."""

    def __init__(self) -> None:
        self._holder = _JiraUsernames(_Context(lambda name: None))
        inline, markup = _Scanner(), _Scanner()
        kwargs = {"inline_markup": inline, "markup": markup, "usernames": self._holder}
        elements = [element(**kwargs) for element in _jira_elements()]
        inline.set_elements([e for e in elements if e.is_inline_element])
        markup.set_elements(elements)
        self._markup = markup

    def convert(self, text: str, ctx: _Context) -> str:
        self._holder.context = ctx
        return self._markup.transform_string(text)


# =============================================================================================
# markdown (GitHub / GitLab)


_INLINE_CODE_RE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_PROTECTED_RE = re.compile(
    r"<(?:https?|mailto|ftp)[^>\s]*>|(?:https?|ftp)://[^\s<>)\]]+|\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"
)
_MD_TEXT_RE = re.compile(
    r"(?P<mention>(?<![^\s(])@(?P<user>[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)(?![\w@\[]))"
    r"|(?P<br><br\s*/?>)",
    re.IGNORECASE,
)
_DETAILS_RE = re.compile(
    r"<details[^>]*>\s*(?:<summary[^>]*>(?P<title>.*?)</summary>)?", re.IGNORECASE | re.DOTALL
)
_END_DETAILS_RE = re.compile(r"</details\s*>", re.IGNORECASE)
_MARKER_RE = re.compile("\ue000(\\d+)\ue001")


def _convert_markdown(text: str, ctx: _Context) -> str:
    """Code (fenced, indented) passes through; text chunks between code get the YFM treatment."""
    out: list[str] = []
    chunk: list[str] = []
    blocks = _CodeLines()
    for line in text.split("\n"):
        if blocks.is_code(line):
            if chunk:
                out.append(_markdown_chunk("\n".join(chunk), ctx))
                chunk = []
            out.append(line)
        else:
            chunk.append(line)
    if chunk:
        out.append(_markdown_chunk("\n".join(chunk), ctx))
    return "\n".join(out)


_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s")


class _CodeLines:
    """Classifies Markdown lines as code (fenced or indented) or text, line by line.

    An indented block starts with a 4-space (or tab) indented line after a blank line, except
    inside a list (whose continuation lines are indented too). A wrong guess costs an unescaped
    line or a stray backslash, never text."""

    def __init__(self) -> None:
        self.fence: str | None = None
        self.indented = False
        self.previous_blank = True
        self.in_list = False

    def is_code(self, line: str) -> bool:
        in_fence = self.fence is not None
        self.fence = _fence_state(line, self.fence)
        blank = not line.strip()
        indented = line.startswith(("    ", "\t"))
        if in_fence or self.fence is not None:
            code = True
            self.indented = False
        else:
            self.indented = (
                indented
                and (self.indented or (self.previous_blank and not self.in_list))
                or (self.indented and blank)
            )
            code = self.indented
            if not blank and not code:
                self.in_list = bool(_LIST_ITEM_RE.match(line)) or (self.in_list and indented)
        self.previous_blank = blank
        return code


def _markdown_chunk(text: str, ctx: _Context) -> str:
    markers: list[str] = []

    def keep(block: str) -> str:
        markers.append(block)
        return f"\ue000{len(markers) - 1}\ue001"

    text = _DETAILS_RE.sub(lambda m: keep(_open_cut(m.group("title"))), text)
    text = _END_DETAILS_RE.sub(lambda m: keep("\n\n{% endcut %}\n\n"), text)
    lines = [_markdown_line(line, ctx) for line in text.split("\n")]
    return _MARKER_RE.sub(lambda m: markers[int(m.group(1))], "\n".join(lines))


def _open_cut(title: str | None) -> str:
    plain = re.sub(r"<[^>]+>", "", title or "").strip() or "Details"
    return f'\n\n{{% cut "{_quote(plain)}" %}}\n\n'


def _markdown_line(line: str, ctx: _Context) -> str:
    in_table = line.lstrip().startswith("|")

    def text(segment: str) -> str:
        return _MD_TEXT_RE.sub(lambda m: _md_token(m, ctx, in_table), escape_yfm_extras(segment))

    return _outside(line, _INLINE_CODE_RE, lambda seg: _outside(seg, _PROTECTED_RE, text))


def _outside(text: str, pattern: re.Pattern[str], transform: Callable[[str], str]) -> str:
    """Apply ``transform`` to the parts of ``text`` that ``pattern`` does not match."""
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(transform(text[last : match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(transform(text[last:]))
    return "".join(parts)


def _md_token(match: re.Match[str], ctx: _Context, in_table: bool) -> str:
    if match.group("mention"):
        return ctx.mention(match.group("user"))
    if in_table:
        ctx.lossy.append("table_linebreak")
        return " "
    return "\n"


# =============================================================================================
# html


class _YfmConverter(MarkdownConverter):
    """markdownify with CommonMark escaping (``escape_misc``) plus the YFM extras, safe fences,
    ``<details>`` → cut, ``<br>`` → newline, ``<u>``/``<ins>`` → ``++``, no unsafe link schemes."""

    SAFE_SCHEMES = ("http:", "https:", "mailto:", "ftp:")

    def __init__(self, ctx: _Context, **options: Any) -> None:
        self.ctx = ctx
        options.setdefault("escape_misc", True)
        options.setdefault("heading_style", "atx")
        options.setdefault("bullets", "-")
        options.setdefault("sup_symbol", "^")
        super().__init__(**options)

    def escape(self, text: str, parent_tags: set[str]) -> str:
        return escape_yfm_extras(super().escape(text, parent_tags))  # type: ignore[misc]

    def convert_pre(self, el: Any, text: str, parent_tags: set[str]) -> str:
        if not text:
            return ""
        callback = self.options["code_language_callback"]  # type: ignore[attr-defined]
        lang = (callback(el) or "") if callback else ""
        return _block(_fenced(text.strip("\n"), lang))

    def convert_br(self, el: Any, text: str, parent_tags: set[str]) -> str:
        if "_inline" in parent_tags:
            self.ctx.lossy.append("table_linebreak")
            return " "
        return "\n"

    def convert_details(self, el: Any, text: str, parent_tags: set[str]) -> str:
        summary = el.find("summary")
        title = summary.get_text(" ", strip=True) if summary is not None else "Details"
        return _cut(title, text)

    def convert_summary(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return ""

    def convert_u(self, el: Any, text: str, parent_tags: set[str]) -> str:
        return f"++{text}++" if text.strip() else text

    convert_ins = convert_u

    def convert_sub(self, el: Any, text: str, parent_tags: set[str]) -> str:
        self.ctx.lossy.append("subscript")
        return text

    def convert_a(self, el: Any, text: str, parent_tags: set[str]) -> str:
        href = (el.get("href") or "").strip()
        if href and ":" in href.split("/", 1)[0] and not href.lower().startswith(self.SAFE_SCHEMES):
            self.ctx.lossy.append("unsafe_link")
            return text
        return str(super().convert_a(el, text, parent_tags))  # type: ignore[misc]


def _convert_html(text: str, ctx: _Context) -> str:
    return str(_YfmConverter(ctx).convert(text))


def _convert_yfm(text: str, ctx: _Context) -> str:
    return text


Converter = Callable[[str, _Context], str]

# source markup -> factory of its converter (called once per MarkupConverter)
_CONVERTERS: dict[str, Callable[[], Converter]] = {
    "plain": lambda: _convert_plain,
    "jira": lambda: _JiraGrammar().convert,
    "markdown": lambda: _convert_markdown,
    "html": lambda: _convert_html,
    "yfm": lambda: _convert_yfm,
}
