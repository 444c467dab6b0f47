"""The HTML report: self-contained, escaped, complete, and showing the numbers of the result."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from migrator.findings import Finding, Findings, Severity
from migrator.report.html import (
    CHART_TOP,
    PAGE_SIZE,
    decode_findings_payload,
    findings_payload,
    render_html_report,
    script_json,
    write_html_report,
)
from migrator.results import ValidationResult

from .report_samples import (
    CLOSE_SCRIPT,
    CYRILLIC,
    HOSTILE,
    IMG,
    SCRIPT,
    TEMPLATE,
    TEXTAREA,
    make_result,
    many_findings,
)

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
# every element the report itself uses; anything else would have come from the data
ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "header", "div", "p", "h1", "h2", "h3", "h4", "dl", "dt",
    "dd", "nav", "a", "span", "main", "section", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "code",
    "label", "select", "option", "input", "button", "noscript", "footer", "script", "svg", "circle", "path", "pre",
    "strong",
}  # fmt: skip


# --- a tiny DOM built with the standard library's parser ---------------------------------------------


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def walk(self) -> list[Node]:
        nodes = [self]
        for child in self.children:
            if isinstance(child, Node):
                nodes += child.walk()
        return nodes

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag)
            and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert len(found) == 1, f"expected one <{tag} {attrs}>, found {len(found)}"
        return found[0]

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()


class TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(document: str) -> Node:
    builder = TreeBuilder()
    builder.feed(document)
    builder.close()
    assert builder.stack == [builder.root], "unclosed elements"
    return builder.root


def embedded_payload(dom: Node) -> dict:
    return json.loads(dom.find("script", id="findings-data").text())


def metric(dom: Node, name: str) -> str:
    card = dom.find(data_metric=name)
    values = [n for n in card.walk() if n.has_class("value")]
    return values[0].text()


@pytest.fixture
def document(result: ValidationResult) -> str:
    return render_html_report(result)


@pytest.fixture
def dom(document: str) -> Node:
    return parse(document)


# --- writing ----------------------------------------------------------------------------------------


def test_writes_the_file_and_returns_its_path(tmp_path: Path, result: ValidationResult) -> None:
    written = write_html_report(result, tmp_path / "out" / "validation.html")
    assert written == tmp_path / "out" / "validation.html"
    assert written.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in written.parent.iterdir()] == ["validation.html"]


def test_a_directory_gets_report_html(tmp_path: Path, result: ValidationResult) -> None:
    assert write_html_report(result, tmp_path) == tmp_path / "report.html"


def test_a_lone_surrogate_from_a_bad_decode_does_not_abort_the_report(tmp_path: Path) -> None:
    finding = Finding(Severity.ERROR, "encoding.bad", "bad bytes", value="abc\udcff")
    written = write_html_report(make_result([finding]), tmp_path / "r.html")
    assert "abc" in written.read_text(encoding="utf-8")


# --- escaping ---------------------------------------------------------------------------------------


def test_no_element_or_attribute_comes_from_the_data(dom: Node) -> None:
    tags = {n.tag for n in dom.walk()} - {"#document"}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS
    scripts = dom.find_all("script")
    assert [s.attrs for s in scripts] == [{"type": "application/json", "id": "findings-data"}, {}]
    for node in dom.walk():
        assert not [a for a in node.attrs if a.startswith("on")], node
        for name in ("href", "src", "action"):
            assert not (node.attrs.get(name) or "").lower().startswith("javascript:"), node


def test_hostile_values_appear_as_text(dom: Node, result: ValidationResult) -> None:
    body_text = dom.find("main").text()
    for value in (SCRIPT, IMG, TEXTAREA, CYRILLIC):
        assert value in body_text  # value-coverage and users tables, rendered as text
    assert result.namespace == TEMPLATE and TEMPLATE in dom.find("header").text()
    assert f"mappings/{SCRIPT}.yaml" in dom.find("header").text()


def test_a_value_that_looks_like_a_placeholder_stays_literal(document: str) -> None:
    assert "@@CSS@@" in document  # the namespace value, not the stylesheet
    assert document.count(":root {") == 1


def test_embedded_json_cannot_end_the_script_element(document: str, result: ValidationResult) -> None:
    start = document.index('<script type="application/json" id="findings-data">')
    raw = document[start:].split(">", 1)[1].split("</script>", 1)[0]
    assert "<" not in raw and ">" not in raw and "&" not in raw
    assert len(json.loads(raw)["rows"]) == len(result.findings)


def test_script_json_escapes_markup_characters() -> None:
    text = script_json({"v": CLOSE_SCRIPT + "<!-- & -->"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"v": CLOSE_SCRIPT + "<!-- & -->"}


def test_the_script_only_writes_text_into_the_page() -> None:
    script = resources.files("migrator.report").joinpath("report.js").read_text(encoding="utf-8")
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function("):
        assert sink not in script


# --- completeness -----------------------------------------------------------------------------------


def test_every_finding_is_embedded_exactly(dom: Node, result: ValidationResult) -> None:
    decoded = decode_findings_payload(embedded_payload(dom))
    errors_first = sorted(result.findings, key=lambda f: ["error", "warning", "info"].index(f.severity.value))
    assert decoded == [f.to_dict() for f in errors_first]
    messages = {row["message"] for row in decoded}
    assert all(f.message in messages for f in result.findings)
    assert {v for v in HOSTILE} <= {row["value"] for row in decoded}


def test_payload_lists_kinds_worst_first_and_interns_repeated_strings() -> None:
    findings = many_findings(9)
    payload = findings_payload(Findings(findings))
    assert payload["kinds"] == ["date.unparsable", "user.unresolved"]
    assert payload["strings"].count("the same hint every time") == 1
    assert [r[0] for r in payload["rows"]] == [0, 0, 0, 1, 1, 1, 2, 2, 2]


@pytest.mark.slow
def test_200000_findings_are_all_kept_and_the_paging_is_announced(tmp_path: Path) -> None:
    findings = many_findings(200_000)
    written = write_html_report(make_result(findings), tmp_path / "big.html")
    document = written.read_text(encoding="utf-8")
    dom = parse(document)
    payload = embedded_payload(dom)
    assert len(payload["rows"]) == 200_000
    assert {row[7] for row in payload["rows"]} == {f.message for f in findings}
    intro = dom.find(id="findings-intro").text()
    assert "All 200,000 findings are stored in this file" in intro and "page by page" in intro
    assert dom.find("tbody", id="findings-body").children == []  # rows come from the data, one page at a time
    size_mb = written.stat().st_size / 1e6
    print(f"\n200,000 findings: {size_mb:.1f} MB")


def test_page_size_matches_the_script() -> None:
    script = resources.files("migrator.report").joinpath("report.js").read_text(encoding="utf-8")
    assert f"var DEFAULT_SIZE = {PAGE_SIZE};" in script


def test_value_coverage_and_user_tables_list_every_row(dom: Node, result: ValidationResult) -> None:
    coverage = dom.find("table", id="coverage-table").find("tbody").find_all("tr")
    assert [r.find_all("td")[1].text() for r in coverage] == [
        row.source_value for row in result.value_coverage
    ]
    assert [r.has_class("problem") for r in coverage] == [
        row.how == "unmapped" for row in result.value_coverage
    ]
    users = dom.find("table", id="users-table").find("tbody").find_all("tr")
    assert [r.find_all("td")[0].text() for r in users] == [u.source_name for u in result.users]
    assert users[1].has_class("problem") and users[2].has_class("attention")


# --- numbers shown ----------------------------------------------------------------------------------


def test_counts_shown_match_the_result(dom: Node, result: ValidationResult) -> None:
    for name in ("issues", "comments", "attachments", "links", "worklogs"):
        assert metric(dom, name) == f"{result.counts[name]:,}"
    assert "4.8 MB" in dom.find(data_metric="attachments").text()
    for severity in Severity:
        assert metric(dom, severity.value) == f"{result.count(severity):,}"
        assert dom.find(data_metric=severity.value).attrs["href"] == f"#severity={severity.value}"
    assert metric(dom, "api_calls") == "123,456"
    assert metric(dom, "rate_rps") == "5 req/s"
    assert metric(dom, "duration") == "6 h 52 min"
    assert dom.find("span", class_="toc-count").text() == f"{len(result.findings):,}"


def test_kind_chart_counts_every_kind_and_links_to_its_filter(dom: Node, result: ValidationResult) -> None:
    chart = dom.find(data_chart="findings-by-kind")
    rows = {r.find("a").text(): r.find("span", class_="bar-value").text() for r in chart.find_all("li")}
    expected = {}
    for f in result.findings:
        expected[f.kind] = expected.get(f.kind, 0) + 1
    assert rows == {kind: f"{n:,}" for kind, n in expected.items()}
    assert chart.find_all("a")[0].attrs["href"].startswith("#kind=")


def test_a_chart_per_distribution_with_before_and_after_bars(dom: Node, result: ValidationResult) -> None:
    for field_name, rows in result.distributions.items():
        chart = dom.find(data_chart=field_name)
        before = [
            li.find("span", class_="bar-label").attrs["title"]
            for li in chart.find(class_="before").find_all("li")
        ]
        after = [
            li.find("span", class_="bar-label").text() for li in chart.find(class_="after").find_all("li")
        ]
        assert sorted(before) == sorted(src for src, _, _ in rows)
        assert "(not mapped)" in after
        assert f"{sum(n for _, _, n in rows):,} in total" in chart.find("h3").text()


def test_a_long_distribution_shows_the_top_values_and_says_how_many_more(
    result_with_tags: ValidationResult,
) -> None:
    dom = parse(render_html_report(result_with_tags))
    chart = dom.find(data_chart="tags")
    assert len(chart.find(class_="before").find_all("li")) == CHART_TOP
    assert "+ 15 more values" in chart.find(class_="before").find("p", class_="more").text()


@pytest.fixture
def result_with_tags() -> ValidationResult:
    tags = [(f"tag-{n}", f"tag-{n}", 100 - n) for n in range(CHART_TOP + 15)]
    return make_result(distributions={"tags": tags})


def test_estimate_api_calls_by_kind(dom: Node) -> None:
    chart = dom.find(data_chart="api-calls")
    labels = [li.find("span", class_="bar-label").text() for li in chart.find_all("li")]
    assert labels == ["comments", "issues", SCRIPT]


# --- banner -----------------------------------------------------------------------------------------


def banner(result: ValidationResult) -> Node:
    return parse(render_html_report(result)).find(id="status")


def test_banner_says_how_many_problems_block_the_run(result: ValidationResult) -> None:
    node = banner(result)
    assert node.has_class("blocked")
    assert node.find("h2").text() == f"{result.count(Severity.ERROR)} problems block the run"
    assert node.find_all("a")[-1].attrs["href"] == "#severity=error"


def test_banner_under_strict_counts_warnings_too() -> None:
    result = make_result([Finding(Severity.WARNING, "date.ambiguous", "ambiguous")], strict=True)
    node = banner(result)
    assert node.find("h2").text() == "1 problem blocks the run"
    assert node.find_all("a")[-1].attrs["href"] == "#severity=error,warning"


def test_banner_ready_to_migrate() -> None:
    result = make_result([Finding(Severity.WARNING, "date.ambiguous", "ambiguous")])
    node = banner(result)
    assert node.has_class("ok") and node.find("h2").text() == "Ready to migrate"
    assert "1 warning should be reviewed first" in node.text()
    assert "123,456 API calls" in node.text()


# --- self-contained ---------------------------------------------------------------------------------


def test_nothing_is_loaded_from_outside_the_file(dom: Node, document: str) -> None:
    assert not dom.find_all("link") and not dom.find_all("img") and not dom.find_all("iframe")
    for node in dom.walk():
        for name in ("src", "href", "action", "srcset", "data"):
            value = (node.attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//", "ftp:", "file:")), node
            assert not value or value.startswith("#"), node  # only links inside the page
    style = dom.find("style").text()
    assert "url(" not in style and "@import" not in style
    assert not re.search(r"\b(fetch|XMLHttpRequest|import\(|WebSocket)\b", dom.find_all("script")[1].text())


def test_content_security_policy_blocks_the_network_and_allows_only_our_script(dom: Node) -> None:
    policy = dom.find("meta", http_equiv="Content-Security-Policy").attrs["content"] or ""
    assert "default-src 'none'" in policy
    script = dom.find_all("script")[1].text()
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy


def test_sections_have_anchors(dom: Node) -> None:
    for section in ("summary", "estimate", "charts", "value-maps", "users", "findings", "details"):
        assert dom.find("section", id=section)
        assert dom.find_all("a", href=f"#{section}")


# --- empty and minimal results ----------------------------------------------------------------------


def test_an_empty_result_renders_with_explanations() -> None:
    result = ValidationResult(
        generated_at="2024-05-14T09:30:12.000+0000",
        mapping="m.yaml",
        sources=[],
        target="embedded sandbox",
        queue="DEMO",
        namespace="ns",
        strict=False,
        counts={},
    )
    dom = parse(render_html_report(result))
    assert dom.find(id="status").find("h2").text() == "Ready to migrate"
    assert embedded_payload(dom)["rows"] == []
    assert "Validation found nothing to report." in dom.find(id="findings-intro").text()
    assert "No estimate" in dom.find("section", id="estimate").text()
    assert not dom.find_all("section", id="details")


def test_kind_links_survive_odd_kind_names() -> None:
    kind = "odd&kind=x y+z/<b>"
    dom = parse(render_html_report(make_result([Finding(Severity.ERROR, kind, "m")])))
    hrefs = [a.attrs["href"] or "" for a in dom.find(data_chart="findings-by-kind").find_all("a")]
    assert len(hrefs) == 1
    assert parse_qs(hrefs[0].removeprefix("#")) == {"kind": [kind]}  # decoded as URLSearchParams does
    assert kind in dom.find(id="status").text()


def test_extra_details_are_listed_as_text(dom: Node) -> None:
    details = dom.find("section", id="details")
    terms = [dt.text() for dt in details.find_all("dt")]
    assert terms == ["encoding", SCRIPT]
    assert TEXTAREA in details.find("pre").text()
