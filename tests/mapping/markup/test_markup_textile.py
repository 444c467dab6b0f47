"""Redmine Textile → YFM: Redmine's habits (pre/code, macros, attachment:, @mentions, #refs)."""

from __future__ import annotations

import pytest
from markup_helpers import USERS

from migrator.mapping.markup import FileRef, IssueRef, MarkupConverter, ReferenceConfig, render_text


@pytest.fixture(scope="module")
def textile() -> MarkupConverter:
    refs = ReferenceConfig.for_system("redmine", base_url="https://redmine.example.com")
    return MarkupConverter("textile", user_login=USERS.get, references=refs)


def test_pre_code_with_a_language_and_verbatim_content(textile: MarkupConverter) -> None:
    source = '<pre><code class="ruby">\ndef x\n  "#12 @jsmith *b*"\nend\n</code></pre>'
    converted = textile.convert(source)
    assert converted.text == '```ruby\ndef x\n  "#12 @jsmith *b*"\nend\n```'
    assert converted.spans == ()


def test_basic_textile(textile: MarkupConverter) -> None:
    source = "h2. Head\n\n*bold* _it_ -del- +ins+ @code@ ^sup^\n\n|a|b|\n|c|d|"
    assert textile.convert(source).text == (
        "## Head\n\n**bold** *it* ~~del~~ ++ins++ `code` ^sup^\n\n| a | b |\n| --- | --- |\n| c | d |"
    )


def test_macros_toc_and_other_macros(textile: MarkupConverter) -> None:
    assert textile.convert("{{toc}}\n\ntext").text == "text"
    assert textile.convert("{{include(Page)}} here").text == "&#123;{include(Page)}} here"


def test_references_attachments_images_and_mentions(textile: MarkupConverter) -> None:
    source = (
        'Fixed in #12 (see attachment:"error log.txt" and !shot.png!), thanks @jsmith and @ghost, mail a@b.c'
    )
    converted = textile.convert(source)
    tokens = [span.token for span in converted.spans]
    assert tokens[0] == IssueRef("12", "#12", "https://redmine.example.com/issues/12")
    assert tokens[1] == FileRef(("error log.txt",), "error log.txt", False, "`error log.txt`")
    assert isinstance(tokens[2], FileRef) and tokens[2].keys == ("shot.png",) and tokens[2].image
    rendered = render_text(converted, issues={"12": "RM-12"}, files={"error log.txt": 1, "shot.png": 2})
    assert rendered.text == (
        "Fixed in RM-12 (see [error log.txt](/ajax/v2/attachments/1) and "
        "![](/ajax/v2/attachments/2?inline=true)), thanks @ivanov and `@ghost`, mail a@b.c"
    )


def test_an_unmigrated_issue_links_to_redmine(textile: MarkupConverter) -> None:
    assert (
        render_text(textile.convert("see #404")).text == "see [#404](https://redmine.example.com/issues/404)"
    )


def test_nested_collapse_is_converted_inside(textile: MarkupConverter) -> None:
    converted = textile.convert("{{collapse\n*inner* #5\n}}")
    assert converted.text == '{% cut "Details" %}\n\n**inner** #5\n\n{% endcut %}'
    assert render_text(converted, issues={"5": "RM-5"}).text.endswith("**inner** RM-5\n\n{% endcut %}")


def test_wiki_links_stay_as_written(textile: MarkupConverter) -> None:
    assert (
        textile.convert("See [[Install Guide|the guide]] now").text == "See [[Install Guide|the guide]] now"
    )


def test_a_pre_block_inside_a_collapse_is_kept(textile: MarkupConverter) -> None:
    converted = textile.convert("{{collapse(Log)\n<pre>\ntrace #1\n</pre>\n}}")
    assert converted.lossy == []
    assert converted.text == '{% cut "Log" %}\n\n```\ntrace #1\n```\n\n{% endcut %}'


def test_private_use_characters_of_the_source_are_kept(textile: MarkupConverter) -> None:
    assert textile.convert("odd \ue0027\ue003 text").text == "odd \ue0027\ue003 text"
