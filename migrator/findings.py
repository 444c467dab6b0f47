"""Problems found in the input, the mapping or against the target's rules.

Every stage that can find a problem *collects* it here instead of raising, so that validation
shows all problems at once. A finding always says where (file, row, source key, field), what
(the offending value) and what to do (hint).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from enum import StrEnum

from migrator.model import SourceRef


class Severity(StrEnum):
    ERROR = "error"  # blocks the run
    WARNING = "warning"  # the run goes ahead; `--strict` turns these into errors
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    kind: str  # stable dotted id, e.g. "date.unparsable"; the JSON report schema relies on it
    message: str
    file: str | None = None
    row: int | None = None
    key: str | None = None  # source issue key (or other source id)
    field: str | None = None
    value: str | None = None
    hint: str | None = None

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f" row {self.row}" if self.row is not None else ""))
        if self.key:
            parts.append(f"issue {self.key}")
        if self.field:
            parts.append(f"field {self.field!r}")
        return ", ".join(parts) or "-"

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    def render(self) -> str:
        text = f"{self.severity.value.upper()} [{self.kind}] {self.location()}: {self.message}"
        if self.value is not None:
            text += f" (value: {self.value!r})"
        if self.hint:
            text += f" — {self.hint}"
        return text


class Findings:
    """An ordered collection of findings with convenience constructors."""

    def __init__(self, items: Iterable[Finding] = ()) -> None:
        self._items: list[Finding] = list(items)

    def add(
        self,
        severity: Severity,
        kind: str,
        message: str,
        *,
        where: SourceRef | None = None,
        file: str | None = None,
        row: int | None = None,
        key: str | None = None,
        field: str | None = None,
        value: object = None,
        hint: str | None = None,
    ) -> Finding:
        if where is not None:
            file = file or where.file
            row = row if row is not None else where.row
        finding = Finding(
            severity=severity,
            kind=kind,
            message=message,
            file=file,
            row=row,
            key=key,
            field=field,
            value=None if value is None else str(value),
            hint=hint,
        )
        self._items.append(finding)
        return finding

    def error(self, kind: str, message: str, **where: object) -> Finding:
        return self.add(Severity.ERROR, kind, message, **where)  # type: ignore[arg-type]

    def warning(self, kind: str, message: str, **where: object) -> Finding:
        return self.add(Severity.WARNING, kind, message, **where)  # type: ignore[arg-type]

    def info(self, kind: str, message: str, **where: object) -> Finding:
        return self.add(Severity.INFO, kind, message, **where)  # type: ignore[arg-type]

    def extend(self, other: Iterable[Finding]) -> None:
        self._items.extend(other)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self._items if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self._items if f.severity is Severity.WARNING]

    def has_errors(self, strict: bool = False) -> bool:
        return any(
            f.severity is Severity.ERROR or (strict and f.severity is Severity.WARNING) for f in self._items
        )

    def counts_by_kind(self) -> Counter[tuple[str, str]]:
        return Counter((f.severity.value, f.kind) for f in self._items)
