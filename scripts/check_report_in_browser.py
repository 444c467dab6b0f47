#!/usr/bin/env python3
"""Render a demo validation report in headless Chromium: screenshot it and check the findings filters.

    apt-get install -y chromium          # once, as root
    python scripts/check_report_in_browser.py [--screenshot docs/report-screenshot.png] [--big 200000]

What it does, all offline (file:// URLs, network disabled, host resolution blackholed):

1. writes a demo report (a Jira migration with blocking errors, hostile source values, Cyrillic, ...)
   and takes a 1400x1800 screenshot of it;
2. loads it with ``--dump-dom`` under URL fragments / queries that preselect filters
   (``#severity=error&q=alice``, ``#kind=...``, ``?severity=warning``) and checks that the DOM the
   page's script produced holds exactly the matching rows, and that no injected element exists;
3. fails on any console error or Content-Security-Policy violation Chromium reports;
4. with ``--big N`` also writes a report with N findings, checks a filtered load of it and prints
   its size and load time (printed, not asserted).

Exit status 0 when every check passed; each check prints one line.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from migrator.findings import Finding, Severity
from migrator.report.html import write_html_report
from migrator.results import Estimate, UserRow, ValidationResult, ValueCoverageRow

REPO = Path(__file__).resolve().parent.parent
PAGE_SIZE = 100
SEARCHED = ("file", "key", "field", "value", "message")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # nothing can reach the network even if it tried
    "--enable-logging=stderr",
    "--v=0",
]
CONSOLE_PROBLEMS = ("Uncaught", "Refused to", "Content Security Policy", "ERR_NAME_NOT_RESOLVED")


# --- demo data --------------------------------------------------------------------------------------


def _coverage(
    field_name: str, rows: list[tuple[str, str | None, int]], how: dict[str, str]
) -> list[ValueCoverageRow]:
    return [
        ValueCoverageRow(field_name, src, dst, how.get(src, "mapped" if dst else "unmapped"), n)
        for src, dst, n in rows
    ]


def demo_result(extra_findings: int = 0) -> ValidationResult:
    """A realistic Jira → Tracker dry run with a few blocking errors and some hostile values."""
    types = [
        ("Bug", "bug", 512),
        ("Task", "task", 403),
        ("Story", "story", 188),
        ("Sub-task", "task", 92),
        ("Epic", "epic", 31),
        ("Improvement", "improvement", 14),
    ]
    statuses = [
        ("Open", "open", 301),
        ("To Do", "open", 215),
        ("In Progress", "inProgress", 164),
        ("In Review", "inProgress", 58),
        ("Resolved", "resolved", 120),
        ("Done", "closed", 352),
        ("Closed", "closed", 16),
        ("Won't Fix", None, 14),
    ]
    priorities = [
        ("Highest", "blocker", 22),
        ("High", "critical", 181),
        ("Medium", "normal", 790),
        ("Low", "minor", 221),
        ("Lowest", "trivial", 18),
        ("<script>alert(1)</script>", "normal", 8),
    ]
    resolutions = [
        ("Fixed", "fixed", 402),
        ("Duplicate", "duplicate", 37),
        ("Won't Do", "wontFix", 41),
        ("Cannot Reproduce", "cantReproduce", 8),
    ]
    coverage = (
        _coverage("type", types, {"Sub-task": "default", "Improvement": "mapped"})
        + _coverage("status", statuses, {})
        + _coverage("priority", priorities, {"<script>alert(1)</script>": "default"})
        + _coverage("resolution", resolutions, {})
    )
    users = [
        UserRow(
            "alice",
            "alice",
            "email",
            "e-mail alice@example.com matches Tracker user alice",
            812,
            "alice@example.com",
            "Alice Smith",
        ),
        UserRow(
            "bob.jones", "bob", "explicit", "users.map: bob.jones → bob", 455, "bob@example.com", "Bob Jones"
        ),
        UserRow(
            "Иван Петров",
            "ivan.petrov",
            "name",
            "display name matches Tracker user ivan.petrov",
            230,
            None,
            "Иван Петров",
        ),
        UserRow("carol", "carol", "login", "login carol exists in Tracker", 198, None, "Carol White"),
        UserRow(
            "jira-bot",
            "robot-migration",
            "fallback",
            "no Tracker user; users.fallback is robot-migration",
            164,
            "jira-bot@example.com",
            "Jira Automation",
        ),
        UserRow(
            "former.employee",
            None,
            "unresolved",
            "no Tracker user with this login, e-mail or name",
            37,
            "former.employee@example.com",
            "Dave Former",
        ),
        UserRow('<img src=x onerror="alert(2)">', None, "unresolved", "no Tracker user matches", 2),
    ]
    findings = _demo_findings() + _synthetic_findings(extra_findings)
    return ValidationResult(
        generated_at="2024-05-14T09:30:12.000+0000",
        mapping="mappings/jira-csv.yaml",
        sources=["exports/jira-2024-05-13.csv"],
        target="https://api.tracker.yandex.net (org 7654321)",
        queue="DEMO",
        namespace="jira-demo",
        strict=False,
        counts={
            "issues": 1240,
            "comments": 5310,
            "attachments": 884,
            "attachment_bytes": 2_471_023_411,
            "links": 1022,
            "worklogs": 640,
        },
        distributions={"type": types, "status": statuses, "priority": priorities, "resolution": resolutions},
        value_coverage=coverage,
        users=users,
        findings=findings,
        estimate=Estimate(
            api_calls=9_118,
            calls_by_kind={
                "issues": 1240,
                "comments": 5310,
                "attachments": 884,
                "links": 1022,
                "worklogs": 640,
                "lookups": 22,
            },
            rate_rps=5.0,
            seconds=1_823.6,
        ),
        extra={"encoding": "utf-8", "timezone": "Europe/Berlin", "skipped_columns": ["Sprint", "Rank"]},
    )


def _demo_findings() -> list[Finding]:
    e, w, i = Severity.ERROR, Severity.WARNING, Severity.INFO
    src = "jira-2024-05-13.csv"
    found = [
        Finding(
            e,
            "status.unmapped",
            'Status "Won\'t Fix" has no mapping',
            src,
            14 + n * 7,
            f"DEMO-{101 + n}",
            "Status",
            "Won't Fix",
            "add it under values.status.map",
        )
        for n in range(14)
    ]
    found += [
        Finding(
            e,
            "attachment.missing_file",
            "Attachment file not found in the attachment directory",
            src,
            233,
            "DEMO-318",
            "Attachment",
            "attachments/10233/screenshot (alice).png",
            "copy the file or drop the column",
        ),
        Finding(
            e,
            "user.unresolved",
            "Assignee former.employee is not a Tracker user",
            src,
            412,
            "DEMO-377",
            "Assignee",
            "former.employee",
            "map the user under users.map or set users.fallback",
        ),
        Finding(
            w,
            "date.ambiguous",
            "'03/04/23 10:00 AM' reads as 3 April and 4 March",
            src,
            57,
            "DEMO-120",
            "Created",
            "03/04/23 10:00 AM",
            "list a single date format first in date_formats",
        ),
        Finding(
            w,
            "attachment.name_too_long",
            "File name longer than 255 characters is shortened",
            src,
            90,
            "DEMO-144",
            "Attachment",
            "x" * 300,
            None,
        ),
        Finding(
            w,
            "value.formula_like",
            "Value looks like a spreadsheet formula",
            src,
            61,
            "DEMO-122",
            "Summary",
            '=HYPERLINK("http://evil.example","click")',
            None,
        ),
        Finding(
            w,
            "user.fallback",
            "Reporter jira-bot mapped to the fallback user",
            src,
            5,
            "DEMO-102",
            "Reporter",
            "jira-bot",
            None,
        ),
        Finding(
            w,
            "markup.unsupported",
            "Jira macro {{panel}} has no Tracker equivalent</textarea>",
            src,
            78,
            "DEMO-131",
            "Description",
            "{panel:title=<b>Note</b>}",
            "it is kept as plain text",
        ),
        Finding(
            i,
            "user.name_match",
            "Иван Петров matched by display name only",
            src,
            12,
            "DEMO-104",
            "Assignee",
            "Иван Петров",
            "confirm or add an explicit users.map entry",
        ),
        Finding(
            i,
            "type.default",
            "Issue type Sub-task uses the default type task",
            None,
            None,
            None,
            "Issue Type",
            "Sub-task",
            None,
        ),
    ]
    return found


def _synthetic_findings(count: int) -> list[Finding]:
    severities = (Severity.ERROR, Severity.WARNING, Severity.INFO)
    kinds = (
        "date.unparsable",
        "attachment.missing_file",
        "user.unresolved",
        "link.target_missing",
        "field.too_long",
    )
    people = ("alice", "bob", "carol", "иван", "dave")
    return [
        Finding(
            severities[n % 3],
            kinds[n % len(kinds)],
            f"synthetic finding {n} about {people[n % len(people)]}",
            "big-export.csv",
            n + 2,
            f"BIG-{n}",
            "Created",
            f"value {n}",
            "a hint that repeats on every finding of this kind",
        )
        for n in range(count)
    ]


# --- reading the dumped DOM -------------------------------------------------------------------------


@dataclass
class Row:
    attrs: dict[str, str | None]
    text: list[str] = field(default_factory=list)


class DomReader(HTMLParser):
    """Collects the findings table rows, its data-* state, every <script> and any on* handler."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[Row] = []
        self.table: dict[str, str | None] = {}
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[tuple[str, str]] = []
        self.status: list[str] = []
        self._in_body = False
        self._in_status = False
        self._row: Row | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.handlers += [(tag, name) for name, _ in attrs if name.startswith("on")]
        if tag == "script":
            self.scripts.append(attributes)
        elif tag == "table" and attributes.get("id") == "findings-table":
            self.table = attributes
        elif tag == "tbody" and attributes.get("id") == "findings-body":
            self._in_body = True
        elif tag == "p" and attributes.get("id") == "findings-status":
            self._in_status = True
        elif tag == "tr" and self._in_body:
            self._row = Row(attributes)
            self.rows.append(self._row)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "tr":
            self._row = None
        elif tag == "p":
            self._in_status = False

    def handle_data(self, data: str) -> None:
        if self._row is not None:
            self._row.text.append(data)
        if self._in_status:
            self.status.append(data)


def check(condition: bool, problem: str) -> None:
    """Fail the run with ``problem`` (not ``assert``: the checks must also run under ``python -O``)."""
    if not condition:
        raise SystemExit(f"FAILED: {problem}")


# --- Chromium ---------------------------------------------------------------------------------------


def find_chromium(explicit: str | None) -> str:
    for name in filter(None, (explicit, "chromium", "chromium-browser", "google-chrome")):
        path = shutil.which(name)
        if path:
            return path
    raise SystemExit("Chromium not found: apt-get install -y chromium (or pass --chromium PATH)")


def run_chromium(chromium: str, profile: Path, url: str, *extra: str) -> subprocess.CompletedProcess[str]:
    command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
    if done.returncode != 0:
        raise SystemExit(f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done


def console_problems(stderr: str) -> list[str]:
    return [
        line for line in stderr.splitlines() if "CONSOLE" in line and any(p in line for p in CONSOLE_PROBLEMS)
    ]


def dump_dom(chromium: str, profile: Path, url: str) -> DomReader:
    done = run_chromium(chromium, profile, url, "--dump-dom", "--virtual-time-budget=5000")
    problems = console_problems(done.stderr)
    if problems:
        raise SystemExit("browser console reported problems:\n" + "\n".join(problems))
    reader = DomReader()
    reader.feed(done.stdout)
    reader.close()
    return reader


# --- checks -----------------------------------------------------------------------------------------


def expected(
    findings: list[Finding], severity: str | None = None, kind: str | None = None, q: str = ""
) -> list[Finding]:
    words = q.lower().split()
    matching = []
    for f in findings:
        text = "\n".join(str(getattr(f, name)) for name in SEARCHED if getattr(f, name) is not None).lower()
        if severity and f.severity.value != severity:
            continue
        if kind and f.kind != kind:
            continue
        if all(word in text for word in words):
            matching.append(f)
    return matching


def check_filter(
    chromium: str, profile: Path, report: Path, suffix: str, want: list[Finding], must_contain: str = ""
) -> None:
    dom = dump_dom(chromium, profile, report.as_uri() + suffix)
    check(dom.table.get("data-ready") == "true", f"{suffix}: the findings table was not rendered")
    check(
        dom.table.get("data-matching") == str(len(want)),
        f"{suffix}: page says {dom.table.get('data-matching')} matching, expected {len(want)}",
    )
    rows = [row for row in dom.rows if row.attrs.get("data-severity")]
    check(len(rows) == min(len(want), PAGE_SIZE), f"{suffix}: {len(rows)} rows shown, expected {len(want)}")
    allowed = {(f.severity.value, f.kind) for f in want}
    for row in rows:
        check(
            (row.attrs["data-severity"], row.attrs["data-kind"]) in allowed, f"{suffix}: unexpected row {row}"
        )
        check(
            must_contain.lower() in "".join(row.text).lower(),
            f"{suffix}: row without {must_contain!r}: {row}",
        )
    check(not dom.handlers, f"{suffix}: injected event handlers {dom.handlers}")
    check(len(dom.scripts) == 2, f"{suffix}: unexpected <script> elements {dom.scripts}")
    print(f"ok  {suffix or '(no filter)':45} {len(rows):>4} rows shown, {len(want):,} matching")


def check_page(chromium: str, profile: Path, report: Path, findings: list[Finding], kind: str) -> None:
    """``#kind=...&page=3&size=500`` shows the third page of 500 of that kind, errors first, as the data is."""
    suffix = f"#kind={kind}&page=3&size=500"
    want = sorted(expected(findings, kind=kind), key=lambda f: list(Severity).index(f.severity))
    dom = dump_dom(chromium, profile, report.as_uri() + suffix)
    rows = [row for row in dom.rows if row.attrs.get("data-severity")]
    check(dom.table.get("data-page") == "3", f"{suffix}: on page {dom.table.get('data-page')}")
    check(len(rows) == min(500, max(0, len(want) - 1000)), f"{suffix}: {len(rows)} rows shown")
    for finding, row in zip(want[1000:1500], rows, strict=True):
        check(finding.message in "".join(row.text), f"{suffix}: expected {finding.message!r} in {row}")
    status = " ".join("".join(dom.status).split())
    check(f"Showing 1,001–1,500 of {len(want):,}" in status, f"{suffix}: status line {status!r}")
    print(f"ok  {suffix:45} {len(rows):>4} rows shown: findings 1,001–1,500 of {len(want):,}")


def check_demo(chromium: str, work: Path, screenshot: Path) -> None:
    result = demo_result()
    report = write_html_report(result, work / "demo.html")
    profile = work / "profile"
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    done = run_chromium(
        chromium, profile, report.as_uri(), f"--screenshot={screenshot}", "--window-size=1400,1800"
    )
    check(screenshot.exists() and screenshot.stat().st_size > 10_000, "no screenshot was written")
    check(not console_problems(done.stderr), f"browser console: {console_problems(done.stderr)}")
    print(f"ok  screenshot {screenshot} ({screenshot.stat().st_size:,} bytes)")
    findings = result.findings
    check_filter(chromium, profile, report, "", findings)
    check_filter(
        chromium, profile, report, "#severity=error&q=alice", expected(findings, "error", q="alice"), "alice"
    )
    check_filter(
        chromium,
        profile,
        report,
        "#kind=attachment.name_too_long",
        expected(findings, kind="attachment.name_too_long"),
    )
    check_filter(chromium, profile, report, "?severity=warning", expected(findings, "warning"))
    check_filter(
        chromium, profile, report, "#q=" + "%D0%B8%D0%B2%D0%B0%D0%BD", expected(findings, q="иван"), "иван"
    )
    check_filter(chromium, profile, report, "#q=nothing-matches-this", [])


def check_big(chromium: str, work: Path, count: int) -> None:
    result = demo_result(extra_findings=count)
    started = time.perf_counter()
    report = write_html_report(result, work / "big.html")
    written = time.perf_counter() - started
    size = report.stat().st_size / 1_000_000
    profile = work / "profile"
    started = time.perf_counter()
    run_chromium(
        chromium, profile, report.as_uri(), f"--screenshot={work / 'big.png'}", "--window-size=1400,1800"
    )
    opened = time.perf_counter() - started
    print(
        f"ok  big report: {len(result.findings):,} findings, {size:.1f} MB, written in {written:.1f} s, "
        f"opened and painted by Chromium in {opened:.1f} s (browser start included)"
    )
    want = expected(result.findings, "error", q="alice")
    check_filter(chromium, profile, report, "#severity=error&q=alice", want, "alice")
    check_page(chromium, profile, report, result.findings, "user.unresolved")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--screenshot", type=Path, default=REPO / "docs" / "report-screenshot.png")
    parser.add_argument("--big", type=int, default=200_000, help="findings in the big-report check (0: skip)")
    parser.add_argument("--chromium", help="browser binary (default: chromium on PATH)")
    parser.add_argument("--keep", type=Path, help="write the reports here instead of a temporary folder")
    args = parser.parse_args(argv)
    chromium = find_chromium(args.chromium)
    with tempfile.TemporaryDirectory(prefix="migrator-report-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        check_demo(chromium, work, args.screenshot)
        if args.big:
            check_big(chromium, work, args.big)
    print("all browser checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
