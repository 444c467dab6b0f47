"""Attachment content: MIME type and pixel size of images (for ``thumbnail`` and ``metadata.size``)."""

from __future__ import annotations

import mimetypes
import struct

GENERIC = "application/octet-stream"


def guess_mimetype(filename: str, declared: str | None, content: bytes) -> str:
    sniffed = _sniff(content)
    if sniffed:
        return sniffed
    guessed, _encoding = mimetypes.guess_type(filename)
    if guessed:
        return guessed
    if declared and declared != GENERIC:
        return declared.split(";")[0].strip()
    return GENERIC


def _sniff(content: bytes) -> str | None:
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def image_size(content: bytes) -> str | None:
    """``"<width>x<height>"`` for PNG, GIF and JPEG; None for anything else or a truncated header."""
    kind = _sniff(content)
    if kind == "image/png" and len(content) >= 24:
        width, height = struct.unpack(">II", content[16:24])
        return f"{width}x{height}"
    if kind == "image/gif" and len(content) >= 10:
        width, height = struct.unpack("<HH", content[6:10])
        return f"{width}x{height}"
    if kind == "image/jpeg":
        return _jpeg_size(content)
    return None


def _jpeg_size(content: bytes) -> str | None:
    pos = 2
    while pos + 9 < len(content):
        if content[pos] != 0xFF:
            return None
        marker = content[pos + 1]
        length = struct.unpack(">H", content[pos + 2 : pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", content[pos + 5 : pos + 9])
            return f"{width}x{height}"
        pos += 2 + length
    return None
