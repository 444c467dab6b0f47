"""What adapters share: JSON pages back to back, NDJSON lines, links in Markdown, and the
companion files an adapter declares (read, never taken for issues, extracted with them)."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.limits import Limits
from migrator.mapping.config import load_mapping
from migrator.sources.adapters.documents import JsonLoader, named, ndjson_records
from migrator.sources.adapters.text_links import TextLink, text_links
from migrator.sources.inputs import SourceFile, resolve_sources
from migrator.sources.spec import ArchiveSpec

from ..sources_helpers import read_all

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "adapters"


def _file(path: Path) -> SourceFile:
    return SourceFile(path.name, path)


def _loader(**limits: float) -> JsonLoader:
    return JsonLoader("auto", Limits().with_values(limits), "export it again")


def test_json_pages_back_to_back_and_search_results(tmp_path: Path) -> None:
    path = tmp_path / "issues.json"
    path.write_text('[{"n": 1}]\n[{"n": 2}, 3]\n{"total_count": 1, "items": [{"n": 4}]}', encoding="utf-8")
    assert len(_loader().documents(_file(path))) == 3
    assert [o["n"] for o in _loader().objects(_file(path), items_key="items")] == [1, 2, 4]


def test_broken_json_names_the_file_and_place(tmp_path: Path) -> None:
    path = tmp_path / "comments.json"
    path.write_text('[{"n": 1}]\n[{"n": ', encoding="utf-8")
    with pytest.raises(MigratorError, match=r"comments\.json: not valid JSON at line 2"):
        _loader().documents(_file(path))


def test_json_deeper_than_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "issues.json"
    path.write_text("[" * 30 + "]" * 30 + "\n[]", encoding="utf-8")
    with pytest.raises(
        MigratorError, match=r"issues\.json: the JSON is nested 30 levels deep, over limits.json_depth"
    ):
        _loader(json_depth=20).documents(_file(path))
    assert len(_loader().documents(_file(path))) == 2


def test_undecodable_bytes_are_replaced_and_reported_once(tmp_path: Path) -> None:
    path = tmp_path / "issues.json"
    path.write_bytes(b'[{"title": "caf\xe9 \xff\xfe"}]')
    loader = JsonLoader("utf-8", Limits(), "hint")
    (issue,) = loader.objects(_file(path))
    assert "\ufffd" in issue["title"]
    (note,) = loader.notes()
    assert (note.kind, note.severity, note.value) == ("encoding.replaced", Severity.WARNING, "issues.json")


def test_ndjson_lines_come_from_the_ndjson_reader(tmp_path: Path) -> None:
    path = tmp_path / "issues.ndjson"
    path.write_text('{"a": 1}\n\n[1]\n{bad\n', encoding="utf-8")
    records = list(ndjson_records(SourceFile("tree/project/issues.ndjson", path), "auto", Limits()))
    assert [(r.row, r.usable, r.file) for r in records] == [
        (1, True, "tree/project/issues.ndjson"),
        (3, False, "tree/project/issues.ndjson"),
        (4, False, "tree/project/issues.ndjson"),
    ]


def test_named_matches_base_names_only(tmp_path: Path) -> None:
    (tmp_path / "attachments" / "9").mkdir(parents=True)
    (tmp_path / "attachments" / "9" / "data.json").write_text("{}", encoding="utf-8")
    (tmp_path / "attachments.json").write_text("{}", encoding="utf-8")
    export = resolve_sources([tmp_path], ArchiveSpec(cache=str(tmp_path / "cache")))
    assert [f.name for f in export.find("attachment*.json")] == [
        "attachments.json",
        "attachments/9/data.json",
    ]
    assert [f.name for f in named(export.files, "attachment*.json")] == ["attachments.json"]


def test_links_in_markdown_html_and_bare_urls() -> None:
    text = (
        'See [the log](https://x.example/a.log "title") and ![img](<https://x.example/b.png>).\n'
        '<img width="10" alt="shot" src="https://x.example/c.png"> https://x.example/d.txt, '
        "and [again](https://x.example/a.log). `<https://x.example/e>`"
    )
    assert text_links(text) == [
        TextLink("https://x.example/a.log", "the log"),
        TextLink("https://x.example/b.png", "img"),
        TextLink("https://x.example/c.png", "shot"),
        TextLink("https://x.example/d.txt", ""),
        TextLink("https://x.example/e", ""),
    ]
    assert text_links(None) == []


def test_companion_files_given_loose_count_as_read(tmp_path: Path) -> None:
    """`migrator run issues.json comments.json`: the adapter reads comments.json itself."""
    for name in ("issues.json", "comments.json", "events.json"):
        shutil.copy(FIXTURES / "github" / name, tmp_path / name)
    config = load_mapping(ROOT / "mappings" / "github-json.yaml")
    issues, _ = read_all(
        config, tmp_path / "issues.json", tmp_path / "comments.json", tmp_path / "events.json"
    )
    assert {i.key: len(i.comments) for i in issues} == {"1": 2, "3": 1}


def test_companions_are_not_taken_for_issues_and_are_extracted_with_them(tmp_path: Path) -> None:
    """Without issues.file the issues are the data file at the top of the export; the members file
    beside it is the adapter's, and a tar is read in one pass for both."""
    source = FIXTURES / "gitlab" / "tree" / "project"
    archive = tmp_path / "export.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for path in sorted(source.iterdir()):
            tar.add(path, arcname=path.name)
    mapping = tmp_path / "gitlab.yaml"
    data = (ROOT / "mappings" / "gitlab-export.yaml").read_text(encoding="utf-8")
    mapping.write_text(data.replace('    file: "issues.ndjson"\n', ""), encoding="utf-8")
    config = load_mapping(mapping)
    config.source.archives.cache = str(tmp_path / "cache")
    issues, _ = read_all(config, archive)
    assert sorted(i.key or "" for i in issues) == ["1", "2", "3"]
    assert issues[0].created_by.email == "ann@example.com"  # project_members.ndjson was read
    extracted = sorted(p.name for p in (tmp_path / "cache").rglob("*.ndjson"))
    assert extracted == ["issues.ndjson", "project_members.ndjson"]


def test_a_plain_file_matches_a_glob_with_its_folder(tmp_path: Path) -> None:
    """`migrator run issues.json sub_issues/3.json`: the folder a loose file was given from counts
    for a glob that names one (and only then: `3.json` alone is not `*sub_issues/*.json`)."""
    (tmp_path / "sub_issues").mkdir()
    (tmp_path / "sub_issues" / "3.json").write_text("[]", encoding="utf-8")
    (tmp_path / "3.json").write_text("[]", encoding="utf-8")
    inside, loose = _file(tmp_path / "sub_issues" / "3.json"), _file(tmp_path / "3.json")
    assert inside.name == "3.json" and inside.matches("*sub_issues/*.json")
    assert not loose.matches("*sub_issues/*.json") and loose.matches("3.json")


def test_the_github_dump_given_as_loose_files_keeps_its_relations(tmp_path: Path) -> None:
    names = ["issues.json", "comments.json", "events.json", "blocked_by/1.json", "sub_issues/1.json"]
    issues, _ = read_all(
        load_mapping(ROOT / "mappings" / "github-json.yaml"), *(FIXTURES / "github" / n for n in names)
    )
    links = {(i.key, link.to_key, link.relationship) for i in issues for link in i.links}
    assert {("1", "3", "blocked_by"), ("1", "acme/gadgets#4", "sub_issue")} <= links
