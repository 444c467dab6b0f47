"""Links: relationship mapping, orientation, canonical ledger ids shared by both ends, parents."""

from __future__ import annotations

import pytest

from migrator.mapping.issue_children import canonical_link_id
from migrator.model import Link, UserRef
from migrator.plan import PlannedLink
from migrator.vocabulary import INVERSE_RELATIONSHIP

from .mapping_helpers import T0, child_ref, make_issue, transformer


def links_of(key: str, *links: Link, parent: str | None = None) -> list[PlannedLink]:
    t = transformer()
    planned = t.transform(make_issue(key, links=list(links), parent_key=parent))
    assert planned is not None, [f.render() for f in t.findings]
    return planned.links


def test_both_ends_of_a_link_get_the_same_ledger_id() -> None:
    (on_a,) = links_of("PROJ-1", Link(child_ref("l", "1"), "PROJ-1", "PROJ-2", "blocks"))
    (on_b,) = links_of("PROJ-2", Link(child_ref("l", "2"), "PROJ-2", "PROJ-1", "is blocked by"))
    assert on_a.source_id == on_b.source_id == "link:PROJ-1|is dependent by|PROJ-2"
    # each end says it from its own side
    assert (on_a.to_source_key, on_a.relationship) == ("PROJ-2", "is dependent by")
    assert (on_b.to_source_key, on_b.relationship) == ("PROJ-1", "depends on")


def test_a_link_listed_with_the_issue_on_the_to_side_is_inverted() -> None:
    (link,) = links_of("PROJ-2", Link(child_ref("l", "1"), "PROJ-1", "PROJ-2", "blocks"))
    assert (link.to_source_key, link.relationship) == ("PROJ-1", "depends on")
    assert link.source_id == "link:PROJ-1|is dependent by|PROJ-2"


def test_orientation_is_by_plain_string_order_of_the_keys() -> None:
    (link,) = links_of("PROJ-10", Link(child_ref("l", "1"), "PROJ-10", "PROJ-9", "duplicates"))
    assert link.source_id == "link:PROJ-10|duplicates|PROJ-9"  # "PROJ-10" < "PROJ-9"
    (back,) = links_of("PROJ-9", Link(child_ref("l", "2"), "PROJ-9", "PROJ-10", "is duplicated by"))
    assert back.source_id == link.source_id


@pytest.mark.parametrize("relationship", sorted(INVERSE_RELATIONSHIP))
def test_canonical_ids_agree_from_both_ends_for_every_relationship(relationship: str) -> None:
    assert canonical_link_id("A-1", relationship, "B-1") == canonical_link_id(
        "B-1", INVERSE_RELATIONSHIP[relationship], "A-1"
    )


def test_the_same_link_twice_on_one_issue_is_planned_once() -> None:
    links = links_of(
        "PROJ-1",
        Link(child_ref("l", "1"), "PROJ-1", "PROJ-2", "relates to"),
        Link(child_ref("l", "2"), "PROJ-2", "PROJ-1", "relates to"),
    )
    assert [link.source_id for link in links] == ["link:PROJ-1|relates|PROJ-2"]


def test_parent_becomes_an_is_subtask_for_link() -> None:
    (link,) = links_of("PROJ-5", parent="PROJ-2")
    assert (link.to_source_key, link.relationship, link.created_by) == ("PROJ-2", "is subtask for", "alice")
    assert link.source_id == "link:PROJ-2|is parent task for|PROJ-5"


def test_parent_link_and_an_explicit_subtask_link_are_one_link() -> None:
    from .mapping_helpers import make_config, value_maps

    values = value_maps()
    values["link"].map["is a sub-task of"] = "is subtask for"
    t = transformer(make_config(values=values))
    planned = t.transform(
        make_issue(
            "PROJ-5",
            parent_key="PROJ-2",
            links=[Link(child_ref("l", "1"), "PROJ-5", "PROJ-2", "is a sub-task of")],
        )
    )
    assert planned is not None
    assert [link.source_id for link in planned.links] == ["link:PROJ-2|is parent task for|PROJ-5"]


def test_link_author_and_date_default_to_the_issues_creation() -> None:
    (link,) = links_of("PROJ-1", Link(child_ref("l", "1"), "PROJ-1", "PROJ-2", "relates to"))
    assert (link.created_by, link.created_at) == ("alice", "2024-03-01T09:00:00.000+0000")
    (authored,) = links_of(
        "PROJ-1", Link(child_ref("l", "1"), "PROJ-1", "PROJ-2", "relates to", T0, UserRef("bob"))
    )
    assert authored.created_by == "bob"


def test_a_relationship_the_target_has_no_link_type_for() -> None:
    import copy

    from .mapping_helpers import TARGET

    data = copy.deepcopy(TARGET)
    data["link_types"] = [{"id": "relates"}]
    t = transformer(target_data=data)
    planned = t.transform(
        make_issue(
            "PROJ-1", links=[Link(child_ref("l", "1"), "PROJ-1", "PROJ-2", "blocks")], parent_key="PROJ-0"
        )
    )
    assert planned is None
    assert sorted((f.kind, f.field) for f in t.findings) == [
        ("value.unknown_in_target", "links[0].relationship"),
        ("value.unknown_in_target", "parent"),
    ]
