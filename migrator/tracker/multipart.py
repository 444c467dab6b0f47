"""A streaming ``multipart/form-data`` body with one file part.

``requests`` builds ``files=`` bodies in memory; attachments may be up to 1 GB, so the client sends
this file-like object instead: the part header, then the file read in blocks, then the closing
boundary, with an exact ``Content-Length``.
"""

from __future__ import annotations

import io
import mimetypes
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

BLOCK_SIZE = 64 * 1024


class MultipartFile:
    """Readable body of a multipart request carrying one file (``with`` closes the file)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        field: str = "file",
        part_filename: str = "file",
        content_type: str | None = None,
    ) -> None:
        self.path = Path(path)
        boundary = uuid.uuid4().hex
        self.content_type = f"multipart/form-data; boundary={boundary}"
        part_type = content_type or mimetypes.guess_type(part_filename)[0] or "application/octet-stream"
        head = (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="{_quote(field)}"; filename="{_quote(part_filename)}"\r\n'
            f"Content-Type: {part_type}\r\n\r\n"
        ).encode()
        tail = f"\r\n--{boundary}--\r\n".encode()
        self._file: BinaryIO = self.path.open("rb")
        file_size = os.fstat(self._file.fileno()).st_size
        self._parts: list[tuple[BinaryIO, int]] = [
            (io.BytesIO(head), len(head)),
            (self._file, file_size),
            (io.BytesIO(tail), len(tail)),
        ]
        self._length = len(head) + file_size + len(tail)
        self._sources: list[BinaryIO] = [part for part, _ in self._parts]
        self._position = 0

    def __len__(self) -> int:
        return self._length

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Reposition (lets a recorder or a redirect re-read the body)."""
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._length}[whence]
        target = max(0, min(self._length, base + offset))
        start = 0
        self._sources = []
        for part, size in self._parts:
            local = min(max(target - start, 0), size)
            part.seek(local)
            if local < size:
                self._sources.append(part)
            start += size
        self._position = target
        return target

    def read(self, size: int | None = -1) -> bytes:
        want = self._length if size is None or size < 0 else size
        chunks: list[bytes] = []
        while want > 0 and self._sources:
            chunk = self._sources[0].read(want)
            if not chunk:
                self._sources.pop(0)
                continue
            chunks.append(chunk)
            want -= len(chunk)
        data = b"".join(chunks)
        self._position += len(data)
        return data

    def __iter__(self) -> Iterator[bytes]:
        while chunk := self.read(BLOCK_SIZE):
            yield chunk

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> MultipartFile:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
