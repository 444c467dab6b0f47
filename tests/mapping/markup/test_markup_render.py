"""render_text: resolving references, files and mentions of a ConvertedText, without converting again."""

from __future__ import annotations

import pickle

import pytest
from markup_helpers import USERS

from migrator.mapping.markup import (
    ConvertedText,
    FileRef,
    IssueRef,
    MarkupConverter,
    Mention,
    ReferenceConfig,
    Span,
    attachment_url,
    render_text,
)

GITHUB = ReferenceConfig.for_system("github", base_url="https://github.com/acme/app")


def _text(*parts: str | tuple[object, str]) -> ConvertedText:
    """A ConvertedText from literal parts and (token, context) parts."""
    out, spans = "", []
    for part in parts:
        if isinstance(part, str):
            out += part
            continue
        token, context = part
        assert isinstance(token, (IssueRef, FileRef, Mention))
        rendered = token.default()
        spans.append(Span(len(out), len(out) + len(rendered), token, context))
        out += rendered
    return ConvertedText(out, [], tuple(spans))


def test_a_migrated_issue_becomes_its_tracker_key_in_every_context() -> None:
    ref = IssueRef("PROJ-1", "PROJ-1", "https://jira.example.com/browse/PROJ-1")
    url = IssueRef(
        "PROJ-1", "https://jira.example.com/browse/PROJ-1", "https://jira.example.com/browse/PROJ-1"
    )
    autolink = IssueRef("PROJ-1", "<https://jira.example.com/browse/PROJ-1>", ref.url)
    converted = _text(
        (ref, "text"), " [", (ref, "link_text"), "](", (url, "link_target"), ") ", (autolink, "autolink")
    )
    assert render_text(converted, issues={"PROJ-1": "NEWQ-1"}).text == "NEWQ-1 [NEWQ-1](/NEWQ-1) NEWQ-1"


def test_an_issue_not_migrated_stays_as_written_or_links_to_the_old_page() -> None:
    ref = IssueRef("45", "#45", "https://github.com/acme/app/issues/45")
    no_url = IssueRef("46", "#46")
    converted = _text("see ", (ref, "text"), ", [", (ref, "link_text"), "](x) and ", (no_url, "text"))
    assert render_text(converted).text == "see [#45](https://github.com/acme/app/issues/45), [#45](x) and #46"


def test_files_resolve_to_tracker_attachment_urls_or_keep_their_fallback() -> None:
    image = FileRef(("shot.png",), "shot [1].png", True, "`shot.png`", width="300")
    doc = FileRef(("id-9", "spec.pdf"), "spec.pdf", False, "`spec.pdf`")
    external = FileRef(("https://x/a.png",), "a", True, "![a](https://x/a.png)", external=True)
    converted = _text((image, "text"), " ", (doc, "text"), " ", (external, "text"))
    rendered = render_text(converted, files={"shot.png": 5, "spec.pdf": "https://t.example/f?id=7"})
    assert rendered.text == (
        "![shot \\[1\\].png](/ajax/v2/attachments/5?inline=true =300x) "
        "[spec.pdf](https://t.example/f?id=7) ![a](https://x/a.png)"
    )
    assert rendered.lossy == []  # the external image still shows from where it was
    assert render_text(converted).lossy == ["attachment_embed", "attachment_embed"]


def test_attachment_url_takes_an_id_or_a_url() -> None:
    assert attachment_url(12) == "/ajax/v2/attachments/12"
    assert attachment_url(" 12 ") == "/ajax/v2/attachments/12"
    assert attachment_url("/ajax/v2/attachments/12") == "/ajax/v2/attachments/12"
    assert attachment_url("https://t.example/a b(1).png") == "https://t.example/a%20b%281%29.png"


def test_an_unmapped_person_never_pings_anyone() -> None:
    converted = _text(
        (Mention("ghost", "Ghost User", None, "@ghost"), "text"), " and ", (Mention("x", "x", "xl"), "text")
    )
    rendered = render_text(converted)
    assert rendered.text == "`@Ghost User` and @xl"
    assert rendered.lossy == ["mention_unmapped"]
    assert render_text(converted, users={"ghost": "casper"}).text == "@casper and @xl"


def test_conversion_losses_other_than_pointers_are_kept() -> None:
    converted = ConvertedText("H2O", ["subscript"], ())
    assert render_text(converted).lossy == ["subscript"]


def test_the_same_input_always_renders_the_same_text() -> None:
    converter = MarkupConverter("markdown", user_login=USERS.get, references=GITHUB)
    source = "Fixes #5 and #6, see acme/app#7 and other/lib#3 by @jsmith ![s](/uploads/ab/s.png)"
    first = converter.convert(source)
    again = MarkupConverter("markdown", user_login=USERS.get, references=GITHUB).convert(source)
    assert first == again
    restored = pickle.loads(pickle.dumps(first))  # what a resumed run would have stored
    maps = {"issues": {"5": "TRK-1", "7": "TRK-7"}, "files": {"/uploads/ab/s.png": 3}}
    assert render_text(restored, **maps) == render_text(first, **maps)  # type: ignore[arg-type]
    assert render_text(first, **maps).text == (  # type: ignore[arg-type]
        "Fixes TRK-1 and [#6](https://github.com/acme/app/issues/6), see TRK-7 and "
        "[other/lib#3](https://github.com/other/lib/issues/3) by @ivanov "
        "![s](/ajax/v2/attachments/3?inline=true)"
    )


@pytest.mark.parametrize("markup", ["jira", "markdown", "plain"])
def test_rendering_with_empty_maps_changes_nothing_but_unmigrated_links(markup: str) -> None:
    converter = MarkupConverter(markup, user_login=USERS.get)
    converted = converter.convert("text with [~jsmith] @jsmith and !a.png! [^b.txt]")
    assert render_text(converted).text == converted.text
