"""The Trello board adapter: cards → issue records with lists, labels, members, comments from
actions, attachments, checklists, sub-tasks, links, archived cards and truncation reported."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from migrator.errors import MigratorError
from migrator.findings import Severity
from migrator.mapping.config import load_mapping
from migrator.mapping.target_info import TargetInfo
from migrator.sandbox.fixture import read_fixture
from migrator.validate import validate

from ..sources_helpers import make_config, of_kind, read_all

BOARD = Path(__file__).resolve().parents[2] / "fixtures" / "adapters" / "trello" / "board.json"
SOURCE: dict[str, Any] = {
    "adapter": "trello",
    "parent_ref": "key",
    "files": {"directory": "attachments"},
    "issues": {
        "fields": {
            "id": "id",
            "key": "key",
            "summary": "name",
            "description": "description",
            "status": "list.name",
            "created_at": "created_at",
            "created_by": {"column": "created_by", "default": "trello-import"},
            "updated_at": "updated_at",
            "assignee": "assignee",
            "followers": "members",
            "tags": "labels",
            "parent": "parent",
        },
        "custom": {
            "archived": {"column": "archived", "type": "bool"},
            "estimate": {"column": "custom.Estimate (days)", "type": "float"},
        },
    },
    "comments": {
        "path": "comments",
        "fields": {"id": "id", "author": "author", "created_at": "created_at", "text": "text"},
    },
    "attachments": {
        "path": "attachments",
        "fields": {
            "id": "id",
            "filename": "filename",
            "location": "path",
            "size": "size",
            "created_at": "created_at",
            "author": "author",
        },
    },
    "links": {
        "path": "links",
        "fields": {"to": "to", "relationship": "relationship", "created_at": "created_at"},
    },
}


def _read(tmp_path: Path, data: dict[str, Any] | None = None) -> tuple[list[Any], Any]:
    path = tmp_path / "board.json"
    if data is None:
        shutil.copy(BOARD, path)
    else:
        path.write_text(json.dumps(data), encoding="utf-8")
    config = make_config(tmp_path, SOURCE)
    return read_all(config, path)


def test_cards_become_issues_with_list_labels_and_members(tmp_path: Path) -> None:
    (login, plan, dark), _ = _read(tmp_path)
    assert [(i.key, i.source.id, i.status) for i in (login, plan, dark)] == [
        ("1", "65a0f0a0aaaaaaaaaaaa0001", "Doing"),
        ("2", "65a1a1a1bbbbbbbbbbbb0002", "To do"),
        ("3", "6540a000cccccccccccc0003", "Old ideas"),
    ]
    assert login.tags == ["Bug"] and dark.tags == ["green"]  # a label without a name: its colour
    assert (login.assignee.name, login.assignee.display) == ("benk", "Ben Kowalski")  # type: ignore[union-attr]
    assert [u.name for u in login.followers] == ["benk", "anasilva"]
    assert login.created_at == datetime(2024, 1, 15, 8, 0, tzinfo=UTC) and login.created_by.name == "benk"
    assert login.custom == {"archived": False, "estimate": 5.0}
    assert dark.custom["archived"] is True  # a card in an archived list is flagged, not dropped


def test_comments_come_from_comment_actions_with_their_authors_resolved(tmp_path: Path) -> None:
    (login, plan, _), _ = _read(tmp_path)
    assert [(c.author.name, c.author.display, c.text) for c in login.comments] == [
        ("eve.o", "Eve Okafor", "Same here; trace attached."),  # left the board: known from the action only
        ("anasilva", "Ana Silva", "Fixed in 2.4.1, please re-test."),
    ]
    assert plan.comments == []


def test_checklists_become_text_and_a_converted_item_makes_a_subtask(tmp_path: Path) -> None:
    (login, plan, _), _ = _read(tmp_path)
    assert login.description == (
        "Users of **Okta** see a 500.\n\n**Tasks**\n- [x] Check Okta logs\n- [ ] https://trello.com/c/Ef56Gh78"
    )
    assert plan.parent_key == "1" and login.parent_key is None


def test_uploads_are_attachments_and_card_links_are_links(tmp_path: Path) -> None:
    (login, plan, _), _ = _read(tmp_path)
    assert [
        (a.filename, a.location, a.size, a.author.name if a.author else None) for a in login.attachments
    ] == [("trace.txt", "65d0000000000000000d0001/trace.txt", 27, "benk")]
    assert [(link.to_key, link.relationship) for link in plan.links] == [
        ("1", "relates"),
        ("https://trello.com/c/Zz99Yy88", "relates"),  # a card on another board: outside the export
    ]
    assert login.links == []  # a web link attachment is neither


def test_missing_creation_actions_and_comments_are_reported(tmp_path: Path) -> None:
    (_, _, dark), findings = _read(tmp_path)
    assert dark.created_at == datetime(2023, 10, 31, 6, 34, 40, tzinfo=UTC)  # the ObjectId's timestamp
    assert dark.created_by.name == "trello-import"
    (from_id,) = of_kind(findings, "trello.created_from_id")
    assert (from_id.severity, from_id.key, from_id.field) == (Severity.INFO, "3", "created_at")
    (missing,) = of_kind(findings, "trello.comments_missing")
    assert (missing.severity, missing.key, missing.value) == (Severity.WARNING, "1", "2 of 3")


def test_the_1000_action_limit_is_detected(tmp_path: Path) -> None:
    board = json.loads(BOARD.read_text(encoding="utf-8"))
    card = board["cards"][1]
    filler = {"type": "updateCard", "date": "2024-01-01T00:00:00.000Z", "idMemberCreator": "x",
              "data": {"card": {"id": card["id"]}}}  # fmt: skip
    board["actions"] += [{**filler, "id": f"{n:024x}"} for n in range(1000 - len(board["actions"]))]
    _, findings = _read(tmp_path, board)
    (truncated,) = of_kind(findings, "trello.actions_truncated")
    assert (truncated.severity, truncated.row, truncated.value) == (Severity.WARNING, 1, "1000")


def test_a_single_card_export_is_one_issue_with_a_warning(tmp_path: Path) -> None:
    card = json.loads(BOARD.read_text(encoding="utf-8"))["cards"][0]
    (issue,), findings = _read(tmp_path, card)
    assert issue.source.id == card["id"] and issue.status is None
    assert [f.kind for f in of_kind(findings, "trello.single_card")] == ["trello.single_card"]


def test_not_a_board_and_an_unknown_adapter_are_errors(tmp_path: Path) -> None:
    with pytest.raises(MigratorError, match="board.json: not a Trello board export"):
        _read(tmp_path, {"issues": []})
    path = tmp_path / "x.json"
    path.write_text("[]", encoding="utf-8")
    config = make_config(tmp_path, {**SOURCE, "adapter": "trelo"})
    with pytest.raises(MigratorError, match="(?s)no adapter is called 'trelo'.*did you mean 'trello'"):
        read_all(config, path)


def test_the_trello_preset_validates_the_fixture_board_end_to_end(tmp_path: Path) -> None:
    """The adapter feeds the unchanged pipeline: ``mappings/trello-json.yaml`` on a board export
    with its attachments folder plans issues, comments, files, links and a parent."""
    shutil.copy(BOARD, tmp_path / "board.json")
    upload = tmp_path / "attachments" / "65d0000000000000000d0001" / "trace.txt"
    upload.parent.mkdir(parents=True)
    upload.write_bytes(b"Traceback: SSO callback 500")
    config = load_mapping(Path(__file__).resolve().parents[3] / "mappings" / "trello-json.yaml")
    target = TargetInfo.from_fixture_dict(read_fixture(None)[0], "DEMO")
    result = validate(config, [tmp_path / "board.json"], target)
    assert result.counts["issues"] == 3 and result.counts["comments"] == 2
    assert result.counts["attachments"] == 1 and result.counts["links"] >= 2
    kinds = {f.kind for f in result.findings}
    assert {"trello.created_from_id", "trello.comments_missing"} <= kinds
    assert "attachment.missing" not in kinds
