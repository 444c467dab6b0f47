"""The shared vocabulary: stored values never change, relationships are derived from one table,
and the sandbox's independent copy of Tracker's link rules agrees with ours."""

from __future__ import annotations

import ast
from datetime import timedelta
from pathlib import Path

from execution.helpers_executor import BASE, client_for, make_issue, ts

from migrator.sandbox import SandboxServer
from migrator.sandbox import rules as sandbox_rules
from migrator.sandbox.handlers import links as sandbox_links
from migrator.vocabulary import (
    CHILD_OF,
    INVERSE_RELATIONSHIP,
    KINDS,
    LINK_TYPE_RELATIONSHIPS,
    PARENT_OF,
    RELATIONSHIPS,
    STATUSES,
    SUBTASK_LINK_TYPE,
    SYMMETRIC_LINK_TYPES,
)

SANDBOX_PACKAGE = Path(sandbox_rules.__file__).parent


def test_kind_and_status_values_are_the_ones_stored_in_state_files() -> None:
    assert [str(k) for k in KINDS] == [
        "issue",
        "comment",
        "attachment",
        "comment_attachment",
        "worklog",
        "description",
        "link",
        "local_fields",
        "issue_update",
        "comment_edit",
        "removal",
    ]
    assert [str(s) for s in STATUSES] == ["pending", "in_flight", "done", "failed", "blocked"]


def test_inverses_are_derived_and_an_involution() -> None:
    assert INVERSE_RELATIONSHIP["depends on"] == "is dependent by"
    assert INVERSE_RELATIONSHIP["duplicates"] == "is duplicated by"
    assert INVERSE_RELATIONSHIP["relates"] == "relates"
    for name, inverse in INVERSE_RELATIONSHIP.items():
        assert INVERSE_RELATIONSHIP[inverse] == name
        assert RELATIONSHIPS[inverse][0] == RELATIONSHIPS[name][0]


def test_parent_child_relationships_are_the_two_ends_of_the_subtask_type() -> None:
    assert (CHILD_OF, PARENT_OF) == ("is subtask for", "is parent task for")
    assert RELATIONSHIPS[CHILD_OF] == (SUBTASK_LINK_TYPE, "inward")
    assert RELATIONSHIPS[PARENT_OF] == (SUBTASK_LINK_TYPE, "outward")


def test_every_relationship_belongs_to_exactly_one_link_type() -> None:
    provided = [name for names in LINK_TYPE_RELATIONSHIPS.values() for name in names]
    assert sorted(provided) == sorted(RELATIONSHIPS)
    assert LINK_TYPE_RELATIONSHIPS["depends"] == ("depends on", "is dependent by")
    assert LINK_TYPE_RELATIONSHIPS["relates"] == ("relates",)


def test_sandbox_relationship_table_agrees_with_ours() -> None:
    assert sandbox_rules.RELATIONSHIPS == RELATIONSHIPS
    assert sandbox_rules.SYMMETRIC_LINK_TYPES == SYMMETRIC_LINK_TYPES


def test_sandbox_shows_the_other_issue_our_inverse() -> None:
    for name, (type_id, direction) in RELATIONSHIPS.items():
        seen_from_other = (type_id, sandbox_links.INVERSE[direction])
        inverse = INVERSE_RELATIONSHIP[name]
        if type_id in SYMMETRIC_LINK_TYPES:
            assert inverse == name
        else:
            assert RELATIONSHIPS[inverse] == seen_from_other, name


def test_sandbox_makes_the_other_issue_the_parent_of_a_child_of_link(sandbox: SandboxServer) -> None:
    child, parent = make_issue(1), make_issue(2)
    with client_for(sandbox) as client:
        child_key = client.import_issue(child.body)["key"]
        parent_key = client.import_issue(parent.body)["key"]
        client.import_link(
            child_key,
            {
                "relationship": CHILD_OF,
                "issue": parent_key,
                "createdAt": ts(BASE + timedelta(days=5)),
                "createdBy": "admin",
            },
        )
        assert client.get_issue(child_key)["parent"]["key"] == parent_key
        assert "parent" not in client.get_issue(parent_key)


def test_sandbox_keeps_its_own_copy() -> None:
    """The sandbox models the service: it must not import the client's vocabulary."""
    for path in SANDBOX_PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                assert node.module != "migrator.vocabulary", path
            elif isinstance(node, ast.Import):
                assert all(alias.name != "migrator.vocabulary" for alias in node.names), path


def test_a_local_field_id_splits_into_the_queue_hex_id_and_the_key() -> None:
    from migrator.vocabulary import local_field_key, split_local_field_id

    assert split_local_field_id("6061a1b2c3d4e5f6--storyPoints") == ("6061a1b2c3d4e5f6", "storyPoints")
    assert split_local_field_id("storyPoints") is None  # a global field
    assert split_local_field_id("--storyPoints") is None and split_local_field_id("abc--") is None
    assert local_field_key("6061a1b2c3d4e5f6--storyPoints") == "storyPoints"
    assert local_field_key("summary") == "summary"
