"""XML exports: Jira's XML/RSS export and Bugzilla's XML, streamed; entities refused; characters
XML forbids removed with a finding."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.sources.xml_reader import read_xml

from .sources_helpers import make_config, of_kind, read_all

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sources"
RFC822 = "%a, %d %b %Y %H:%M:%S %z"

JIRA_FIELDS = {
    "id": "key.@id",
    "key": "key",
    "summary": "summary",
    "description": "description",
    "type": "type",
    "status": "status",
    "resolution": "resolution",
    "created_at": "created",
    "created_by": "reporter.@username",
    "updated_at": "updated",
    "assignee": "assignee.@username",
    "parent": "parent",
    "tags": "labels.label[]",
    "original_estimation": "timeoriginalestimate.@seconds",
    "story_points": "customfields.customfield[customfieldname=Story Points].customfieldvalues.customfieldvalue",
}
JIRA_SOURCE = {
    "format": "xml",
    "date_formats": [RFC822],
    "parent_ref": "key",
    "issues": {
        "records": "rss.channel.item",
        "fields": JIRA_FIELDS,
        "custom": {
            "epic": {
                "column": "customfields.customfield[@key=com.pyxis.greenhopper.jira:gh-epic-link]"
                ".customfieldvalues.customfieldvalue"
            }
        },
    },
    "comments": {
        "path": "comments.comment",
        "fields": {"id": "@id", "author": "@author", "created_at": "@created", "text": "#text"},
    },
    "attachments": {
        "path": "attachments.attachment",
        "fields": {
            "id": "@id",
            "filename": "@name",
            "size": "@size",
            "author": "@author",
            "created_at": "@created",
        },
    },
    "links": {
        "path": "issuelinks.issuelinktype[name=Blocks].outwardlinks.issuelink",
        "fields": {"to": "issuekey", "relationship": {"column": "issuekey.@id", "default": "blocks"}},
    },
}


def _jira(tmp_path: Path) -> tuple[list, object]:  # type: ignore[type-arg]
    path = shutil.copy(FIXTURES / "jira_search.xml", tmp_path / "SearchRequest.xml")
    config = make_config(tmp_path, JIRA_SOURCE, fields=JIRA_FIELDS)
    return read_all(config, Path(path))  # type: ignore[return-value]


def test_jira_xml_items_become_issues_with_attributes_and_repeated_elements(tmp_path: Path) -> None:
    issues, _ = _jira(tmp_path)
    assert [(i.key, i.source.id, i.source.row) for i in issues] == [
        ("WEB-3", "30012", 1),
        ("WEB-2", "30011", 2),
        ("WEB-1", "30010", 3),
    ]
    web3, web2, _web1 = issues
    assert web3.summary == "Checkout button misaligned on Safari"
    assert web3.description == "<p>The button overlaps the total.</p>"  # the export's HTML, unescaped once
    assert web3.created_at == datetime(2025, 1, 14, 8, 30, tzinfo=UTC)
    assert (web3.created_by.name, web3.assignee.name if web3.assignee else None) == ("mreyes", "-1")
    assert web3.parent_key == "WEB-1" and web3.tags == ["safari", "checkout"]
    assert web3.original_estimation == timedelta(hours=4) and web3.story_points == 3.0
    assert web3.custom == {"epic": ["WEB-1"]}
    assert [(a.filename, a.size, a.source.id) for a in web3.attachments] == [
        ("safari-17.png", 48211, "70001")
    ]
    assert [(c.source.id, c.author.name, c.text) for c in web2.comments] == [
        ("50090", "jdoe", "<p>Draft sent to legal.</p>"),
        ("50091", "mreyes", "<p>Approved &amp; published.</p>"),
    ]
    assert [link.to_key for link in web2.links] == ["WEB-3", "LEGAL-7"]
    assert web2.tags == []


def test_characters_xml_forbids_are_removed_with_a_finding_naming_the_field(tmp_path: Path) -> None:
    issues, findings = _jira(tmp_path)
    assert issues[0].comments[0].text == "<p>Reproduced on 17.2; the log shows ESC here:[0m and x</p>"
    (note,) = of_kind(findings, "xml.invalid_char")  # type: ignore[arg-type]
    assert (note.severity, note.key, note.row, note.field) == (
        Severity.WARNING,
        "WEB-3",
        1,
        "comments.comment.#text",
    )


def test_bugzilla_xml_with_a_doctype_reads_long_desc_and_attachments(tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "bugzilla_bugs.xml", tmp_path / "show_bug.xml")
    fields = {
        "id": "bug_id",
        "summary": "short_desc",
        "created_at": "creation_ts",
        "created_by": "reporter",
        "status": "bug_status",
        "resolution": "resolution",
        "assignee": "assigned_to",
        "components": "component",
    }
    source = {
        "format": "xml",
        "date_formats": ["%Y-%m-%d %H:%M:%S %z"],
        "issues": {"records": "bugzilla.bug", "fields": fields},
        "comments": {
            "path": "long_desc",
            "fields": {"id": "commentid", "author": "who", "created_at": "bug_when", "text": "thetext"},
        },
        "attachments": {
            "path": "attachment",
            "fields": {"id": "attachid", "filename": "filename", "size": "size", "author": "attacher"},
        },
        "links": {
            "path": "dependson",
            "fields": {"to": "#text", "relationship": {"column": "x", "default": "depends on"}},
        },
    }
    config = make_config(tmp_path, source, fields={**fields, "key": "bug_id"})
    (crash, typo), findings = read_all(config, Path(path))
    assert (crash.key, crash.status, crash.resolution, crash.components) == (
        "4101",
        "RESOLVED",
        "FIXED",
        ["Core"],
    )
    assert (crash.created_by.name, crash.created_by.display) == ("olga@example.org", None)
    assert [c.source.id for c in crash.comments] == ["9001", "9002"]
    assert crash.comments[0].text.startswith("Steps:\n1. Empty the queue")
    assert [(a.filename, a.size, a.author.name if a.author else None) for a in crash.attachments] == [
        ("spool-null.patch", 34, "sam@example.org")
    ]
    assert [link.to_key for link in crash.links] == ["4099", "4100"]
    assert (
        typo.resolution is None
        and typo.comments[0].text == '"Drucken" is spelt "Druken" & the button is cut off.'
    )
    assert not findings.errors


def test_entity_declarations_are_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        "<r><item>&b;</item></r>",
        encoding="utf-8",
    )
    with pytest.raises(MigratorError, match="bomb.xml: the XML declares entities"):
        list(read_xml(bomb, records="r.item"))
    external = tmp_path / "external.xml"
    external.write_text(
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/hostname">]><r><item>&x;</item></r>'
    )
    with pytest.raises(MigratorError, match="declares entities"):
        list(read_xml(external, records="r.item"))


def test_a_records_path_that_matches_nothing_lists_the_elements_found(tmp_path: Path) -> None:
    path = shutil.copy(FIXTURES / "jira_search.xml", tmp_path / "SearchRequest.xml")
    with pytest.raises(MigratorError) as err:
        list(read_xml(Path(path), records="rss.channel.items"))
    assert "no element at the path 'rss.channel.items'" in str(err.value)
    assert "rss.channel.item" in str(err.value)
    with pytest.raises(MigratorError, match="needs source.\\*.records"):
        list(read_xml(Path(path), records=None))


def test_broken_xml_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_text("<rss><channel><item><key>A-1</key></item>\n<item><key>A-2</ke", encoding="utf-8")
    records = read_xml(path, records="rss.channel.item")
    assert next(records).get("key") == "A-1"  # streamed: the first record comes before the damage is seen
    with pytest.raises(MigratorError, match=r"cut.xml: not well-formed XML at line 2, column \d+"):
        list(records)


def test_records_are_removed_from_the_tree_as_they_are_streamed(tmp_path: Path) -> None:
    """Memory stays flat: a record element is detached once converted (hundreds of MB exports)."""
    path = tmp_path / "many.xml"
    path.write_text("<r>" + "".join(f"<i><n>{n}</n><t>{'x' * 100}</t></i>" for n in range(2000)) + "</r>")
    seen = [record.get("n") for record in read_xml(path, records="r.i")]
    assert seen == [str(n) for n in range(2000)]


def test_a_forbidden_character_reference_split_across_reads_is_still_caught(tmp_path: Path) -> None:
    body = "y" * (65536 - len("<r><i><t>") - 3)
    path = tmp_path / "split.xml"
    path.write_bytes(f"<r><i><t>{body}&#x1b;z</t></i></r>".encode())
    (record,) = read_xml(path, records="r.i")
    assert record.get("t") == body + "z"
    assert [n.kind for n in record.notes] == ["xml.invalid_char"]
