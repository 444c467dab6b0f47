"""The Bugzilla adapter read through its presets: REST JSON answers told apart by content, comment
0 as the description, people with real names, four kinds of links, XML attachments decoded."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest

from migrator.findings import Findings, Severity
from migrator.mapping.config import load_mapping
from migrator.model import Issue

from ..sources_helpers import of_kind, read_all

ROOT = Path(__file__).resolve().parents[3]
JSON_EXPORT = ROOT / "tests" / "fixtures" / "adapters" / "bugzilla"

XML = """<?xml version="1.0" encoding="UTF-8" standalone="yes" ?>
<!DOCTYPE bugzilla SYSTEM "https://bugs.app.example/page.cgi?id=bugzilla.dtd">
<bugzilla version="5.0.4" urlbase="https://bugs.app.example/" maintainer="admin@app.example">
  <bug>
    <bug_id>101</bug_id>
    <creation_ts>2025-01-01 11:00:00 +0100</creation_ts>
    <short_desc>Crash on start</short_desc>
    <delta_ts>2025-01-03 11:00 +0100</delta_ts>
    <bug_status>RESOLVED</bug_status>
    <resolution>DUPLICATE</resolution>
    <dup_id>102</dup_id>
    <see_also>https://bugs.app.example/show_bug.cgi?id=102</see_also>
    <see_also>https://bugs.other.example/show_bug.cgi?id=102</see_also>
    <keywords>crash, regression</keywords>
    <priority>P2</priority>
    <bug_severity>critical</bug_severity>
    <reporter name="Ann Admin">ann@example.com</reporter>
    <assigned_to name="Nobody">nobody@app.example</assigned_to>
    <cc>ben@example.com</cc>
    <long_desc isprivate="0">
      <commentid>1</commentid><comment_count>0</comment_count>
      <who name="Ann Admin">ann@example.com</who><bug_when>2025-01-01 11:00:00 +0100</bug_when>
      <thetext>It crashes &amp; burns.</thetext>
    </long_desc>
    <long_desc isprivate="1">
      <commentid>2</commentid><comment_count>1</comment_count><attachid>7</attachid>
      <who name="Ann Admin">ann@example.com</who><bug_when>2025-01-01 12:00:00 +0100</bug_when>
      <thetext>Created attachment 7</thetext>
    </long_desc>
    <attachment isobsolete="0" ispatch="0" isprivate="0">
      <attachid>7</attachid><date>2025-01-01 12:00:00 +0100</date><desc>backtrace</desc>
      <filename>../bt.txt</filename><type>text/plain</type><size>10</size>
      <attacher name="Ann Admin">ann@example.com</attacher>
      <data encoding="base64">{data}</data>
    </attachment>
    <attachment isobsolete="1" ispatch="0" isprivate="0">
      <attachid>8</attachid><date>2025-01-01 12:05:00 +0100</date><desc>deleted</desc>
      <filename>old.png</filename><type>image/png</type><size>0</size>
      <attacher name="Ann Admin">ann@example.com</attacher>
      <data encoding="base64"></data>
    </attachment>
  </bug>
  <bug>
    <bug_id>102</bug_id>
    <creation_ts>2025-01-02 11:00:00 +0100</creation_ts>
    <short_desc>Crash when config missing</short_desc>
    <delta_ts>2025-01-04 11:00:00 +0100</delta_ts>
    <bug_status>NEW</bug_status>
    <resolution></resolution>
    <dependson>101</dependson>
    <reporter name="Ben B">ben@example.com</reporter>
    <assigned_to>ann@example.com</assigned_to>
  </bug>
  <bug error="NotPermitted">
    <bug_id>103</bug_id>
  </bug>
</bugzilla>
""".replace("{data}", base64.b64encode(b"#0 main()\n").decode())


def _json(*paths: Path) -> tuple[dict[str, Issue], Findings]:
    issues, findings = read_all(load_mapping(ROOT / "mappings" / "bugzilla-json.yaml"), *paths)
    return {i.key or "": i for i in issues}, findings


def _xml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, Issue], Findings]:
    monkeypatch.chdir(tmp_path)  # the decoded attachments go to .migrator/archives here
    path = tmp_path / "show_bug.xml"
    if not path.exists():
        path.write_text(XML, encoding="utf-8")
    issues, findings = read_all(load_mapping(ROOT / "mappings" / "bugzilla-xml.yaml"), path)
    return {i.key or "": i for i in issues}, findings


def test_json_answers_are_told_apart_by_content(tmp_path: Path) -> None:
    folder = tmp_path / "renamed"
    shutil.copytree(JSON_EXPORT, folder)
    (folder / "bug.json").rename(folder / "bug_page1.json")
    issues, _ = _json(folder)
    crash = issues["101"]
    assert crash.description == "It crashes."  # comment 0
    assert [(c.source.id, c.text.split()[0]) for c in crash.comments] == [("2", "Created"), ("3", "***")]


def test_people_placeholders_and_fields() -> None:
    issues, _ = _json(JSON_EXPORT)
    crash, config = issues["101"], issues["102"]
    assert (crash.created_by.name, crash.created_by.email, crash.created_by.display) == (
        "ann@example.com",
        "ann@example.com",
        "Ann Admin",
    )
    assert crash.assignee is None  # nobody@… is Bugzilla's "unassigned"
    assert [u.display for u in crash.followers] == ["Ben B"]
    assert (crash.priority, config.priority) == ("P2", None)  # "--" is no priority
    assert (crash.fix_versions, config.fix_versions, config.affected_versions) == ([], ["2.0"], [])
    assert crash.original_estimation is None and config.original_estimation is not None
    assert config.original_estimation.total_seconds() == 2.5 * 3600
    assert crash.tags == ["crash"] and crash.components == ["Core"]


def test_links_from_four_fields_and_see_also_inside_the_export() -> None:
    issues, _ = _json(JSON_EXPORT)
    assert sorted((link.to_key, link.relationship) for link in issues["101"].links) == [
        ("102", "duplicate_of"),
        ("102", "see_also"),
        ("https://github.com/acme/app/issues/5", "see_also"),
    ]
    assert [(link.to_key, link.relationship) for link in issues["102"].links] == [("101", "depends_on")]


def test_attachments_keep_the_comment_that_announced_them() -> None:
    issues, _ = _json(JSON_EXPORT)
    (announce, _) = issues["101"].comments
    (trace,) = announce.attachments
    assert (trace.filename, trace.size) == ("bt.txt", 10)
    assert Path(trace.location) == JSON_EXPORT / "attachments" / "7" / "bt.txt"  # attachments/<id>/<name>


def test_no_comments_answer_is_reported(tmp_path: Path) -> None:
    shutil.copytree(JSON_EXPORT, tmp_path / "export")
    (tmp_path / "export" / "comments.json").unlink()
    issues, findings = _json(tmp_path / "export")
    assert issues["101"].description is None
    (note,) = of_kind(findings, "bugzilla.no_comments")
    assert note.severity == Severity.WARNING


def test_xml_reads_the_same_record_and_decodes_attachments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    issues, findings = _xml(tmp_path, monkeypatch)
    crash = issues["101"]
    assert crash.description == "It crashes & burns."
    assert crash.assignee is None and crash.created_by.display == "Ann Admin"
    assert crash.tags == ["crash", "regression"]
    assert (
        str(crash.created_at) == "2025-01-01 10:00:00+00:00"
        and str(crash.updated_at) == "2025-01-03 10:00:00+00:00"
    )
    (announce,) = crash.comments
    (trace,) = announce.attachments
    assert trace.filename == "bt.txt"  # a path in the name is dropped
    assert Path(trace.location).read_bytes() == b"#0 main()\n"
    deleted = [a for a in crash.attachments if a.filename == "old.png"]
    assert deleted and not Path(deleted[0].location).exists()  # no content: the file is missing
    assert sorted((link.to_key, link.relationship) for link in crash.links) == [
        ("102", "duplicate_of"),
        ("102", "see_also"),  # urlbase names this Bugzilla
        ("https://bugs.other.example/show_bug.cgi?id=102", "see_also"),  # another one, same number
    ]
    assert [(link.to_key, link.relationship) for link in issues["102"].links] == [("101", "depends_on")]
    assert not of_kind(findings, "bugzilla.attachment_undecodable")
    assert sorted(issues) == ["101", "102"]
    (refused,) = of_kind(findings, "bugzilla.bug_error")  # <bug error="NotPermitted">: reported, skipped
    assert (refused.severity, refused.value) == (Severity.WARNING, "103")


def test_xml_attachments_are_written_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    issues, _ = _xml(tmp_path, monkeypatch)
    (trace,) = issues["101"].comments[0].attachments
    written = Path(trace.location).stat().st_mtime_ns
    again, _ = _xml(tmp_path, monkeypatch)
    assert again["101"].comments[0].attachments[0].location == trace.location
    assert Path(trace.location).stat().st_mtime_ns == written


def test_json_see_also_of_two_hosts_with_exported_ids_stays_urls(tmp_path: Path) -> None:
    shutil.copytree(JSON_EXPORT, tmp_path / "export")
    bug = tmp_path / "export" / "bug.json"
    bug.write_text(
        bug.read_text(encoding="utf-8").replace(
            '"https://github.com/acme/app/issues/5"', '"https://bugs.other.example/show_bug.cgi?id=101"'
        ),
        encoding="utf-8",
    )
    issues, findings = _json(tmp_path / "export")
    assert ("102", "see_also") not in {(link.to_key, link.relationship) for link in issues["101"].links}
    (note,) = of_kind(findings, "bugzilla.see_also_ambiguous")
    assert note.severity == Severity.WARNING
