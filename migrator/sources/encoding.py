"""Text encodings of export files: detection and opening as a streaming text reader.

``auto`` looks, in order, for a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32), then tries strict
UTF-8 on a sample, then asks charset-normalizer (first among the code pages exports are usually
written in, preferring cp1251, then without restriction). A named encoding is used as given.

Either way the file is then decoded with ``errors="replace"``: the few undecodable bytes of a damaged
file become U+FFFD (readers report each affected row as ``encoding.replaced``). A file that is
*mostly* undecodable in the chosen encoding is refused with a ``MigratorError`` instead, because
every value would be garbage.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from charset_normalizer import from_bytes

from migrator.errors import MigratorError

SAMPLE_SIZE = 1 << 18  # bytes looked at for detection and the damage check
REPLACEMENT = "\ufffd"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Single-byte code pages exports are written in, most likely first (cp1251: Russian Windows/Excel).
_PREFERRED = (
    "cp1251",
    "cp1252",
    "koi8_r",
    "cp866",
    "iso8859_5",
    "mac_cyrillic",
    "cp1250",
    "iso8859_15",
    "latin_1",
)
# A decoded sample with more replaced characters than this share of its non-ASCII characters (and
# more than _DAMAGE_MIN of them) is "not in this encoding at all" rather than "damaged in places".
_DAMAGE_SHARE = 0.5
_DAMAGE_MIN = 10


@dataclass(frozen=True)
class Damage:
    replaced: int  # characters that could not be decoded
    non_ascii: int  # non-ASCII characters that decoded fine

    @property
    def fatal(self) -> bool:
        total = self.replaced + self.non_ascii
        return self.replaced > _DAMAGE_MIN and self.replaced > _DAMAGE_SHARE * total


def detect_encoding(path: Path, configured: str = "auto") -> str:
    """The codec to read ``path`` with (a Python codec name). Raises ``MigratorError`` if none fits."""
    sample, complete = _sample(path)
    if configured.lower() != "auto":
        encoding = _known_codec(path, configured)
        _check_damage(path, sample, complete, encoding, hint_auto=True)
        return encoding
    encoding = _from_bom(sample) or _utf8_or_none(sample, complete) or _normalizer_guess(path, sample)
    _check_damage(path, sample, complete, encoding, hint_auto=False)
    return encoding


@contextmanager
def open_text(path: Path, encoding: str) -> Iterator[TextIO]:
    """Open ``path`` for streaming reads: undecodable bytes become U+FFFD; newlines are kept as is
    (what the ``csv`` module needs for multi-line cells)."""
    with (
        path.open("rb") as raw,
        io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as text,
    ):
        yield text


def _sample(path: Path) -> tuple[bytes, bool]:
    try:
        with path.open("rb") as fh:
            data = fh.read(SAMPLE_SIZE + 1)
    except OSError as exc:
        raise MigratorError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    return data[:SAMPLE_SIZE], len(data) <= SAMPLE_SIZE


def _known_codec(path: Path, name: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise MigratorError(
            f"{path.name}: unknown encoding {name!r} in source.encoding",
            hint="use a Python codec name such as utf-8, utf-8-sig, utf-16, cp1251 — or 'auto'",
        ) from None


def _from_bom(sample: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    return None


def _utf8_or_none(sample: bytes, complete: bool) -> str | None:
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    try:
        decoder.decode(sample, final=complete)
    except UnicodeDecodeError:
        damage = measure_damage(sample, "utf-8")
        # Mostly valid multi-byte UTF-8 with a few broken bytes is still UTF-8 (damaged in places).
        return "utf-8" if damage.non_ascii >= 4 * damage.replaced else None
    return "utf-8"


def _normalizer_guess(path: Path, sample: bytes) -> str:
    matches = from_bytes(sample, cp_isolation=list(_PREFERRED))
    found = {m.encoding for m in matches}
    for encoding in _PREFERRED:
        if encoding in found:
            return encoding
    best = from_bytes(sample).best()
    if best is None:
        raise MigratorError(
            f"{path.name}: cannot tell the text encoding — it does not look like a text export "
            "(a binary file, or a spreadsheet saved under a .csv name?)",
            hint="check the file, or name the encoding in source.encoding (e.g. utf-8, cp1251, utf-16)",
        )
    return best.encoding


def measure_damage(sample: bytes, encoding: str) -> Damage:
    """How many characters of ``sample`` do not decode in ``encoding`` (a partial trailing
    multi-byte sequence is not counted)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = decoder.decode(sample, final=False)
    genuine = sample.count(REPLACEMENT.encode("utf-8")) if encoding.startswith("utf-8") else 0
    replaced = max(0, text.count(REPLACEMENT) - genuine)
    non_ascii = sum(1 for ch in text if ord(ch) > 127) - text.count(REPLACEMENT)
    return Damage(replaced=replaced, non_ascii=non_ascii + genuine)


def _check_damage(path: Path, sample: bytes, complete: bool, encoding: str, *, hint_auto: bool) -> None:
    damage = measure_damage(sample, encoding)
    if not damage.fatal:
        return
    where = "the file" if complete else f"the first {len(sample) // 1024} KB"
    hint = "set source.encoding to the file's real encoding (e.g. cp1251, utf-16)"
    if hint_auto:
        hint += ", or use 'auto'"
    raise MigratorError(
        f"{path.name}: cannot be decoded as {encoding}: {damage.replaced} undecodable characters in {where}",
        hint=hint,
    )
