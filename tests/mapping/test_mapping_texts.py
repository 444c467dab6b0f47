"""The mapping pass's texts: markup per field, references from the source settings, mentions
resolved through the user mapping, and conversion ahead in a process pool giving the same result."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import ConfigError
from migrator.mapping.config import load_mapping
from migrator.mapping.texts import TextConversions, reference_config
from migrator.model import Comment, Issue, UserRef
from migrator.sources.spec import ReferencesSpec
from migrator.textspans import IssueRef, Mention, render_text

from .mapping_helpers import T0, child_ref, make_config, make_issue, transformer

ADF = json.dumps(
    {
        "type": "doc",
        "version": 1,
        "content": [
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "see PROJ-2, "},
                    {"type": "mention", "attrs": {"id": "acc-1", "text": "@Jane"}},
                ],
            }
        ],
    }
)


def _logins(name: str) -> str | None:
    return {"acc-1": "alice", "bob": "bob"}.get(name)


def test_each_text_field_takes_its_own_markup() -> None:
    source = replace(make_config().source, markup_by_field={"description": "adf", "comments": "html"})
    texts = TextConversions(source, _logins)
    assert texts.convert(ADF, "description").text == "see PROJ-2, @alice"
    assert texts.convert("<p>a <b>bold</b> move</p>", "comments[2].text").text == "a **bold** move"
    assert texts.markup_of("comments[0].text") == "html" and texts.markup_of("description") == "adf"


def test_an_empty_field_is_no_text_in_every_markup() -> None:
    """An issue without description in an ADF export: not a converter failure (a pitfall met)."""
    source = replace(make_config().source, markup="adf")
    converted = TextConversions(source, _logins).convert("", "description")
    assert (converted.text, converted.lossy) == ("", [])


def test_references_follow_the_source_system_base_url_and_references_keys() -> None:
    source = replace(make_config().source, base_url="https://jira.example.com")
    config = reference_config(source)
    assert config.styles == frozenset({"key"}) and config.any_project_key and not config.project_keys
    ref = TextConversions(source, _logins).convert("fixes PROJ-12", "description").spans[0].token
    assert ref == IssueRef("PROJ-12", "PROJ-12", "https://jira.example.com/browse/PROJ-12")

    github = replace(
        source,
        system="github",
        base_url="https://github.com/acme/app",
        references=ReferencesSpec(styles=("hash",), repository="acme/other"),
    )
    config = reference_config(github)
    assert (config.styles, config.repository) == (frozenset({"hash"}), "acme/other")
    named = replace(source, references=ReferencesSpec(project_keys=("OPS",)))
    spans = TextConversions(named, _logins).convert("OPS-1 and PROJ-2", "description").spans
    assert [s.token.key for s in spans if isinstance(s.token, IssueRef)] == ["OPS-1"]
    unknown = replace(source, system="sheet", base_url=None)
    assert TextConversions(unknown, _logins).convert("PROJ-2 #3", "description").spans == ()


def test_mentions_are_resolved_through_the_user_mapping_never_the_fallback() -> None:
    source = replace(make_config().source, markup="markdown")
    converted = TextConversions(source, _logins).convert("@bob and @ghost", "description")
    assert converted.text == "@bob and `@ghost`"
    assert converted.lossy == ["mention_unmapped"]
    assert [s.token for s in converted.spans if isinstance(s.token, Mention)][0].login == "bob"


def _six_issues(description: str, comment: str) -> list[Issue]:
    """PROJ-1…6, each with a description and one comment (``{n}``: the number, ``{n1}``: the next)."""
    return [
        make_issue(
            f"PROJ-{n}",
            description=description.format(n=n, n1=n + 1),
            comments=[Comment(child_ref("c", str(n)), UserRef("bob"), T0, comment.format(n=n, n1=n + 1))],
        )
        for n in range(1, 7)
    ]


def test_conversion_ahead_in_a_pool_gives_the_same_texts() -> None:
    source = replace(
        make_config().source, markup="markdown", base_url="https://github.com/acme/app", system="github"
    )
    issues = _six_issues("#{n1} by @bob, see `#{n}`", "@ghost look at #{n}")
    ahead = TextConversions(source, _logins, batch_issues=4, min_parallel=2, workers=2)
    streamed = list(ahead.prefetch(issues))
    assert streamed == issues
    assert ahead.converted_ahead == 12
    one_by_one = TextConversions(source, _logins)
    for issue in issues:
        assert one_by_one.convert(issue.description or "", "description") == ahead.convert(
            issue.description or "", "description"
        )
    pooled = TextConversions(source, _logins, batch_issues=4, min_parallel=2, workers=2)
    results = []
    for issue in pooled.prefetch(issues):  # converted while the batch is streamed, as the pipeline does
        results.append(pooled.convert(issue.comments[0].text, "comments[0].text"))
    assert results == [one_by_one.convert(i.comments[0].text, "comments[0].text") for i in issues]
    assert pooled.converted_ahead == 12


def test_a_started_pool_converts_the_last_short_batch_too() -> None:
    """The first batch (4 issues, 8 texts) starts the pool; the last one has 2 issues and 4 texts,
    fewer than ``min_parallel``: converted ahead all the same, not one by one in this process."""
    issues = _six_issues("*d{n}*", "_c{n}_")
    texts = TextConversions(
        make_config(markup="jira").source, _logins, batch_issues=4, min_parallel=5, workers=2
    )
    one_by_one = TextConversions(make_config(markup="jira").source, _logins)
    converted = [texts.convert(i.description or "", "description") for i in texts.prefetch(issues)]
    assert texts.converted_ahead == 12
    assert converted == [one_by_one.convert(i.description or "", "description") for i in issues]


def test_a_large_export_warms_the_pool_and_hands_on_its_first_issues_early() -> None:
    """Known to be large: the pool converts from the first batch (though it holds fewer than
    ``min_parallel`` texts) and batches grow 2, 4, 8, 8…: the first issue is handed on once six
    issues are read, not sixteen (two full batches). The texts are the same either way."""
    source = make_config(markup="jira").source
    issues = [make_issue(f"PROJ-{n}", description=f"*d{n}* see PROJ-{n + 1}") for n in range(1, 21)]
    pulled: list[Issue] = []

    def reading() -> Iterator[Issue]:
        for issue in issues:
            pulled.append(issue)
            yield issue

    def stream(large: bool) -> tuple[int, list[Issue], list[Any], int]:
        pulled.clear()
        texts = TextConversions(source, _logins, batch_issues=8, first_batch=2, min_parallel=1000, workers=2)
        streamed, converted, read_at_first = [], [], 0
        for issue in texts.prefetch(reading(), large=large):
            read_at_first = read_at_first or len(pulled)
            streamed.append(issue)
            converted.append(texts.convert(issue.description or "", "description"))
        return read_at_first, streamed, converted, texts.converted_ahead

    read_at_first, streamed, converted, ahead = stream(large=True)
    assert (read_at_first, streamed, ahead) == (6, issues, 20)
    assert stream(large=False) == (16, issues, converted, 0)


def test_a_small_export_never_starts_a_pool() -> None:
    texts = TextConversions(make_config().source, _logins)
    list(texts.prefetch([make_issue("PROJ-1", description="x")]))
    assert texts.converted_ahead == 0


def test_the_transform_records_lossiness_after_the_pointers_are_settled() -> None:
    t = transformer(make_config(markup="markdown"))
    planned = t.transform(make_issue("PROJ-1", description="@ghost ![a](/uploads/ab/a.png)"))
    assert planned is not None and planned.body["description"] == "`@ghost` `a.png`"
    assert dict(t.lossy) == {"mention_unmapped": 1, "attachment_embed": 1}


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("markup: {description: adf, comment: html}", "source.markup.comment: unknown key"),
        ("markup: {description: wiki}", "source.markup.description: unknown markup 'wiki'"),
        ("base_url: jira.example.com", "source.base_url: must be an http(s) URL"),
        ("references: {styles: [hashtag]}", "source.references.styles: unknown style(s) hashtag"),
        (
            "references: {project_keys: [proj]}",
            "source.references.project_keys: must be a list of project keys",
        ),
        ("references: {repository: app}", "source.references.repository: must be owner/repo"),
        ("references: [key]", "source.references: must be a mapping"),
    ],
)
def test_text_settings_are_checked(tmp_path: Path, source: str, problem: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "source: {system: jira, timezone: UTC, issues: {fields: {id: a, summary: b, created_at: c, created_by: d}}, "
        + source
        + "}\ntarget: {queue: DEMO, namespace: t}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert any(line.startswith(problem) for line in caught.value.problems), caught.value.problems


def test_text_settings_load(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "source:\n  system: github\n  timezone: UTC\n  issues: {fields: {id: a, summary: b, created_at: c, created_by: d}}\n"
        "  markup: {description: markdown, comments: html}\n  base_url: https://github.com/acme/app/\n"
        "  references: {styles: [hash, repo], project_keys: OPS, repository: acme/app}\n"
        "target: {queue: DEMO, namespace: t, description_files: patch, comment_files: attached}\n",
        encoding="utf-8",
    )
    config = load_mapping(path)
    source = config.source
    assert (source.markup_of("description"), source.markup_of("comments")) == ("markdown", "html")
    assert source.base_url == "https://github.com/acme/app"
    assert source.references == ReferencesSpec(("hash", "repo"), ("OPS",), "acme/app")
    assert (config.target.description_files, config.target.comment_files) == ("patch", "attached")


def test_target_text_choices_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "source: {system: jira, timezone: UTC, issues: {fields: {id: a, summary: b, created_at: c, created_by: d}}}\n"
        "target: {queue: DEMO, namespace: t, description_files: inline, comment_files: yes}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_mapping(path)
    assert any("target.description_files: unknown value 'inline'" in p for p in caught.value.problems)
    assert any("target.comment_files: unknown value True" in p for p in caught.value.problems)


@pytest.mark.parametrize(
    ("system", "markup", "base", "text", "expected"),
    [
        # Jira links to an issue key: Jira shows them as links to the issue
        ("jira", "jira", "https://jira.example.com", "[PROJ-12] and [PROJ-12|PROJ-12]", "DEMO-5 and DEMO-5"),
        ("jira", "jira", "https://jira.example.com", "[the bug|PROJ-12]", "[the bug](/DEMO-5)"),
        (
            "jira",
            "jira",
            "https://jira.example.com",
            "[gone|PROJ-99], [PROJ-99]",
            "[gone](https://jira.example.com/browse/PROJ-99), [PROJ-99](https://jira.example.com/browse/PROJ-99)",
        ),
        (
            "jira",
            "jira",
            "https://jira.example.com",
            "{{PROJ-12}} UTF-8 proj-12 PROJ-12x",
            "`PROJ-12` UTF-8 proj-12 PROJ-12x",
        ),
        (
            "jira",
            "jira",
            "https://jira.example.com",
            "https://jira.example.com/browse/PROJ-12?focusedCommentId=1#comment-1 (PROJ-12).",
            "DEMO-5 (DEMO-5).",
        ),
        # Redmine: ##12 and ###12 show the issue with its subject; r123 is a revision
        (
            "redmine",
            "textile",
            "https://rm.example.com",
            "#12, ##12, ###12 and r123",
            "DEMO-5, DEMO-5, DEMO-5 and r123",
        ),
        ("redmine", "textile", "https://rm.example.com", "<pre>#12</pre>", "```\n#12\n```"),
        # GitHub: GH-12, the repository's own owner/repo#12, another repository, a pull request URL
        (
            "github",
            "markdown",
            "https://github.com/acme/app",
            "GH-12, acme/app#12, other/repo#3, `#12`",
            "DEMO-5, DEMO-5, [other/repo#3](https://github.com/other/repo/issues/3), `#12`",
        ),
        (
            "github",
            "markdown",
            "https://github.com/acme/app",
            "<https://github.com/acme/app/pull/13>",
            "<https://github.com/acme/app/pull/13>",
        ),
        # GitLab HTML: merge requests are never migrated, they link to the old page
        (
            "gitlab",
            "html",
            "https://gitlab.example.com/g/p",
            "<p>#12 and !4</p>",
            "DEMO-5 and [!4](https://gitlab.example.com/g/p/-/merge_requests/4)",
        ),
        ("bugzilla", "plain", "https://bz.example.com", "dup of bug 12", "dup of DEMO-5"),
        (
            "trac",
            "plain",
            "https://trac.example.com",
            "see ticket:12 and #13",
            "see DEMO-5 and [#13](https://trac.example.com/ticket/13)",
        ),
    ],
)
def test_reference_pitfalls_of_each_tracker(
    system: str, markup: str, base: str, text: str, expected: str
) -> None:
    source = replace(make_config().source, system=system, markup=markup, base_url=base)
    converted = TextConversions(source, _logins).convert(text, "description")
    key = "PROJ-12" if system == "jira" else "12"
    assert render_text(converted, issues={key: "DEMO-5"}, projects={"PROJ"}).text == expected
