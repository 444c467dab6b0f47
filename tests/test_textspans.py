"""textspans: the stored form of spans, rewriting them, and rendering with the export's projects."""

from __future__ import annotations

import json

from spans_helpers import spanned

from migrator.textspans import (
    LINK_TARGET,
    ConvertedText,
    FileRef,
    IssueRef,
    Mention,
    Span,
    file_keys,
    issue_keys,
    prefixed,
    render_text,
    rewrite_spans,
    spans_from_json,
    spans_to_json,
)

REF = IssueRef("PROJ-2", "PROJ-2", "https://jira.example.com/browse/PROJ-2")
FILE = FileRef(("shot.png", "10001"), "shot [1].png", True, "`shot.png`", width="300")
PERSON = Mention("557058:x", "Ghost", None, "@Ghost")


def test_spans_survive_json_and_render_the_same() -> None:
    converted = spanned("see {} and {} by {} [x]({})", REF, FILE, PERSON, (REF, LINK_TARGET))
    stored = json.loads(json.dumps(spans_to_json(converted.spans)))
    again = ConvertedText(converted.text, [], spans_from_json(stored))
    assert again.spans == converted.spans
    maps = {"issues": {"PROJ-2": "DEMO-7"}, "files": {"10001": 55}}
    assert render_text(again, **maps) == render_text(converted, **maps)
    assert render_text(again, **maps).text == (
        "see DEMO-7 and ![shot \\[1\\].png](/ajax/v2/attachments/55?inline=true =300x) by `@Ghost` [x](/DEMO-7)"
    )
    assert issue_keys(again.spans) == {"PROJ-2"}
    assert file_keys(again.spans) == {"shot.png", "10001"}


def test_a_look_alike_of_another_project_is_never_linked() -> None:
    """Without project keys any KEY-N is a candidate; the export's projects tell which are issues."""
    utf = IssueRef("UTF-8", "UTF-8", "https://jira.example.com/browse/UTF-8")
    gone = IssueRef("PROJ-99", "PROJ-99", "https://jira.example.com/browse/PROJ-99")
    number = IssueRef("45", "#45", "https://github.com/acme/app/issues/45")
    converted = spanned("{} {} {}", utf, gone, number)
    rendered = render_text(converted, projects={"PROJ"}).text
    assert rendered == (
        "UTF-8 [PROJ-99](https://jira.example.com/browse/PROJ-99) [#45](https://github.com/acme/app/issues/45)"
    )
    assert render_text(converted).text.startswith("[UTF-8](")  # no projects given: nothing is filtered


def test_rewrite_spans_moves_later_spans_and_recomputes_lossiness() -> None:
    converted = spanned("{} wrote {}.", PERSON, REF)
    assert converted.text == "`@Ghost` wrote PROJ-2."

    def named(span: Span) -> object:
        token = span.token
        return (
            Mention(token.name, token.label, "alice", token.written) if isinstance(token, Mention) else token
        )

    rewritten = rewrite_spans(converted, named)  # type: ignore[arg-type]
    assert rewritten.text == "@alice wrote PROJ-2."
    assert rewritten.lossy == []
    assert [rewritten.text[s.start : s.end] for s in rewritten.spans] == ["@alice", "PROJ-2"]
    assert render_text(rewritten, issues={"PROJ-2": "DEMO-1"}).text == "@alice wrote DEMO-1."
    final = rewrite_spans(converted, lambda span: "x" if isinstance(span.token, Mention) else span.token)
    assert final.text == "x wrote PROJ-2." and len(final.spans) == 1


def test_prefixed_keeps_spans_on_their_words() -> None:
    converted = prefixed(spanned("see {}", REF), "_Originally by o.volkov_\n\n")
    assert converted.text[converted.spans[0].start : converted.spans[0].end] == "PROJ-2"
    assert (
        render_text(converted, issues={"PROJ-2": "DEMO-3"}).text == "_Originally by o.volkov_\n\nsee DEMO-3"
    )
