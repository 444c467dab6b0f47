"""Atlassian Document Format (Jira Cloud REST v3) → YFM: every node and mark, tokens, pitfalls."""

from __future__ import annotations

import json
from typing import Any

import pytest
from markup_helpers import USERS

from migrator.mapping.markup import FileRef, MarkupConverter, ReferenceConfig, render_text


def doc(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "doc", "version": 1, "content": list(content)}


def para(*content: dict[str, Any]) -> dict[str, Any]:
    return {"type": "paragraph", "content": list(content)}


def text(value: str, *marks: str | dict[str, Any]) -> dict[str, Any]:
    return {"type": "text", "text": value, "marks": [{"type": m} if isinstance(m, str) else m for m in marks]}


@pytest.fixture(scope="module")
def adf() -> MarkupConverter:
    refs = ReferenceConfig.for_system("jira", base_url="https://acme.atlassian.net", project_keys=["PROJ"])
    return MarkupConverter("adf", user_login=USERS.get, references=refs)


def test_a_json_string_and_a_parsed_document_give_the_same_text(adf: MarkupConverter) -> None:
    document = doc(para(text("hello "), text("world", "strong")))
    assert adf.convert(document).text == adf.convert(json.dumps(document)).text == "hello **world**"


def test_no_text_is_no_document_not_a_failure(adf: MarkupConverter) -> None:
    """Jira REST writes "description": null; an empty text is not a broken ADF document."""
    for empty in ("", "  \n"):
        result = adf.convert(empty)
        assert (result.text, result.lossy) == ("", [])


def test_marks(adf: MarkupConverter) -> None:
    document = doc(
        para(
            text("b", "strong"),
            text(" "),
            text("i", "em"),
            text(" "),
            text("s", "strike"),
            text(" "),
            text("u", "underline"),
            text(" "),
            text(" code ", "code"),
            text(" "),
            text("2", {"type": "subsup", "attrs": {"type": "sup"}}),
            text("x"),
            text("2", {"type": "subsup", "attrs": {"type": "sub"}}),
            text(" "),
            text("red", {"type": "textColor", "attrs": {"color": "#ff5630"}}),
            text(" "),
            text("plain", {"type": "textColor", "attrs": {"color": "#172b4d"}}),
            text(" "),
            text("site", {"type": "link", "attrs": {"href": "https://x.example"}}),
        )
    )
    result = adf.convert(document)
    assert result.text == "**b** _i_ ~~s~~ ++u++  `code`  ^2^x2 {red}(red) plain [site](https://x.example)"
    assert result.lossy == ["subscript"]


def test_text_is_escaped_and_keeps_urls_intact(adf: MarkupConverter) -> None:
    document = doc(para(text("*not bold* {% x %} see https://x.example/a_b")))
    assert adf.convert(document).text == "\\*not bold\\* &#123;% x %} see https://x.example/a_b"


def test_blocks(adf: MarkupConverter) -> None:
    document = doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Title")]},
        {
            "type": "bulletList",
            "content": [
                {"type": "listItem", "content": [para(text("a")), {"type": "bulletList", "content": [
                    {"type": "listItem", "content": [para(text("b"))]}]}]},
            ],
        },
        {"type": "orderedList", "attrs": {"order": 3}, "content": [{"type": "listItem", "content": [para(text("c"))]}]},
        {"type": "blockquote", "content": [para(text("q"))]},
        {"type": "codeBlock", "attrs": {"language": "python"}, "content": [text("print(1)\n```")]},
        {"type": "rule"},
        {
            "type": "taskList",
            "content": [
                {"type": "taskItem", "attrs": {"state": "DONE"}, "content": [text("done")]},
                {"type": "taskItem", "attrs": {"state": "TODO"}, "content": [text("todo")]},
            ],
        },
        {"type": "expand", "attrs": {"title": "More"}, "content": [para(text("hidden"))]},
        {"type": "panel", "attrs": {"panelType": "error"}, "content": [para(text("bad"))]},
    )  # fmt: skip
    assert adf.convert(document).text == (
        "## Title\n\n- a\n  - b\n\n3. c\n\n> q\n\n````python\nprint(1)\n```\n````\n\n---\n\n"
        "- [x] done\n- [ ] todo\n\n"
        '{% cut "More" %}\n\nhidden\n\n{% endcut %}\n\n'
        '{% note alert "" %}\n\nbad\n\n{% endnote %}'
    )


def test_tables_simple_and_with_blocks(adf: MarkupConverter) -> None:
    def cell(kind: str, *content: dict[str, Any]) -> dict[str, Any]:
        return {"type": kind, "content": list(content)}

    simple = doc(
        {
            "type": "table",
            "content": [
                {"type": "tableRow", "content": [cell("tableHeader", para(text("A"))), cell("tableHeader", para(text("B")))]},
                {"type": "tableRow", "content": [cell("tableCell", para(text("1|2"))), cell("tableCell", para(text("3")))]},
            ],
        }
    )  # fmt: skip
    assert adf.convert(simple).text == "| A | B |\n| --- | --- |\n| 1\\\\|2 | 3 |"
    with_list = doc(
        {
            "type": "table",
            "content": [
                {"type": "tableRow", "content": [cell("tableHeader", para(text("Step")))]},
                {"type": "tableRow", "content": [cell("tableCell", para(text("one")), para(text("two")))]},
            ],
        }
    )
    assert adf.convert(with_list).text == "#|\n||\n**Step**\n||\n||\none\n\ntwo\n||\n|#"


def test_mentions_by_account_id(adf: MarkupConverter) -> None:
    document = doc(
        para(
            {"type": "mention", "attrs": {"id": "5b10a2844c20165700ede21g", "text": "@Winston"}},
            text(" and "),
            {"type": "mention", "attrs": {"id": "557058:ghost", "text": "@Ghost Person"}},
        )
    )
    result = adf.convert(document)
    assert result.text == "@petrov and `@Ghost Person`"
    assert result.lossy == ["mention_unmapped"]


def test_media_become_file_tokens_by_media_id_then_name(adf: MarkupConverter) -> None:
    document = doc(
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "uuid-1", "type": "file", "alt": "shot.png"}}]},
        {"type": "mediaGroup", "content": [{"type": "media", "attrs": {"id": "uuid-2", "type": "file", "alt": "log.txt"}}]},
        {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"type": "external", "url": "https://x.example/i.png"}}]},
    )  # fmt: skip
    converted = adf.convert(document)
    assert converted.text == "`shot.png`\n\n`log.txt`\n\n![](https://x.example/i.png)"
    tokens = [span.token for span in converted.spans]
    assert tokens == [
        FileRef(("uuid-1", "shot.png"), "shot.png", True, "`shot.png`"),
        FileRef(("uuid-2", "log.txt"), "log.txt", False, "`log.txt`"),
    ]
    rendered = render_text(converted, files={"shot.png": 7, "uuid-2": 8})
    assert rendered.text == (
        "![shot.png](/ajax/v2/attachments/7?inline=true)\n\n[log.txt](/ajax/v2/attachments/8)\n\n"
        "![](https://x.example/i.png)"
    )


def test_cards_dates_status_and_emoji(adf: MarkupConverter) -> None:
    document = doc(
        para(
            {"type": "inlineCard", "attrs": {"url": "https://acme.atlassian.net/browse/PROJ-5"}},
            text(" due "),
            {"type": "date", "attrs": {"timestamp": "1700000000000"}},
            text(" "),
            {"type": "status", "attrs": {"text": "In progress", "color": "blue"}},
            text(" "),
            {"type": "emoji", "attrs": {"shortName": ":smile:", "text": "😄"}},
            text(" PROJ-6"),
        ),
        {"type": "blockCard", "attrs": {"url": "https://other.example/page"}},
    )
    converted = adf.convert(document)
    assert converted.text == (
        "<https://acme.atlassian.net/browse/PROJ-5> due 2023-11-14 {blue}(IN PROGRESS) 😄 PROJ-6\n\n"
        "<https://other.example/page>"
    )
    rendered = render_text(converted, issues={"PROJ-5": "NEW-5", "PROJ-6": "NEW-6"})
    assert rendered.text.startswith("NEW-5 due 2023-11-14 {blue}(IN PROGRESS) 😄 NEW-6")


def test_code_is_never_a_reference(adf: MarkupConverter) -> None:
    document = doc(para(text("PROJ-1", "code")), {"type": "codeBlock", "content": [text("PROJ-2")]})
    converted = adf.convert(document)
    assert converted.spans == ()
    assert (
        render_text(converted, issues={"PROJ-1": "N-1", "PROJ-2": "N-2"}).text
        == "`PROJ-1`\n\n```\nPROJ-2\n```"
    )


def test_unknown_nodes_keep_their_text_and_are_lossy(adf: MarkupConverter) -> None:
    document = doc(
        {"type": "fancyWidget", "content": [para(text("kept"))]},
        {"type": "layoutSection", "content": [{"type": "layoutColumn", "content": [para(text("col"))]}]},
        {"type": "extension", "attrs": {"extensionKey": "toc"}},
    )
    result = adf.convert(document)
    assert result.text == "kept\n\ncol\n\n`toc`"
    assert result.lossy == ["adf_unknown", "layout", "extension"]


def test_highlights_and_inline_macros_are_listed_as_lossy(adf: MarkupConverter) -> None:
    document = doc(
        para(
            text("hot", {"type": "backgroundColor", "attrs": {"color": "#fedec8"}}),
            text(" "),
            {"type": "inlineExtension", "attrs": {"extensionKey": "jira-chart"}},
        )
    )
    result = adf.convert(document)
    assert result.text == "hot `jira-chart`"
    assert result.lossy == ["color", "extension"]


def test_a_document_without_doc_type_is_kept_as_plain_text(adf: MarkupConverter) -> None:
    result = adf.convert({"type": "paragraph", "content": []})
    assert result.lossy == ["converter_failed"]


def test_malformed_attributes_fall_back_to_defaults(adf: MarkupConverter) -> None:
    document = doc(
        {"type": "heading", "attrs": {"level": "x"}, "content": [text("T")]},
        {
            "type": "orderedList",
            "attrs": {"order": None},
            "content": [{"type": "listItem", "content": "oops"}],
        },
        {"type": "paragraph", "content": [{"type": "text", "text": None, "marks": "bold"}]},
    )
    result = adf.convert(document)
    assert "converter_failed" not in result.lossy
    assert result.text == "# T\n\n1."
