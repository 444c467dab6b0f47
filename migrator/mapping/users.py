"""User resolution: a source user (login, e-mail or display name) -> a Tracker login, with evidence.

Order (first hit wins):

1. ``users.map`` — explicit, keyed by the source name, e-mail or display name (case-insensitive);
   a ``null`` value means "nobody": the user's fields (assignee, followers, user fields) stay empty.
   Authorship cannot be nobody: a mapped-to-nobody author goes on to ``users.fallback``
   (:meth:`UserResolver.resolve_author`);
2. auto-match against the target's users in ``users.match`` order: ``email`` (the ref's e-mail, or
   its name when that is an e-mail), ``login``, ``name`` (display name). A method matching more than
   one Tracker user is *ambiguous* and skipped (said in the evidence);
3. ``users.fallback`` (reported as a warning wherever it is used);
4. otherwise unresolved (an error wherever the user is referenced).

Every distinct source user is resolved once (cached by name + e-mail + display name) and counted;
``rows()`` gives the users table of the report. Dismissed Tracker users still match (history is
often written by people who left) but the evidence says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from migrator.mapping.config import UsersSpec
from migrator.mapping.target_info import TargetUserLike
from migrator.mapping.undecided import UNDECIDED
from migrator.model import UserRef
from migrator.results import UserRow

EXPLICIT = "explicit"
FALLBACK = "fallback"
UNRESOLVED = "unresolved"
UNKNOWN_LOGIN = "unknown_login"  # users.map (or the fallback) names a login the target does not have
NOBODY = "nobody"  # users.map sends the user to null: the field is left empty
UNDECIDED_USER = "undecided"  # users.map says "?": the user has to decide who this is


@dataclass
class Resolution:
    login: str | None
    method: (
        str  # explicit | email | login | name | fallback | unresolved | unknown_login | nobody | undecided
    )
    evidence: str
    tried: list[str] = field(default_factory=list)  # what was tried before the method that decided
    dismissed: bool = False

    @property
    def ok(self) -> bool:
        return self.login is not None


@dataclass
class _Entry:
    ref: UserRef
    resolution: Resolution
    count: int = 0


def _norm(text: str | None) -> str:
    return " ".join((text or "").split()).casefold()


def _looks_like_email(text: str) -> bool:
    return "@" in text and "." in text.rsplit("@", 1)[-1] and " " not in text.strip()


class UserResolver:
    """Resolves source users to Tracker logins (see the module docstring)."""

    def __init__(self, spec: UsersSpec, target_users: Iterable[TargetUserLike]) -> None:
        self.spec = spec
        self._users = list(target_users)
        self._explicit = {_norm(k): v for k, v in spec.map.items()}
        self._by_login: dict[str, list[TargetUserLike]] = {}
        self._by_email: dict[str, list[TargetUserLike]] = {}
        self._by_name: dict[str, list[TargetUserLike]] = {}
        for user in self._users:
            self._by_login.setdefault(_norm(user.login), []).append(user)
            if user.email:
                self._by_email.setdefault(_norm(user.email), []).append(user)
            if user.display:
                self._by_name.setdefault(_norm(user.display), []).append(user)
        self._entries: dict[tuple[str, str, str], _Entry] = {}
        # a reference's fields as given -> as compared: the same few people are named on every issue
        self._keys: dict[tuple[str | None, str | None, str | None], tuple[str, str, str]] = {}
        self._mentions: dict[str, str | None] = {}
        self._nobody_told: set[tuple[str, str, str]] = set()

    # ------------------------------------------------------------------ public

    def resolve(self, ref: UserRef) -> Resolution:
        """Resolve (cached) and count one reference to a source user."""
        key = self._key(ref)
        entry = self._entries.get(key)
        if entry is None:
            entry = _Entry(ref, self._resolve(ref))
            self._entries[key] = entry
        entry.count += 1
        return entry.resolution

    def resolve_author(self, ref: UserRef) -> Resolution:
        """Like :meth:`resolve`, for someone who *did* something (created, commented, logged
        time): "nobody" cannot do that, so a user mapped to null goes on to ``users.fallback``."""
        resolution = self.resolve(ref)
        if resolution.method != NOBODY:
            return resolution
        return self._fallback(ref, [resolution.evidence + ", but an author is needed"])

    def first_nobody(self, ref: UserRef) -> bool:
        """True the first time a mapped-to-nobody user is met (to say so once per user)."""
        key = self._key(ref)
        if key in self._nobody_told:
            return False
        self._nobody_told.add(key)
        return True

    def _key(self, ref: UserRef) -> tuple[str, str, str]:
        """Name, email and display name as compared (blank space collapsed, case folded)."""
        given = (ref.name, ref.email, ref.display)
        key = self._keys.get(given)
        if key is None:
            key = self._keys[given] = (_norm(ref.name), _norm(ref.email), _norm(ref.display))
        return key

    def mention_login(self, name: str) -> str | None:
        """The login for an @-mention of a source user: explicit or auto-matched only (never the
        fallback — a mention of the wrong person is worse than a plain name). Not counted."""
        key = _norm(name)
        if key not in self._mentions:
            resolution = self._match(UserRef(name=name), [])
            self._mentions[key] = resolution.login if resolution is not None and resolution.ok else None
        return self._mentions[key]

    def rows(self) -> list[UserRow]:
        rows = [
            UserRow(
                source_name=e.ref.name,
                login=e.resolution.login,
                method=e.resolution.method,
                evidence=e.resolution.evidence,
                count=e.count,
                email=e.ref.email,
                display=e.ref.display,
            )
            for e in self._entries.values()
        ]
        return sorted(rows, key=lambda r: (r.login is None, -r.count, r.source_name.casefold()))

    # ------------------------------------------------------------------ resolution

    def _resolve(self, ref: UserRef) -> Resolution:
        tried: list[str] = []
        found = self._match(ref, tried)
        if found is not None:
            return found
        return self._fallback(ref, tried)

    def _fallback(self, ref: UserRef, tried: list[str]) -> Resolution:
        if self.spec.fallback:
            user = self._login_user(self.spec.fallback)
            if user is None:
                return Resolution(
                    None,
                    UNKNOWN_LOGIN,
                    f"users.fallback {self.spec.fallback!r} is not a Tracker user",
                    tried,
                )
            return Resolution(
                user.login,
                FALLBACK,
                f"no match ({'; '.join(tried) or 'no auto-match configured'}); users.fallback {user.login}",
                tried,
                _dismissed(user),
            )
        return Resolution(
            None, UNRESOLVED, "; ".join(tried) or "no explicit map entry and no auto-match", tried
        )

    def _match(self, ref: UserRef, tried: list[str]) -> Resolution | None:
        explicit = self._explicit_match(ref, tried)
        if explicit is not None:
            return explicit
        for method in self.spec.match:
            found = self._auto(method, ref, tried)
            if found is not None:
                return found
        return None

    def _explicit_match(self, ref: UserRef, tried: list[str]) -> Resolution | None:
        for label, value in (("name", ref.name), ("e-mail", ref.email), ("display name", ref.display)):
            if not value or _norm(value) not in self._explicit:
                continue
            login = self._explicit[_norm(value)]
            if login == UNDECIDED:
                return Resolution(
                    None, UNDECIDED_USER, f"users.map leaves {label} {value!r} undecided", tried
                )
            if login is None:
                return Resolution(None, NOBODY, f"users.map sends {label} {value!r} to nobody (null)", tried)
            user = self._login_user(login)
            if user is None:
                return Resolution(
                    None,
                    UNKNOWN_LOGIN,
                    f"users.map sends {label} {value!r} to {login!r}, which is not a Tracker user",
                    tried,
                )
            return Resolution(
                user.login,
                EXPLICIT,
                f"users.map: {label} {value!r} -> {user.login}" + _dismissed_note(user),
                tried,
                _dismissed(user),
            )
        tried.append("not in users.map")
        return None

    def _auto(self, method: str, ref: UserRef, tried: list[str]) -> Resolution | None:
        if method == "email":
            value = ref.email or (ref.name if _looks_like_email(ref.name) else None)
            index, label = self._by_email, "e-mail"
        elif method == "login":
            value, index, label = ref.name, self._by_login, "login"
        else:
            value, index, label = ref.display or ref.name, self._by_name, "name"
        if not value:
            tried.append(f"no {label} to match")
            return None
        candidates = index.get(_norm(value), [])
        if len(candidates) == 1:
            user = candidates[0]
            return Resolution(
                user.login,
                method,
                f"{label} {value} matches Tracker user {user.login}" + _dismissed_note(user),
                tried,
                _dismissed(user),
            )
        if candidates:
            logins = ", ".join(sorted(u.login for u in candidates))
            tried.append(f"{label} {value!r} is ambiguous (Tracker users {logins})")
        else:
            tried.append(f"no Tracker user with {label} {value!r}")
        return None

    def _login_user(self, login: str) -> TargetUserLike | None:
        candidates = self._by_login.get(_norm(login), [])
        return candidates[0] if candidates else None


def _dismissed(user: TargetUserLike) -> bool:
    return bool(getattr(user, "dismissed", False))


def _dismissed_note(user: TargetUserLike) -> str:
    return " (dismissed in Tracker)" if _dismissed(user) else ""
