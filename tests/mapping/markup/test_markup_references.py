"""ReferenceConfig and ReferenceFinder: which syntaxes count as issue references, per source system."""

from __future__ import annotations

import pytest

from migrator.mapping.markup import IssueRef, ReferenceConfig
from migrator.mapping.markup.references import ReferenceFinder


def _found(config: ReferenceConfig, text: str) -> list[tuple[str, str, str | None]]:
    return [(ref.key, ref.written, ref.url) for _, _, ref in ReferenceFinder(config).find(text)]


def test_the_default_config_finds_nothing() -> None:
    config = ReferenceConfig()
    assert not config.active
    assert _found(config, "PROJ-1 #2 bug 3") == []


def test_jira_keys_only_for_the_given_projects_and_whole_words() -> None:
    config = ReferenceConfig.for_system(
        "jira", base_url="https://jira.example.com/", project_keys=["PROJ", "OPS"]
    )
    assert _found(config, "PROJ-1, OPS-22. XPROJ-3 PROJ-4x PROJ-5-6 other/PROJ-7 PROJ-8.png #9") == [
        ("PROJ-1", "PROJ-1", "https://jira.example.com/browse/PROJ-1"),
        ("OPS-22", "OPS-22", "https://jira.example.com/browse/OPS-22"),
    ]


def test_github_hashes_own_repo_and_other_repos() -> None:
    config = ReferenceConfig.for_system("github", base_url="https://github.com/acme/app")
    assert config.repository == "acme/app"
    assert _found(config, "#1 GH-2 acme/app#3 other/lib#4 a#5 &#6; issue#7 #8x") == [
        ("1", "#1", "https://github.com/acme/app/issues/1"),
        ("2", "GH-2", "https://github.com/acme/app/issues/2"),
        ("3", "acme/app#3", "https://github.com/acme/app/issues/3"),
        ("other/lib#4", "other/lib#4", "https://github.com/other/lib/issues/4"),
    ]


def test_gitlab_merge_requests_and_nested_groups() -> None:
    config = ReferenceConfig.for_system("gitlab", base_url="https://gitlab.example.com/grp/sub/proj")
    assert _found(config, "!12 and grp/sub/proj#3 and ![img](x)") == [
        ("!12", "!12", "https://gitlab.example.com/grp/sub/proj/-/merge_requests/12"),
        ("3", "grp/sub/proj#3", "https://gitlab.example.com/grp/sub/proj/-/issues/3"),
    ]


@pytest.mark.parametrize(
    ("system", "text", "key", "url"),
    [
        ("redmine", "see #12", "12", "https://old.example/issues/12"),
        ("bugzilla", "dup of bug 12", "12", "https://old.example/show_bug.cgi?id=12"),
        ("bugzilla", "Bug #12", "12", "https://old.example/show_bug.cgi?id=12"),
        ("trac", "ticket:12", "12", "https://old.example/ticket/12"),
    ],
)
def test_numbered_trackers(system: str, text: str, key: str, url: str) -> None:
    config = ReferenceConfig.for_system(system, base_url="https://old.example")
    ((found_key, _, found_url),) = _found(config, text)
    assert (found_key, found_url) == (key, url)


@pytest.mark.parametrize(
    ("system", "base", "url", "key"),
    [
        ("jira", "https://jira.example.com", "https://jira.example.com/browse/PROJ-1", "PROJ-1"),
        (
            "jira",
            "https://jira.example.com",
            "http://JIRA.example.com/browse/PROJ-1?focusedCommentId=3",
            "PROJ-1",
        ),
        (
            "jira",
            "https://jira.example.com",
            "https://jira.example.com/projects/PROJ/issues/PROJ-2",
            "PROJ-2",
        ),
        ("github", "https://github.com/acme/app", "https://github.com/acme/app/pull/9", "9"),
        (
            "gitlab",
            "https://gitlab.example.com/g/p",
            "https://gitlab.example.com/g/p/-/merge_requests/4",
            "!4",
        ),
        ("redmine", "https://rm.example/", "https://rm.example/issues/77#note-2", "77"),
    ],
)
def test_old_issue_urls(system: str, base: str, url: str, key: str) -> None:
    finder = ReferenceFinder(ReferenceConfig.for_system(system, base_url=base))
    assert finder.url_reference(url) == IssueRef(key, url, url)


def test_urls_elsewhere_are_not_references() -> None:
    finder = ReferenceFinder(ReferenceConfig.for_system("jira", base_url="https://jira.example.com"))
    assert finder.url_reference("https://jira.example.com/secure/Dashboard.jspa") is None
    assert finder.url_reference("https://other.example.com/browse/PROJ-1") is None
    assert finder.url_reference("https://jira.example.com.evil/browse/PROJ-1") is None


def test_unknown_system_or_style_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown source system"):
        ReferenceConfig(system="myspace")
    with pytest.raises(ValueError, match="unknown reference styles"):
        ReferenceConfig(styles=frozenset({"hashtag"}))


def test_an_unknown_system_falls_back_to_generic_with_explicit_styles() -> None:
    config = ReferenceConfig.for_system("linear", styles=frozenset({"key"}), project_keys=["ENG"])
    assert config.system == "generic"
    assert _found(config, "ENG-4") == [("ENG-4", "ENG-4", None)]
