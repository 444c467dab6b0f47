"""GitHub / GitLab Markdown → YFM.

Both are CommonMark, as YFM is, so most text passes through; what changes (never inside code —
fenced, indented or inline):

* YFM-only syntax in text is escaped (``{%``, ``{{``, ``@[``, ``^``, ``##``, ``{red}(``);
* ``@user`` → ``@login`` when mapped, else `` `@user` `` (never pings); e-mails untouched;
* ``#12``, ``owner/repo#12``, GitLab ``!12`` and old issue URLs → reference tokens (when configured);
* uploads (GitLab ``/uploads/<hash>/<file>``, GitHub ``user-attachments`` / ``user-images`` /
  ``/assets/`` / ``/files/`` URLs) and ``<img>`` tags → file tokens; ``<img width>`` → ``=Wx``;
  GitLab ``{width=…}`` attributes dropped (lossy ``image_size`` when not in pixels);
* ``<details><summary>`` → cut, GitHub alerts ``> [!WARNING]`` → notes, ``<br>`` → newline (a
  space in tables, lossy), ``<!-- comments -->`` and ``[[_TOC_]]`` / ``[TOC]`` dropped,
  ``<kbd>`` → code, ``<sup>`` → ``^``, ``<sub>`` → plain (lossy), ``<b>``/``<i>``/``<s>`` → Markdown;
* GitLab ``~label`` keeps its ``~`` literal (escaped); ``%milestone`` stays text;
* task lists ``- [ ]`` / ``- [x]`` stay as they are (Tracker's checkbox syntax).
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from migrator.mapping.markup.context import ConversionContext
from migrator.mapping.markup.tokens import AUTOLINK, LINK_TARGET, FileRef
from migrator.mapping.markup.yfm import (
    code_span,
    escape_yfm_extras,
    fence_state,
    note,
    outside,
    pixels,
    quote_title,
)

_INLINE_CODE_RE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_PROTECTED_RE = re.compile(
    r"<(?:https?|mailto|ftp)[^>\s]*>|(?:https?|ftp)://[^\s<>)\]]+|\]\([^)\s]*(?:\s+\"[^\"]*\")?\)"
)
_MD_TEXT_RE = re.compile(
    r"(?P<mention>(?<![^\s(])@(?P<user>[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_])?)(?![\w@\[]))"
    r"|(?P<br><br\s*/?>)"
    r"|(?P<label>(?<![\w~\\])~(?=[A-Za-z\"]))",
    re.IGNORECASE,
)
_DETAILS_RE = re.compile(
    r"<details[^>]*>\s*(?:<summary[^>]*>(?P<title>.*?)</summary>)?", re.IGNORECASE | re.DOTALL
)
_END_DETAILS_RE = re.compile(r"</details\s*>", re.IGNORECASE)
_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)
_TOC_RE = re.compile(r"^[ \t]*(?:\[\[_TOC_\]\]|\[TOC\])[ \t]*$", re.MULTILINE | re.IGNORECASE)
_ALERT_RE = re.compile(
    r"^[ \t]*> ?\[!(?P<kind>NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*\n(?P<body>(?:[ \t]*>.*(?:\n|$))*)",
    re.MULTILINE | re.IGNORECASE,
)
ALERT_KINDS = {"note": "info", "tip": "tip", "important": "info", "warning": "warning", "caution": "alert"}
_BLOCK_MARKER_RE = re.compile("\ue002(\\d+)\ue003")
_LIST_ITEM_RE = re.compile(r"^\s*(?:[-*+]|\d{1,9}[.)])\s")

# Inline constructs that become tokens or Markdown: images, links to uploads, a few HTML tags.
_MEDIA_RE = re.compile(
    r"(?P<image>!\[(?P<alt>(?:[^\]\\]|\\.)*)\]\((?P<src>[^)\s]+)(?:\s+\"[^\"]*\")?\)(?P<attrs>\{[^}\n]*\})?)"
    r"|(?P<upload>\[(?P<text>(?:[^\]\\]|\\.)*)\]\((?P<href>(?:https?://[^)\s]*)?/uploads/[^)\s]+)\))"
    r"|(?P<img><img\b[^>]*>)"
    r"|<(?P<tag>kbd|sup|sub|b|strong|i|em|s|del|strike)>(?P<inner>[^<]*)</(?P=tag)>",
    re.IGNORECASE,
)
_ATTR_RE = re.compile(r"([\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>}]+))")
_GITHUB_ASSET_RE = re.compile(
    r"https://(?:(?:private-)?user-images\.githubusercontent\.com/|github\.com/(?:user-attachments/|[^/\s]+/[^/\s]+/(?:assets|files)/))",
    re.IGNORECASE,
)
_UPLOAD_PATH_RE = re.compile(r"/uploads/[^)\s]+$")
_SIMPLE_TAGS = {"b": "**", "strong": "**", "i": "_", "em": "_", "s": "~~", "del": "~~", "strike": "~~"}
_NEEDS_WORK_RE = re.compile(r"[@^#{<\[~!%/]")


def nothing_to_convert(text: str) -> bool:
    return not _NEEDS_WORK_RE.search(text)


class MarkdownConverter:
    def convert(self, text: str, ctx: ConversionContext) -> str:
        """Code (fenced, indented) passes through; text chunks between code get the YFM treatment."""
        text = _TOC_RE.sub("", text)
        out: list[str] = []
        chunk: list[str] = []
        blocks = _CodeLines()
        for line in text.split("\n"):
            if blocks.is_code(line):
                if chunk:
                    out.append(_chunk("\n".join(chunk), ctx))
                    chunk = []
                out.append(line)
            else:
                chunk.append(line)
        if chunk:
            out.append(_chunk("\n".join(chunk), ctx))
        return "\n".join(out)


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
        self.fence = fence_state(line, self.fence)
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


def _chunk(text: str, ctx: ConversionContext) -> str:
    kept: list[str] = []

    def keep(block: str) -> str:
        kept.append(block)
        return f"\ue002{len(kept) - 1}\ue003"

    text = _COMMENT_RE.sub("", text)
    text = _ALERT_RE.sub(lambda m: keep(_alert(m, ctx)), text)
    text = _DETAILS_RE.sub(lambda m: keep(_open_cut(m.group("title"))), text)
    text = _END_DETAILS_RE.sub(lambda m: keep("\n\n{% endcut %}\n\n"), text)
    lines = [_line(line, ctx) for line in text.split("\n")]
    return _BLOCK_MARKER_RE.sub(lambda m: kept[int(m.group(1))], "\n".join(lines))


def _alert(match: re.Match[str], ctx: ConversionContext) -> str:
    body = "\n".join(re.sub(r"^[ \t]*> ?", "", line) for line in match.group("body").rstrip("\n").split("\n"))
    converted = "\n".join(_line(line, ctx) for line in body.split("\n"))
    return note(ALERT_KINDS[match.group("kind").lower()], "", converted) + "\n"


def _open_cut(title: str | None) -> str:
    plain = re.sub(r"<[^>]+>", "", title or "").strip() or "Details"
    return f'\n\n{{% cut "{quote_title(plain)}" %}}\n\n'


def _line(line: str, ctx: ConversionContext) -> str:
    in_table = line.lstrip().startswith("|")

    def text(segment: str) -> str:
        segment = escape_yfm_extras(ctx.references(segment))
        return _MD_TEXT_RE.sub(lambda m: _text_token(m, ctx, in_table), segment)

    def protected(match: str) -> str:
        return _protected(match, ctx)

    def prose(segment: str) -> str:
        return outside(segment, _PROTECTED_RE, text, protected)

    def media(match: str) -> str:
        found = _MEDIA_RE.fullmatch(match)
        return prose(match) if found is None else _media(found, ctx, prose)

    return outside(line, _INLINE_CODE_RE, lambda segment: outside(segment, _MEDIA_RE, prose, media))


def _protected(match: str, ctx: ConversionContext) -> str:
    """A URL: an old issue page becomes a reference token; anything else stays as written."""
    if match.startswith("<"):
        return ctx.url(match[1:-1], AUTOLINK) or match
    if match.startswith("]("):
        target, _, rest = match[2:-1].partition(" ")
        marked = ctx.url(target, LINK_TARGET)
        return f"]({marked}{' ' + rest if rest else ''})" if marked else match
    return ctx.bare_url(match)


def _text_token(match: re.Match[str], ctx: ConversionContext, in_table: bool) -> str:
    if match.group("mention"):
        user = match.group("user")
        return ctx.mention(user, written=f"@{user}")
    if match.group("label"):
        return "\\~"
    if in_table:
        ctx.lossy.append("table_linebreak")
        return " "
    return "\n"


def _media(match: re.Match[str], ctx: ConversionContext, prose: object) -> str:
    if match.group("image"):
        return _image(match, ctx)
    if match.group("upload"):
        href = match.group("href")
        name = unquote(href.rsplit("/", 1)[-1])
        label = match.group("text") or name
        token = FileRef(keys=_upload_keys(href), name=label, image=False, fallback=code_span(name))
        return ctx.mark(token)
    if match.group("img"):
        return _img_tag(match.group("img"), ctx)
    return _simple_tag(match.group("tag").lower(), match.group("inner"), ctx)


def _image(match: re.Match[str], ctx: ConversionContext) -> str:
    src, alt = match.group("src"), match.group("alt")
    width, height = _size_attrs(match.group("attrs") or "", ctx)
    return _file_image(src, alt, width, height, ctx, original=match.group(0))


def _file_image(src: str, alt: str, width: str, height: str, ctx: ConversionContext, *, original: str) -> str:
    size = f" ={width}x{height}" if width or height else ""
    name = unquote(urlsplit(src).path.rsplit("/", 1)[-1]) or src
    if _UPLOAD_PATH_RE.search(urlsplit(src).path or ""):
        token = FileRef(_upload_keys(src), alt or name, True, code_span(name), False, width, height)
        return ctx.mark(token)
    if _GITHUB_ASSET_RE.match(src):
        fallback = f"![{alt}]({src}{size})"
        return ctx.mark(FileRef((src, name), alt or name, True, fallback, True, width, height))
    if original.startswith("!["):
        return f"![{alt}]({src}{size})" if size or original.endswith("}") else original
    return f"![{alt}]({src}{size})"


def _upload_keys(href: str) -> tuple[str, ...]:
    path = urlsplit(href).path
    start = path.find("/uploads/")
    upload = path[start:] if start >= 0 else path
    return (upload, unquote(upload.rsplit("/", 1)[-1]))


def _size_attrs(attrs: str, ctx: ConversionContext) -> tuple[str, str]:
    """GitLab ``{width=300 height=200}``: pixels become ``=WxH``; percentages cannot be kept."""
    found = {k.lower(): (a or b or c) for k, a, b, c in _ATTR_RE.findall(attrs)}
    sizes = []
    for key in ("width", "height"):
        value = pixels(found.get(key))
        if found.get(key) and not value:
            ctx.lossy.append("image_size")
        sizes.append(value)
    return sizes[0], sizes[1]


def _img_tag(tag: str, ctx: ConversionContext) -> str:
    attrs = {k.lower(): (a or b or c) for k, a, b, c in _ATTR_RE.findall(tag[4:])}
    src = attrs.get("src", "")
    if not src:
        return ""
    width, height = (pixels(attrs.get("width", "")), pixels(attrs.get("height", "")))
    if (attrs.get("width") and not width) or (attrs.get("height") and not height):
        ctx.lossy.append("image_size")
    alt = attrs.get("alt", "").replace("[", "\\[").replace("]", "\\]")
    return _file_image(src, alt, width, height, ctx, original=tag)


def _simple_tag(tag: str, inner: str, ctx: ConversionContext) -> str:
    if tag == "kbd":
        return code_span(inner)
    if tag == "sup":
        return f"^{inner}^" if inner and " " not in inner else inner
    if tag == "sub":
        ctx.lossy.append("subscript")
        return inner
    wrap = _SIMPLE_TAGS[tag]
    return f"{wrap}{inner}{wrap}" if inner.strip() else inner
