"""Tokens and organization headers.

``Authorization: OAuth <token>`` or ``Bearer <token>``; organization in ``X-Org-ID`` or
``X-Cloud-Org-ID`` (any case). The official client always sends ``X-Org-Id: not provided`` when it
was given ``cloud_org_id`` — that placeholder is ignored.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from werkzeug.datastructures import Headers

from migrator.sandbox.config import DEFAULT_ADMIN_TOKEN, SandboxConfig
from migrator.sandbox.errors import ApiError
from migrator.sandbox.org import Org, User

PLACEHOLDER_ORG = "not provided"


@dataclasses.dataclass(frozen=True)
class Credentials:
    tokens: dict[str, User]
    admin_token: str
    org_ids: frozenset[str]
    missing_org_status: int
    wrong_org_status: int

    def token_for(self, login: str) -> str | None:
        return next((t for t, u in self.tokens.items() if u.login == login), None)

    def authenticate(self, headers: Headers | Mapping[str, str]) -> User:
        user = self._user(headers.get("Authorization", ""))
        self._check_org(headers.get("X-Org-ID"), headers.get("X-Cloud-Org-ID"))
        return user

    def _user(self, header: str) -> User:
        scheme, _, token = header.strip().partition(" ")
        if not header.strip():
            raise ApiError(401, "Authorization header is missing: send 'OAuth <token>' or 'Bearer <token>'")
        if scheme.lower() not in ("oauth", "bearer") or not token.strip():
            raise ApiError(401, "Authorization header must be 'OAuth <token>' or 'Bearer <token>'")
        user = self.tokens.get(token.strip())
        if user is None:
            raise ApiError(401, "The token is not valid for this organization")
        return user

    def _check_org(self, org_header: str | None, cloud_header: str | None) -> None:
        given = [
            v.strip() for v in (org_header, cloud_header) if v and v.strip() and v.strip() != PLACEHOLDER_ORG
        ]
        if not given:
            raise ApiError(
                self.missing_org_status, "Organization is not specified: send X-Org-ID or X-Cloud-Org-ID"
            )
        if given[0] not in self.org_ids:
            raise ApiError(self.wrong_org_status, f"Organization {given[0]!r} is not this organization")


def setup_credentials(org: Org, cfg: SandboxConfig) -> tuple[Org, Credentials]:
    """Token table for the org; guarantees an admin token (adding/promoting ``cfg.admin_login``).

    Returns the org, possibly with that admin user added or promoted.
    """
    token_logins: dict[str, str] = {u.token: u.login for u in org.users if u.token}
    token_logins.update(org.tokens)
    token_logins.update(cfg.tokens)
    admin_token = cfg.admin_token or _existing_admin_token(org, token_logins) or DEFAULT_ADMIN_TOKEN
    if token_logins.get(admin_token) is None or cfg.admin_token:
        org = _with_admin(org, cfg.admin_login)
        token_logins[admin_token] = cfg.admin_login
    users = org.user_index.by_login
    tokens = {token: users[login] for token, login in token_logins.items() if login in users}
    admin = tokens[admin_token]
    if not admin.admin:
        org = _with_admin(org, admin.login)
        tokens = {t: org.user_index.by_login[u.login] for t, u in tokens.items()}
    return org, Credentials(
        tokens, admin_token, frozenset(org.org_ids()), cfg.missing_org_status, cfg.wrong_org_status
    )


def _existing_admin_token(org: Org, token_logins: dict[str, str]) -> str | None:
    admins = {u.login for u in org.users if u.admin}
    return next((t for t, login in token_logins.items() if login in admins), None)


def _with_admin(org: Org, login: str) -> Org:
    """The org with ``login`` as an administrator (a new user if there is none)."""
    existing = org.user_index.by_login.get(login)
    if existing is not None and existing.admin:
        return org
    if existing is not None:
        users = [dataclasses.replace(u, admin=True) if u.login == login else u for u in org.users]
    else:
        uid = max((u.uid for u in org.users), default=1_100_000_000_000_000) + 1
        users = [
            *org.users,
            User(uid, login, f"{login}@example.com", "Sandbox Admin", "Sandbox", "Admin", admin=True),
        ]
    return dataclasses.replace(org, users=users)
