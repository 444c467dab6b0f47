from __future__ import annotations

import io
from pathlib import Path

from migrator.tracker.multipart import MultipartFile


def test_body_is_a_well_formed_single_part(tmp_path: Path) -> None:
    path = tmp_path / "a.bin"
    path.write_bytes(bytes(range(256)) * 1000)
    with MultipartFile(path, field="file", part_filename='we"ird.bin') as body:
        boundary = body.content_type.split("boundary=")[1]
        data = b"".join(iter(body))
        assert len(data) == len(body)
    assert data.startswith(f"--{boundary}\r\n".encode())
    assert b'name="file"; filename="we%22ird.bin"' in data
    assert data.endswith(f"\r\n--{boundary}--\r\n".encode())
    assert path.read_bytes() in data


def test_read_sizes_tell_and_seek(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"0123456789")
    with MultipartFile(path) as body:
        whole = body.read()
        assert body.tell() == len(body) and body.read(5) == b""
        assert body.seek(0) == 0
        pieces = []
        while chunk := body.read(7):
            pieces.append(chunk)
        assert b"".join(pieces) == whole
        body.seek(-5, io.SEEK_END)
        assert body.read() == whole[-5:]
        body.seek(len(whole) // 2)
        assert body.read() == whole[len(whole) // 2 :]
