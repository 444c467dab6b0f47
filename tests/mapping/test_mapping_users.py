"""UserResolver: explicit map, auto-match order, ambiguity, fallback, evidence and the users table."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from migrator.mapping.config import UsersSpec
from migrator.mapping.users import UserResolver
from migrator.model import UserRef

from .mapping_helpers import TARGET, target


def resolver(**spec: object) -> UserResolver:
    return UserResolver(UsersSpec(**spec), target(TARGET).users())  # type: ignore[arg-type]


def test_explicit_map_by_name_email_or_display_name_ignoring_case() -> None:
    r = resolver(map={"JSmith": "alice", "pm@old.example.com": "bob", "Ivan Petrov": "ivanov"})
    assert r.resolve(UserRef("jsmith")).login == "alice"
    assert r.resolve(UserRef("someone", email="PM@old.example.com")).login == "bob"
    found = r.resolve(UserRef("ipetrov", display="ivan  petrov"))
    assert (found.login, found.method, found.evidence) == (
        "ivanov",
        "explicit",
        "users.map: display name 'ivan  petrov' -> ivanov",
    )


def test_explicit_map_wins_over_auto_match() -> None:
    r = resolver(map={"bob@example.com": "alice"})
    assert r.resolve(UserRef("bob", email="bob@example.com")).login == "alice"


def test_explicit_map_to_a_login_the_target_lacks_is_unresolved_and_says_so() -> None:
    found = resolver(map={"jsmith": "nobody"}, fallback="admin").resolve(UserRef("jsmith"))
    assert (found.login, found.method) == (None, "unknown_login")
    assert "'nobody', which is not a Tracker user" in found.evidence


def test_auto_match_by_email_with_evidence() -> None:
    found = resolver(match=["email"]).resolve(UserRef("Alice L.", email="ALICE@example.com"))
    assert (found.login, found.method) == ("alice", "email")
    assert found.evidence == "e-mail ALICE@example.com matches Tracker user alice"


def test_a_name_that_is_an_email_matches_by_email() -> None:
    assert resolver(match=["email"]).resolve(UserRef("bob@example.com")).login == "bob"


def test_match_order_is_respected() -> None:
    # name "alice" is the login of alice; the e-mail belongs to bob
    ref = UserRef("alice", email="bob@example.com")
    assert resolver(match=["email", "login"]).resolve(ref).login == "bob"
    assert resolver(match=["login", "email"]).resolve(ref).login == "alice"


def test_match_by_display_name() -> None:
    found = resolver(match=["name"]).resolve(UserRef("ai", display="alice liddell"))
    assert (found.login, found.evidence) == ("alice", "name alice liddell matches Tracker user alice")


def test_ambiguous_match_is_skipped_and_explained() -> None:
    found = resolver(match=["name"]).resolve(UserRef("bb", display="Bob Builder"))
    assert found.login is None
    assert found.evidence == "not in users.map; name 'Bob Builder' is ambiguous (Tracker users bob, bob2)"


def test_fallback_reports_what_was_tried() -> None:
    found = resolver(match=["email", "login"], fallback="admin").resolve(UserRef("ghost", email="g@x.org"))
    assert (found.login, found.method) == ("admin", "fallback")
    assert found.evidence == (
        "no match (not in users.map; no Tracker user with e-mail 'g@x.org'; no Tracker user with login 'ghost'); "
        "users.fallback admin"
    )


def test_fallback_login_must_exist() -> None:
    found = resolver(fallback="robot").resolve(UserRef("ghost"))
    assert (found.login, found.method) == (None, "unknown_login")


def test_unresolved_without_fallback() -> None:
    found = resolver(match=["login"]).resolve(UserRef("ghost"))
    assert (found.login, found.method, found.evidence) == (
        None,
        "unresolved",
        "not in users.map; no Tracker user with login 'ghost'",
    )


def test_dismissed_users_still_match_and_the_evidence_says_so() -> None:
    found = resolver().resolve(UserRef("carol"))
    assert (found.login, found.dismissed) == ("carol", True)
    assert found.evidence.endswith("(dismissed in Tracker)")


def test_each_distinct_user_is_resolved_once_and_counted() -> None:
    r = resolver(map={"jsmith": "alice"}, fallback="admin")
    for ref in [UserRef("jsmith"), UserRef("JSMITH"), UserRef("ghost"), UserRef("bob"), UserRef("jsmith")]:
        r.resolve(ref)
    rows = [(row.source_name, row.login, row.method, row.count) for row in r.rows()]
    assert rows == [
        ("jsmith", "alice", "explicit", 3),
        ("bob", "bob", "login", 1),
        ("ghost", "admin", "fallback", 1),
    ]


def test_rows_list_unresolved_users_last_with_their_details() -> None:
    r = resolver(match=["email"])
    r.resolve(UserRef("ghost", email="g@x.org", display="G. Host"))
    r.resolve(UserRef("bob@example.com"))
    (first, last) = r.rows()
    assert first.login == "bob"
    assert (last.source_name, last.login, last.email, last.display, last.method) == (
        "ghost",
        None,
        "g@x.org",
        "G. Host",
        "unresolved",
    )


def test_mentions_never_use_the_fallback_and_are_not_counted() -> None:
    r = resolver(map={"5b10ac": "ivanov"}, fallback="admin")
    assert (r.mention_login("5b10ac"), r.mention_login("bob"), r.mention_login("ghost")) == (
        "ivanov",
        "bob",
        None,
    )
    assert r.rows() == []


def test_null_in_users_map_means_nobody() -> None:
    found = resolver(map={"Unassigned": None}, fallback="admin").resolve(UserRef("Unassigned"))
    assert (found.login, found.method) == (None, "nobody")
    assert "to nobody (null)" in found.evidence


def test_an_author_mapped_to_nobody_goes_to_the_fallback() -> None:
    r = resolver(map={"ghost": None}, fallback="admin")
    author = r.resolve_author(UserRef("ghost"))
    assert (author.login, author.method) == ("admin", "fallback")
    assert "nobody (null), but an author is needed" in author.evidence
    no_fallback = resolver(map={"ghost": None}).resolve_author(UserRef("ghost"))
    assert (no_fallback.login, no_fallback.method) == (None, "unresolved")


_NAMES = st.sampled_from(["jsmith", "JSmith ", "j  smith", "Bob", "bob@example.com", "ghost", ""])


@given(st.lists(st.tuples(_NAMES, st.none() | _NAMES, st.none() | _NAMES), max_size=30))
def test_remembered_comparison_keys_resolve_as_fresh_ones(
    given_refs: list[tuple[str, str | None, str | None]],
) -> None:
    """A reference met again reuses its comparison key: each resolution is what a new resolver
    gives the first reference met with the same name, email and display name as compared."""
    remembering = resolver(map={"jsmith": "alice"}, fallback="admin")
    first_met: dict[tuple[str, ...], UserRef] = {}
    for name, email, display in given_refs:
        ref = UserRef(name, email, display)
        compared = tuple(" ".join((part or "").split()).casefold() for part in (name, email, display))
        first = first_met.setdefault(compared, ref)
        assert remembering.resolve(ref) == resolver(map={"jsmith": "alice"}, fallback="admin").resolve(first)
