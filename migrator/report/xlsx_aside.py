"""The XLSX report written by another process while this one writes the HTML and JSON reports.

Why a process: after the pass the three reports were written one after another on one core while
the other sat idle, the XLSX one taking four fifths of that tail (openpyxl builds and serialises
every cell in Python: 4-6 s at 100,000 issues). A thread would not help: it is CPU-bound Python.

The same workbook, by construction: the child runs the very same ``write_xlsx_report`` on the same
result. It is started with ``spawn`` (a fresh interpreter: no inherited threads, locks or SQLite
connections) and imports the writer while this process copies the findings' file (SQLite's backup,
page by page: a tenth of a second at 100,000 issues) into a private temporary folder; then it gets
the result without its findings (pickled: counts, value maps, users, the estimate) and the copy,
which it opens read-only. The folder is removed once the child is done, whatever happened.

A small result is written in this process when the caller waits: below ``MIN_FINDINGS`` findings
starting the child (a fresh interpreter importing openpyxl) costs about what it saves.

A failure is raised here when the caller waits: a report that cannot be written (its folder is not
writable, the disk is full) as a :class:`MigratorError` naming the file, a child that died (killed,
out of memory) as one saying so; anything else (a bug) with the child's traceback. The child
ignores Ctrl-C (this process stops it: it is ended when the caller leaves the block early).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import fields
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.results import ValidationResult

FINDINGS_COPY_NAME = "findings.sqlite"
# Below this many findings the workbook takes under half a second to write, about what starting
# the child and importing openpyxl there costs.
MIN_FINDINGS = 4_000
STOP_SECONDS = 5.0  # how long a child stopped early may take to end before it is killed


@contextlib.contextmanager
def xlsx_report_aside(
    result: ValidationResult, path: Path, *, min_findings: int = MIN_FINDINGS
) -> Iterator[Callable[[], Path]]:
    """Start writing the XLSX report of ``result`` to ``path`` in another process (with at least
    ``min_findings`` findings; ``0`` = always, tests); yields a function that waits for it and
    returns the path written (or, for a smaller result, writes it then). Leaving the block without
    calling it stops the child (and removes the findings' copy)."""
    if len(result.findings) < min_findings:
        yield lambda: _write_here(result, path)
        return
    context = multiprocessing.get_context("spawn")
    here, there = context.Pipe()
    child = context.Process(target=_child, args=(there,), name="migrator-xlsx-report", daemon=True)
    child.start()  # it imports the writer while the findings are copied
    there.close()  # this process's copy of the child's end: the child's death is then an EOF here
    try:
        with tempfile.TemporaryDirectory(prefix="migrator-xlsx-") as folder:
            copy = result.findings.copy_to(Path(folder) / FINDINGS_COPY_NAME)
            here.send((_without_findings(result), copy, path))
            yield lambda: _outcome(here, path)
            here.close()
            child.join(STOP_SECONDS)  # the outcome was received: the child is ending
    finally:
        here.close()
        if child.is_alive():  # the caller left early (an error, Ctrl-C): the workbook is not wanted
            child.terminate()
        child.join()


def _child(connection: Connection) -> None:
    """The child's whole life: import the writer, take the one job, send back its outcome."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent decides, and stops this process
    from migrator.report.xlsx import write_xlsx_report  # openpyxl: imported while the parent copies

    try:
        fields_but_findings, copy, path = connection.recv()
    except EOFError:  # the parent went away before sending the job
        return
    try:
        with Findings.open_copy(copy) as findings:
            written = write_xlsx_report(ValidationResult(**fields_but_findings, findings=findings), path)
    except (OSError, MigratorError) as error:  # the report cannot be written: said in the parent
        connection.send(("error", error))
    except Exception:  # noqa: BLE001  (a bug: not swallowed, the parent raises it with this traceback)
        connection.send(("error", RuntimeError(f"writing the XLSX report failed:\n{traceback.format_exc()}")))
    else:
        connection.send(("written", written))
    connection.close()


def _outcome(connection: Connection, path: Path) -> Path:
    """Wait for the child's outcome: the path written, or its failure raised here."""
    try:
        kind, value = connection.recv()
    except (EOFError, OSError):
        raise MigratorError(
            f"the process writing the XLSX report {path} ended unexpectedly",
            hint="run the same command again; the HTML and JSON reports hold the same findings",
        ) from None
    if kind == "written":
        written: Path = value
        return written
    if isinstance(value, OSError):
        raise _unwritable(path, value) from value
    raise value


def _write_here(result: ValidationResult, path: Path) -> Path:
    from migrator.report.xlsx import write_xlsx_report  # openpyxl: imported only when written

    try:
        return write_xlsx_report(result, path)
    except OSError as error:
        raise _unwritable(path, error) from error


def _unwritable(path: Path, error: OSError) -> MigratorError:
    return MigratorError(
        f"could not write the XLSX report {path}: {error.strerror or error}",
        hint="check that the report folder is writable and the disk has room (--report chooses another)",
    )


def _without_findings(result: ValidationResult) -> dict[str, Any]:
    """The result's fields other than its findings (a file and a lock: not for pickling)."""
    return {f.name: getattr(result, f.name) for f in fields(result) if f.name != "findings"}
