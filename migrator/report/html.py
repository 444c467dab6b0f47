"""HTML report: one self-contained file a manager can open offline.

The page is ``report.html`` (layout) with ``report.css`` and ``report.js`` inlined; this module
renders the sections into it. Everything taken from the result is untrusted source data and goes
through :func:`html.escape` (markup) or :func:`script_json` (the embedded findings), so values such
as ``<script>``, quotes, ``{{`` or ``</textarea>`` show up as text. The placeholders are replaced in
one pass, so a value that looks like a placeholder stays as it is.

Findings are not rendered as HTML rows here: all of them are embedded as compact JSON and the
script renders one filtered page at a time, which keeps a report with 200,000 findings quick to
open. That JSON is written to the file piece by piece as the findings are read back from their
store (``migrator.findings``): the page is never held in memory with all the findings in it.
A Content-Security-Policy allows only this file's own script (by hash) and no network access.

One room (over 500 lines): one page, and its sections share the escaping rules above; splitting
them would put the one thing that must not be forgotten (escaping) in several places.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from migrator import __version__
from migrator.findings import Findings, Severity
from migrator.report._shared import (
    SEVERITY_RANK,
    format_bytes,
    format_duration,
    kind_totals,
    report_path,
    verdict,
    write_atomically,
)
from migrator.results import Estimate, UserRow, ValidationResult, ValueCoverageRow

DEFAULT_FILE_NAME = "report.html"
PAGE_SIZE = 100  # findings table rows per page by default (report.js: DEFAULT_SIZE)
CHART_TOP = 10  # bars per side of a before → after chart; the rest are summed up in a visible line
FINDING_COLUMNS = ("severity", "kind", "file", "row", "key", "field", "value", "message", "hint")
INTERNED_COLUMNS = ("file", "field", "hint")

_PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")
_FIELD_LABELS = {
    "type": "Issue type",
    "status": "Status",
    "priority": "Priority",
    "resolution": "Resolution",
    "link": "Link type",
    "components": "Components",
    "versions": "Versions",
    "tags": "Tags",
}
_COUNT_LABELS = {
    "issues": "Issues",
    "comments": "Comments",
    "attachments": "Attachments",
    "attachment_bytes": "Attachment size",
    "links": "Links",
    "worklogs": "Work log entries",
}
_SEVERITY_LABELS = {Severity.ERROR: "Errors", Severity.WARNING: "Warnings", Severity.INFO: "Info"}
_COVERAGE_HOWS = ("mapped", "default", "kept", "ignored", "unmapped", "undecided")
_COVERAGE_PROBLEM = {"unmapped", "undecided"}
_COVERAGE_ATTENTION = {"default", "ignored"}
_USER_PROBLEM = {"unresolved", "undecided"}
_USER_ATTENTION = {"fallback", "name"}
_ICON_OK = (
    '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">'
    '<circle cx="12" cy="12" r="10"/><path d="M7.5 12.5l3 3 6-6.5"/></svg>'
)
_ICON_BLOCKED = (
    '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" aria-hidden="true">'
    '<circle cx="12" cy="12" r="10"/><path d="M12 7v6"/><circle cx="12" cy="16.5" r=".6" fill="currentColor"/></svg>'
)


def write_html_report(result: ValidationResult, path: Path) -> Path:
    """Write the HTML report to ``path`` (or ``path/report.html`` if ``path`` is a directory)."""

    def write(partial: Path) -> None:
        # backslashreplace: a lone surrogate from a badly decoded export must not abort the report
        with partial.open("w", encoding="utf-8", errors="backslashreplace", newline="") as out:
            out.writelines(html_report_pieces(result))

    return write_atomically(report_path(path, DEFAULT_FILE_NAME), write)


def render_html_report(result: ValidationResult) -> str:
    """The complete, self-contained HTML document as one string (tests, small reports)."""
    return "".join(html_report_pieces(result))


def html_report_pieces(result: ValidationResult) -> Iterator[str]:
    """The document in pieces: the page around the findings, then the findings' JSON a few rows at
    a time. Placeholders are filled in one pass over the layout, so a value that looks like a
    placeholder stays as it is."""
    parts = _page_parts(result)
    for n, piece in enumerate(_PLACEHOLDER.split(_asset("report.html"))):
        if n % 2 == 0:  # text of the layout between placeholders
            yield piece
        elif piece == "FINDINGS_JSON":
            yield from findings_json_pieces(result.findings)
        else:
            yield parts[piece]


def _page_parts(result: ValidationResult) -> dict[str, str]:
    """What every placeholder but ``FINDINGS_JSON`` (streamed) stands for."""
    script = _asset("report.js")
    if "</script" in script.lower():
        raise ValueError("report.js must not contain '</script'")
    parts = {
        "CSP": _e(_content_security_policy(script)),
        "VERSION": _e(__version__),
        "TITLE": _e(f"Migration dry run · {result.queue} · {verdict(result)}"),
        "HEADING": _e(f"Migration into {result.queue}"),
        "META": _meta(result),
        "GENERATED": _e(result.generated_at),
        "BANNER": _banner(result),
        "SUMMARY": _summary(result),
        "ESTIMATE": _estimate(result.estimate),
        "CHARTS": _charts(result.distributions),
        "COVERAGE": _coverage(result.value_coverage),
        "USERS": _users(result.users),
        "FINDINGS_TOTAL": _num(len(result.findings)),
        "FINDINGS_CHART": _findings_chart(result.findings),
        "FINDINGS_INTRO": _e(_findings_intro(len(result.findings))),
        "FINDINGS_NOSCRIPT_STATUS": _e(f"{len(result.findings):,} findings are embedded in this report."),
        "DETAILS": _details(result.extra),
        "CSS": _asset("report.css"),
        "JS": script,
    }
    return parts


def _findings_intro(total: int) -> str:
    if not total:
        return "Validation found nothing to report."
    text = f"All {_plural(total, 'finding')} are stored in this file"
    if total > PAGE_SIZE:
        return (
            text
            + f"; the table shows them page by page ({PAGE_SIZE} per page) — filter or page through them."
        )
    return text + "; filter them by severity, kind or text."


# --- embedding --------------------------------------------------------------------------------------


_ROWS_PER_PIECE = 256  # findings per piece of the streamed JSON


def findings_json_pieces(findings: Findings) -> Iterator[str]:
    """All findings as compact, ``<script>``-safe JSON for the page's script, in pieces.

    An object whose ``rows`` follow ``columns``; severity and kind are indexes into ``severities``
    and ``kinds``; the ``interned`` columns (file, field, hint repeat a lot) are indexes into
    ``strings``, which comes last: it is complete only once every row is written. Errors come
    first, the order is kept otherwise. Joined, the pieces are one JSON document.
    """
    severities = list(Severity)
    kinds = list(kind_totals(findings))
    kind_index = {kind: i for i, kind in enumerate(kinds)}
    strings = _StringTable()
    head = {"columns": list(FINDING_COLUMNS), "severities": [s.value for s in severities], "kinds": kinds}
    head["interned"] = list(INTERNED_COLUMNS)
    yield script_json(head)[:-1] + ',"rows":['
    rows: list[str] = []
    for n, f in enumerate(findings.by_severity()):
        row = [
            severities.index(Severity(f.severity)),
            kind_index[f.kind],
            strings.ref(f.file),
            f.row,
            f.key,
            strings.ref(f.field),
            f.value,
            f.message,
            strings.ref(f.hint),
        ]
        rows.append(("," if n else "") + script_json(row))
        if len(rows) == _ROWS_PER_PIECE:
            yield "".join(rows)
            rows.clear()
    yield "".join(rows)
    yield '],"strings":' + script_json(strings.values) + "}"


def findings_payload(findings: Findings) -> dict[str, Any]:
    """The embedded findings JSON, parsed (tests; the writer streams :func:`findings_json_pieces`)."""
    payload: dict[str, Any] = json.loads("".join(findings_json_pieces(findings)))
    return payload


class _StringTable:
    def __init__(self) -> None:
        self.values: list[str] = []
        self._index: dict[str, int] = {}

    def ref(self, value: str | None) -> int | None:
        if value is None:
            return None
        if value not in self._index:
            self._index[value] = len(self.values)
            self.values.append(value)
        return self._index[value]


def decode_findings_payload(payload: Mapping[str, Any]) -> list[dict[str, object]]:
    """The findings of :func:`findings_payload` as plain dicts (``Finding.to_dict()`` shape)."""
    columns = payload["columns"]
    interned = {columns.index(name) for name in payload["interned"]}
    decoded = []
    for row in payload["rows"]:
        values = [payload["strings"][v] if i in interned and v is not None else v for i, v in enumerate(row)]
        values[0] = payload["severities"][values[0]]
        values[1] = payload["kinds"][values[1]]
        decoded.append(dict(zip(columns, values, strict=True)))
    return decoded


def script_json(data: object) -> str:
    """JSON safe inside a ``<script>`` element: ``<``, ``>`` and ``&`` are written as ``\\u00XX``."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _content_security_policy(script: str) -> str:
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; "
        f"script-src 'sha256-{digest}'; "
        "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    )


def _asset(name: str) -> str:
    return resources.files("migrator.report").joinpath(name).read_text(encoding="utf-8")


# --- small formatting helpers -----------------------------------------------------------------------


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _num(value: int | float) -> str:
    return f"{value:,}"


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def _label(field: str, labels: Mapping[str, str]) -> str:
    return labels.get(field) or field.replace("_", " ").capitalize()


def _filter_link(**params: str) -> str:
    """A same-page link that preselects the findings filter, e.g. ``#severity=error``."""
    return "#" + "&".join(f"{key}={quote(value, safe=',')}" for key, value in params.items())


def _stat(label: str, value: str, *, metric: str, cls: str = "", sub: str = "", href: str = "") -> str:
    tag = "a" if href else "div"
    link = f' href="{_e(href)}"' if href else ""
    sub_html = f'<span class="sub">{_e(sub)}</span>' if sub else ""
    return (
        f'<{tag} class="stat {cls}"{link} data-metric="{_e(metric)}">'
        f'<span class="label">{_e(label)}</span><span class="value">{_e(value)}</span>{sub_html}</{tag}>'
    )


def _cell(value: object, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    if value is None or value == "":
        return f'<td{attr}><span class="null">—</span></td>'
    return f"<td{attr}>{_e(value)}</td>"


def _badge(text: str) -> str:
    return f'<span class="badge {_e(text)}">{_e(text)}</span>'


def _table_tools(table_id: str, placeholder: str, attention_label: str) -> str:
    return (
        f'<div class="table-tools" data-table="{table_id}">'
        f'<input type="search" placeholder="{_e(placeholder)}" aria-label="{_e(placeholder)}">'
        f'<label><input type="checkbox"> {_e(attention_label)}</label>'
        '<span class="count"></span></div>'
    )


# --- header and banner ------------------------------------------------------------------------------


def _meta(result: ValidationResult) -> str:
    items = [
        ("Generated (UTC)", result.generated_at),
        ("Mapping", result.mapping),
        ("Source" if len(result.sources) == 1 else "Sources", ", ".join(result.sources) or "—"),
        ("Target", result.target),
        ("Queue", result.queue),
        ("Namespace", result.namespace),
        ("Mode", "strict: warnings block the run" if result.strict else "standard"),
    ]
    rows = "".join(f"<div><dt>{_e(k)}</dt><dd>{_e(v)}</dd></div>" for k, v in items)
    return f'    <dl class="meta">{rows}</dl>'


def _banner(result: ValidationResult) -> str:
    warnings = result.count(Severity.WARNING)
    estimate = _estimate_sentence(result.estimate)
    if result.blocking:
        blocking_kinds = "errors and warnings" if result.strict else "errors"
        text = f"Fix the {blocking_kinds} listed under Findings, then validate again. Nothing was written to Tracker."
        severities = "error,warning" if result.strict else "error"
        actions = f'<a href="{_e(_filter_link(severity=severities))}">Show the blocking problems →</a>'
        return _banner_html("blocked", _ICON_BLOCKED, verdict(result), text, actions, _blocking_kinds(result))
    text = "No problems block the run."
    if warnings:
        text += f" {_plural(warnings, 'warning')} should be reviewed first."
    text += f" {estimate}" if estimate else ""
    actions = (
        f'<a href="{_e(_filter_link(severity="warning"))}">Review the warnings →</a>' if warnings else ""
    )
    return _banner_html("ok", _ICON_OK, verdict(result), text, actions)


def _banner_html(cls: str, icon: str, title: str, text: str, actions: str, extra: str = "") -> str:
    actions_html = f'<div class="actions">{actions}</div>' if actions else ""
    return (
        f'<div class="banner {cls}" id="status" role="status">{icon}<div>'
        f"<h2>{_e(title)}</h2><p>{_e(text)}</p>{extra}{actions_html}</div></div>"
    )


def _blocking_kinds(result: ValidationResult, shown: int = 6) -> str:
    """The kinds of the blocking findings, most frequent first, each a link to its findings."""
    blocking = {Severity.ERROR, Severity.WARNING} if result.strict else {Severity.ERROR}
    kinds: Counter[str] = Counter()
    for (severity, kind), count in result.findings.counts_by_kind().items():
        if Severity(severity) in blocking:
            kinds[kind] += count
    items = [
        f'<li><a href="{_e(_filter_link(kind=kind))}"><code>{_e(kind)}</code></a> <span>{_num(n)}</span></li>'
        for kind, n in sorted(kinds.items(), key=lambda item: (-item[1], item[0]))[:shown]
    ]
    if len(kinds) > shown:
        items.append(f"<li>and {_plural(len(kinds) - shown, 'more kind')}</li>")
    return f'<ul class="blocking-kinds">{"".join(items)}</ul>'


def _estimate_sentence(estimate: Estimate | None) -> str:
    if estimate is None:
        return ""
    return (
        f"The run will make about {_plural(estimate.api_calls, 'API call')} and take about "
        f"{format_duration(estimate.seconds)} at {estimate.rate_rps:g} requests per second."
    )


# --- summary ----------------------------------------------------------------------------------------


def _summary(result: ValidationResult) -> str:
    return (
        '<h3 class="group-title">What will be migrated</h3>'
        f'<div class="cards">{_count_cards(result.counts)}</div>'
        '<h3 class="group-title">Findings</h3>'
        f'<div class="cards">{_severity_cards(result)}</div>'
        f'<ul class="summary-lines">{_coverage_line(result.value_coverage)}{_users_line(result.users)}</ul>'
    )


def _count_cards(counts: Mapping[str, int]) -> str:
    cards = []
    for name, value in counts.items():
        if name == "attachment_bytes" and "attachments" in counts:
            continue
        shown = format_bytes(value) if name == "attachment_bytes" else _num(value)
        sub = ""
        if name == "attachments" and "attachment_bytes" in counts:
            sub = format_bytes(counts["attachment_bytes"])
        cards.append(_stat(_label(name, _COUNT_LABELS), shown, metric=name, sub=sub))
    return "".join(cards) or '<p class="empty">No counts were collected.</p>'


def _severity_cards(result: ValidationResult) -> str:
    notes = {
        Severity.ERROR: "block the run",
        Severity.WARNING: "block the run (--strict)" if result.strict else "review before the run",
        Severity.INFO: "for information",
    }
    cards = []
    for severity in Severity:
        count = result.count(severity)
        cls = f"{severity.value}{' zero' if not count else ''}"
        href = _filter_link(severity=severity.value)
        label = _SEVERITY_LABELS[severity]
        cards.append(
            _stat(label, _num(count), metric=severity.value, cls=cls, sub=notes[severity], href=href)
        )
    return "".join(cards)


def _coverage_line(rows: Sequence[ValueCoverageRow]) -> str:
    if not rows:
        return ""
    hows = Counter(row.how for row in rows)
    details = [f"{_plural(hows[h], 'value')} {h}" for h in _COVERAGE_HOWS if hows[h] and h != "mapped"]
    tail = f" — {', '.join(details)}" if details else " — all mapped"
    fields = len({row.field for row in rows})
    text = f"{_plural(len(rows), 'distinct source value')} in {_plural(fields, 'mapped field')}{tail}."
    return f'<li><a href="#value-maps"><strong>Value maps</strong></a>: {_e(text)}</li>'


def _users_line(users: Sequence[UserRow]) -> str:
    if not users:
        return ""
    methods = Counter(user.method for user in users)
    unresolved = methods.get("unresolved", 0)
    resolved = len(users) - unresolved
    parts = [f"{resolved:,} resolved to Tracker logins"]
    if methods.get("fallback"):
        parts.append(f"{methods['fallback']:,} of them via the fallback user")
    if unresolved:
        parts.append(f"{unresolved:,} unresolved")
    text = f"{_plural(len(users), 'person', 'people')}: {', '.join(parts)}."
    return f'<li><a href="#users"><strong>Users</strong></a>: {_e(text)}</li>'


# --- estimate ---------------------------------------------------------------------------------------


def _estimate(estimate: Estimate | None) -> str:
    if estimate is None:
        return '<p class="empty">No estimate was made for this run.</p>'
    cards = "".join(
        [
            _stat("API calls", _num(estimate.api_calls), metric="api_calls"),
            # not the target's limit (nobody knows it before a run): the rate the estimate assumes
            _stat("Assumed rate", f"{estimate.rate_rps:g} req/s", metric="rate_rps", sub="for the estimate"),
            _stat(
                "Estimated duration",
                format_duration(estimate.seconds),
                metric="duration",
                sub=f"{estimate.seconds:,.0f} seconds",
            ),
        ]
    )
    calls = sorted(estimate.calls_by_kind.items(), key=lambda item: -item[1])
    bars = _bars([(kind, kind, n, "") for kind, n in calls], wide=True)
    by_kind = (
        f'<div class="card" data-chart="api-calls"><h3>API calls by kind</h3>{bars}</div>' if calls else ""
    )
    lead = f'<p class="lead">{_e(_estimate_sentence(estimate))}</p>'
    return f'{lead}<div class="cards">{cards}</div><div class="cards single">{by_kind}</div>'


# --- charts -----------------------------------------------------------------------------------------

# (label shown, full text for the tooltip, count, extra CSS class)
_Bar = tuple[str, str, int, str]


def _bars(bars: Sequence[_Bar], *, wide: bool = False, link: Callable[[str], str] | None = None) -> str:
    peak = max((count for _, _, count, _ in bars), default=0) or 1
    items = []
    for label, full, count, cls in bars:
        text = f'<a href="{_e(link(full))}">{_e(label)}</a>' if link else _e(label)
        width = 100 * count / peak
        items.append(
            f'<li class="bar-row"><span class="bar-label" title="{_e(full)}">{text}</span>'
            f'<span class="bar-track"><span class="bar {cls}" style="width:{width:.1f}%"></span></span>'
            f'<span class="bar-value">{_num(count)}</span></li>'
        )
    return f'<ul class="bars{" wide" if wide else ""}">{"".join(items)}</ul>'


def _totals(pairs: Iterable[tuple[str | None, int]]) -> list[tuple[str | None, int]]:
    totals: Counter[str | None] = Counter()
    for value, count in pairs:
        totals[value] += count
    return sorted(totals.items(), key=lambda item: (-item[1], str(item[0])))


def _chart_side(title: str, cls: str, totals: list[tuple[str | None, int]]) -> str:
    bars: list[_Bar] = []
    for value, count in totals[:CHART_TOP]:
        if value is None:
            bars.append(("(not mapped)", "no Tracker value", count, "unmapped"))
        else:
            bars.append((value or "(empty)", value, count, ""))
    rest = totals[CHART_TOP:]
    more = ""
    if rest:
        hidden = sum(count for _, count in rest)
        more = f'<p class="more">+ {_plural(len(rest), "more value")} ({_num(hidden)}) — see Value maps</p>'
    return f'<div class="{cls}"><h4>{_e(title)}</h4>{_bars(bars)}{more}</div>'


def _chart(field: str, rows: Sequence[tuple[str, str | None, int]]) -> str:
    total = sum(count for _, _, count in rows)
    before = _chart_side("Before · source", "before", _totals((src, n) for src, _, n in rows))
    after = _chart_side("After · Tracker", "after", _totals((dst, n) for _, dst, n in rows))
    return (
        f'<div class="card chart" data-chart="{_e(field)}">'
        f'<h3>{_e(_label(field, _FIELD_LABELS))}<span class="total">{_num(total)} in total</span></h3>'
        f'<div class="chart-cols">{before}{after}</div></div>'
    )


def _charts(distributions: Mapping[str, Sequence[tuple[str, str | None, int]]]) -> str:
    if not distributions:
        return '<p class="empty">No value distributions were collected.</p>'
    return f'<div class="charts">{"".join(_chart(f, rows) for f, rows in distributions.items())}</div>'


def _findings_chart(findings: Findings) -> str:
    if not len(findings):
        return ""
    totals = kind_totals(findings)
    ordered = sorted(totals.items(), key=lambda g: (SEVERITY_RANK[g[1].worst], -g[1].count, g[0]))
    bars = [(kind, kind, total.count, total.worst.value) for kind, total in ordered]
    chart = _bars(bars, wide=True, link=lambda kind: _filter_link(kind=kind))
    return (
        '<div class="card" data-chart="findings-by-kind"><h3>Findings by kind</h3>'
        f'<p class="lead small">Click a kind to list its findings.</p>{chart}</div>'
    )


# --- tables -----------------------------------------------------------------------------------------


def _row_class(value: str, problem: set[str], attention: set[str]) -> str:
    if value in problem:
        return ' class="problem"'
    if value in attention:
        return ' class="attention"'
    return ""


def _coverage_overview(rows: Sequence[ValueCoverageRow]) -> str:
    fields: dict[str, Counter[str]] = {}
    occurrences: Counter[str] = Counter()
    for row in rows:
        fields.setdefault(row.field, Counter())[row.how] += 1
        occurrences[row.field] += row.count
    head = "".join(f'<th class="num">{h}</th>' for h in _COVERAGE_HOWS)
    body = "".join(
        f"<tr><td>{_e(_label(field, _FIELD_LABELS))}</td>"
        + "".join(f'<td class="num">{_num(hows[h]) if hows[h] else "·"}</td>' for h in _COVERAGE_HOWS)
        + f'<td class="num">{_num(occurrences[field])}</td></tr>'
        for field, hows in fields.items()
    )
    return (
        '<div class="table-scroll overview"><table class="data" id="coverage-overview">'
        f'<thead><tr><th>Field</th>{head}<th class="num">occurrences</th></tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _coverage(rows: Sequence[ValueCoverageRow]) -> str:
    if not rows:
        return '<p class="empty">No value maps were used.</p>'
    body = "".join(
        f"<tr{_row_class(row.how, _COVERAGE_PROBLEM, _COVERAGE_ATTENTION)}>"
        f"<td>{_e(_label(row.field, _FIELD_LABELS))}</td>{_cell(row.source_value, 'value')}"
        f"{_cell(row.target_value, 'value')}<td>{_badge(row.how)}</td>"
        f'<td class="num">{_num(row.count)}</td></tr>'
        for row in rows
    )
    table = (
        '<div class="table-scroll"><table class="data" id="coverage-table">'
        "<thead><tr><th>Field</th><th>Source value</th><th>Tracker value</th><th>How</th>"
        f'<th class="num">Occurrences</th></tr></thead><tbody>{body}</tbody></table></div>'
    )
    tools = _table_tools("coverage-table", "Filter values…", "Only values needing attention")
    return f'<div class="card">{_coverage_overview(rows)}</div><div class="card spaced">{tools}{table}</div>'


def _users(users: Sequence[UserRow]) -> str:
    if not users:
        return '<p class="empty">No users occur in the source data.</p>'
    body = "".join(
        f"<tr{_row_class(user.method, _USER_PROBLEM, _USER_ATTENTION)}>"
        f"{_cell(user.source_name, 'text')}{_cell(user.email, 'text')}{_cell(user.display, 'text')}"
        f"{_cell(user.login, 'value')}<td>{_badge(user.method)}</td>{_cell(user.evidence, 'text')}"
        f'<td class="num">{_num(user.count)}</td></tr>'
        for user in users
    )
    table = (
        '<div class="table-scroll"><table class="data" id="users-table">'
        "<thead><tr><th>Source name</th><th>E-mail</th><th>Display name</th><th>Tracker login</th>"
        f'<th>Method</th><th>Evidence</th><th class="num">Occurrences</th></tr></thead><tbody>{body}</tbody>'
        "</table></div>"
    )
    tools = _table_tools("users-table", "Filter users…", "Only users needing attention")
    return f'<div class="card">{tools}{table}</div>'


def _details(extra: Mapping[str, object]) -> str:
    if not extra:
        return ""
    items = []
    for key, value in extra.items():
        if isinstance(value, str | int | float | bool) or value is None:
            shown = _e(value)
        elif isinstance(value, list | tuple) and all(isinstance(v, str | int | float) for v in value):
            shown = _e(", ".join(map(str, value)) or "—")
        else:
            shown = f"<pre>{_e(json.dumps(value, indent=2, ensure_ascii=False, default=str))}</pre>"
        items.append(f"<dt>{_e(key)}</dt><dd>{shown}</dd>")
    return (
        '<section id="details" class="section"><h2><a class="anchor" href="#details">Details</a></h2>'
        f'<div class="card details"><dl>{"".join(items)}</dl></div></section>'
    )
