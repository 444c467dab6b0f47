"""Reading the JSON files an adapter joins: whole documents, pages written back to back, NDJSON.

Adapters need every record of a side file at once (comments by issue, members by id), so
:class:`JsonLoader` loads a file whole — under the mapping's ``limits`` like every reader: nesting
deeper than ``limits.json_depth`` is refused before the parser sees it, numbers Python cannot hold
stay text (``json_text.parse_json``), and bytes the encoding cannot decode become U+FFFD with one
``encoding.replaced`` warning naming the files. NDJSON is streamed by the NDJSON reader itself
(:func:`ndjson_records`), a line at a time. A file that cannot be read is a ``MigratorError``
naming it, with the adapter's hint on how to export it again.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import Any

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.limits import Limits, TooDeep
from migrator.sources.encoding import damaged, detect_encoding, open_text, repair
from migrator.sources.inputs import SourceFile
from migrator.sources.json_reader import read_ndjson
from migrator.sources.json_text import parse_json
from migrator.sources.records import Note, Record

_EXTRA_DATA = "Extra data"  # json's message when a second document follows the first


class JsonLoader:
    """Loads an adapter's JSON files within the limits, remembering the damaged ones."""

    def __init__(self, encoding: str, limits: Limits, hint: str, *, replace_damaged: bool = True) -> None:
        self.encoding = encoding
        self.limits = limits
        self.hint = hint
        self.replace_damaged = replace_damaged  # False: undecodable bytes stay (lone surrogates)
        self.damaged: list[str] = []  # labels of files with undecodable bytes

    def documents(self, file: SourceFile) -> list[Any]:
        """Every JSON value in the file, in order: one document, or several written back to back
        (``gh api --paginate`` without ``--slurp`` writes one array per page)."""
        path = file.local_path()
        with open_text(path, detect_encoding(path, self.encoding)) as handle:
            text = handle.read()
        if self.replace_damaged and damaged(text):
            text = repair(text)
            self.damaged.append(file.label)
        try:
            return self._parse(text)
        except json.JSONDecodeError as exc:
            raise MigratorError(
                f"{file.label}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                hint=self.hint,
            ) from None
        except TooDeep as exc:
            raise MigratorError(f"{file.label}: the JSON is {exc}", hint=exc.hint) from None

    def objects(self, file: SourceFile, *, items_key: str | None = None) -> list[dict[str, Any]]:
        """The objects of a file holding arrays of objects (or one object): the items of every
        array, flattened across pages. With ``items_key``, an object that has that key contributes
        its items instead (GitHub's search results ``{"total_count": …, "items": […]}``)."""
        out: list[dict[str, Any]] = []
        for value in self.documents(file):
            if items_key is not None and isinstance(value, dict) and isinstance(value.get(items_key), list):
                value = value[items_key]
            out.extend(objects(value if isinstance(value, list) else [value]))
        return out

    def notes(self) -> list[Note]:
        """One ``encoding.replaced`` warning for the damaged files (put it on the first record)."""
        if not self.damaged:
            return []
        return [
            Note(
                "encoding.replaced",
                f"bytes the encoding could not decode were replaced by \ufffd in {', '.join(self.damaged)}",
                value=self.damaged[0],
                hint="the file is damaged or not in the detected encoding; set source.encoding or export again",
                severity=Severity.WARNING,
            )
        ]

    def _parse(self, text: str) -> list[Any]:
        try:
            return [parse_json(text, self.limits.json_depth)]
        except json.JSONDecodeError as exc:
            if not exc.msg.startswith(_EXTRA_DATA):
                raise
        values: list[Any] = []  # documents back to back: each one found, then parsed under the limits
        decoder, at = json.JSONDecoder(), _skip_blank(text, 0)
        while at < len(text):
            _, end = decoder.raw_decode(text, at)
            values.append(parse_json(text[at:end], self.limits.json_depth))
            at = _skip_blank(text, end)
        return values


def ndjson_records(file: SourceFile, encoding: str, limits: Limits) -> Iterator[Record]:
    """The NDJSON reader's records of the file (a bad line is an unusable record with its note),
    labelled as the export names the file."""
    for record in read_ndjson(file.local_path(), encoding=encoding, limits=limits):
        record.file = file.label
        yield record


def named(files: Iterable[SourceFile], pattern: str) -> list[SourceFile]:
    """The files whose *base name* matches ``pattern`` (a glob on a path would let ``*`` cross
    folders: ``attachment*.json`` would take ``attachments/9005/data.json``)."""
    return [f for f in files if fnmatch.fnmatchcase(f.basename, pattern)]


def as_object(value: Any) -> dict[str, Any]:
    """The value when it is a JSON object, else an empty one (a field that may be null)."""
    return value if isinstance(value, dict) else {}


def objects(value: Any) -> list[dict[str, Any]]:
    """The objects among a list's items (anything else is ignored); a non-list gives none."""
    return [x for x in value if isinstance(x, dict)] if isinstance(value, list) else []


def stem_number(file: SourceFile) -> str | None:
    """The number a file is named after (``sub_issues/3.json`` → ``"3"``), or None."""
    stem = PurePosixPath(file.name).stem
    return stem if stem.isdigit() else None


def _skip_blank(text: str, at: int) -> int:
    while at < len(text) and text[at].isspace():
        at += 1
    return at


def json_documents(file: SourceFile, encoding: str, hint: str, limits: Limits) -> list[Any]:
    """Every JSON value of one file (:meth:`JsonLoader.documents`, within the mapping's ``limits``)
    without a loader to report damage: undecodable bytes stay as they were read (lone surrogates),
    which the mapping stage reports (``text.control_characters``) where they end up."""
    return JsonLoader(encoding, limits, hint, replace_damaged=False).documents(file)
