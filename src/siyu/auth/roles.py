"""Who may do what: one table of role → permissions, read by the API and the CLI alike."""

from __future__ import annotations

from dataclasses import dataclass

PERMISSIONS = {
    "persons:read": "search persons and read their 360 view (masked)",
    "pii:unmask": "see phones, names and addresses in full, giving a reason (audited)",
    "segments:read": "validate, count, preview and list segments and their members",
    "segments:write": "save segments",
    "segments:export": "export a segment's members to a file (audited)",
    "tags:read": "list tags and their sizes",
    "metrics:read": "read metrics and the funnel",
    "identity:read": "read the identity review queue",
    "identity:decide": "merge or split identities (honoured by the next run)",
    "runs:read": "read run progress and history",
    "runs:start": "start a pipeline run",
    "imports:write": "upload files, preview mappings, read quarantined rows",
    "audit:read": "read the audit log",
}

_ALL = frozenset(PERMISSIONS)
ROLES: dict[str, frozenset[str]] = {
    "admin": _ALL,
    "analyst": frozenset({"persons:read", "pii:unmask", "segments:read", "segments:write", "segments:export",
                          "tags:read", "metrics:read", "identity:read", "runs:read"}),
    "operator": frozenset({"persons:read", "pii:unmask", "segments:read", "tags:read", "metrics:read",
                           "identity:read", "identity:decide", "runs:read", "runs:start", "imports:write"}),
    # a guide sees only the customers they own or their store's (siyu.persons applies the scope in the query)
    "guide": frozenset({"persons:read", "tags:read"}),
    "auditor": frozenset({"audit:read", "runs:read", "metrics:read"}),
}


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str
    staff_id: str | None = None
    store_id: str | None = None

    @property
    def scoped(self) -> bool:
        """A guide reads only their own or their store's customers."""
        return self.role == "guide"


def may(user: User, permission: str) -> bool:
    return permission in ROLES.get(user.role, frozenset())


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
    return role
