"""Reading the JSON files an adapter joins: whole documents, pages written back to back, NDJSON.

Adapters need every record of a small side file at once (comments by issue, members by id), so
these helpers load a file whole; the issue files of big exports are streamed by the adapter itself
where it matters (NDJSON, one line at a time). A file that cannot be read is a ``MigratorError``
naming it, with the adapter's hint on how to export it again.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any

from migrator.errors import MigratorError
from migrator.sources.encoding import detect_encoding, open_text
from migrator.sources.inputs import SourceFile


def json_documents(file: SourceFile, encoding: str, hint: str) -> list[Any]:
    """Every JSON value in the file, in order: one document, or several written back to back
    (``gh api --paginate`` without ``--slurp`` writes one array per page)."""
    text = _text(file, encoding)
    decoder = json.JSONDecoder()
    values: list[Any] = []
    at = _skip_blank(text, 0)
    while at < len(text):
        try:
            value, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError as exc:
            raise MigratorError(
                f"{file.label}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", hint=hint
            ) from None
        values.append(value)
        at = _skip_blank(text, at)
    return values


def json_objects(
    file: SourceFile, encoding: str, hint: str, *, items_key: str | None = None
) -> list[dict[str, Any]]:
    """The objects of a file holding arrays of objects (or one object): the items of every array,
    flattened across pages. With ``items_key``, an object that has that key contributes its items
    instead (GitHub's search results ``{"total_count": …, "items": […]}``)."""
    out: list[dict[str, Any]] = []
    for value in json_documents(file, encoding, hint):
        if items_key is not None and isinstance(value, dict) and isinstance(value.get(items_key), list):
            value = value[items_key]
        out.extend(objects(value if isinstance(value, list) else [value]))
    return out


def ndjson_objects(
    file: SourceFile, encoding: str
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """``(line number, object, None)`` for each line of an NDJSON file, ``(line, None, why)`` for
    a line that is not a JSON object (the caller makes it a finding); blank lines are skipped."""
    path = file.local_path()
    with open_text(path, detect_encoding(path, encoding)) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as exc:
                yield number, None, f"not JSON: {exc.msg} at column {exc.colno}"
                continue
            if isinstance(value, dict):
                yield number, value, None
            else:
                yield number, None, f"a JSON {type(value).__name__}, not an object"


def as_object(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty one (a field that may be null)."""
    return value if isinstance(value, dict) else {}


def objects(value: Any) -> list[dict[str, Any]]:
    """The objects among a list's items (anything else is ignored); a non-list gives none."""
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def named(files: Iterable[SourceFile], pattern: str) -> list[SourceFile]:
    """The files whose *base name* matches ``pattern`` (a glob on a path would let ``*`` cross
    folders: ``attachment*.json`` would take ``attachments/9005/data.json``)."""
    return [f for f in files if fnmatch.fnmatchcase(f.basename, pattern)]


def stem_number(file: SourceFile) -> str | None:
    """The number a file is named after (``sub_issues/3.json`` → ``"3"``), or None."""
    stem = PurePosixPath(file.name).stem
    return stem if stem.isdigit() else None


def _text(file: SourceFile, encoding: str) -> str:
    path = file.local_path()
    with open_text(path, detect_encoding(path, encoding)) as handle:
        return handle.read()


def _skip_blank(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at
