"""Redmine Textile → YFM: Redmine's own habits first, then python-textile to HTML, then ``html.py``.

Redmine's Textile is not plain Textile (``../shared/reference/markup.md`` §4.1); before the
library sees the text:

* ``<pre>…</pre>`` and ``<pre><code class="ruby">…</code></pre>`` become fenced code (with the
  language), their content verbatim — even tags inside;
* ``{{collapse(Title) … }}`` becomes a cut (its body converted), ``{{toc}}`` / ``{{>toc}}`` are
  dropped, other macros stay as text;
* ``[[Wiki links]]`` stay as written (lossless in YFM: not a link);
* ``attachment:file.txt`` / ``attachment:"a file.txt"`` become file tokens, ``!image.png!`` an
  embedded image token, ``@login`` a mention (``@code@`` stays code);
* a list that switches between ``*`` and ``#`` gets a blank line (Redmine renders two lists).

``#123`` and old issue URLs become reference tokens in the HTML step. Textile's typography
(curly quotes, dashes, ``(c)``) is kept, as Redmine shows it.
"""

from __future__ import annotations

import re

import textile as textile_library

from migrator.mapping.markup.context import ConversionContext
from migrator.mapping.markup.html import HtmlConverter
from migrator.mapping.markup.tokens import IMAGE_EXTENSIONS, FileRef
from migrator.mapping.markup.yfm import block, code_span, cut, fenced, outside

_PRE_RE = re.compile(
    r"<pre(?:\s[^>]*)?>(?:\s*<code(?P<attrs>[^>]*)>(?P<inner>.*?)</code>\s*</pre>|(?P<body>.*?)</pre>)",
    re.DOTALL | re.IGNORECASE,
)
_CODE_CLASS_RE = re.compile(r"class=[\"']?(?:language-|lang-)?(?P<lang>[\w+\-#.]+)", re.IGNORECASE)
_COLLAPSE_RE = re.compile(
    r"\{\{collapse(?:\((?P<title>[^)\n]*)\))?[ \t]*\n(?P<body>.*?)\n[ \t]*\}\}", re.DOTALL
)
_TOC_RE = re.compile(r"^[ \t]*\{\{[<>]?toc\}\}[ \t]*$", re.MULTILINE | re.IGNORECASE)
_WIKI_LINK_RE = re.compile(r"\[\[[^\]\n]+\]\]")
_ATTACHMENT_RE = re.compile(
    r"(?<![\w:])attachment:(?:\"(?P<quoted>[^\"\n]+)\"|(?P<name>[^\s\"<>]+[^\s\"<>.,;:!?)]))"
)
_CODE_SPAN_RE = re.compile(r"(?<![\w@])@[^@\n]+@(?![\w@])")
_MENTION_RE = re.compile(r"(?<![\w@./])@(?P<user>[A-Za-z0-9_](?:[\w.\-]*[A-Za-z0-9_])?)(?![\w@])")
_LIST_LINE_RE = re.compile(r"^[ \t]*([*#])[*#]*[ \t]")
_KEPT_RE = re.compile("\ue002(\\d+)\ue003")


class TextileConverter:
    def __init__(self) -> None:
        self._html = HtmlConverter(relative_files=True)

    def convert(self, text: str, ctx: ConversionContext) -> str:
        return self._convert(text, ctx, [])

    def _convert(self, text: str, ctx: ConversionContext, kept: list[str]) -> str:
        """``kept`` holds the Markdown of blocks taken out before Textile (shared with nested collapses)."""
        source = self._redmine(text, ctx, kept)
        html = textile_library.textile(source, html_type="html5")
        return _restore(self._html.convert(html, ctx), kept)

    def _redmine(self, text: str, ctx: ConversionContext, kept: list[str]) -> str:
        def keep(markdown: str) -> str:
            kept.append(markdown)
            return f"\ue002{len(kept) - 1}\ue003"

        text = _PRE_RE.sub(lambda m: "\n\n" + keep(_pre(m, ctx)) + "\n\n", text)
        text = _COLLAPSE_RE.sub(lambda m: "\n\n" + keep(self._collapse(m, ctx, kept)) + "\n\n", text)
        text = _TOC_RE.sub("", text)
        text = _WIKI_LINK_RE.sub(lambda m: keep(m.group(0)), text)
        text = _ATTACHMENT_RE.sub(lambda m: _attachment(m, ctx), text)
        text = _split_mixed_lists(text)
        return outside(text, _CODE_SPAN_RE, lambda part: _MENTION_RE.sub(lambda m: _mention(m, ctx), part))

    def _collapse(self, match: re.Match[str], ctx: ConversionContext, kept: list[str]) -> str:
        title = (match.group("title") or "Details").strip() or "Details"
        return cut(title, self._convert(match.group("body"), ctx, kept))


def _restore(text: str, kept: list[str]) -> str:
    """Put the kept blocks back (a kept block may hold others); a marker that is no kept block's
    (the source's own private-use characters) stays as it is."""
    for _ in range(len(kept) + 1):
        restored = _KEPT_RE.sub(
            lambda m: kept[int(m.group(1))] if int(m.group(1)) < len(kept) else m.group(0), text
        )
        if restored == text:
            break
        text = restored
    return text


def _pre(match: re.Match[str], ctx: ConversionContext) -> str:
    if match.group("inner") is not None:
        language = _CODE_CLASS_RE.search(match.group("attrs") or "")
        body, lang = match.group("inner"), language.group("lang") if language else ""
    else:
        body, lang = match.group("body"), ""
    return block(fenced(ctx.unmark(body.strip("\n")), lang))


def _attachment(match: re.Match[str], ctx: ConversionContext) -> str:
    name = match.group("quoted") or match.group("name")
    image = name.lower().endswith(IMAGE_EXTENSIONS)
    return ctx.mark(FileRef((name,), name, image, code_span(name)))


def _mention(match: re.Match[str], ctx: ConversionContext) -> str:
    user = match.group("user")
    return ctx.mention(user, written=match.group(0))


def _split_mixed_lists(text: str) -> str:
    """A blank line where a list switches between ``*`` and ``#`` at the top level."""
    lines = text.split("\n")
    out: list[str] = []
    previous: str | None = None
    for line in lines:
        marker = _LIST_LINE_RE.match(line)
        kind = marker.group(1) if marker else None
        if kind and previous and kind != previous and line.lstrip()[1:2] not in ("*", "#"):
            out.append("")
        previous = kind if kind else (None if not line.strip() else previous)
        out.append(line)
    return "\n".join(out)
