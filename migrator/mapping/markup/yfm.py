"""Writing YFM (what Tracker renders with ``markupType: md``): the pieces every converter shares.

Code spans and fences long enough for their content, blocks that need blank lines around them
(cut, note, ``#|`` tables, rules), the escapes of YFM-only syntax (``../shared/reference/markup.md``
§6.4), and the final tidy-up. Also the two scanners of finished YFM that the token pass needs:
where code is (never rewritten) and where link texts are (never get a nested link).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from migrator.textspans import code_span as code_span  # also the spans' default renderings

_FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ANY_FENCE_RE = re.compile(r"^[ \t>]*(`{3,}|~{3,})")
_BACKTICKS_RE = re.compile(r"`+")
_INLINE_CODE_RE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_LINK_TEXT_RE = re.compile(r"(?<!\\)!?\[((?:[^\[\]\\\n]|\\.)*)\]\(")

PALETTE = frozenset({"red", "green", "blue", "grey", "gray", "yellow", "orange", "violet"})
NOTE_KINDS = frozenset({"info", "tip", "warning", "alert"})


def pixels(value: object) -> str:
    """A size in pixels as YFM's ``=WxH`` takes it (``"300"``, ``"300px"``), or "" (percentages…)."""
    text = str(value or "").strip().lower().removesuffix("px").strip()
    return text if text.isdigit() else ""


def fenced(body: str, lang: str = "") -> str:
    longest = max((len(m) for m in _BACKTICKS_RE.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


def block(text: str) -> str:
    """A block construct that needs blank lines around it (cut, note, table, HR)."""
    return f"\n\n{text}\n\n"


def note(kind: str, title: str, body: str) -> str:
    return block(f'{{% note {kind} "{quote_title(title)}" %}}\n\n{body.strip()}\n\n{{% endnote %}}')


def cut(title: str, body: str) -> str:
    return block(f'{{% cut "{quote_title(title)}" %}}\n\n{body.strip()}\n\n{{% endcut %}}')


def quote_title(title: str) -> str:
    return title.replace("\\", "\\\\").replace('"', '\\"').strip()


def tidy(text: str) -> str:
    """Collapse runs of blank lines (outside fenced code), drop trailing spaces, trim the ends."""
    out: list[str] = []
    fence: str | None = None
    for line in text.split("\n"):
        fence = fence_state(line, fence)
        if fence is None and not line.strip() and out and not out[-1].strip():
            continue
        out.append(line if fence is not None else line.rstrip())
    return "\n".join(out).strip("\n")


def fence_state(line: str, fence: str | None, pattern: re.Pattern[str] = _FENCE_RE) -> str | None:
    """Track fenced code: returns the open fence after ``line`` (None outside code)."""
    match = pattern.match(line)
    if fence is None:
        return match.group(1) if match else None
    if (
        match
        and match.group(1)[0] == fence[0]
        and len(match.group(1)) >= len(fence)
        and not line.strip(" \t>`~")
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


def outside(
    text: str,
    pattern: re.Pattern[str],
    transform: Callable[[str], str],
    keep: Callable[[str], str] | None = None,
) -> str:
    """Apply ``transform`` to the parts of ``text`` that ``pattern`` does not match (and ``keep``,
    if given, to the parts it matches)."""
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.append(transform(text[last : match.start()]))
        parts.append(match.group(0) if keep is None else keep(match.group(0)))
        last = match.end()
    parts.append(transform(text[last:]))
    return "".join(parts)


def code_ranges(text: str) -> list[tuple[int, int]]:
    """Where finished YFM has code: fenced blocks (at any indentation, so list items count) and
    inline code spans. Errs on the side of code: what it calls code is never rewritten."""
    ranges: list[tuple[int, int]] = []
    fence: str | None = None
    start = offset = 0
    prose_start = 0
    for line in text.split("\n"):
        was_open = fence is not None
        fence = fence_state(line, fence, _ANY_FENCE_RE)
        if not was_open and fence is not None:
            ranges.extend(_inline_code(text, prose_start, offset))
            start = offset
        elif was_open and fence is None:
            ranges.append((start, offset + len(line)))
            prose_start = offset + len(line)
        offset += len(line) + 1
    if fence is not None:
        ranges.append((start, len(text)))
    else:
        ranges.extend(_inline_code(text, prose_start, len(text)))
    return ranges


def _inline_code(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _INLINE_CODE_RE.finditer(text, start, end)]


def link_text_ranges(text: str) -> list[tuple[int, int]]:
    """Where finished YFM has the text of a link or an image's alt text (``[...](``)."""
    return [(m.start(1), m.end(1)) for m in _LINK_TEXT_RE.finditer(text)]
