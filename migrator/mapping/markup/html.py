"""HTML → YFM: sanitised with nh3, converted with a markdownify subclass.

Sources: Jira ``renderedFields``, Asana ``html_notes``/``html_text``, Azure DevOps descriptions and
comments, ClickUp, YouTrack ``textPreview``, and Redmine after Textile (``textile.py``).

* Sanitising (nh3/ammonia): scripts, styles and unknown tags go (their text stays), only ``http``,
  ``https``, ``mailto``, ``ftp`` and relative URLs survive; an unsafe link keeps its text (lossy
  ``unsafe_link``).
* CommonMark escaping (``escape_misc``) plus the YFM extras; fences longer than their content;
  ``<pre><code class="language-x">`` keeps its language; ``<details>`` → cut; ``<br>`` → newline
  (a space in tables, lossy); ``<u>``/``<ins>`` → ``++``; ``<sub>`` → plain (lossy).
* Tokens: mentions (Jira ``class="user-hover" rel=…``, Asana ``data-asana-type="user"`` or an
  ``@``-text ``data-asana-gid`` link, Azure DevOps ``data-vss-mention``, ``data-user-id``/``data-mention``),
  Asana task links (``data-asana-gid``), embedded files (Asana ``<img data-asana-gid>``, Jira
  ``/secure/attachment/<id>/<name>``, Azure DevOps ``_apis/wit/attachments/<guid>?fileName=``, any
  ``…/attachments/…`` URL, ClickUp attachment URLs), old issue URLs, and references in text.
"""

from __future__ import annotations

import re
import warnings
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import nh3
from bs4 import MarkupResemblesLocatorWarning
from markdownify import MarkdownConverter

from migrator.mapping.markup.context import BARE_URL_RE, ConversionContext
from migrator.mapping.markup.tokens import AUTOLINK, LINK_TARGET, FileRef, IssueRef
from migrator.mapping.markup.yfm import (
    block,
    code_span,
    cut,
    escape_yfm_extras,
    fenced,
    outside,
    pixels,
    tidy,
)

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "ftp"})
_KEPT_ATTRIBUTES = {
    "*": {"class", "title", "rel", "lang"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
}
_CLEAN_CONTENT_TAGS = {"script", "style", "template", "iframe", "object", "noscript"}
_BR_NEWLINE_RE = re.compile(
    r"(<br\s*/?>)[ \t]*\n", re.IGNORECASE
)  # the newline after <br> is not a line break
_SELF_CLOSING_A_RE = re.compile(r"<a(\s[^>]*?)?/>", re.IGNORECASE)
_URL_ATTRIBUTE_RE = re.compile(r"\b(?:href|src)\s*=\s*[\"']?([^\"'\s>]*)", re.IGNORECASE)
_SCHEME_RE = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.\-]*):")
_JIRA_ATTACHMENT_RE = re.compile(r"/secure/(?:attachment|thumbnail)/(\d+)/(?:_thumb_)?([^/?#]+)")
_ATTACHMENT_PATH_RE = re.compile(r"/(?:attachments?|files)/|clickup-attachments\.com/", re.IGNORECASE)
_NUMBERED_ATTACHMENT_RE = re.compile(r"/attachments/(?:download/|thumbnail/)?(\d+)(?:/|$)")
_ADO_ATTACHMENT_RE = re.compile(r"/_apis/wit/attachments/([0-9a-fA-F-]{36})")


class HtmlConverter:
    """``relative_files``: a relative image source without a path (``src="shot.png"``) names an
    attachment of the issue (Redmine's Textile ``!shot.png!``)."""

    def __init__(self, *, relative_files: bool = False) -> None:
        self.relative_files = relative_files

    def convert(self, text: str, ctx: ConversionContext) -> str:
        ctx.lossy.extend("unsafe_link" for m in _URL_ATTRIBUTE_RE.finditer(text) if _unsafe(m.group(1)))
        text = _BR_NEWLINE_RE.sub(r"\1", _SELF_CLOSING_A_RE.sub(lambda m: f"<a{m.group(1) or ''}></a>", text))
        cleaned = nh3.clean(
            text,
            attributes=_KEPT_ATTRIBUTES,
            generic_attribute_prefixes={"data-"},
            clean_content_tags=_CLEAN_CONTENT_TAGS,
            url_schemes=set(SAFE_SCHEMES),
            link_rel=None,
            strip_comments=True,
        )
        with (
            warnings.catch_warnings()
        ):  # BeautifulSoup warns when a short text looks like a URL or a file name
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            return str(YfmHtmlConverter(ctx, relative_files=self.relative_files).convert(cleaned))


_BLOCK_IN_CELL = ("ul", "ol", "pre", "blockquote", "table", "br", "h1", "h2", "h3", "h4", "h5", "h6")


def _own(node: Any, names: str | list[str], parent: str = "table") -> list[Any]:
    """The ``names`` descendants of ``node`` that belong to it, not to a table nested inside."""
    return [child for child in node.find_all(names) if child.find_parent(parent) is node]


def _has_block_cells(table: Any) -> bool:
    for cell in _own(table, ["td", "th"]):
        if cell.find(_BLOCK_IN_CELL) is not None or len(cell.find_all(["p", "div"])) > 1:
            return True
    return False


def _unsafe(url: str) -> bool:
    scheme = _SCHEME_RE.match(url)
    return scheme is not None and scheme.group(1).lower() not in SAFE_SCHEMES


class YfmHtmlConverter(MarkdownConverter):
    """markdownify with CommonMark escaping (``escape_misc``) plus the YFM extras, safe fences,
    ``<details>`` → cut, ``<br>`` → newline, ``<u>``/``<ins>`` → ``++`` and tokens for pointers."""

    def __init__(self, ctx: ConversionContext, *, relative_files: bool = False, **options: Any) -> None:
        self.ctx = ctx
        self.relative_files = relative_files
        options.setdefault("escape_misc", True)
        options.setdefault("heading_style", "atx")
        options.setdefault("bullets", "-")
        options.setdefault("sup_symbol", "^")
        options.setdefault("code_language_callback", _code_language)
        options.setdefault("table_infer_header", True)  # a table without <th> gets its first row as header
        super().__init__(**options)

    def process_tag(self, node: Any, parent_tags: set[str] | None = None) -> str:
        if node.name == "table" and _has_block_cells(node):
            return block(self._yfm_table(node, set(parent_tags or ())))
        return str(super().process_tag(node, parent_tags))  # type: ignore[misc]

    def _yfm_table(self, table: Any, parent_tags: set[str]) -> str:
        """A YFM ``#|`` table, for cells that hold lists, code, quotes or line breaks (GFM cells cannot)."""
        inner = parent_tags | {"table", "tr", "td"}
        out = ["#|"]
        for index, row in enumerate(_own(table, "tr")):
            cells = []
            for cell in _own(row, ["td", "th"], parent="tr"):
                content = tidy("".join(self.process_element(child, inner) for child in cell.children))  # type: ignore[attr-defined]
                cells.append(f"**{content}**" if index == 0 and content and "\n" not in content else content)
            out.append("||\n" + "\n|\n".join(cells) + "\n||")
        out.append("|#")
        return "\n".join(out)

    def escape(self, text: str, parent_tags: set[str]) -> str:
        """Text is escaped, bare URLs are not (so they still autolink); references become tokens."""
        return outside(text, BARE_URL_RE, lambda part: self._escape_text(part, parent_tags), self._bare_url)

    def _escape_text(self, text: str, parent_tags: set[str]) -> str:
        marked = self.ctx.references(text)
        return escape_yfm_extras(super().escape(marked, parent_tags))  # type: ignore[misc]

    def _bare_url(self, url: str) -> str:
        return self.ctx.url(url) or url

    def convert_pre(self, el: Any, text: str, parent_tags: set[str]) -> str:
        if not text:
            return ""
        callback = self.options["code_language_callback"]  # type: ignore[attr-defined]
        lang = (callback(el) or "") if callback else ""
        return block(fenced(self.ctx.unmark(text.strip("\n")), lang))

    def convert_br(self, el: Any, text: str, parent_tags: set[str]) -> str:
        if "_inline" in parent_tags:
            self.ctx.lossy.append("table_linebreak")
            return " "
        return "\n"

    def convert_details(self, el: Any, text: str, parent_tags: set[str]) -> str:
        summary = el.find("summary")
        title = summary.get_text(" ", strip=True) if summary is not None else "Details"
        return cut(title, text)

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
        pointer = self._pointer(el, text, href)
        if pointer is not None:
            return pointer
        if "_noformat" not in parent_tags and href:
            if el.get_text("", strip=True) == href and not el.get("title"):
                return self.ctx.url(href, AUTOLINK) or f"<{href}>"
            marked = self.ctx.url(href, LINK_TARGET)
            if marked:
                return f"[{text}]({marked})" if text.strip() else self.ctx.url(href) or text
        return str(super().convert_a(el, text, parent_tags))  # type: ignore[misc]

    def convert_span(self, el: Any, text: str, parent_tags: set[str]) -> str:
        """A ``<span data-user-id=…>@Name</span>`` (ClickUp and other editors) is a mention."""
        found = _mention_name(el, el.get_text("", strip=True))
        if found is None or "_noformat" in parent_tags:
            return text
        name, label = found
        return self.ctx.mention(name, label, written=el.get_text("", strip=True) or name)

    def _pointer(self, el: Any, text: str, href: str) -> str | None:
        """A mention, an Asana task link or an attachment link, as a token (None: an ordinary link)."""
        plain = el.get_text("", strip=True)
        login_name = _mention_name(el, plain)
        if login_name is not None:
            name, label = login_name
            return self.ctx.mention(name, label, written=plain or name)
        gid = el.get("data-asana-gid")
        if gid:
            return self._asana_link(gid, el, plain, href)
        file_keys = _attachment_keys(href) if href else None
        if file_keys:
            name = plain or file_keys[-1]
            absolute = re.match(r"https?://", href, re.IGNORECASE) is not None
            fallback = f"[{text or name}]({href})" if absolute else code_span(name)
            return self.ctx.mark(FileRef(file_keys, name, False, fallback))
        return None

    def _asana_link(self, gid: str, el: Any, plain: str, href: str) -> str:
        kind = (el.get("data-asana-type") or "").lower()
        if kind == "user" or (
            not kind and (plain.startswith("@") or (not plain and self.ctx.user_login(gid)))
        ):
            return self.ctx.mention(gid, plain.lstrip("@") or gid, written=plain or gid)
        written = plain or href or f"asana:{gid}"
        return self.ctx.mark(IssueRef(key=gid, written=written, url=href or None))

    def convert_img(self, el: Any, text: str, parent_tags: set[str]) -> str:
        src = (el.get("src") or "").strip()
        alt = (el.get("alt") or "").strip()
        width, height = pixels(el.get("width")), pixels(el.get("height"))
        gid = el.get("data-asana-gid")
        keys: tuple[str, ...] | None = (f"asana:{gid}", gid) if gid else _attachment_keys(src)
        if keys is None and self.relative_files and src and "/" not in src and ":" not in src:
            keys = (unquote(src),)
        if not keys:
            size = f" ={width}x{height}" if width or height else ""
            return f"![{alt}]({src}{size})" if src else alt
        external = bool(re.match(r"https?://", src, re.IGNORECASE)) and not gid
        fallback = f"![{alt}]({src})" if external else code_span(alt or keys[-1])
        return self.ctx.mark(FileRef(keys, alt, True, fallback, False, width, height))


def _mention_name(el: Any, plain: str) -> tuple[str, str] | None:
    """(name to look up, label) when the link is a mention of a person."""
    classes = el.get("class") or []
    if "user-hover" in classes and el.get("rel"):
        rel = el.get("rel")
        name = rel[0] if isinstance(rel, list) else str(rel)
        return name, plain or name
    if el.get("data-asana-gid"):
        return None
    for attribute in ("data-vss-mention", "data-user-id", "data-mention", "data-user"):
        if el.get(attribute) is not None:
            label = plain.lstrip("@") or str(el.get(attribute))
            return (label if attribute == "data-vss-mention" else str(el.get(attribute)) or label), label
    return None


def _attachment_keys(url: str) -> tuple[str, ...] | None:
    """Keys of an attachment URL of the old tracker: (its id, its file name), or None."""
    parts = urlsplit(url)
    jira = _JIRA_ATTACHMENT_RE.search(parts.path)
    if jira:
        return jira.group(1), unquote(jira.group(2))
    ado = _ADO_ATTACHMENT_RE.search(parts.path)
    if ado:
        name = parse_qs(parts.query).get("fileName", [""])[0]
        return (ado.group(1), name) if name else (ado.group(1),)
    if _ATTACHMENT_PATH_RE.search(url):
        name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1])
        numbered = _NUMBERED_ATTACHMENT_RE.search(parts.path)
        ids = (numbered.group(1),) if numbered else ()
        return (*ids, url, name) if name else (*ids, url)
    return None


def _code_language(el: Any) -> str:
    """``<pre><code class="language-x">`` / ``<pre class="x">`` / Redmine's ``<code class="ruby">``."""
    candidates = [el] + list(el.find_all("code", limit=1))
    for node in candidates:
        for cls in node.get("class") or []:
            name = str(cls).removeprefix("language-").removeprefix("lang-")
            if re.fullmatch(r"[A-Za-z0-9_+\-#.]{1,30}", name) and name not in (
                "code",
                "highlight",
                "syntaxhighlight",
            ):
                return name
    return ""
