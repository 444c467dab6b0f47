"""``migrator inspect``: which tracker and export this is (with the evidence), and what it holds.

The preset comes from ``--preset`` or from detection (:mod:`migrator.presets.detect`); the export is
then read through the preset's mapping by :func:`migrator.presets.survey.survey`. ``to_dict`` is the
``--json`` output (documented in ``docs/presets.md``); ``render`` the text for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from migrator.errors import MigratorError
from migrator.findings import Findings
from migrator.mapping.attachments import AttachmentFiles
from migrator.presets.detect import Detection, ExportView, Verdict, detect, judge
from migrator.presets.registry import Preset, find_preset, list_presets
from migrator.presets.survey import Survey, survey

JSON_SCHEMA = 1
_SHOWN_VALUES = 15
_SHOWN_PEOPLE = 30


@dataclass
class Chosen:
    """The preset used, and why."""

    preset: Preset
    how: str  # "--preset" | "detected"
    verdict: Verdict | None
    others: list[Verdict]  # other presets that matched too (less specific)


def choose_preset(paths: list[Path], name: str | None, folder: Path | None = None) -> Chosen:
    """``--preset NAME``, or the best detected preset (``folder``: where the presets are, default
    the bundled ones). No match is a ``MigratorError`` listing the closest presets and what they
    expected."""
    if name is not None:
        preset = find_preset(name, folder)
        verdict = judge(ExportView(paths), preset) if not preset.info.detect.when.empty else None
        return Chosen(preset, "--preset", verdict, [])
    presets = list_presets(folder)
    found = detect(ExportView(paths), presets)
    best = found.best
    if best is None:
        raise MigratorError(
            _no_match(found, len(presets)), hint="name one with --preset NAME (see README, Supported sources)"
        )
    return Chosen(best.preset, "detected", best, found.matched[1:])


def _no_match(found: Detection, total: int) -> str:
    lines = [f"no preset recognises this export (tried {total})"]
    for verdict in found.closest:
        expected = "; ".join(verdict.missing[:4])
        lines.append(f"  closest: {verdict.preset.name} ({verdict.score} of {verdict.score + len(verdict.missing)} "
                     f"conditions) — did not find: {expected}")  # fmt: skip
    if not found.closest:
        lines.append("  no preset's signature is even partly met: is this the file the tracker exported?")
    return "\n".join(lines)


def attachment_files(chosen: Chosen, paths: list[Path]) -> AttachmentFiles:
    """Where the preset looks for attachment files (never downloading: inspect only looks)."""
    spec = chosen.preset.config.source.files
    source_dir = paths[0].parent if paths and not paths[0].is_dir() else (paths[0] if paths else Path("."))
    return AttachmentFiles(source_dir / (spec.directory or ""), spec.max_size_mb)


def inspect_export(paths: list[Path], preset_name: str | None) -> tuple[Chosen, Survey, Findings]:
    chosen = choose_preset(paths, preset_name)
    facts, findings = survey(chosen.preset.config, paths, attachment_files(chosen, paths))
    return chosen, facts, findings


# -- output -------------------------------------------------------------------------------------------


def to_dict(chosen: Chosen, facts: Survey, paths: list[Path]) -> dict[str, Any]:
    info = chosen.preset.info
    c = facts.counts
    return {
        "schema": JSON_SCHEMA,
        "sources": [str(p) for p in paths],
        "preset": {
            "name": chosen.preset.name,
            "title": info.title,
            "tracker": info.tracker,
            "how": chosen.how,
            "evidence": chosen.verdict.evidence if chosen.verdict else [],
            "not_met": chosen.verdict.missing if chosen.verdict else [],
            "also_matched": [v.preset.name for v in chosen.others],
        },
        "counts": {
            "issues": c.issues,
            "with_parent": c.with_parent,
            "child_by_link": c.child_by_link,
            "comments": c.comments,
            "files": {"present": c.files_present, "missing": c.files_missing, "to_download": c.files_remote},
            "worklogs": c.worklogs,
            "links": {"inside": c.links_inside, "outside": c.links_outside},
            "parents": {"inside": c.parents_inside, "outside": c.parents_outside},
        },  # fmt: skip
        "outside_examples": facts.outside,
        "tables": [
            {
                "kind": t.kind,
                "table": t.table,
                "records": t.records,
                "fill": {p: round(t.filled[p] / t.records, 3) if t.records else 0.0 for p in t.order},
            }
            for t in facts.tables
        ],
        "values": {name: dict(counter.most_common()) for name, counter in facts.values.items()},
        "people": [
            {"name": p.name, "email": p.email, "display": p.display, "count": p.count, "roles": dict(p.roles)}
            for p in facts.people
        ],
        "dates": [
            {
                "field": d.path,
                "values": d.values,
                "shapes": dict(d.shapes.most_common()),
                "examples": d.examples,
                "offsets": dict(d.offsets),
                "naive": d.naive,
                "date_only": d.date_only,
                "epochs": d.epochs,
            }
            for d in facts.dates
        ],  # fmt: skip
        "timezone": {
            "evidence": facts.timezone_verdict(),
            "naive_times": facts.naive_times,
            "zoned_times": facts.zoned_times,
            "preset_zone": _preset_zone(chosen),
        },
        "cannot": list(info.cannot),
        "carries": dict(info.carries),
        "blocking": facts.blocking,
    }


def _preset_zone(chosen: Chosen) -> str:
    config = chosen.preset.config
    return "?" if any(u.path == "source.timezone" for u in config.undecided) else config.source.timezone


def render(data: dict[str, Any]) -> str:
    """The text ``inspect`` prints: the same facts as ``to_dict``, for a person."""
    lines: list[str] = []
    add = lines.append
    p = data["preset"]
    add(f"Export: {', '.join(data['sources'])}")
    add(
        f"Preset: {p['name']} — {p['title']} ({'given with --preset' if p['how'] == '--preset' else 'recognised'})"
    )
    for text in p["evidence"]:
        add(f"  ✓ {text}")
    for text in p["not_met"]:
        add(f"  ✗ {text}")
    if p["also_matched"]:
        add(f"  also matches (less specific): {', '.join(p['also_matched'])}")
    c = data["counts"]
    add("")
    children = f"{c['with_parent']} with a parent"
    if c["child_by_link"]:
        children += f", {c['child_by_link']} a child through a hierarchy link"
    add(f"Issues: {c['issues']} ({children})   comments: {c['comments']}   worklogs: {c['worklogs']}")
    f = c["files"]
    add(
        f"Files: {f['present']} present, {f['missing']} missing"
        + (f", {f['to_download']} to download" if f["to_download"] else "")
    )
    add(f"Links: {c['links']['inside']} inside the export, {c['links']['outside']} to issues outside it "
        f"(a link listed on both ends counts twice)   parents: {c['parents']['inside']} inside, "
        f"{c['parents']['outside']} outside")  # fmt: skip
    if data["outside_examples"]:
        add(f"  outside: {', '.join(data['outside_examples'])}")
    _render_values(data, add)
    _render_people(data, add)
    _render_dates(data, add)
    _render_tables(data, add)
    if data["cannot"]:
        add("")
        add("What this preset cannot carry over:")
        for line in data["cannot"]:
            add(f"  - {line}")
    add("")
    if data["blocking"]:
        add(f"Would block validate ({len(data['blocking'])}):")
        for b in data["blocking"]:
            add(f"  {b['kind']} ×{b['count']}: {b['message']}" + (f" — {b['hint']}" if b.get("hint") else ""))
    else:
        add("Nothing found that would block validate before the target is consulted.")
    return "\n".join(lines)


def _render_values(data: dict[str, Any], add: Any) -> None:
    if not data["values"]:
        return
    add("")
    add("Values of mapped fields:")
    for name, counts in data["values"].items():
        items = list(counts.items())
        shown = ", ".join(f"{v} ×{n}" for v, n in items[:_SHOWN_VALUES])
        more = f", … ({len(items) - _SHOWN_VALUES} more)" if len(items) > _SHOWN_VALUES else ""
        add(f"  {name} ({len(items)}): {shown}{more}")


def _render_people(data: dict[str, Any], add: Any) -> None:
    people = data["people"]
    if not people:
        return
    add("")
    add(f"People ({len(people)}):")
    for person in people[:_SHOWN_PEOPLE]:
        extra = ", ".join(x for x in (person["display"], person["email"]) if x and x != person["name"])
        roles = ", ".join(f"{r} {n}" for r, n in person["roles"].items())
        add(f"  {person['name']}" + (f" ({extra})" if extra else "") + f" ×{person['count']}: {roles}")
    if len(people) > _SHOWN_PEOPLE:
        add(f"  … {len(people) - _SHOWN_PEOPLE} more (--json lists everyone)")


def _render_dates(data: dict[str, Any], add: Any) -> None:
    tz = data["timezone"]
    add("")
    add("Dates:")
    for d in data["dates"]:
        shapes = ", ".join(f"{s} ×{n} (e.g. {d['examples'][s]!r})" for s, n in d["shapes"].items())
        add(f"  {d['field']}: {shapes}")
    verdict = {
        "naive": f"{tz['naive_times']} times of day carry no offset: the export's zone must be named "
        f"(source.timezone; init asks, or --timezone)",
        "offsets": "every time carries an offset or is an epoch: read as UTC, nothing to decide",
        "none": "no time of day seen (dates only)",
    }[tz["evidence"]]
    add(f"  time zone: {verdict}; the preset says {tz['preset_zone']!r}")


def _render_tables(data: dict[str, Any], add: Any) -> None:
    for table in data["tables"]:
        add("")
        add(f"{table['kind'].capitalize()} table {table['table']}: {table['records']} records; fill rates:")
        row: list[str] = []
        for path, rate in table["fill"].items():
            row.append(f"{path} {rate:.0%}")
        for start in range(0, len(row), 4):
            add("  " + "   ".join(row[start : start + 4]))
