"""What the Jira adapters (CSV, XML, REST JSON) share: how people and relations are written.

All three give the mapping the same shapes, so the Jira presets map them alike:

* a person is ``{accountId, displayName}`` (Cloud), ``{login, displayName}`` (Server/DC user
  names), and may have an ``emailAddress`` (REST, when the user's privacy settings allow);
* an issue link is ``{to, relationship}`` with ``relationship`` = ``<link type name> (outward)`` or
  ``(inward)`` — the type's *name* (Blocks, Cloners, Duplicate, Relates, an app's), which Jira
  does not translate, as the CSV's link columns do;
* a parent is ``{to, relationship: "Parent (<this issue's type>)"}`` where the export does not say
  whether the parent is a sub-task's parent or an epic (CSV, XML: the mapping's ``values.link``
  decides by the type); where it does (REST: ``issuetype.subtask``, the parent's
  ``hierarchyLevel``) a sub-task's parent is the canonical ``parent`` and any other is ``Parent
  (epic)`` / ``Parent (level N)``; an epic named by the old Epic Link field is ``Epic Link``.
"""

from __future__ import annotations

EPIC_LINK = "Epic Link"
EPIC_LINK_KEY = "com.pyxis.greenhopper.jira:gh-epic-link"
NO_VALUE = "-1"  # Jira XML's id or user for "none": <resolution id="-1">, <assignee username="-1">


def person(ident: str | None, display: str | None = None, *, cloud: bool) -> dict[str, str] | None:
    """A person as the presets read it; None for nobody (empty, or Jira's ``-1``)."""
    ident = (ident or "").strip()
    if not ident or ident == NO_VALUE:
        return None
    out = {"accountId" if cloud else "login": ident}
    if display and display.strip():
        out["displayName"] = display.strip()
    return out


def link(type_name: str, direction: str, to: str) -> dict[str, str]:
    """An issue link seen from the issue it is listed on (``direction``: outward | inward)."""
    return {"to": to, "relationship": f"{type_name.strip()} ({direction})"}


def parent_by_type(to: str, issue_type: str | None) -> dict[str, str]:
    """A parent whose kind (sub-task's parent or epic) only the child's type tells."""
    return {"to": to, "relationship": f"Parent ({(issue_type or '').strip() or '?'})"}
