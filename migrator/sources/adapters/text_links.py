"""The URLs a Markdown text points at — links, images, HTML ``<img>``/``<a>``, bare URLs.

GitHub and GitLab keep uploaded files only as links in descriptions and comments
(``https://github.com/user-attachments/files/…``, ``/uploads/<hash>/<name>``); their adapters
pick the upload URLs out of these to list the files as attachments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKDOWN = re.compile(
    r"!?\[(?P<label>[^\]\n]*)\]\(\s*<?(?P<url>[^\s()<>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
)
_HTML = re.compile(
    r"<(?:img|a|video|source)\b(?P<attrs>[^>]*?)\b(?:src|href)\s*=\s*(?P<q>[\"'])(?P<url>.*?)(?P=q)",
    re.I | re.S,
)
_ALT = re.compile(r"\balt\s*=\s*([\"'])(.*?)\1", re.I | re.S)
_BARE = re.compile(r"(?<![(\"'=\w/])https?://[^\s<>()\"'\[\]]+")
_TRAILING = ".,;:!?*_~"


@dataclass(frozen=True)
class TextLink:
    url: str
    label: str  # the link text or the image's alt text; "" when there is none


def text_links(text: str | None) -> list[TextLink]:
    """Every URL the text points at, once each (with the label of its first occurrence), in the
    order they appear."""
    if not text:
        return []
    found: list[tuple[int, TextLink]] = []
    for match in _MARKDOWN.finditer(text):
        found.append((match.start(), TextLink(match.group("url"), match.group("label").strip())))
    for match in _HTML.finditer(text):
        alt = _ALT.search(match.group("attrs") or "")
        found.append(
            (match.start(), TextLink(match.group("url").strip(), alt.group(2).strip() if alt else ""))
        )
    for match in _BARE.finditer(text):
        found.append((match.start(), TextLink(match.group(0).rstrip(_TRAILING), "")))
    seen: set[str] = set()
    out: list[TextLink] = []
    for _, link in sorted(found, key=lambda item: item[0]):
        if link.url and link.url not in seen:
            seen.add(link.url)
            out.append(link)
    return out
