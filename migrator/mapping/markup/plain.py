"""Plain text → YFM: every markup character escaped so the text shows exactly as written.

Newlines are kept (YFM breaks lines on a single newline) and bare URLs are left alone so that they
still autolink. Issue references and old issue URLs become tokens when references are configured.
Nothing here is lossy.
"""

from __future__ import annotations

import functools
import re

from migrator.mapping.markup.context import ConversionContext
from migrator.mapping.markup.yfm import escape_yfm_extras, outside

PLAIN_URL_RE = re.compile(r"(?:https?|ftp)://\S+|mailto:\S+", re.IGNORECASE)
# Characters that CommonMark or YFM escaping can touch; a text with none of them is its own YFM.
_NEEDS_ESCAPE_RE = re.compile(r"[\\\]\[&<`>~=+|*_#{@^\-.)!:]")


class PlainEscaper:
    """CommonMark + YFM escaping of literal text (one markdownify converter, built once)."""

    def __init__(self) -> None:
        # markdownify (and bs4 under it, ~0.1 s) is imported when a text is first escaped, not with
        # this module: escape_plain is imported by modules that every command loads at start-up.
        from markdownify import MarkdownConverter

        self._converter = MarkdownConverter(escape_misc=True)

    def escape(self, text: str) -> str:
        # markdownify's bundled stub omits its documented hooks (escape, convert_*, options)
        return escape_yfm_extras(self._converter.escape(text, set()))  # type: ignore[attr-defined]


@functools.cache
def _escaper() -> PlainEscaper:
    """The one escaper (stateless once built: shared, never changed), built on first use."""
    return PlainEscaper()


def escape_plain(text: str) -> str:
    """Escape every markup character so that ``text`` renders exactly as written (newlines kept).
    Bare URLs are left alone so that they still autolink."""
    if not _NEEDS_ESCAPE_RE.search(text):
        return text
    return outside(text, PLAIN_URL_RE, _escaper().escape)


def nothing_to_convert(text: str) -> bool:
    return not _NEEDS_ESCAPE_RE.search(text)


def convert_plain(text: str, ctx: ConversionContext) -> str:
    if ctx.refs is None:
        return escape_plain(text)
    return outside(
        text,
        PLAIN_URL_RE,
        lambda segment: _escaper().escape(ctx.references(segment)),
        ctx.bare_url,
    )
