"""A newer export of texts that point at things (``execution/texts.py`` with ``delta.py``), against the
sandbox: an unchanged description that names issues is never PATCHed, a changed one is sent rendered,
an edited comment names issues by their Tracker keys, new issues take keys after every key already
planned, and a changed description that shows files is PATCHed by its own row after the new file."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from spans_helpers import spanned

from execution.helpers_executor import BASE, FAST, client_for, make_issue, sandbox_server, ts
from migrator.delta import DeltaSummary, edit_source_id
from migrator.execution import Executor
from migrator.findings import Findings
from migrator.plan import PlannedIssue, TextPointers
from migrator.planning import chain_rows, load_plan
from migrator.planning_texts import KeyPlan
from migrator.snapshot import highest_key_number
from migrator.state import CheckpointStore
from migrator.textspans import FileRef, IssueRef, spans_to_json
from migrator.tracker import TrackerClient
from migrator.verify import verify
from migrator.vocabulary import KINDS, Kind, Status


def _point(template: str, *tokens: IssueRef | FileRef) -> tuple[str, TextPointers]:
    converted = spanned(template, *tokens)
    return converted.text, TextPointers(spans=spans_to_json(converted.spans))


def _ref(n: int) -> IssueRef:
    return IssueRef(f"S-{n}", f"S-{n}", None)


def _issue(n: int, files: Path, *, description: str = "see {}", names: int = 2) -> PlannedIssue:
    issue = make_issue(n, files, comments=1, files=0, comment_files=0, worklogs=0)
    issue.body["description"], issue.description_pointers = _point(description, _ref(names))
    issue.comments[0].body["text"], issue.comments[0].pointers = _point("about {}", _ref(names))
    return issue


def _first_export(files: Path) -> list[PlannedIssue]:
    """S-1 names S-2 (imported after it), S-2 names S-1."""
    return [_issue(1, files, names=2), _issue(2, files, names=1)]


class Sent:
    """A client that records the bodies of the issue PATCHes it sends."""

    def __init__(self, client: TrackerClient) -> None:
        self.client = client
        self.patches: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def patch_issue(self, key: str, body: dict[str, Any], version: int | None = None) -> Any:
        self.patches.append((key, dict(body)))
        return self.client.patch_issue(key, body, version=version)


@contextmanager
def _imported(tmp_path: Path, plan: list[PlannedIssue]) -> Iterator[tuple[TrackerClient, CheckpointStore]]:
    with (
        sandbox_server() as server,
        client_for(server) as client,
        CheckpointStore(tmp_path / "s.sqlite") as store,
    ):
        _load(client, store, plan)
        assert _run(client, store)
        yield client, store


def _load(client: TrackerClient, store: CheckpointStore, plan: list[PlannedIssue]) -> DeltaSummary:
    delta = DeltaSummary()
    keys = KeyPlan(lambda: highest_key_number(client, "DEMO"))
    load_plan(store, plan, "t", "DEMO", keys=keys, findings=Findings(), delta=delta)
    return delta


def _run(client: Any, store: CheckpointStore) -> bool:
    return Executor(client, store, workers=1, progress=False, policy=FAST).run().complete


def test_an_issue_update_sends_texts_rendered_and_leaves_an_unchanged_description_alone(
    tmp_path: Path,
) -> None:
    files = tmp_path / "files"
    with _imported(tmp_path, _first_export(files)) as (client, store):
        assert client.get_issue("DEMO-1")["description"] == "see DEMO-2"
        store.reserve_key("migrator.queue-lease:DEMO", "DEMO-3")  # the lease's marker, not searched yet

        newer = _first_export(files)
        newer[0].body["summary"] = "Renamed"  # the description (naming S-2) is unchanged
        newer[1].body["description"], newer[1].description_pointers = _point(
            "now see {} and {}", _ref(1), _ref(4)
        )
        newer[1].comments[0].body["text"], newer[1].comments[0].pointers = _point("edited: {}", _ref(4))
        newer.append(_issue(4, files, description="follows {}", names=1))  # new: names an imported issue
        delta = _load(client, store, newer)
        assert delta.issues == {"changed": 2, "new": 1}
        assert store.planned_key("S-4") == "DEMO-4"  # after the reserved DEMO-3, though the queue ends at 2
        sent = Sent(client)
        assert _run(sent, store)

        assert ("DEMO-1", {"summary": "Renamed"}) in sent.patches  # the summary only, not the description
        assert all("description" not in body for key, body in sent.patches if key == "DEMO-1")
        assert client.get_issue("DEMO-1")["description"] == "see DEMO-2"
        assert client.get_issue("DEMO-2")["description"] == "now see DEMO-1 and DEMO-4"
        assert [c["text"] for c in client.list_comments("DEMO-2")] == ["edited: DEMO-4"]
        assert client.get_issue("DEMO-4")["description"] == "follows DEMO-1"
        assert verify(client, newer, store, progress=False).clean

        before = len(sent.patches)
        _load(client, store, newer)
        assert store.unfinished_count() == 0 and _run(sent, store) and len(sent.patches) == before


def _showing(files: Path, count: int) -> PlannedIssue:
    """S-1 with ``count`` files, its description showing them all (PATCHed after them)."""
    issue = make_issue(1, files, comments=0, files=count, comment_files=0, worklogs=0)
    shown = [FileRef((a.source_id,), a.filename, False, f"`{a.filename}`") for a in issue.attachments]
    issue.body["description"], issue.description_pointers = _point(
        "files: " + " ".join(["{}"] * count), *shown
    )
    assert issue.description_pointers is not None
    issue.description_patch = True
    issue.description_pointers.shows = [a.source_id for a in issue.attachments]
    return issue


def test_a_changed_description_showing_a_new_file_is_patched_by_its_own_row_after_the_file(
    tmp_path: Path,
) -> None:
    files = tmp_path / "files"
    with _imported(tmp_path, [_showing(files, 1)]) as (client, store):
        newer = [_showing(files, 2)]  # a second file, and the description shows it too
        newer[0].attachments[1].created_at = ts(BASE + timedelta(days=2))  # inside the imported window
        assert _load(client, store, newer).issues == {"changed": 1}
        pending = [
            (r.kind, r.source_id) for r in store.rows_for_issue("S-1", KINDS) if r.status == Status.PENDING
        ]
        described = edit_source_id("S-1", _description_hash(store))
        assert pending == [
            (Kind.ISSUE_UPDATE, pending[0][1]),
            (Kind.ATTACHMENT, "S-1-f1"),
            (Kind.DESCRIPTION, described),  # the new PATCH, after the new file (keyed by what it sends)
        ]
        sent = Sent(client)
        assert _run(sent, store)

        ids = sorted(str(a["id"]) for a in client.list_attachments("DEMO-1"))
        texts = [body["description"] for key, body in sent.patches if "description" in body]
        assert len(texts) == 1 and all(f"/ajax/v2/attachments/{i}" in texts[0] for i in ids)
        assert client.get_issue("DEMO-1")["description"] == texts[0]
        assert verify(client, newer, store, progress=False).clean

        for _again in range(2):  # the PATCH is applied: later loads plan nothing
            assert _load(client, store, newer).issues == {"unchanged": 1}
            assert store.unfinished_count() == 0


def _description_hash(store: CheckpointStore) -> str:
    """The payload hash the newest load planned for the issue's description PATCH."""
    plan = store.load_issue("S-1")
    row = next(r for r in chain_rows(plan) if r.kind == Kind.DESCRIPTION)
    return row.payload_hash
