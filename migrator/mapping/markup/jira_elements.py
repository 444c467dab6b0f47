"""Jira wiki elements: jira2markdown's grammar with the YFM-specific overrides and additions.

Overrides (``../shared/reference/markup.md`` §2.2): ``{code}`` without a default language and with a
fence longer than its content, panels and ``{info}``/``{tip}``/``{note}``/``{warning}`` as YFM notes, ``{toc}``/``{anchor}``
dropped, ``{status}`` and ``{jira:KEY}`` as text,
``+ins+`` → ``++``, ``??cite??`` → ``_``, ``^sup^`` kept, ``~sub~`` → plain (lossy), colours to the
YFM palette (else plain, lossy), ``----`` anywhere, lists after a paragraph get a blank line, tables
with multi-line cells as ``#|`` tables, emoticons, literal YFM syntax escaped. Tokens: mentions
(``[~name]``, ``[~accountid:…]``, ``[Alias|~accountid:…]``), attached images and ``[^file]`` links,
old issue URLs in links and bare; smart links ``[url|url|smart-link]`` become plain links.

One room (over 500 lines): the elements are alternatives of one pyparsing grammar whose order
matters; they are read and changed together.
"""

from __future__ import annotations

import re
from string import punctuation

from jira2markdown.markup.advanced import Code, Noformat, Panel
from jira2markdown.markup.base import AbstractMarkup
from jira2markdown.markup.images import Image
from jira2markdown.markup.links import Attachment, Link, Mention, Url
from jira2markdown.markup.lists import ListIndentState, OrderedList, UnorderedList
from jira2markdown.markup.tables import Table
from jira2markdown.markup.text_breaks import Ruler
from jira2markdown.markup.text_effects import (
    BlockQuote,
    Color,
    InlineQuote,
    Subscript,
    Superscript,
    Underline,
)
from pyparsing import (
    CaselessLiteral,
    Char,
    Combine,
    FollowedBy,
    LineEnd,
    LineStart,
    MatchFirst,
    OneOrMore,
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
    Token,
    White,
    Word,
    alphanums,
    replace_with,
)

from migrator.mapping.markup.context import ConversionContext
from migrator.mapping.markup.tokens import AUTOLINK, LINK_TARGET, FileRef
from migrator.mapping.markup.yfm import PALETTE, block, code_span, fenced, note, pixels

COLOR_ALIASES = {"purple": "violet", "magenta": "violet"}
NOTE_TYPES = {"info": "info", "tip": "tip", "note": "warning", "warning": "warning"}
SMART_LINK_KINDS = frozenset({"smart-link", "smart-card", "smart-embed"})
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


class JiraUsernames(dict[str, str]):
    """An (always truthy) stand-in for jira2markdown's username map that carries our context:
    jira2markdown passes ``usernames`` to every element, and only our own elements read it."""

    def __init__(self, context: ConversionContext) -> None:
        super().__init__()
        self.context = context

    def __bool__(self) -> bool:
        return True


class JiraMarkup(AbstractMarkup):
    @property
    def ctx(self) -> ConversionContext:
        if not isinstance(self.usernames, JiraUsernames):
            raise TypeError("jira elements need the conversion context as 'usernames'")
        return self.usernames.context


class JiraCode(Code, JiraMarkup):
    def action(self, tokens: ParseResults) -> str:
        return block(fenced(self.ctx.unmark(tokens.text.strip("\n")), tokens.lang or ""))


class JiraNoformat(Noformat, JiraMarkup):
    def action(self, tokens: ParseResults) -> str:
        return block(fenced(self.ctx.unmark(tokens.text.strip("\n"))))


class JiraPanel(Panel, JiraMarkup):
    def action(self, tokens: ParseResults) -> str:
        title = next((v for p, v in tokens.get("params", []) if p.lower() == "title"), "")
        body = self.markup.transform_string(
            "\n".join(line.lstrip() for line in tokens.text.strip().splitlines())
        )
        return note("info", title, body)


class JiraNoteMacro(JiraMarkup):
    """``{info}``, ``{tip}``, ``{note}``, ``{warning}`` (optionally ``:title=T``) → YFM notes."""

    FIRST_CHARS = "{"
    OPENING = re.compile(r"\{(?:" + "|".join(NOTE_TYPES) + ")")

    @property
    def expr(self) -> ParserElement:
        return MatchFirst([self._macro(name) for name in NOTE_TYPES])

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
        return note(NOTE_TYPES[name], title, body)


class JiraMention(Mention, JiraMarkup):
    """``[~user]`` / ``[Alias|~accountid:X]`` → ``@login`` (or `` `@name` `` when unmapped). Jira user
    names may contain ``.``, ``_``, ``@`` and ``+`` (jira2markdown only takes letters, digits, ``:-``)."""

    NAME_CHARS = alphanums + ":-._@+"

    def action(self, tokens: ParseResults) -> str:
        raw = tokens[0]
        alias = raw[1 : raw.index("~")].rstrip("|").strip() if "~" in raw else ""
        return self.ctx.mention(tokens.accountid, alias or None, written=raw)

    @property
    def expr(self) -> ParserElement:
        mention = Combine(
            "["
            + Optional(SkipTo("|", fail_on="]") + "|", default="")
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


class JiraLink(Link, JiraMarkup):
    """``[alias|url]``; smart links ``[url|url|smart-link]`` (also ``smart-card``, ``smart-embed``) are
    plain links; a link to an issue page of the old tracker becomes a reference token, and so does a
    link to an issue key (``[PROJ-12]``, ``[the bug|PROJ-12]``: Jira links those to the issue)."""

    def action(self, tokens: ParseResults) -> str:
        url = str(tokens.url)
        ref = self.ctx.whole_reference(url.strip())
        if ref is not None:
            alias = str(getattr(tokens, "alias", ""))
            named = self.ctx.whole_reference(alias.strip()) if alias.strip() else ref
            if named is not None and named.key == ref.key:  # [PROJ-12] or [PROJ-12|PROJ-12]: the key
                return self.ctx.mark(ref)
            return f"[{self.markup.transform_string(alias)}]({self.ctx.mark(ref, LINK_TARGET)})"
        parts = url.split("|")
        smart = len(parts) > 1 and parts[-1].strip().lower() in SMART_LINK_KINDS
        if smart:
            url = "|".join(parts[:-1]).strip()
        if url.lower().startswith("www."):
            url = f"https://{url}"
        if not any(map(url.lower().startswith, self.URL_PREFIXES)):
            return str(super().action(tokens))
        alias = self.markup.transform_string(getattr(tokens, "alias", ""))
        if not alias or (smart and str(tokens.alias).strip() == url):
            return self.ctx.url(url, AUTOLINK) or f"<{url}>"
        return f"[{alias}]({self.ctx.url(url, LINK_TARGET) or url})"


class JiraUrl(Url, JiraMarkup):
    """A bare URL is kept as is (its characters are not markup); an old issue page becomes a token."""

    @property
    def expr(self) -> ParserElement:
        return super().expr.set_parse_action(self._action)

    def _action(self, tokens: ParseResults) -> str:
        return self.ctx.bare_url(str(tokens[0]))


class JiraUnderline(Underline):
    QUOTE_CHAR = "++"
    END_QUOTE_CHAR = "++"


class JiraCite(InlineQuote):
    QUOTE_CHAR = "_"
    END_QUOTE_CHAR = "_"


class JiraSuperscript(Superscript):
    QUOTE_CHAR = "^"
    END_QUOTE_CHAR = "^"


class JiraSubscript(JiraMarkup):
    """``~sub~`` (also inside words, ``H~2~O``) → plain text; YFM has no reliable subscript."""

    FIRST_CHARS = "~"
    OPENING = re.compile(r"~(?P<text>[^~\s\[\]]+)~")

    @property
    def expr(self) -> ParserElement:
        return Regex(self.OPENING).set_parse_action(self._action)

    def _action(self, tokens: ParseResults) -> str:
        self.ctx.lossy.append("subscript")
        return self.inline_markup.transform_string(tokens.text)


class JiraColor(Color, JiraMarkup):
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


class JiraRuler(Ruler):
    """``----`` on its own line → ``---`` with blank lines around it (else YFM reads the line above
    as a setext heading). jira2markdown's own ruler only matches at the very start of the text."""

    @property
    def expr(self) -> ParserElement:
        return Regex(r"^[ \t]*----[ \t]*$", flags=re.MULTILINE).set_parse_action(replace_with("\n\n---\n\n"))


class ListBullets(Token):
    """jira2markdown's ``ListIndent`` without building a new grammar on every try: the longest of
    ``token * n + " "`` (n from indent+1 down to indent-2) that starts at ``loc``, first token first."""

    def __init__(self, indent_state: ListIndentState, tokens: str) -> None:
        super().__init__()
        self.indent_state = indent_state
        self.tokens = tokens
        self.FIRST_CHARS = tokens  # for skip_guard.first_set

    def parseImpl(self, instring: str, loc: int, do_actions: bool = True) -> tuple[int, str]:  # noqa: N802
        literal = self.bullets_at(instring, loc)
        if literal is None:
            raise ParseException(instring, loc, "not a list item", self)
        return loc + len(literal), literal

    def bullets_at(self, instring: str, loc: int) -> str | None:
        """The bullets (and their space) at ``loc``, their count kept as the indent; None if none."""
        current = self.indent_state.indent
        for token in self.tokens:
            for indent in range(current + 1, max(0, current - 2), -1):
                literal = token * indent + " "
                if instring.startswith(literal, loc):
                    self.indent_state.indent = indent
                    return literal
        return None


class JiraList(JiraMarkup):
    """Mixin: a list right after a line of text gets a blank line before it (an ordered list not
    starting at 1 cannot interrupt a paragraph in CommonMark; the blank line is always safe)."""

    nested_token: str
    tokens: str
    indent_state: ListIndentState

    def located(self, string: str, loc: int, tokens: ParseResults) -> str:
        out: str = self.action(tokens)
        line_start = string.rfind("\n", 0, loc) + 1
        before = string[:line_start].rstrip(" \t")
        if before and not before.endswith("\n\n") and before.strip():
            return "\n" + out
        return out

    def list_expr(self) -> ParserElement:
        """jira2markdown's ``List.expr`` with the cached indent element."""
        whitespace = Regex(r"[ \t]+", flags=re.UNICODE)
        eol = LineEnd()
        list_break = eol + Optional(whitespace) + eol | StringEnd()
        ignore = (
            BlockQuote(**self.init_kwargs).expr
            | Panel(**self.init_kwargs).expr
            | Color(**self.init_kwargs).expr
        )
        row = (
            LineStart()
            + Optional(whitespace).suppress()
            + Combine(
                Optional(self.nested_token, default="")
                + ListBullets(self.indent_state, self.tokens)
                + SkipTo(
                    eol + Optional(whitespace) + Char(self.nested_token + self.tokens) | list_break,
                    ignore=ignore,
                )
                + Optional(eol),
            )
        )
        return OneOrMore(row, stop_on=list_break).set_parse_action(self.located)


class JiraUnorderedList(UnorderedList, JiraList):
    @property
    def expr(self) -> ParserElement:
        return self.list_expr()


class JiraOrderedList(OrderedList, JiraList):
    @property
    def expr(self) -> ParserElement:
        return self.list_expr()


class JiraTable(Table, JiraMarkup):
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
            return block(self._yfm_table(rows))
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


class JiraImage(Image, JiraMarkup):
    """External images stay images (sizes as ``=WxH``); an attached image is a file token: its
    Tracker URL is known only after the import (until then the name shows as code)."""

    def action(self, tokens: ParseResults) -> str:
        url = str(tokens.url).strip()
        attrs = self._parse_attrs(tokens.attrs or [])
        width, height = pixels(attrs.get("width", "")), pixels(attrs.get("height", ""))
        if re.match(r"https?://", url, re.IGNORECASE):
            size = ""
            if attrs.get("width") or attrs.get("height"):
                size = f" ={attrs.get('width', '')}x{attrs.get('height', '')}"
            return f"![]({url.replace(' ', '%20')}{size})"
        token = FileRef(
            keys=(url,), name=url, image=True, fallback=code_span(url), width=width, height=height
        )
        return self.ctx.mark(token)


class JiraAttachmentLink(Attachment, JiraMarkup):
    def action(self, tokens: ParseResults) -> str:
        name = str(tokens.filename)
        return self.ctx.mark(FileRef(keys=(name,), name=name, image=False, fallback=code_span(name)))


class JiraEmoticon(AbstractMarkup):
    FIRST_CHARS = "(:;"
    OPENING = re.compile("|".join(re.escape(o) for o in sorted(EMOTICONS, key=len, reverse=True)))

    @property
    def expr(self) -> ParserElement:
        return Regex(self.OPENING).set_parse_action(self._action)

    @staticmethod
    def _action(tokens: ParseResults) -> str:
        return EMOTICONS[tokens[0]]


class JiraMacro(JiraMarkup):
    """Jira macros without a YFM equivalent: ``{toc}`` and ``{anchor:x}`` are dropped, ``{status:…}``
    becomes its coloured title, ``{jira:KEY-1}`` the issue key (a reference when configured).
    All listed as lossy ``macro``."""

    FIRST_CHARS = "{"
    OPENING = re.compile(r"\{(?P<name>toc|anchor|status|jira)(?::(?P<params>[^}\n]*))?\}", re.IGNORECASE)
    STATUS_COLOURS = {"grey": "grey", "red": "red", "yellow": "yellow", "green": "green", "blue": "blue"}

    @property
    def expr(self) -> ParserElement:
        return Regex(self.OPENING).set_parse_action(self._action)

    def _action(self, tokens: ParseResults) -> str:
        self.ctx.lossy.append("macro")
        name = str(tokens.name).lower()
        params = _macro_params(str(tokens.params or ""))
        if name == "status":
            title = params.get("title", "").upper()
            colour = self.STATUS_COLOURS.get(params.get("colour", params.get("color", "")).lower())
            return f"{{{colour}}}({title})" if colour and title else title
        if name == "jira":
            key = params.get("key", params.get("", "")).strip()
            return self.ctx.references(key) if key else ""
        return ""


def _macro_params(text: str) -> dict[str, str]:
    """``colour=Green|title=Done`` (or a bare first value, under "")."""
    params: dict[str, str] = {}
    for part in text.split("|"):
        name, sep, value = part.partition("=")
        if sep:
            params[name.strip().lower()] = value.strip()
        elif part.strip():
            params.setdefault("", part.strip())
    return params


class JiraYfmEscapes(AbstractMarkup):
    """Literal text that YFM would otherwise read as syntax (Liquid, video, monospace, raw HTML, ``__``)."""

    FIRST_CHARS = "{@#=_<"
    OPENING = re.compile(r"\{%|\{\{|@\[|##|==|__|<")

    @property
    def expr(self) -> ParserElement:
        return Regex(self.OPENING).set_parse_action(self._action)

    @staticmethod
    def _action(tokens: ParseResults) -> str:
        token = tokens[0]
        if token in ("{%", "{{"):
            return "&#123;" + token[1]
        if token == "@[":
            return "@\\["
        return "".join("\\" + ch for ch in token)


# jira2markdown element → ours (same place in the element order)
OVERRIDES: tuple[tuple[type[AbstractMarkup], type[AbstractMarkup]], ...] = (
    (Code, JiraCode),
    (Noformat, JiraNoformat),
    (Panel, JiraPanel),
    (Mention, JiraMention),
    (Link, JiraLink),
    (Url, JiraUrl),
    (Underline, JiraUnderline),
    (InlineQuote, JiraCite),
    (Superscript, JiraSuperscript),
    (Subscript, JiraSubscript),
    (Color, JiraColor),
    (Ruler, JiraRuler),
    (Table, JiraTable),
    (UnorderedList, JiraUnorderedList),
    (OrderedList, JiraOrderedList),
    (Image, JiraImage),
    (Attachment, JiraAttachmentLink),
)
