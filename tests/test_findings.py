import contextlib
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from migrator.findings import Finding, Findings, Severity
from migrator.model import SourceRef


def test_finding_takes_location_from_source_ref_and_renders_everything() -> None:
    findings = Findings()
    finding = findings.error(
        "date.unparsable",
        "cannot read the date",
        where=SourceRef("jira", "10001", file="issues.csv", row=7),
        key="PROJ-1",
        field="created_at",
        value="yesterday",
        hint="use the format in source.date_formats",
    )
    assert (finding.file, finding.row) == ("issues.csv", 7)
    text = finding.render()
    for part in (
        "ERROR",
        "date.unparsable",
        "issues.csv row 7",
        "PROJ-1",
        "created_at",
        "'yesterday'",
        "source.date_formats",
    ):
        assert part in text


def test_strict_turns_warnings_into_blocking() -> None:
    findings = Findings()
    findings.warning("value.defaulted", "defaulted")
    assert not findings.has_errors()
    assert findings.has_errors(strict=True)
    findings.error("x", "y")
    assert findings.has_errors()
    assert findings.counts_by_kind()[("warning", "value.defaulted")] == 1
    assert [f.severity for f in findings] == [Severity.WARNING, Severity.ERROR]


# --- the store: a small buffer in memory, the rest in a temporary file --------------------------------


def mixed(count: int) -> list[Finding]:
    """``count`` findings of three kinds and all severities, each with its own key and message."""
    severities = (Severity.INFO, Severity.ERROR, Severity.WARNING, Severity.INFO)
    kinds = ("link.dated", "source.duplicate_key", "date.unparsable")
    return [
        Finding(
            severities[n % 4], kinds[n % 3], f"message {n}", "issues.csv", n + 2, f"K-{n}", "Created", str(n)
        )
        for n in range(count)
    ]


def test_found_order_is_kept_across_the_buffer_boundary() -> None:
    expected = mixed(11)
    findings = Findings(buffer_size=3)
    for n, finding in enumerate(expected):
        findings.append(finding)
        assert list(findings) == expected[: n + 1]  # every read sees the buffer and the file alike
    assert len(findings) == 11
    assert list(Findings(expected, buffer_size=4)) == expected


def test_counts_come_from_counters_and_match_the_findings() -> None:
    expected = mixed(30)
    findings = Findings(expected, buffer_size=4)
    assert findings.count(Severity.ERROR) == sum(f.severity is Severity.ERROR for f in expected) == 8
    assert findings.counts_by_kind() == Counter((f.severity.value, f.kind) for f in expected)
    assert findings.errors == [f for f in expected if f.severity is Severity.ERROR]
    assert findings.warnings == [f for f in expected if f.severity is Severity.WARNING]
    assert findings.has_errors()
    only_info = Findings([f for f in expected if f.severity is Severity.INFO], buffer_size=2)
    assert not only_info.has_errors(strict=True) and only_info.count(Severity.ERROR) == 0


def test_queries_read_back_in_the_orders_the_reports_need() -> None:
    expected = mixed(40)
    findings = Findings(expected, buffer_size=5)
    dated = [f for f in expected if f.kind == "link.dated"]
    assert list(findings.of_kind("link.dated")) == dated
    assert list(findings.of_kind("link.dated", Severity.ERROR)) == [
        f for f in dated if f.severity is Severity.ERROR
    ]
    assert list(findings.of_kind("link.dated", limit=2)) == dated[:2]
    assert list(findings.of_kind("no.such_kind")) == []
    rank = [Severity.ERROR, Severity.WARNING, Severity.INFO]
    assert list(findings.by_severity()) == sorted(expected, key=lambda f: rank.index(f.severity))
    grouped = sorted(enumerate(expected), key=lambda p: (rank.index(p[1].severity), p[1].kind, p[0]))
    assert list(findings.grouped()) == [f for _, f in grouped]
    groups = [((f.severity, f.kind), 1) for _, f in grouped]  # one (severity, kind) per run of findings
    counted: list[tuple[tuple[Severity, str], int]] = []
    for group, n in groups:
        if counted and counted[-1][0] == group:
            counted[-1] = (group, counted[-1][1] + n)
        else:
            counted.append((group, n))
    assert findings.groups() == counted


def test_pages_longer_than_one_query_are_read_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("migrator.findings._PAGE_SIZE", 3)
    expected = mixed(20)
    findings = Findings(expected, buffer_size=2)
    assert list(findings) == expected
    assert (
        list(findings.of_kind("date.unparsable", limit=5))
        == [f for f in expected if f.kind == "date.unparsable"][:5]
    )


def test_keys_are_answered_by_kind_and_by_severity() -> None:
    findings = Findings(mixed(24), buffer_size=4)
    findings.error("source.duplicate_key", "again", key="K-1")  # a key named twice comes once
    findings.error("source.unreadable", "no key at all")
    assert findings.source_keys(kind="source.duplicate_key") == {f"K-{n}" for n in range(1, 24, 3)}
    assert findings.source_keys(severity=Severity.ERROR) == {f"K-{n}" for n in range(1, 24, 4)} | {"K-1"}
    assert findings.source_keys(kind="date.unparsable", severity=Severity.ERROR) == {"K-5", "K-17"}
    assert findings.source_keys(kind="no.such_kind") == set()


def test_findings_added_while_reading_come_after_the_read() -> None:
    findings = Findings(mixed(6), buffer_size=2)
    seen = []
    for finding in findings:
        seen.append(finding)
        findings.info("late.kind", f"added after {finding.message}")
    assert len(seen) == 6
    assert [f.message for f in findings.of_kind("late.kind")] == [
        f"added after message {n}" for n in range(6)
    ]


def test_text_sqlite_cannot_store_comes_back_unchanged() -> None:
    odd = ["bad bytes \udcff here", "Проект «Альфа»", "", "tab\tand\nnewline"]
    findings = Findings(buffer_size=1)
    for text in odd:
        findings.warning("encoding.bad", text, key=text, value=text, hint=text, file=text, field=text)
    assert [(f.message, f.key, f.value, f.hint, f.file, f.field) for f in findings] == [(t,) * 6 for t in odd]
    assert findings.source_keys(kind="encoding.bad") == set(odd)


def _open_files() -> dict[str, str]:
    links = {}
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the directory's own descriptor is gone once listed
            links[fd] = os.readlink(f"/proc/self/fd/{fd}")
    return links


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to see the open files")
def test_the_file_is_unlinked_while_open_and_closed_at_close() -> None:
    before = _open_files()
    with Findings(buffer_size=64) as findings:
        for n in range(12_000):  # more than SQLite's page cache holds: the file is written to
            findings.info("link.dated", "x" * 300, key=f"K-{n}")
        opened = {fd: target for fd, target in _open_files().items() if fd not in before}
        assert opened and all(target.endswith(" (deleted)") for target in opened.values())
        assert len(findings) == 12_000
    assert not {fd for fd in _open_files() if fd not in before}
    with pytest.raises(ValueError, match="after close"):
        list(findings)
    with pytest.raises(ValueError, match="after close"):
        findings.info("late.kind", "too late")


def test_the_report_thread_reads_while_the_main_thread_adds() -> None:
    findings = Findings(mixed(50), buffer_size=4)
    with ThreadPoolExecutor(max_workers=1) as pool:
        read = pool.submit(lambda: [f.message for f in findings.of_kind("link.dated")])
        for n in range(50):
            findings.info("late.kind", str(n))
        messages = read.result()
    assert messages == [f"message {n}" for n in range(0, 50, 3)]
    assert len(findings) == 100


def test_buffer_size_must_be_positive() -> None:
    with pytest.raises(ValueError, match="buffer_size"):
        Findings(buffer_size=0)


# --- a copy for another process ------------------------------------------------------------------------


def test_a_copy_reads_back_every_finding_in_every_order(tmp_path: Path) -> None:
    with Findings(mixed(1500), buffer_size=100) as findings:
        findings.warning("encoding.bad", "bad bytes \udcff here", key="\udcff")  # stored as bytes
        copy = findings.copy_to(tmp_path / "copy.sqlite")
        with Findings.open_copy(copy) as copied:
            assert list(copied) == list(findings)
            assert copied.counts_by_kind() == findings.counts_by_kind()
            assert list(copied.of_kind("link.dated")) == list(findings.of_kind("link.dated"))
            assert list(copied.grouped()) == list(findings.grouped())
            assert copied.source_keys(kind="encoding.bad") == {"\udcff"}
            assert copied.count(Severity.ERROR) == findings.count(Severity.ERROR) == 375


def test_a_copy_is_read_only_and_later_findings_are_not_in_it(tmp_path: Path) -> None:
    findings = Findings(mixed(10))
    copy = findings.copy_to(tmp_path / "copy.sqlite")
    findings.info("late.kind", "after the copy")
    copied = Findings.open_copy(copy)
    assert len(copied) == 10 and not list(copied.of_kind("late.kind"))
    with pytest.raises(ValueError, match="read-only copy"):
        copied.info("late.kind", "into the copy")


def test_an_empty_collection_copies_to_an_empty_file(tmp_path: Path) -> None:
    copy = Findings().copy_to(tmp_path / "copy.sqlite")
    assert copy.path.is_file()
    with Findings.open_copy(copy) as copied:
        assert (len(copied), list(copied), list(copied.of_kind("any.kind"))) == (0, [], [])
