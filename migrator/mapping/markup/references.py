"""Issue references in source texts: which syntaxes apply (configuration) and finding them.

Styles (``ReferenceConfig.styles``):

* ``key`` — ``PROJ-12`` for the export's project keys (Jira, YouTrack); with ``any_project_key`` and
  no project keys, any ``KEY-12`` (the export's keys are known only once it is read: the rendering
  then tells references from look-alikes such as ``UTF-8``, see ``textspans.render_text``);
* ``hash`` — ``#12`` (GitHub, GitLab, Redmine, Trac; also ``GH-12`` for GitHub, ``ticket:12`` for Trac,
  ``##12``/``###12`` for Redmine);
* ``repo`` — ``owner/repo#12`` (GitHub, GitLab; the export's own repository means ``#12``);
* ``bug`` — ``bug 12`` / ``bug #12`` (Bugzilla);
* ``merge_request`` — ``!12`` (GitLab; never migrated, becomes a link to the old page).

Full URLs of the old tracker's issue pages under ``base_url`` are references too. The key a
reference yields is the issue's key in the export (``PROJ-12``; ``12`` for numbered trackers;
``other/repo#12`` for another repository; ``!12`` for a merge request) — the key of the ``issues``
map that ``render.render_text`` takes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from migrator.mapping.markup.tokens import IssueRef

STYLES = ("key", "hash", "repo", "bug", "merge_request")


@dataclass(frozen=True)
class _System:
    styles: frozenset[str]
    issue_url: str  # "{base}" and "{key}"
    url_patterns: tuple[str, ...]  # after the base URL; group 1 is the key (or number)
    merge_request_url: str = ""
    other_repo_url: str = ""  # "{host}", "{repo}", "{key}"


_SYSTEMS: dict[str, _System] = {
    "jira": _System(
        frozenset({"key"}),
        "{base}/browse/{key}",
        (r"/browse/([A-Z][A-Z0-9_]*-\d+)", r"/projects/[^/\s]+/issues/([A-Z][A-Z0-9_]*-\d+)"),
    ),
    "youtrack": _System(frozenset({"key"}), "{base}/issue/{key}", (r"/issue/([A-Z][A-Z0-9_]*-\d+)",)),
    "github": _System(
        frozenset({"hash", "repo"}),
        "{base}/issues/{key}",
        (r"/(?:issues|pull)/(\d+)",),
        other_repo_url="{host}/{repo}/issues/{key}",
    ),
    "gitlab": _System(
        frozenset({"hash", "repo", "merge_request"}),
        "{base}/-/issues/{key}",
        (r"/(?:-/)?issues/(\d+)", r"/(?:-/)?merge_requests/(\d+)"),
        merge_request_url="{base}/-/merge_requests/{key}",
        other_repo_url="{host}/{repo}/-/issues/{key}",
    ),
    "redmine": _System(frozenset({"hash"}), "{base}/issues/{key}", (r"/issues/(\d+)",)),
    "bugzilla": _System(frozenset({"bug"}), "{base}/show_bug.cgi?id={key}", (r"/show_bug\.cgi\?id=(\d+)",)),
    "trac": _System(frozenset({"hash"}), "{base}/ticket/{key}", (r"/ticket/(\d+)",)),
    "generic": _System(frozenset(), "", ()),
}
SYSTEMS = tuple(_SYSTEMS)


def issue_page_template(system: str, base_url: str) -> str | None:
    """The old tracker's page of an issue under ``base_url`` as a ``{key}`` template (Jira:
    ``https://jira.example.com/browse/{key}``); None when ``system`` has no known page."""
    preset = _SYSTEMS.get(system)
    if preset is None or not preset.issue_url:
        return None
    base = base_url.rstrip("/").replace("{", "{{").replace("}", "}}")
    return preset.issue_url.replace("{base}", base)


@dataclass(frozen=True)
class ReferenceConfig:
    """Which issue references a conversion finds. Empty (the default) finds none."""

    system: str = "generic"
    styles: frozenset[str] = frozenset()
    project_keys: tuple[str, ...] = ()
    base_url: str | None = None  # the old tracker (Jira: https://jira.example.com; GitHub: the repo URL)
    repository: str | None = None  # "owner/repo" whose "owner/repo#12" means "#12"
    any_project_key: bool = False  # "key" style without project keys: any KEY-12 is a candidate

    def __post_init__(self) -> None:
        if self.system not in _SYSTEMS:
            raise ValueError(
                f"unknown source system {self.system!r} for references (one of {', '.join(SYSTEMS)})"
            )
        unknown = sorted(set(self.styles) - set(STYLES))
        if unknown:
            raise ValueError(f"unknown reference styles {unknown} (known: {', '.join(STYLES)})")

    @classmethod
    def for_system(
        cls,
        system: str,
        *,
        base_url: str | None = None,
        project_keys: tuple[str, ...] | list[str] = (),
        styles: frozenset[str] | None = None,
        any_project_key: bool = False,
    ) -> ReferenceConfig:
        """The usual reference styles of ``system``; GitHub/GitLab take the repository from ``base_url``."""
        preset = _SYSTEMS.get(system, _SYSTEMS["generic"])
        base = base_url.rstrip("/") if base_url else None
        repository = None
        if base and system in ("github", "gitlab"):
            repository = urlsplit(base).path.strip("/") or None
        return cls(
            system=system if system in _SYSTEMS else "generic",
            styles=preset.styles if styles is None else frozenset(styles),
            project_keys=tuple(project_keys),
            base_url=base,
            repository=repository,
            any_project_key=any_project_key,
        )

    @property
    def active(self) -> bool:
        return (
            bool(self.base_url)
            or bool(self.styles - {"key"})
            or bool("key" in self.styles and (self.project_keys or self.any_project_key))
        )


class ReferenceFinder:
    """Finds the configured references in plain text segments and recognises old issue URLs."""

    def __init__(self, config: ReferenceConfig) -> None:
        self.config = config
        self._system = _SYSTEMS[config.system]
        self._base = config.base_url.rstrip("/") if config.base_url else None
        self._text_re = _text_pattern(config)
        self._url_re = _url_pattern(self._base, self._system)

    @property
    def active(self) -> bool:
        return self._text_re is not None or self._url_re is not None

    def find(self, text: str) -> Iterator[tuple[int, int, IssueRef]]:
        """References written in plain ``text`` (no URLs: see :meth:`url_reference`)."""
        if self._text_re is None:
            return
        for match in self._text_re.finditer(text):
            ref = self._from_match(match)
            if ref is not None:
                yield match.start(), match.end(), ref

    def url_reference(self, url: str) -> IssueRef | None:
        """The issue a full URL of the old tracker points at, if it is one."""
        if self._url_re is None:
            return None
        match = self._url_re.fullmatch(url)
        if match is None:
            return None
        number = next(group for group in match.groups() if group)
        is_merge_request = "merge_requests" in match.group(0)
        key = f"!{number}" if is_merge_request else number
        return IssueRef(key=key, written=url, url=url)

    def _from_match(self, match: re.Match[str]) -> IssueRef | None:
        written = match.group(0)
        groups = match.groupdict()
        if groups.get("key"):
            key = groups["key"]
            return IssueRef(key, written, self._url(self._system.issue_url, key))
        if groups.get("repo"):
            repo, number = groups["repo"], groups["repo_n"]
            if self.config.repository and repo.lower() == self.config.repository.lower():
                return IssueRef(number, written, self._url(self._system.issue_url, number))
            return IssueRef(f"{repo}#{number}", written, self._other_repo_url(repo, number))
        if groups.get("mr"):
            number = groups["mr"]
            return IssueRef(f"!{number}", written, self._url(self._system.merge_request_url, number))
        for name in ("hash", "bug"):
            if groups.get(name):
                number = groups[name]
                return IssueRef(number, written, self._url(self._system.issue_url, number))
        return None

    def _url(self, template: str, key: str) -> str | None:
        if not self._base or not template:
            return None
        return template.format(base=self._base, key=key)

    def _other_repo_url(self, repo: str, number: str) -> str | None:
        if not self._base or not self._system.other_repo_url:
            return None
        parts = urlsplit(self._base)
        host = f"{parts.scheme}://{parts.netloc}"
        return self._system.other_repo_url.format(host=host, repo=repo, key=number)


_ANY_PROJECT = r"[A-Z][A-Z0-9_]+"  # Jira and YouTrack project keys: a capital, then capitals/digits/_


def _text_pattern(config: ReferenceConfig) -> re.Pattern[str] | None:
    parts: list[str] = []
    styles = config.styles
    if "key" in styles and (config.project_keys or config.any_project_key):
        keys = "|".join(re.escape(k) for k in sorted(config.project_keys, key=len, reverse=True))
        keys = keys or _ANY_PROJECT
        parts.append(rf"(?<![\w\-/.\\])(?P<key>(?:{keys})-\d+)(?![\w\-]|\.\w)")
    if "repo" in styles:
        parts.append(r"(?<![\w/.\-])(?P<repo>[A-Za-z0-9][\w.\-]*(?:/[\w.\-]+)+)#(?P<repo_n>\d+)(?![\w\-])")
    if "hash" in styles:
        hash_forms = [r"#"]
        if config.system == "github":
            hash_forms.append(r"GH-")
        if config.system == "trac":
            hash_forms.append(r"ticket:")
        if config.system == "redmine":
            hash_forms[:0] = [r"###", r"##"]  # Redmine: ##12 and ###12 show the issue with its subject
        parts.append(rf"(?<![\w&#/\\\-])(?:{'|'.join(hash_forms)})(?P<hash>\d+)(?![\w\-])")
    if "bug" in styles:
        parts.append(r"(?<![\w\\])[Bb]ug\s?#?(?P<bug>\d+)(?![\w\-])")
    if "merge_request" in styles:
        parts.append(r"(?<![\w!\[\\])!(?P<mr>\d+)(?![\w\-])")
    return re.compile("|".join(parts)) if parts else None


def _url_pattern(base: str | None, system: _System) -> re.Pattern[str] | None:
    if not base or not system.url_patterns:
        return None
    without_scheme = re.sub(r"^https?://", "", base, flags=re.IGNORECASE)
    paths = "|".join(system.url_patterns)
    return re.compile(
        rf"https?://{re.escape(without_scheme)}(?:{paths})(?:[?#][^\s<>()\[\]|]*)?",
        re.IGNORECASE,
    )
