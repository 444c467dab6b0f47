"""HTML → YFM: sanitising, Jira rendered fields, Asana, Azure DevOps and ClickUp habits."""

from __future__ import annotations

import pytest
from markup_helpers import USERS

from migrator.mapping.markup import FileRef, IssueRef, MarkupConverter, Mention, ReferenceConfig, render_text


@pytest.fixture(scope="module")
def html() -> MarkupConverter:
    refs = ReferenceConfig.for_system("jira", base_url="https://jira.example.com", project_keys=["PROJ"])
    return MarkupConverter("html", user_login={**USERS, "1200": "asana.user"}.get, references=refs)


def test_unsafe_links_underline_and_sub(html: MarkupConverter) -> None:
    result = html.convert(
        '<p><a href="javascript:alert(1)">click</a> <u>u</u> H<sub>2</sub>O x<sup>2</sup> a<br>b {{v}}</p>'
    )
    assert result.text == "click ++u++ H2O x^2^ a\nb &#123;{v}}"
    assert result.lossy == ["unsafe_link", "subscript"]


def test_scripts_styles_and_event_handlers_are_removed(html: MarkupConverter) -> None:
    result = html.convert(
        '<p onclick="x()">safe</p><script>alert(1)</script><style>p{}</style><iframe src="https://x"></iframe>'
        '<img src="javascript:alert(2)" onerror="y()">'
    )
    assert result.text == "safe"
    assert result.lossy == ["unsafe_link"]


def test_code_language_and_fences(html: MarkupConverter) -> None:
    assert (
        html.convert('<pre><code class="language-python">x = 1</code></pre>').text == "```python\nx = 1\n```"
    )
    assert html.convert("<p>see <code>PROJ-1</code></p>").text == "see `PROJ-1`"
    assert html.convert("<p>see <code>PROJ-1</code></p>").spans == ()


def test_br_followed_by_a_newline_is_one_line_break(html: MarkupConverter) -> None:
    assert html.convert("a<br />\nb<br>c").text == "a\nb\nc"


def test_bare_urls_in_text_are_not_escaped(html: MarkupConverter) -> None:
    assert (
        html.convert("<p>see https://x.example/a_b*c and a_b</p>").text
        == "see https://x.example/a_b*c and a\\_b"
    )


def test_jira_rendered_mentions_attachments_and_issue_links(html: MarkupConverter) -> None:
    source = (
        '<p><a href="/secure/ViewProfile.jspa?name=jsmith" class="user-hover" rel="jsmith">John Smith</a> '
        'fixed <a href="https://jira.example.com/browse/PROJ-3" class="issue-link">PROJ-3</a>, see '
        '<span class="image-wrap"><img src="https://jira.example.com/secure/attachment/10001/10001_shot.png" '
        'width="300"></span> and <a href="/secure/attachment/10002/log.txt">log.txt</a></p>'
    )
    converted = html.convert(source)
    assert converted.text == (
        "@ivanov fixed [PROJ-3](https://jira.example.com/browse/PROJ-3), see "
        "![](https://jira.example.com/secure/attachment/10001/10001_shot.png) and `log.txt`"
    )
    tokens = [span.token for span in converted.spans]
    assert tokens[0] == Mention("jsmith", "John Smith", "ivanov", "John Smith")
    assert isinstance(tokens[1], IssueRef) and isinstance(tokens[2], IssueRef)
    assert tokens[3] == FileRef(
        ("10001", "10001_shot.png"),
        "",
        True,
        "![](https://jira.example.com/secure/attachment/10001/10001_shot.png)",
        False,
        "300",
    )
    assert tokens[4] == FileRef(("10002", "log.txt"), "log.txt", False, "`log.txt`")
    rendered = render_text(converted, issues={"PROJ-3": "NEW-3"}, files={"10001": 1, "10002": 2})
    assert rendered.text == (
        "@ivanov fixed [NEW-3](/NEW-3), see ![](/ajax/v2/attachments/1?inline=true =300x) and "
        "[log.txt](/ajax/v2/attachments/2)"
    )


def test_asana_mentions_task_links_and_images(html: MarkupConverter) -> None:
    source = (
        '<body>Hi <a data-asana-gid="1200" data-asana-type="user"/>, '
        '<a data-asana-gid="1300" data-asana-accessible="true">@Ghost</a> and '
        '<a data-asana-gid="1400"/> or <a href="https://app.asana.com/0/0/1500" data-asana-gid="1500" '
        'data-asana-type="task">Fix login</a>'
        '<img data-asana-gid="1600" src="https://s3.example/a.png?X-Amz-Expires=300"></body>'
    )
    converted = html.convert(source)
    assert converted.text == "Hi @asana.user, `@Ghost` and asana:1400 or Fix login`1600`"
    kinds = [(type(span.token).__name__, getattr(span.token, "key", None)) for span in converted.spans]
    assert kinds == [
        ("Mention", None),
        ("Mention", None),
        ("IssueRef", "1400"),
        ("IssueRef", "1500"),
        ("FileRef", None),
    ]
    rendered = render_text(converted, issues={"1500": "TRK-15"}, files={"asana:1600": 9})
    assert (
        rendered.text
        == "Hi @asana.user, `@Ghost` and asana:1400 or TRK-15![](/ajax/v2/attachments/9?inline=true)"
    )


def test_azure_devops_mentions_and_attachments(html: MarkupConverter) -> None:
    source = (
        '<div><a href="#" data-vss-mention="version:2.0,6a1e">@Jane Doe</a> attached '
        '<img src="https://dev.azure.com/org/6f2c/_apis/wit/attachments/0f1e2d3c-aaaa-bbbb-cccc-111122223333'
        '?fileName=image.png"></div>'
    )
    converted = html.convert(source)
    assert converted.text.startswith("`@Jane Doe` attached ![](https://dev.azure.com/")
    mention, image = (span.token for span in converted.spans)
    assert mention == Mention("Jane Doe", "Jane Doe", None, "@Jane Doe")
    assert isinstance(image, FileRef) and image.keys == ("0f1e2d3c-aaaa-bbbb-cccc-111122223333", "image.png")
    assert render_text(converted, users={"Jane Doe": "jane"}, files={"image.png": 4}).text == (
        "@jane attached ![](/ajax/v2/attachments/4?inline=true)"
    )


def test_clickup_attachments_and_user_mentions(html: MarkupConverter) -> None:
    source = (
        '<p><span class="mention" data-user-id="1200">@Anna</span> see '
        '<a href="https://t9.p.clickup-attachments.com/t9/8d1e/report.pdf">report.pdf</a></p>'
    )
    converted = html.convert(source)
    assert (
        converted.text
        == "@asana.user see [report.pdf](https://t9.p.clickup-attachments.com/t9/8d1e/report.pdf)"
    )
    assert [type(span.token).__name__ for span in converted.spans] == ["Mention", "FileRef"]
    assert (
        render_text(converted, files={"report.pdf": 5}).text
        == "@asana.user see [report.pdf](/ajax/v2/attachments/5)"
    )


def test_details_table_and_list_habits(html: MarkupConverter) -> None:
    assert html.convert("<ol start='3'><li>a</li></ol>").text == "3. a"
    heading = html.convert("<h2>a<br>b</h2>")  # a heading holds one line
    assert (heading.text, heading.lossy) == ("## a b", ["table_linebreak"])


def test_a_table_whose_cells_hold_blocks_becomes_a_yfm_table(html: MarkupConverter) -> None:
    source = (
        "<table><tr><th>Step</th><th>Result</th></tr>"
        "<tr><td><ul><li>open</li><li>click</li></ul></td><td>ok<br>fine</td></tr></table>"
    )
    result = html.convert(source)
    assert result.text == "#|\n||\n**Step**\n|\n**Result**\n||\n||\n- open\n- click\n|\nok\nfine\n||\n|#"
    assert result.lossy == []  # the line break is kept, not flattened
