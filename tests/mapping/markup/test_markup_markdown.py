"""GitHub / GitLab Markdown → YFM: code untouched, mentions, references, uploads, HTML habits."""

from __future__ import annotations

import pytest
from markup_helpers import USERS

from migrator.mapping.markup import FileRef, MarkupConverter, ReferenceConfig, convert, render_text


@pytest.fixture(scope="module")
def github() -> MarkupConverter:
    refs = ReferenceConfig.for_system("github", base_url="https://github.com/acme/app")
    return MarkupConverter("markdown", user_login=USERS.get, references=refs)


@pytest.fixture(scope="module")
def gitlab() -> MarkupConverter:
    refs = ReferenceConfig.for_system("gitlab", base_url="https://gitlab.example.com/grp/app")
    return MarkupConverter("markdown", user_login=USERS.get, references=refs)


def test_code_is_left_alone() -> None:
    source = "```\n{% x %} @jsmith ^\n```\n\n    {% indented %} @jsmith\n\ntext `{{ v }}` {% y %}"
    assert convert(source, "markdown", user_login=USERS.get).text == (
        "```\n{% x %} @jsmith ^\n```\n\n    {% indented %} @jsmith\n\ntext `{{ v }}` &#123;% y %}"
    )


def test_urls_and_link_targets_are_kept_intact() -> None:
    source = "see https://x.example/a^b and [doc](https://x.example/{%) and <https://x.example/^>"
    assert convert(source, "markdown", user_login=USERS.get).text == source


def test_br_is_a_newline_except_in_tables() -> None:
    result = convert("a<br>b\n| x<br/>y |", "markdown", user_login=USERS.get)
    assert result.text == "a\nb\n| x y |"
    assert result.lossy == ["table_linebreak"]


def test_headings_task_lists_and_milestones_are_kept() -> None:
    source = '## Title\n- [ ] todo\n- [x] done\n%v1.0 %"Milestone 2"'
    assert convert(source, "markdown", user_login=USERS.get).text == source


def test_gitlab_labels_keep_their_tilde_literal() -> None:
    assert convert('labels ~bug ~"needs review" and ~~strike~~', "markdown", user_login=USERS.get).text == (
        'labels \\~bug \\~"needs review" and ~~strike~~'
    )


def test_github_references_in_text_and_urls(github: MarkupConverter) -> None:
    source = "Fixes #5 (dup of https://github.com/acme/app/issues/6), see [the PR](https://github.com/acme/app/pull/7) `#8`"
    converted = github.convert(source)
    assert converted.text == source
    rendered = render_text(converted, issues={"5": "TRK-5", "6": "TRK-6"})
    assert rendered.text == (
        "Fixes TRK-5 (dup of TRK-6), see [the PR](https://github.com/acme/app/pull/7) `#8`"
    )


def test_gitlab_merge_requests_become_links_to_gitlab(gitlab: MarkupConverter) -> None:
    rendered = render_text(gitlab.convert("see !4 and #2"), issues={"2": "TRK-2"})
    assert rendered.text == "see [!4](https://gitlab.example.com/grp/app/-/merge_requests/4) and TRK-2"


def test_uploads_images_and_links(gitlab: MarkupConverter) -> None:
    source = "![d](/uploads/ab12/d.png){width=300 height=200} and [spec](/uploads/cd34/spec%20v2.pdf)"
    converted = gitlab.convert(source)
    image, document = (span.token for span in converted.spans)
    assert image == FileRef(("/uploads/ab12/d.png", "d.png"), "d", True, "`d.png`", False, "300", "200")
    assert document == FileRef(("/uploads/cd34/spec%20v2.pdf", "spec v2.pdf"), "spec", False, "`spec v2.pdf`")
    rendered = render_text(converted, files={"d.png": 1, "spec v2.pdf": 2})
    assert rendered.text == (
        "![d](/ajax/v2/attachments/1?inline=true =300x200) and [spec](/ajax/v2/attachments/2)"
    )


def test_github_assets_stay_visible_until_resolved(github: MarkupConverter) -> None:
    source = (
        '<img width="1842" height="1292" alt="Image" src="https://github.com/user-attachments/assets/9f8e">'
    )
    converted = github.convert(source)
    assert converted.text == "![Image](https://github.com/user-attachments/assets/9f8e =1842x1292)"
    assert converted.lossy == []
    assert render_text(converted, files={"https://github.com/user-attachments/assets/9f8e": 3}).text == (
        "![Image](/ajax/v2/attachments/3?inline=true =1842x1292)"
    )


def test_ordinary_images_are_not_files(github: MarkupConverter) -> None:
    converted = github.convert(
        '![logo](https://x.example/l.png) <img src="https://x.example/b.png" width="50%">'
    )
    assert converted.text == "![logo](https://x.example/l.png) ![](https://x.example/b.png)"
    assert converted.spans == ()
    assert converted.lossy == ["image_size"]


def test_small_html_habits() -> None:
    result = convert(
        "<!-- hidden -->Press <kbd>Ctrl</kbd>, x<sup>2</sup>, H<sub>2</sub>O, <b>b</b>",
        "markdown",
        user_login=USERS.get,
    )
    assert result.text == "Press `Ctrl`, x^2^, H2O, **b**"
    assert result.lossy == ["subscript"]


def test_alerts_become_notes() -> None:
    source = "> [!CAUTION]\n> Data *loss*\n> @jsmith\n\nafter"
    assert convert(source, "markdown", user_login=USERS.get).text == (
        '{% note alert "" %}\n\nData *loss*\n@ivanov\n\n{% endnote %}\n\nafter'
    )
