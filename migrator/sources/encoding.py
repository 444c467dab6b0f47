"""Text encodings of export files: detection and opening as a streaming text reader.

``auto`` looks, in order, for a byte-order mark (UTF-8, UTF-16 LE/BE, UTF-32), then tries strict
UTF-8 on a sample, then asks charset-normalizer which code pages exports are usually written in
could hold the file. Of those, a decoding that makes words no language writes — Latin and Cyrillic
letters in one word (``franзais``), or a Latin word made only of accented letters (``Ïðèâåò``) — is
dropped; the first of the rest in the order below wins (cp1251 first: Russian Windows/Excel). When
the plausible code pages still read the file differently, :func:`report_encoding_doubts` says so as a
``encoding.uncertain`` warning listing each candidate with the first line they disagree on; naming
the encoding in ``source.encoding`` settles it. A named encoding is used as given.

Either way the file is then decoded with ``errors="surrogateescape"``: the few undecodable bytes of a
damaged file become lone surrogates, which readers report (``encoding.replaced``) and turn into
U+FFFD with :func:`repair` — so a literal U+FFFD that the file itself contains (valid UTF-8, e.g.
Jira's XML writing astral characters as two U+FFFD) is text, not damage. A file that is *mostly*
undecodable in the chosen encoding is refused with a ``MigratorError`` instead, because every value
would be garbage.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from charset_normalizer import from_bytes

from migrator.errors import MigratorError
from migrator.findings import Findings

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
# The code pages a Western or Russian export is really confused between (the doubt finding's candidates).
_CONFUSED = ("cp1251", "cp1252", "koi8_r", "cp1250", "iso8859_15", "latin_1")
_DAMAGE_SHARE = 0.5
_DAMAGE_MIN = 10
_ESCAPED = re.compile("[\udc80-\udcff]")  # undecodable bytes under errors="surrogateescape"
_TOKEN = re.compile(r"[^\s!-@\[-`{-~]+")  # runs of anything but spaces, ASCII digits and punctuation
_IMPLAUSIBLE_SHARE = 0.1  # more odd words than this share of the words with non-ASCII letters
_LINE_PREVIEW = 120


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


def report_encoding_doubts(path: Path, configured: str, findings: Findings) -> None:
    """An ``encoding.uncertain`` warning when ``auto`` had to choose between code pages that read
    the file differently, with each candidate's reading of the first line where they differ."""
    if configured.lower() != "auto":
        return
    sample, complete = _sample(path)
    if _from_bom(sample) or _utf8_or_none(sample, complete):
        return
    common = [c for c in _normalizer_candidates(sample) if c in _CONFUSED]
    readings = _distinct_readings(sample, _plausible(sample, common))
    if len(readings) < 2:
        return
    chosen = detect_encoding(path, configured)
    line = _first_difference(readings)
    shown = "; ".join(f"{enc}: {text!r}" for enc, text in line)
    findings.warning(
        "encoding.uncertain",
        f"the encoding is not certain: read as {chosen}, but {', '.join(e for e, _ in line if e != chosen)} "
        f"read(s) it differently — {shown}",
        file=path.name,
        field="source.encoding",
        value=chosen,
        hint=f"set source.encoding to the one that reads the line right: {' or '.join(e for e, _ in line)}",
    )


def damaged(text: str) -> bool:
    """True when ``text`` holds bytes that could not be decoded (not a literal U+FFFD)."""
    return _ESCAPED.search(text) is not None


def repair(text: str) -> str:
    """Undecodable bytes (escaped as lone surrogates) → U+FFFD."""
    return _ESCAPED.sub(REPLACEMENT, text)


@contextmanager
def open_text(path: Path, encoding: str) -> Iterator[TextIO]:
    """Open ``path`` for streaming reads: undecodable bytes become lone surrogates (see
    :func:`damaged`, :func:`repair`); newlines are kept as is (what the ``csv`` module needs)."""
    with (
        path.open("rb") as raw,
        io.TextIOWrapper(raw, encoding=encoding, errors="surrogateescape", newline="") as text,
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


def _normalizer_candidates(sample: bytes) -> list[str]:
    found = {m.encoding for m in from_bytes(sample, cp_isolation=list(_PREFERRED))}
    return [encoding for encoding in _PREFERRED if encoding in found]


def _plausible(sample: bytes, candidates: list[str]) -> list[str]:
    """The candidates whose decoding reads like text some language writes (see the module doc)."""
    return [c for c in candidates if _odd_share(sample.decode(c, errors="replace")) <= _IMPLAUSIBLE_SHARE]


def _odd_share(text: str) -> float:
    """The share of words with non-ASCII characters that no language writes: Latin and Cyrillic
    mixed, a symbol inside a word (``Îò÷¸ò``), a Latin word of accented letters only, or case
    changing inside a word (``нЬХАЙЮ``: cp1251 read as KOI8-R)."""
    odd = total = 0
    for word in _TOKEN.findall(text):
        if word.isascii():
            continue
        total += 1
        scripts = {_script(ch) for ch in word}
        only_accented = scripts == {"latin"} and len(word) >= 2 and not any(ch.isascii() for ch in word)
        letters = "".join(ch for ch in word if ch.isalpha())
        odd_case = not (letters.islower() or letters.isupper() or letters.istitle())
        if len(scripts - {"mark"}) > 1 or "symbol" in scripts or only_accented or odd_case:
            odd += 1
    return odd / total if total else 0.0


def _script(ch: str) -> str:
    if ch.isascii():
        return "latin" if ch.isalpha() else "mark"
    category = unicodedata.category(ch)
    if category.startswith("M"):
        return "mark"
    if not category.startswith("L"):
        return "symbol"
    name = unicodedata.name(ch, "")
    return "latin" if name.startswith("LATIN") else "cyrillic" if name.startswith("CYRILLIC") else "other"


def _distinct_readings(sample: bytes, candidates: list[str]) -> dict[str, str]:
    """Candidate → decoded sample, keeping one candidate per distinct reading."""
    readings: dict[str, str] = {}
    for encoding in candidates:
        text = sample.decode(encoding, errors="replace")
        if text not in readings.values():
            readings[encoding] = text
    return readings


def _first_difference(readings: dict[str, str]) -> list[tuple[str, str]]:
    split = {enc: text.splitlines() for enc, text in readings.items()}
    for index in range(max(len(lines) for lines in split.values())):
        line = {enc: lines[index] if index < len(lines) else "" for enc, lines in split.items()}
        if len(set(line.values())) > 1:
            return [(enc, _around(text, _first_differing(list(line.values())))) for enc, text in line.items()]
    return [(enc, text[:_LINE_PREVIEW]) for enc, text in readings.items()]


def _first_differing(texts: list[str]) -> int:
    for index, chars in enumerate(zip(*texts, strict=False)):
        if len(set(chars)) > 1:
            return index
    return 0


def _around(text: str, index: int) -> str:
    """The part of a line around where the readings first differ."""
    start = max(0, index - _LINE_PREVIEW // 3)
    return ("…" if start else "") + text[start : start + _LINE_PREVIEW]


def _normalizer_guess(path: Path, sample: bytes) -> str:
    candidates = _normalizer_candidates(sample)
    plausible = _plausible(sample, candidates)
    if plausible or candidates:
        return (plausible or candidates)[0]
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
