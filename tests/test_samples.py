"""Bundled samples and mapping presets.

Every file in mappings/ loads and only names things the sandbox's default org has; every bundled
sample has the columns/paths its mapping names, real attachment files, values and users its
mapping covers, and dates that parse and make sense together (the windows Tracker's import
enforces). The Jira sample is the Quickstart: it must go through with zero validation errors.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import re
import shlex
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import openpyxl
import pytest
import yaml

from migrator.mapping.config import MappingConfig, ValueMap, load_mapping
from migrator.presets.registry import list_presets
from migrator.sources.children import link_columns
from migrator.sources.spec import TableSpec
from migrator.timeutil import SourceTimeParser, parse_duration
from migrator.vocabulary import INVERSE_RELATIONSHIP

ROOT = Path(__file__).resolve().parent.parent
MAPPINGS = ROOT / "mappings"
SAMPLES = ROOT / "samples"
FIXTURE = ROOT / "migrator" / "sandbox" / "default_fixture.yaml"

JIRA_CSV = SAMPLES / "jira" / "issues.csv"
JIRA_FILES = SAMPLES / "jira" / "attachments"
WORKBOOK = SAMPLES / "generic" / "tracker.xlsx"

EXPECTED_MAPPINGS = {
    "jira-csv.yaml",
    "github-json.yaml",
    "generic-excel.yaml",
    "youtrack-csv.yaml",
    "redmine-csv.yaml",
    "gitlab-export.yaml",
}
# People who left before the move and have no Tracker account: the only users a sample may send
# to users.fallback. Anyone else falling back would be a mapping mistake in the sample.
FORMER_EMPLOYEES = {
    "jira": {"o.volkov"},
    "sheet": {"d.orlov@example.com", "Дмитрий Орлов"},
}
ATTACHMENTS_BUDGET = 20 * 1024  # bytes, all sample attachment files together


# ---------------------------------------------------------------------------------------------
# Shared helpers


def mapping(name: str) -> MappingConfig:
    return load_mapping(MAPPINGS / name)


def default_org() -> dict[str, Any]:
    return yaml.safe_load(FIXTURE.read_text(encoding="utf-8"))


def queue(org: dict[str, Any], key: str) -> dict[str, Any]:
    return next(q for q in org["queues"] if q["key"] == key)


def keys(org: dict[str, Any], section: str) -> set[str]:
    return {item["key"] for item in org[section]}


def covered(vmap: ValueMap, value: str) -> bool:
    found, _ = vmap.lookup(value)
    return found


def columns_of(table: TableSpec | None) -> set[str]:
    """Every column (or JSON path) a table spec names."""
    if table is None:
        return set()
    named = {spec.column for spec in table.fields.values()} | {spec.column for spec in table.custom.values()}
    if table.column:
        named.add(table.column)
    return named | set(table.columns)


def resolve(data: Any, path: str) -> Any:
    """Dotted JSON path with ``name[]`` flattening (the mapping's path syntax)."""
    if path == "":
        return data
    if isinstance(data, dict) and path in data:
        return data[path]
    head, _, rest = path.partition(".")
    flatten = head.endswith("[]")
    value = data.get(head.removesuffix("[]")) if isinstance(data, dict) else None
    if not flatten:
        return resolve(value, rest) if rest and value is not None else value
    items = value if isinstance(value, list) else []
    return [resolve(item, rest) if rest else item for item in items]


def present(value: Any) -> bool:
    if isinstance(value, list):
        return any(present(v) for v in value)
    return value is not None and value != ""


def resolve_users(config: MappingConfig, org: dict[str, Any], names: Iterable[str]) -> dict[str, str]:
    """Source user → how it resolves: 'map', 'email', 'login', 'name' or 'fallback' (as migrator does:
    explicit map first, then `match` in order, then the fallback)."""
    explicit = {k.casefold() for k in config.users.map}
    by = {
        "email": {u.get("email", f"{u['login']}@example.com").casefold() for u in org["users"]},
        "login": {u["login"].casefold() for u in org["users"]},
        "name": {str(u.get("display", "")).casefold() for u in org["users"]},
    }
    out = {}
    for name in names:
        folded = name.strip().casefold()
        if folded in explicit:
            out[name] = "map"
            continue
        method = next((m for m in config.users.match if folded in by[m]), None)
        out[name] = method or "fallback"
    return out


def check_users(system: str, config: MappingConfig, names: set[str]) -> None:
    org = default_org()
    logins = {u["login"] for u in org["users"]}
    assert set(config.users.map.values()) <= logins, "users.map names a login the default org lacks"
    assert config.users.fallback in logins
    resolved = resolve_users(config, org, names)
    fell_back = {n for n, how in resolved.items() if how == "fallback"}
    assert fell_back == FORMER_EMPLOYEES[system], (
        f"unexpected fallback users: {sorted(fell_back ^ FORMER_EMPLOYEES[system])}"
    )
    assert set(config.users.map) <= names, (
        f"users.map lists people the sample does not have: {set(config.users.map) - names}"
    )


# ---------------------------------------------------------------------------------------------
# Every mapping file


def test_the_presets_are_all_there() -> None:
    assert EXPECTED_MAPPINGS <= {p.name for p in MAPPINGS.glob("*.yaml")}


@pytest.mark.parametrize("path", sorted(MAPPINGS.glob("*.yaml")), ids=lambda p: p.name)
def test_mapping_loads(path: Path) -> None:
    config = load_mapping(path)
    assert config.name, "give the mapping a name: it is shown in reports"
    assert config.target.namespace and config.target.queue


@pytest.mark.parametrize("path", sorted(MAPPINGS.glob("*.yaml")), ids=lambda p: p.name)
def test_mapping_targets_exist_in_the_default_org(path: Path) -> None:
    """A preset run as is against the sandbox must not fail on a value the org cannot have."""
    config = load_mapping(path)
    org = default_org()
    target_queue = queue(org, config.target.queue)
    sections = {
        "type": "issue_types",
        "status": "statuses",
        "priority": "priorities",
        "resolution": "resolutions",
    }
    for name, section in sections.items():
        vmap = config.values.get(name)
        if vmap is None:
            continue
        targets = {v for v in vmap.map.values() if v is not None} | (
            {vmap.default} if vmap.default else set()
        )
        assert targets <= keys(org, section), f"values.{name}: {targets - keys(org, section)} not in the org"
    if "link" in config.values:
        assert set(config.values["link"].map.values()) <= set(INVERSE_RELATIONSHIP)
    statuses = set(target_queue["workflows"][0]["statuses"])
    assert {v for v in config.values.get("status", ValueMap()).map.values() if v} <= statuses
    global_fields = {f["id"] for f in org["fields"]}
    local_fields = {f["key"] for f in target_queue.get("local_fields", [])}
    for extra in config.fields:
        assert extra.target in (local_fields if extra.local else global_fields), extra.target


# ---------------------------------------------------------------------------------------------
# Jira CSV (the Quickstart)


def jira_rows() -> tuple[list[str], list[dict[str, Any]]]:
    """Header and rows; a repeated header maps to the list of its non-empty cells (like migrator)."""
    with JIRA_CSV.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        counts = {h: header.count(h) for h in header}
        rows = []
        for cells in reader:
            assert len(cells) == len(header)
            row: dict[str, Any] = {}
            for name, cell in zip(header, cells, strict=True):
                if counts[name] > 1:
                    row.setdefault(name, [])
                    if cell.strip():
                        row[name].append(cell)
                else:
                    row[name] = cell
            rows.append(row)
    return header, rows


def cells(row: dict[str, Any], column: str) -> list[str]:
    value = row.get(column, [])
    return [v for v in (value if isinstance(value, list) else [value]) if v.strip()]


def jira_parser(config: MappingConfig, column: str | None = None) -> SourceTimeParser:
    spec = next((s for s in config.source.issues.fields.values() if s.column == column), None)
    formats = spec.date_formats if spec is not None and spec.date_formats else config.source.date_formats
    return SourceTimeParser(formats, config.source.timezone)


def parse(parser: SourceTimeParser, text: str) -> datetime:
    parsed = parser.parse(text)
    assert parsed.problem is None and parsed.value is not None, f"{text!r}: {parsed.problem} {parsed.detail}"
    return parsed.value


def split_cell(pattern: str, cell: str) -> dict[str, str]:
    """Split a Jira child cell the way the mapping's pattern says: fields are separated by ';' and
    the free-text field (text/comment, else the last one) takes whatever is left."""
    names = re.findall(r"\{(\w+)\}", pattern)
    assert re.sub(r"\{\w+\}", "", pattern) == ";" * (len(names) - 1), pattern
    greedy = next((names.index(n) for n in ("text", "comment") if n in names), len(names) - 1)
    after = len(names) - greedy - 1
    parts = cell.split(";")
    end = len(parts) - after
    return dict(zip(names, [*parts[:greedy], ";".join(parts[greedy:end]), *parts[end:]], strict=True))


def test_jira_sample_is_a_real_shaped_all_fields_export() -> None:
    header, rows = jira_rows()
    for repeated in ("Comment", "Attachment", "Labels", "Watchers", "Log Work", "Component/s", "Sprint"):
        assert header.count(repeated) >= 2, f"Jira repeats {repeated!r} once per value"
    assert header[:3] == ["Summary", "Issue key", "Issue id"]
    assert 20 <= len(rows) <= 30
    types = {r["Issue Type"] for r in rows}
    assert {"Epic", "Story", "Sub-task", "Bug"} <= types
    assert sum(1 for r in rows if len(cells(r, "Comment")) >= 5) >= 3, "a few issues need a long discussion"
    assert any(re.search("[а-яА-Я]", r["Summary"]) for r in rows), "some Russian text"
    assert [int(r["Issue id"]) for r in rows] == sorted((int(r["Issue id"]) for r in rows), reverse=True), (
        "Jira exports newest first (sub-tasks before their parents)"
    )


def jira_link_columns(config: MappingConfig, header: list[str]) -> dict[str, str]:
    """Link column header → relationship, with the mapping's header patterns expanded."""
    assert config.source.links is not None
    return dict(link_columns(config.source.links.columns, header))


def test_jira_columns_named_by_the_mapping_exist() -> None:
    """Every field's column (one of its candidates) and every link column or pattern is in the sample."""
    config = mapping("jira-csv.yaml")
    header, _ = jira_rows()
    source = config.source
    tables = (source.issues, source.comments, source.attachments, source.worklogs)
    specs = [spec for t in tables if t is not None for spec in (*t.fields.values(), *t.custom.values())]
    assert [spec.candidates for spec in specs if not set(spec.candidates) & set(header)] == []
    assert {t.column for t in tables[1:] if t is not None} <= set(header)
    assert source.links is not None
    assert [c for c in source.links.columns if not link_columns({c: ""}, header)] == []


def test_jira_attachments_are_real_files() -> None:
    config = mapping("jira-csv.yaml")
    assert config.source.files.directory == "attachments"
    assert config.source.attachments is not None and config.source.attachments.pattern
    _, rows = jira_rows()
    referenced = set()
    for row in rows:
        for cell in cells(row, "Attachment"):
            parts = split_cell(config.source.attachments.pattern, cell)
            url = urlsplit(parts["location"])
            assert url.scheme == "https" and url.path.startswith("/secure/attachment/"), cell
            attachment_id, quoted_name = url.path.rsplit("/", 2)[-2:]
            assert quoted_name == quote(parts["filename"]), "Jira percent-encodes the name in the URL"
            path = JIRA_FILES / attachment_id / unquote(quoted_name)
            assert path.is_file(), f"{row['Issue key']}: {path} is missing"
            referenced.add(path)
    on_disk = {p for p in JIRA_FILES.rglob("*") if p.is_file()}
    assert on_disk == referenced, "every file is referenced by the CSV and vice versa"
    assert 6 <= len(referenced) <= 10
    assert sum(p.stat().st_size for p in on_disk) < ATTACHMENTS_BUDGET
    assert (JIRA_FILES / "10200" / "qr-mockup.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert (JIRA_FILES / "10206" / "load-test-report.pdf").read_bytes().startswith(b"%PDF-")
    inline = {
        m
        for r in rows
        for m in re.findall(r"!([^!|\s]+\.png)(?:\|[^!]*)?!", r["Description"] + "".join(cells(r, "Comment")))
    }
    assert inline and inline <= {p.name for p in referenced}, "!image.png! references name attached files"


def test_jira_values_are_covered_by_the_mapping() -> None:
    config = mapping("jira-csv.yaml")
    org = default_org()
    demo = queue(org, config.target.queue)
    _, rows = jira_rows()
    fields = config.source.issues.fields
    for name in ("type", "status", "priority", "resolution"):
        seen = {r[fields[name].column] for r in rows if r[fields[name].column].strip()}
        assert seen, name
        missing = {v for v in seen if not covered(config.values[name], v)}
        assert not missing, f"values.{name} lacks {missing}"
    columns = jira_link_columns(config, jira_rows()[0])
    used = {rel for column, rel in columns.items() if any(cells(r, column) for r in rows)}
    assert used == set(columns.values()), "every link column in the sample is used"
    assert all(covered(config.values["link"], rel) for rel in used)
    components = {c for r in rows for c in cells(r, fields["components"].column)}
    versions = {
        v for r in rows for col in ("fix_versions", "affected_versions") for v in cells(r, fields[col].column)
    }
    assert components <= {c["name"] for c in demo["components"]}
    assert versions <= {v["name"] for v in demo["versions"]}
    customers = {r[config.source.issues.custom["customer"].column] for r in rows} - {""}
    options = next(f["options"] for f in demo["local_fields"] if f["key"] == "customer")
    assert customers and customers <= set(options)
    points = {r[fields["story_points"].column] for r in rows} - {""}
    assert points and all(float(p) > 0 for p in points)


def test_jira_users_are_covered() -> None:
    config = mapping("jira-csv.yaml")
    assert config.source.comments and config.source.attachments and config.source.worklogs
    _, rows = jira_rows()
    names: set[str] = set()
    for row in rows:
        names |= {row[c] for c in ("Assignee", "Reporter", "Creator") if row[c].strip()}
        names |= set(cells(row, "Watchers"))
        names |= {
            split_cell(config.source.comments.pattern or "", c)["author"] for c in cells(row, "Comment")
        }
        names |= {
            split_cell(config.source.attachments.pattern or "", c)["author"] for c in cells(row, "Attachment")
        }
        names |= {
            split_cell(config.source.worklogs.pattern or "", c)["author"] for c in cells(row, "Log Work")
        }
    mentions = {
        m for r in rows for m in re.findall(r"\[~([^\]]+)\]", r["Description"] + "".join(cells(r, "Comment")))
    }
    assert mentions <= names, "mentions name people of the project"
    check_users("jira", config, names)
    methods = resolve_users(config, default_org(), names)
    assert methods["dave@example.com"] == "email", "one person is matched by e-mail, not listed"


def test_jira_dates_parse_and_fit_together() -> None:
    """Every date reads with the mapping's formats, and children sit inside their issue's
    [Created, Updated] window, as Tracker's import requires."""
    config = mapping("jira-csv.yaml")
    assert config.source.comments and config.source.attachments and config.source.worklogs
    fields = config.source.issues.fields
    parser = jira_parser(config)
    due = jira_parser(config, fields["deadline"].column)
    now = datetime.now(UTC)
    _, rows = jira_rows()
    window: dict[str, tuple[datetime, datetime]] = {}
    for row in rows:
        key = row["Issue key"]
        created, updated = parse(parser, row["Created"]), parse(parser, row["Updated"])
        assert created <= updated < now, key
        window[key] = (created, updated)
        resolved = row[fields["resolved_at"].column]
        assert bool(resolved) == bool(row[fields["resolution"].column]), (
            f"{key}: Resolved date iff Resolution"
        )
        if resolved:
            assert created <= parse(parser, resolved) <= updated, key
        if row["Due Date"]:
            parse(due, row["Due Date"])
        stamps = [
            split_cell(config.source.comments.pattern or "", c)["created_at"] for c in cells(row, "Comment")
        ]
        comment_times = [parse(parser, s) for s in stamps]
        assert comment_times == sorted(comment_times), f"{key}: comments in time order"
        stamps += [
            split_cell(config.source.attachments.pattern or "", c)["created_at"]
            for c in cells(row, "Attachment")
        ]
        for cell in cells(row, "Log Work"):
            log = split_cell(config.source.worklogs.pattern or "", cell)
            stamps.append(log["start"])
            assert parse_duration(log["duration"]).total_seconds() > 0
        for stamp in stamps:
            assert created <= parse(parser, stamp) <= updated, f"{key}: {stamp} outside the issue's window"
    # links and parents: both ends exist and share a moment when the link can be dated
    by_id = {r["Issue id"]: r["Issue key"] for r in rows}
    link_columns_ = jira_link_columns(config, jira_rows()[0])
    for row in rows:
        others = [by_id[row["Parent id"]]] if row["Parent id"] else []
        others += [k for column in link_columns_ for k in cells(row, column)]
        for other in others:
            assert other in window, f"{row['Issue key']} links to {other}, which is not in the export"
            a, b = window[row["Issue key"]], window[other]
            assert max(a[0], b[0]) <= min(a[1], b[1]), f"{row['Issue key']} ↔ {other}: no common time window"


def test_jira_links_are_listed_on_both_ends() -> None:
    _, rows = jira_rows()
    pairs = {
        (row["Issue key"], kind, other)
        for row in rows
        for kind in ("Blocks", "Duplicate", "Relates")
        for other in cells(row, f"Outward issue link ({kind})")
    }
    mirrored = {
        (other, kind, row["Issue key"])
        for row in rows
        for kind in ("Blocks", "Duplicate", "Relates")
        for other in cells(row, f"Inward issue link ({kind})")
    }
    assert pairs and pairs == mirrored
    epics = {r["Issue key"] for r in rows if r["Issue Type"] == "Epic"}
    assert {r["Custom field (Epic Link)"] for r in rows} - {""} <= epics


# ---------------------------------------------------------------------------------------------
# Generic spreadsheet


def sheet_rows(book: Any, name: str) -> tuple[list[str], list[dict[str, Any]]]:
    rows = list(book[name].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:] if any(c is not None for c in r)]


def test_generic_workbook_is_what_the_script_builds() -> None:
    spec = importlib.util.spec_from_file_location("make_workbook", SAMPLES / "generic" / "make_workbook.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    buffer = io.BytesIO()
    module.build().save(buffer)  # compare as read back: a date cell reads back as a datetime
    built = openpyxl.load_workbook(buffer)
    committed = openpyxl.load_workbook(WORKBOOK)
    assert committed.sheetnames == built.sheetnames == ["Issues", "Comments", "Links"]
    for name in committed.sheetnames:
        ours = [list(r) for r in committed[name].iter_rows(values_only=True)]
        theirs = [list(r) for r in built[name].iter_rows(values_only=True)]
        assert ours == theirs, f"sheet {name} differs: run python samples/generic/make_workbook.py"


def test_generic_columns_values_users_and_dates() -> None:
    config = mapping("generic-excel.yaml")
    book = openpyxl.load_workbook(WORKBOOK, read_only=True)
    source = config.source
    tables = {"issues": source.issues, "comments": source.comments, "links": source.links}
    data = {}
    for kind, table in tables.items():
        assert table is not None and table.sheet, kind
        header, rows = sheet_rows(book, table.sheet)
        assert columns_of(table) <= set(header), f"{kind}: {columns_of(table) - set(header)}"
        data[kind] = rows
    fields = source.issues.fields
    issues = data["issues"]
    for name in ("type", "status", "priority", "resolution"):
        seen = {r[fields[name].column] for r in issues} - {None}
        assert seen and all(covered(config.values[name], v) for v in seen), name
    assert source.links is not None and source.comments is not None
    link_fields = source.links.fields
    assert all(covered(config.values["link"], r[link_fields["relationship"].column]) for r in data["links"])
    assert any(re.search("[а-яА-Я]", r[fields["summary"].column]) for r in issues)
    # users: e-mails on issues, hand-typed full names on comments
    names = {r[fields[c].column] for r in issues for c in ("assignee", "created_by")} - {None}
    names |= {r[source.comments.fields["author"].column] for r in data["comments"]}
    check_users("sheet", config, names)
    # dates: Excel date cells; children inside the issue's window; links between existing issues
    window = {}
    for r in issues:
        created, updated = r[fields["created_at"].column], r[fields["updated_at"].column]
        assert isinstance(created, datetime) and isinstance(updated, datetime)
        assert created <= updated < datetime.now()
        closed = r[fields["resolved_at"].column]
        assert (closed is None) == (r[fields["resolution"].column] is None)
        if closed is not None:
            assert created <= closed <= updated
        window[r[fields["id"].column]] = (created, updated)
        if r[fields["original_estimation"].column]:
            parse_duration(r[fields["original_estimation"].column])
    for c in data["comments"]:
        start, end = window[c[source.comments.fields["issue"].column]]
        assert start <= c[source.comments.fields["created_at"].column] <= end
    pairs = [(r[link_fields["from"].column], r[link_fields["to"].column]) for r in data["links"]]
    pairs += [
        (r[fields["id"].column], r[fields["parent"].column]) for r in issues if r[fields["parent"].column]
    ]
    for a, b in pairs:
        assert max(window[a][0], window[b][0]) <= min(window[a][1], window[b][1]), (a, b)


# ---------------------------------------------------------------------------------------------
# samples/README.md


def readme_commands() -> Iterator[list[str]]:
    text = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for block in re.findall(r"```sh\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.strip().startswith("migrator "):
                yield shlex.split(line.strip())


def test_samples_readme_commands_name_existing_files() -> None:
    commands = list(readme_commands())
    assert commands
    mentioned = set()
    for argv in commands:
        for i, arg in enumerate(argv):
            if arg.startswith(("samples/", "mappings/")):
                assert (ROOT / arg).exists(), arg
                mentioned.add(arg)
            if arg == "--mapping":
                load_mapping(ROOT / argv[i + 1])
    assert {
        "samples/jira/issues.csv",
        "samples/github/issues.json",
        "samples/generic/tracker.xlsx",
    } <= mentioned


def test_samples_readme_accounts_for_every_preset() -> None:
    # a Quickstart row names its preset; a tracker's folder is named as its preset; the rest are listed
    text = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for preset in list_presets():
        if preset.info.sample is None:
            assert f"except `{preset.name}.yaml`" in text, (
                f"{preset.name}: list it among the presets without a sample"
            )
            continue
        folder = Path(preset.info.sample).name
        assert re.search(rf"^\| `{re.escape(folder)}/", text, flags=re.M), (
            f"{preset.name}: no row for {folder}/"
        )
        if folder != preset.name:
            assert re.search(
                rf"^\| `{re.escape(folder)}/.*`{re.escape(preset.name)}\.yaml` \|$", text, flags=re.M
            )
