"""What a conversion hands on besides its YFM: the pointers in the text (tokens), as spans.

The tokens, spans and :class:`ConvertedText` live in :mod:`migrator.textspans` (the plan stores them
and the executor renders them, and neither may import the mapping stage); converters import them
from here. How converters produce them: ``context.py``.
"""

from __future__ import annotations

from migrator.textspans import (
    AUTOLINK,
    LINK_TARGET,
    LINK_TEXT,
    TEXT,
    ConvertedText,
    FileRef,
    IssueRef,
    Mention,
    Span,
    Token,
    mention_text,
)

__all__ = [
    "AUTOLINK",
    "IMAGE_EXTENSIONS",
    "LINK_TARGET",
    "LINK_TEXT",
    "TEXT",
    "ConvertedText",
    "FileRef",
    "IssueRef",
    "Mention",
    "Span",
    "Token",
    "mention_text",
]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".svg", ".webp", ".tif", ".tiff")
