"""Every samples/<tracker>/ folder is well-formed and its expected.yaml says what its files hold.

For each sample: expected.yaml follows the schema documented in samples/README.md; the export
files parse with the standard library (csv, json, xml, tarfile, gzip; openpyxl for the workbook);
and the facts read back from the raw files — issues, values, comments, files present and
missing, worklogs, links and parents, people, spot checks, children dated outside their issue's
lifetime — are exactly the ones expected.yaml states. Editing a sample without updating its
expected.yaml (or the other way round) fails here.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from .extract_code_hosts import github_archive, github_embedded, github_rest, gitlab_export
from .extract_jira import csv_export as jira_csv
from .extract_jira import rest_json as jira_json
from .extract_jira import xml_export as jira_xml
from .extract_planning import (
    asana_csv,
    asana_json,
    azure_devops_csv,
    clickup_csv,
    generic_workbook,
    linear_csv,
    pivotal_csv,
    trello_board,
)
from .extract_trackers import (
    bugzilla_json,
    bugzilla_xml,
    redmine_csv,
    redmine_json,
    trac_csv,
    trac_json,
    youtrack_csv,
    youtrack_json,
)
from .facts import LINK_KINDS, SAMPLES, Extractor, Facts, load_expected

EXTRACTORS: dict[str, Extractor] = {
    "jira": jira_csv,
    "github": github_embedded,
    "generic": generic_workbook,
    "jira-server-csv": jira_csv,
    "jira-cloud-csv": jira_csv,
    "jira-cloud-csv-current": jira_csv,
    "jira-xml": jira_xml,
    "jira-cloud-json": jira_json,
    "github-json": github_rest,
    "github-archive": github_archive,
    "gitlab-export": gitlab_export,
    "redmine-csv": redmine_csv,
    "redmine-json": redmine_json,
    "youtrack-csv": youtrack_csv,
    "youtrack-json": youtrack_json,
    "trello-json": trello_board,
    "asana-csv": asana_csv,
    "asana-json": asana_json,
    "linear-csv": linear_csv,
    "pivotal-csv": pivotal_csv,
    "clickup-csv": clickup_csv,
    "azure-devops-csv": azure_devops_csv,
    "bugzilla-json": bugzilla_json,
    "bugzilla-xml": bugzilla_xml,
    "trac-csv": trac_csv,
    "trac-json": trac_json,
}
FOLDERS = sorted(p.name for p in SAMPLES.iterdir() if (p / "expected.yaml").is_file())

TOP_KEYS = {
    "schema",
    "sample",
    "tracker",
    "export",
    "files",
    "attachments_dir",
    "timestamps",
    "counts",
    "values",
    "people",
    "parents",
    "links",
    "external_links",
    "missing_attachments",
    "window_exceptions",
    "issues",
}
OPTIONAL_KEYS = {"format", "extra"}
COUNT_KEYS = {
    "issues",
    "not_issues",
    "comments",
    "system_notes",
    "attachments",
    "worklogs",
    "links",
    "external_links",
}
VALUE_FIELDS = ("status", "type", "priority", "resolution")
SPOT_KEYS = {"summary", "type", "status", "assignee", "comments"}


@pytest.fixture(scope="module", params=FOLDERS)
def sample(request: pytest.FixtureRequest) -> tuple[Path, dict[str, Any], Facts]:
    folder = SAMPLES / request.param
    expected = load_expected(folder)
    assert request.param in EXTRACTORS, f"no extractor for samples/{request.param}"
    return folder, expected, EXTRACTORS[request.param](folder, expected)


def test_every_sample_folder_has_expected_yaml() -> None:
    folders = {p.name for p in SAMPLES.iterdir() if p.is_dir()}
    assert folders == set(FOLDERS)
    assert set(EXTRACTORS) == set(FOLDERS)


# ---------------------------------------------------------------------------------------------
# Schema


def test_expected_yaml_follows_the_schema(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    folder, expected, _ = sample
    assert expected["schema"] == 1 and expected["sample"] == folder.name
    assert TOP_KEYS <= set(expected) <= TOP_KEYS | OPTIONAL_KEYS, set(expected) ^ TOP_KEYS
    assert set(expected["counts"]) == COUNT_KEYS
    assert set(expected["counts"]["attachments"]) == {"present", "missing"}
    assert set(expected["counts"]["links"]) == set(LINK_KINDS)
    assert set(expected["values"]) == set(VALUE_FIELDS)
    assert set(expected["timestamps"]) == {"zone", "naive", "formats"} and expected["timestamps"]["formats"]
    for person in expected["people"]:
        assert set(person) == {"id", "name", "email", "tracker_login"}, person
    assert len({p["id"] for p in expected["people"]}) == len(expected["people"]), "people ids are unique"
    for entry in expected["parents"]:
        assert set(entry) == {"child", "parent", "kind"} and entry["kind"] in ("subtask", "epic")
    for entry in [*expected["links"], *expected["external_links"]]:
        assert set(entry) == {"from", "to", "kind"} and entry["kind"] in LINK_KINDS
    for key, spot in expected["issues"].items():
        assert set(spot) == SPOT_KEYS, key
    assert 8 <= expected["counts"]["issues"] <= 30
    for name in expected["files"]:
        assert (folder / name).is_file(), name


def test_counts_agree_with_the_lists(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    _, expected, _ = sample
    counts = expected["counts"]
    kinds = Counter(e["kind"] for e in [*expected["parents"], *expected["links"]])
    assert counts["links"] == {k: kinds.get(k, 0) for k in LINK_KINDS}
    assert counts["external_links"] == len(expected["external_links"])
    assert counts["attachments"]["missing"] == len(expected["missing_attachments"])
    for field in VALUE_FIELDS:
        assert sum(expected["values"][field].values()) <= counts["issues"]


def test_file_conventions_stated_in_expected_yaml(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    """Encoding, BOM and line endings are part of what the sample teaches: they must be true."""
    folder, expected, _ = sample
    ZoneInfo(expected["timestamps"]["zone"])
    fmt = expected.get("format", {})
    raw = (folder / expected["files"][0]).read_bytes()
    if "bom" in fmt:
        assert raw.startswith(b"\xef\xbb\xbf") == fmt["bom"]
    if "encoding" in fmt:
        raw.decode(fmt["encoding"])
    if "line_endings" in fmt:
        first_line = raw.split(b"\n", 1)[0]
        assert first_line.endswith(b"\r") == (fmt["line_endings"] == "CRLF")


def test_every_data_file_parses(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    """Not only the files the extractor reads: every JSON, NDJSON, XML and CSV file in the folder."""
    folder, expected, _ = sample
    encoding = expected.get("format", {}).get("encoding", "utf-8-sig")
    attachments = folder / expected["attachments_dir"] if expected["attachments_dir"] else None
    for path in folder.rglob("*"):
        if not path.is_file() or (attachments is not None and attachments in path.parents):
            continue
        if path.suffix == ".json":
            json.loads(path.read_bytes().decode("utf-8"))
        elif path.suffix == ".ndjson":
            assert all(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
        elif path.suffix == ".xml":
            ET.parse(path)
        elif path.suffix == ".csv":
            assert list(csv.reader(io.StringIO(path.read_bytes().decode(encoding), newline="")))


def test_sample_folders_stay_small() -> None:
    for folder in FOLDERS:
        size = sum(p.stat().st_size for p in (SAMPLES / folder).rglob("*") if p.is_file())
        assert size < 150 * 1024, f"samples/{folder} is {size} bytes"


@pytest.mark.parametrize(
    ("script", "tarball"),
    [
        ("github-archive/make_archive.py", "github-archive/migration_archive.tar.gz"),
        ("gitlab-export/make_export.py", "gitlab-export/2025-05-12_10-41-203_platform_billing_export.tar.gz"),
    ],
)
def test_committed_archives_are_what_their_scripts_build(script: str, tarball: str, tmp_path: Path) -> None:
    built = tmp_path / "built.tar.gz"
    subprocess.run([sys.executable, str(SAMPLES / script), str(built)], check=True)
    assert gzip.decompress(built.read_bytes()) == gzip.decompress((SAMPLES / tarball).read_bytes())
    assert (SAMPLES / tarball).stat().st_size < 100 * 1024


# ---------------------------------------------------------------------------------------------
# Facts read back from the raw files


def test_issues_and_values(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    _, expected, facts = sample
    assert len(facts.issues) == expected["counts"]["issues"]
    assert dict(facts.not_issues) == expected["counts"]["not_issues"]
    for field in VALUE_FIELDS:
        seen = Counter(getattr(i, field) for i in facts.issues.values() if getattr(i, field))
        assert dict(seen) == expected["values"][field], field


def test_comments_worklogs_and_system_notes(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    _, expected, facts = sample
    assert sum(len(i.comments) for i in facts.issues.values()) == expected["counts"]["comments"]
    assert sum(len(i.worklogs) for i in facts.issues.values()) == expected["counts"]["worklogs"]
    assert facts.system_notes == expected["counts"]["system_notes"]


def test_attachments_present_and_missing(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    folder, expected, facts = sample
    listed = [(key, ref) for key, issue in facts.issues.items() for ref in issue.attachments]
    missing = [{"issue": key, "name": ref.name} for key, ref in listed if not ref.present]
    assert sorted(missing, key=repr) == sorted(expected["missing_attachments"], key=repr)
    assert sum(1 for _, ref in listed if ref.present) == expected["counts"]["attachments"]["present"]
    if expected["attachments_dir"]:
        on_disk = {p.resolve() for p in (folder / expected["attachments_dir"]).rglob("*") if p.is_file()}
        listed_files = {ref.path.resolve() for _, ref in listed if ref.inline is None and ref.present}
        assert on_disk == listed_files, "every file in the attachments folder is listed by the export, once"
        assert len(listed_files) == expected["counts"]["attachments"]["present"]
    else:
        assert all(ref.inline is not None for _, ref in listed), "files on disk need attachments_dir"


def link_set(links: Iterable[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
    """Links as a set; "relates" has no direction, so its two ends are sorted."""
    return {(*sorted((f, t)), k) if k == "relates" else (f, t, k) for f, t, k in links}  # type: ignore[misc]


def test_links_and_parents(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    _, expected, facts = sample
    keys = set(facts.issues)
    inside = [(f, t, k) for f, t, k in facts.links if t in keys]
    outside = [(f, t, k) for f, t, k in facts.links if t not in keys]
    assert all(f in keys for f, _, _ in facts.links), "every link starts at an exported issue"
    assert len(link_set(inside)) == len(inside), "a link is counted once, not once per end"
    assert link_set(inside) == link_set(
        [(e["child"], e["parent"], e["kind"]) for e in expected["parents"]]
        + [(e["from"], e["to"], e["kind"]) for e in expected["links"]]
    )
    assert link_set(outside) == link_set((e["from"], e["to"], e["kind"]) for e in expected["external_links"])


def test_people_and_spot_checks(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    _, expected, facts = sample
    known = {p["id"] for p in expected["people"]}
    seen = set().union(*(i.people for i in facts.issues.values()))
    assert seen <= known, f"people missing from expected.yaml: {seen - known}"
    logins = {p["tracker_login"] for p in expected["people"]} - {None}
    assert logins <= {"alice", "bob", "carol", "dave", "admin"}, "tracker_login names a sandbox user"
    assert any(p["tracker_login"] is None for p in expected["people"]), "someone unknown to the target"
    for key, spot in expected["issues"].items():
        issue = facts.issues[key]
        actual = {
            "summary": issue.summary,
            "type": issue.type,
            "status": issue.status,
            "assignee": issue.assignee,
            "comments": len(issue.comments),
        }
        assert actual == spot, key
        assert spot["assignee"] is None or spot["assignee"] in known


def test_window_exceptions_are_the_deliberate_ones(sample: tuple[Path, dict[str, Any], Facts]) -> None:
    """Children dated outside their issue's [created, updated], and links between issues whose
    lifetimes never overlap, are exactly the ones expected.yaml lists."""
    _, expected, facts = sample
    found: list[dict[str, Any]] = []
    for key, issue in facts.issues.items():
        assert issue.created is not None and issue.updated is not None, key
        assert issue.created <= issue.updated, key
        for kind, children in (
            ("comment", issue.comments),
            ("attachment", issue.attachments),
            ("worklog", issue.worklogs),
        ):
            for child in children:
                at = child.at
                if at is None:
                    continue
                if at < issue.created or at > issue.updated:
                    where = "before created" if at < issue.created else "after updated"
                    stamp = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                    found.append({"issue": key, "kind": kind, "at": stamp, "where": where})
    for frm, to, _ in facts.links:
        if to in facts.issues:
            a, b = facts.issues[frm], facts.issues[to]
            if max(_d(a.created), _d(b.created)) > min(_d(a.updated), _d(b.updated)):
                first, second = sorted((frm, to))
                found.append(
                    {"issue": first, "kind": "link", "other": second, "where": "lifetimes do not overlap"}
                )
    assert sorted(found, key=repr) == sorted(expected["window_exceptions"], key=repr)


def _d(value: datetime | None) -> datetime:
    assert value is not None
    return value
