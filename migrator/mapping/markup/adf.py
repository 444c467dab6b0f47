"""Atlassian Document Format (Jira Cloud REST v3 ``description`` / comment ``body``) → YFM.

The input is the ADF document as a JSON string or an already-parsed object
(``{"type": "doc", "version": 1, "content": [...]}``). A walker renders every node type:

* blocks: paragraph, heading, bullet/ordered/task/decision lists, blockquote, codeBlock (fenced,
  with its language), rule, panel (info/note → info, tip/success → tip, warning → warning,
  error → alert), expand/nestedExpand → cut, table (GFM; ``#|`` when a cell holds blocks or
  several lines), mediaSingle/mediaGroup → embedded files, blockCard/embedCard → link,
  layoutSection/layoutColumn (columns one after another, lossy ``layout``), bodiedExtension (its
  body), extension / inlineExtension (its key as code, lossy ``extension``);
* inline: text with marks (strong, em, strike, underline ``++``, code, link, sup ``^``, sub → plain
  (lossy), textColor → the YFM palette, backgroundColor → plain (lossy ``color``)), hardBreak, mention (by accountId), emoji, date
  (``YYYY-MM-DD``, UTC), status (``{colour}(TEXT)``), inlineCard (link), mediaInline.

Text is escaped like plain text; unknown nodes keep their text (lossy ``adf_unknown``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from migrator.mapping.markup.context import ConversionContext
from migrator.mapping.markup.plain import PLAIN_URL_RE, PlainEscaper
from migrator.mapping.markup.tokens import AUTOLINK, IMAGE_EXTENSIONS, LINK_TARGET, FileRef
from migrator.mapping.markup.yfm import PALETTE, block, code_span, cut, fenced, note, outside

Node = Mapping[str, Any]

PANEL_KINDS = {
    "info": "info",
    "note": "info",
    "tip": "tip",
    "success": "tip",
    "warning": "warning",
    "error": "alert",
}
STATUS_COLOURS = {
    "neutral": "grey",
    "purple": "violet",
    "blue": "blue",
    "red": "red",
    "yellow": "yellow",
    "green": "green",
}
# Representative RGB of each palette colour, for ADF's hex text colours.
_PALETTE_RGB = {
    "red": (222, 53, 11),
    "orange": (255, 139, 0),
    "yellow": (255, 196, 0),
    "green": (54, 179, 126),
    "blue": (0, 82, 204),
    "violet": (101, 84, 192),
    "grey": (151, 160, 175),
}
_ESCAPER = PlainEscaper()  # stateless once built: shared, never changed


def convert_adf(source: str | Node, ctx: ConversionContext) -> str:
    document = json.loads(source) if isinstance(source, str) else source
    if not isinstance(document, Mapping) or document.get("type") != "doc":
        raise ValueError('not an ADF document (expected an object with "type": "doc")')
    return AdfWriter(ctx).blocks(_content(document))


def _content(node: Node) -> list[Node]:
    content = node.get("content") or []
    return [child for child in content if isinstance(child, Mapping)]


def _attrs(node: Node) -> Mapping[str, Any]:
    attrs = node.get("attrs")
    return attrs if isinstance(attrs, Mapping) else {}


class AdfWriter:
    """Renders ADF nodes; blocks are separated by blank lines, list items by newlines."""

    def __init__(self, ctx: ConversionContext) -> None:
        self.ctx = ctx
        self._blocks: dict[str, Callable[[Node], str]] = {
            "paragraph": self.paragraph,
            "heading": self.heading,
            "bulletList": lambda n: self.list_(n, ordered=False),
            "orderedList": lambda n: self.list_(n, ordered=True),
            "taskList": self.task_list,
            "decisionList": self.decision_list,
            "blockquote": self.blockquote,
            "codeBlock": self.code_block,
            "rule": lambda n: block("---"),
            "panel": self.panel,
            "expand": self.expand,
            "nestedExpand": self.expand,
            "table": self.table,
            "mediaSingle": lambda n: self.media_group(n, image=True),
            "mediaGroup": lambda n: self.media_group(n, image=False),
            "blockCard": self.card,
            "embedCard": self.card,
            "layoutSection": self.layout,
            "layoutColumn": lambda n: self.blocks(_content(n)),
            "bodiedExtension": lambda n: self.blocks(_content(n)),
            "extension": self.extension,
        }

    # ------------------------------------------------------------------ blocks

    def blocks(self, nodes: list[Node]) -> str:
        return "\n\n".join(part for part in (self.block(n) for n in nodes) if part.strip())

    def block(self, node: Node) -> str:
        kind = str(node.get("type", ""))
        render = self._blocks.get(kind)
        if render is not None:
            return render(node)
        if kind in _INLINE_KINDS:
            return self.inline([node])
        self.ctx.lossy.append("adf_unknown")
        return self.blocks(_content(node)) if _content(node) else self.inline([node])

    def paragraph(self, node: Node) -> str:
        return self.inline(_content(node))

    def heading(self, node: Node) -> str:
        level = min(max(_number(_attrs(node).get("level"), 1), 1), 6)
        return "#" * level + " " + self.inline(_content(node)).replace("\n", " ")

    def list_(self, node: Node, *, ordered: bool) -> str:
        start = max(_number(_attrs(node).get("order"), 1), 0) if ordered else 1
        items = []
        for index, item in enumerate(_content(node)):
            bullet = f"{start + index}. " if ordered else "- "
            items.append(self._item(bullet, _content(item)))
        return "\n".join(items)

    def _item(self, bullet: str, children: list[Node]) -> str:
        body = "\n".join(self.block(child) for child in children) if children else ""
        pad = " " * len(bullet)
        lines = body.split("\n") or [""]
        return "\n".join([bullet + lines[0]] + [(pad + line) if line else "" for line in lines[1:]])

    def task_list(self, node: Node) -> str:
        items = []
        for item in _content(node):
            if item.get("type") == "taskList":
                items.append(_indent(self.task_list(item), "  "))
                continue
            box = "[x]" if str(_attrs(item).get("state", "")).upper() == "DONE" else "[ ]"
            items.append(f"- {box} " + self.inline(_content(item)))
        return "\n".join(items)

    def decision_list(self, node: Node) -> str:
        return "\n".join("- " + self.inline(_content(item)) for item in _content(node))

    def blockquote(self, node: Node) -> str:
        return "\n".join(f"> {line}" if line else ">" for line in self.blocks(_content(node)).split("\n"))

    def code_block(self, node: Node) -> str:
        text = "".join(str(child.get("text") or "") for child in _content(node))
        language = str(_attrs(node).get("language") or "")
        return block(fenced(text.strip("\n"), language if language.replace("-", "").isalnum() else ""))

    def panel(self, node: Node) -> str:
        kind = PANEL_KINDS.get(str(_attrs(node).get("panelType", "info")), "info")
        return note(kind, "", self.blocks(_content(node)))

    def expand(self, node: Node) -> str:
        return cut(str(_attrs(node).get("title") or "Details"), self.blocks(_content(node)))

    def table(self, node: Node) -> str:
        rows = [[self._cell(cell) for cell in _content(row)] for row in _content(node)]
        rows = [row for row in rows if row]
        if not rows:
            return ""
        width = max(len(row) for row in rows)
        rows = [row + [""] * (width - len(row)) for row in rows]
        if any("\n" in cell for row in rows for cell in row):
            return block(_yfm_table(rows))
        lines = ["| " + " | ".join(row) + " |" for row in rows]
        lines.insert(1, "|" + " --- |" * width)
        return block("\n".join(lines))

    def _cell(self, cell: Node) -> str:
        text = self.blocks(_content(cell)).strip()
        return text if "\n" in text else text.replace("|", "\\|")

    def media_group(self, node: Node, *, image: bool) -> str:
        parts = [self.media(child, image=image) for child in _content(node) if child.get("type") == "media"]
        captions = [self.inline(_content(c)) for c in _content(node) if c.get("type") == "caption"]
        return "\n".join(parts + [f"_{c}_" for c in captions if c])

    def media(self, node: Node, *, image: bool) -> str:
        attrs = _attrs(node)
        alt = str(attrs.get("alt") or "")
        if attrs.get("type") == "external" and attrs.get("url"):
            return f"![{alt}]({attrs['url']})"
        media_id = str(attrs.get("id") or "")
        keys = tuple(k for k in (media_id, alt) if k)
        if not keys:
            self.ctx.lossy.append("adf_unknown")
            return ""
        is_image = image or alt.lower().endswith(IMAGE_EXTENSIONS)
        name = alt or media_id
        return self.ctx.mark(FileRef(keys, name, is_image, code_span(name)))

    def card(self, node: Node) -> str:
        return self._card_link(str(_attrs(node).get("url") or ""))

    def layout(self, node: Node) -> str:
        self.ctx.lossy.append("layout")
        return self.blocks(_content(node))

    def extension(self, node: Node) -> str:
        self.ctx.lossy.append("extension")
        key = str(_attrs(node).get("extensionKey") or "extension")
        return code_span(key)

    # ------------------------------------------------------------------ inline

    def inline(self, nodes: list[Node]) -> str:
        return "".join(self.inline_node(node) for node in nodes)

    def inline_node(self, node: Node) -> str:
        kind = node.get("type")
        attrs = _attrs(node)
        if kind == "text":
            return self.text(str(node.get("text") or ""), node.get("marks") or [])
        if kind == "hardBreak":
            return "\n"
        if kind == "mention":
            label = str(attrs.get("text") or attrs.get("id") or "").lstrip("@")
            return self.ctx.mention(str(attrs.get("id") or ""), label, written=str(attrs.get("text") or ""))
        if kind == "emoji":
            return str(attrs.get("text") or attrs.get("shortName") or "")
        if kind == "date":
            return _date(attrs.get("timestamp"))
        if kind == "status":
            return _status(str(attrs.get("text") or ""), str(attrs.get("color") or ""))
        if kind == "inlineCard":
            return self._card_link(str(attrs.get("url") or ""))
        if kind == "mediaInline":
            return self.media(node, image=False)
        if kind == "placeholder":
            return ""
        if kind == "inlineExtension":
            return self.extension(node)
        self.ctx.lossy.append("adf_unknown")
        return self.inline(_content(node)) or self.text(str(node.get("text") or ""), [])

    def _card_link(self, url: str) -> str:
        if not url:
            self.ctx.lossy.append("adf_unknown")
            return ""
        return self.ctx.url(url, AUTOLINK) or f"<{url}>"

    def text(self, text: str, marks: list[Any]) -> str:
        kinds = {str(m.get("type")): _attrs(m) for m in marks if isinstance(m, Mapping)}
        if "code" in kinds:
            lead, core, trail = _chomp(text)
            out = lead + code_span(core) + trail if core else text
        else:
            out = outside(
                text,
                PLAIN_URL_RE,
                lambda part: _ESCAPER.escape(self.ctx.references(part)),
                lambda url: self.ctx.url(url) or url,
            )
        return self._marks(out, kinds)

    def _marks(self, out: str, kinds: Mapping[str, Mapping[str, Any]]) -> str:
        lead, core, trail = _chomp(out)
        if not core:
            return out
        if "subsup" in kinds:
            if kinds["subsup"].get("type") == "sup" and " " not in core:
                core = f"^{core}^"
            else:
                self.ctx.lossy.append("subscript")
        for mark, wrap in (("strike", "~~"), ("underline", "++"), ("em", "_"), ("strong", "**")):
            if mark in kinds:
                core = f"{wrap}{core}{wrap}"
        if "textColor" in kinds:
            core = self._colour(core, str(kinds["textColor"].get("color") or ""))
        if "backgroundColor" in kinds:  # a highlight: YFM has no reliable one, the text stays
            self.ctx.lossy.append("color")
        if "link" in kinds:
            href = str(kinds["link"].get("href") or "")
            if href:
                core = f"[{core}]({self.ctx.url(href, LINK_TARGET) or href})"
        return lead + core + trail

    def _colour(self, text: str, colour: str) -> str:
        name = _palette(colour)
        if name is None:
            return text
        if not name or "\n" in text:
            self.ctx.lossy.append("color")
            return text
        escaped = text.replace(")", "\\)")
        return f"{{{name}}}({escaped})"


_INLINE_KINDS = frozenset(
    {
        "text",
        "hardBreak",
        "mention",
        "emoji",
        "date",
        "status",
        "inlineCard",
        "mediaInline",
        "placeholder",
        "inlineExtension",
    }
)


def _number(value: Any, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def _chomp(text: str) -> tuple[str, str, str]:
    core = text.strip(" ")
    lead = text[: len(text) - len(text.lstrip(" "))]
    trail = text[len(text.rstrip(" ")) :]
    return lead, core, trail


def _indent(text: str, pad: str) -> str:
    return "\n".join(pad + line if line else line for line in text.split("\n"))


def _yfm_table(rows: list[list[str]]) -> str:
    out = ["#|"]
    for index, row in enumerate(rows):
        cells = [f"**{c}**" if index == 0 and c and "\n" not in c else c for c in row]
        out.append("||\n" + "\n|\n".join(cells) + "\n||")
    out.append("|#")
    return "\n".join(out)


def _date(timestamp: Any) -> str:
    try:
        moment = datetime.fromtimestamp(int(str(timestamp)) / 1000, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return str(timestamp or "")
    return moment.strftime("%Y-%m-%d")


def _status(text: str, colour: str) -> str:
    if not text:
        return ""
    label = _ESCAPER.escape(text.upper())
    name = STATUS_COLOURS.get(colour.lower())
    return f"{{{name}}}({label})" if name else f"**{label}**"


def _palette(colour: str) -> str | None:
    """The YFM palette name for an ADF colour: a name as is, a hex by nearest colour; None for the
    default (near-black) text colour, "" when it cannot be read."""
    value = colour.strip().lower()
    if value in PALETTE:
        return value
    if not (value.startswith("#") and len(value) in (4, 7)):
        return ""
    digits = value[1:] if len(value) == 7 else "".join(c * 2 for c in value[1:])
    try:
        rgb = tuple(int(digits[i : i + 2], 16) for i in (0, 2, 4))
    except ValueError:
        return ""
    if max(rgb) < 80:
        return None
    return min(
        _PALETTE_RGB, key=lambda name: sum((a - b) ** 2 for a, b in zip(_PALETTE_RGB[name], rgb, strict=True))
    )
