"""Adapters: code that turns an export whose shape needs it into issue records.

The registry is an explicit dict — adding a tracker is one module here, one line below, one
mapping in ``mappings/`` and one sample (see ``docs/mapping.md``, "Adding a tracker").
"""

from __future__ import annotations

import difflib

from migrator.errors import MigratorError
from migrator.sources.adapters.asana import AsanaAdapter
from migrator.sources.adapters.azure_devops import AzureDevOpsAdapter
from migrator.sources.adapters.base import Adapter, AdapterInput
from migrator.sources.adapters.bugzilla import BugzillaAdapter
from migrator.sources.adapters.github import GitHubRestAdapter
from migrator.sources.adapters.github_archive import GitHubArchiveAdapter
from migrator.sources.adapters.gitlab import GitLabAdapter
from migrator.sources.adapters.jira_csv import JiraCsvAdapter
from migrator.sources.adapters.jira_json import JiraJsonAdapter
from migrator.sources.adapters.jira_xml import JiraXmlAdapter
from migrator.sources.adapters.redmine import RedmineAdapter
from migrator.sources.adapters.trac import TracAdapter
from migrator.sources.adapters.trello import TrelloAdapter
from migrator.sources.adapters.youtrack import YouTrackAdapter

ADAPTERS: dict[str, type[Adapter]] = {
    AsanaAdapter.name: AsanaAdapter,
    AzureDevOpsAdapter.name: AzureDevOpsAdapter,
    BugzillaAdapter.name: BugzillaAdapter,
    GitHubRestAdapter.name: GitHubRestAdapter,
    GitHubArchiveAdapter.name: GitHubArchiveAdapter,
    GitLabAdapter.name: GitLabAdapter,
    JiraCsvAdapter.name: JiraCsvAdapter,
    JiraJsonAdapter.name: JiraJsonAdapter,
    JiraXmlAdapter.name: JiraXmlAdapter,
    RedmineAdapter.name: RedmineAdapter,
    TracAdapter.name: TracAdapter,
    TrelloAdapter.name: TrelloAdapter,
    YouTrackAdapter.name: YouTrackAdapter,
}

__all__ = ["ADAPTERS", "Adapter", "AdapterInput", "adapter_class"]


def adapter_class(name: str) -> type[Adapter]:
    """The adapter registered as ``name``; an unknown name is a ``MigratorError`` listing them."""
    found = ADAPTERS.get(name)
    if found is not None:
        return found
    close = difflib.get_close_matches(name, list(ADAPTERS), n=1)
    raise MigratorError(
        f"source.adapter: no adapter is called {name!r} (adapters: {', '.join(sorted(ADAPTERS))})",
        hint=f"did you mean {close[0]!r}?"
        if close
        else "leave source.adapter out to read the files as they are",
    )
