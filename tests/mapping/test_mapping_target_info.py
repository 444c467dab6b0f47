"""TargetInfo.from_fixture_dict: the transform's questions answered from the fixture/snapshot format."""

from __future__ import annotations

import copy

import pytest

from migrator.mapping.target_info import FieldInfo, TargetInfo, TargetUser
from migrator.vocabulary import INVERSE_RELATIONSHIP

from .mapping_helpers import TARGET, target


def test_reference_data_by_key() -> None:
    info = target()
    assert info.queue_key == "DEMO"
    assert (
        info.has_status("open"),
        info.has_status("Open"),
        info.has_type("bug"),
        info.has_type("incident"),
    ) == (True, False, True, False)
    assert (info.has_priority("normal"), info.has_resolution("wontFix"), info.has_resolution("fixed ")) == (
        True,
        True,
        False,
    )
    assert info.default_type() == "task"


def test_workflow_statuses_per_type() -> None:
    info = target()
    assert info.statuses_for_type("epic") == {"open", "closed"}
    assert info.statuses_for_type("bug") == {"open", "inProgress", "needInfo", "resolved", "closed"}
    assert info.statuses_for_type("incident") is None


def test_components_versions_and_users() -> None:
    info = target()
    assert info.components() == {"Backend": 11, "Frontend": 12}
    assert info.versions() == {"1.0": 21, "2.0": 22}
    carol = next(u for u in info.users() if u.login == "carol")
    assert isinstance(carol, TargetUser)
    assert (carol.email, carol.display, carol.uid, carol.dismissed) == (
        "carol@example.com",
        "Carol Clark",
        5,
        True,
    )


def test_ids_omitted_in_a_hand_written_fixture_are_assigned_in_order() -> None:
    data = copy.deepcopy(TARGET)
    data["queues"][0]["components"] = [{"name": "A"}, {"name": "B"}]
    assert target(data).components() == {"A": 1, "B": 2}


def test_global_and_local_fields() -> None:
    info = target()
    assert info.global_field("severity") == FieldInfo("severity", {"type": "string"}, ["S1", "S2", "S3"])
    assert info.global_field("customer") is None
    full_id, schema, options = info.local_field("customer")  # type: ignore[misc]
    assert (full_id, schema, options) == (
        "5f0c0ffee0c0ffee0c0ffee0--customer",
        {"type": "string"},
        ["Acme", "Globex"],
    )
    assert info.local_field("5f0c0ffee0c0ffee0c0ffee0--customer") is not None
    assert info.local_field("severity") is None


def test_local_field_without_id_gets_the_sandboxs_derived_id() -> None:
    import hashlib

    data = copy.deepcopy(TARGET)
    data["queues"][0]["local_fields"] = [{"key": "customer", "schema": {"type": "string"}}]
    field = target(data).local_field("customer")
    assert field is not None
    assert field.id == hashlib.sha1(b"queue:DEMO").hexdigest()[:24] + "--customer"


def test_link_relationships_follow_the_link_types() -> None:
    data = copy.deepcopy(TARGET)
    data["link_types"] = [{"id": "relates"}, {"id": "depends"}]
    assert target(data).link_relationships() == {"relates", "depends on", "is dependent by"}
    data["link_types"] = []
    assert target(data).link_relationships() == set(INVERSE_RELATIONSHIP)


def test_an_unknown_queue_is_refused() -> None:
    with pytest.raises(KeyError, match="queue 'NOPE' is not in the target metadata"):
        TargetInfo.from_fixture_dict(TARGET, "NOPE")
