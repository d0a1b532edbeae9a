"""Who may do what: one table of role → permissions, read by the API and the CLI alike."""

from __future__ import annotations

from dataclasses import dataclass

from siyu.errors import UserError

PERMISSIONS = {
    "persons:read": "search persons and read their 360 view (masked)",
    "pii:unmask": "see phones, names, addresses and chat text in full, giving a reason (audited)",
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
    "loyalty:read": "read members' points, stored value, lots and ledger history",
    "loyalty:redeem": "redeem members' points and coupons (audited)",
    "loyalty:write": "adjust points, top up, spend and refund stored value, issue coupons (audited)",
    "loyalty:report": "read the stored-value liability and the coupons about to expire, over all members",
    "journeys:read": "list journeys, read their funnel and uplift against the holdout",
    "journeys:write": "define journeys (audited)",
    "tasks:read": "list staff tasks (a guide: only their own customers')",
    "tasks:act": "mark staff tasks done or skipped (a guide: only their own customers')",
    "guides:read": "read order attribution, the revenue share and the guide leaderboard",
    "guides:statement": "read a guide's monthly commission statement (a guide: only their own)",
    "guides:handover": "hand a leaving guide's customers over to a colleague (audited)",
    "koc:read": "read KOC candidates, the roster and its history, group suggestions, evaluation and rotation",
    "koc:write": "change a KOC's state and assign groups (audited)",
    "referrals:read": "read referral invitations and their status",
    "referrals:review": "clear or reject invitations held as suspicious (audited)",
}

_ALL = frozenset(PERMISSIONS)
ROLES: dict[str, frozenset[str]] = {
    "admin": _ALL,
    "analyst": frozenset({"persons:read", "pii:unmask", "segments:read", "segments:write", "segments:export",
                          "tags:read", "metrics:read", "identity:read", "runs:read", "loyalty:read",
                          "loyalty:report", "journeys:read", "tasks:read", "guides:read", "guides:statement",
                          "koc:read", "referrals:read"}),
    "operator": frozenset({"persons:read", "pii:unmask", "segments:read", "tags:read", "metrics:read",
                           "identity:read", "identity:decide", "runs:read", "runs:start", "imports:write",
                           "loyalty:read", "loyalty:redeem", "loyalty:write", "loyalty:report", "journeys:read",
                           "journeys:write", "tasks:read", "tasks:act", "guides:read", "guides:statement",
                           "guides:handover", "koc:read", "koc:write", "referrals:read", "referrals:review"}),
    # a guide sees (and redeems for) only the customers they own or their store's (siyu.persons's scope)
    "guide": frozenset({"persons:read", "tags:read", "loyalty:read", "loyalty:redeem", "tasks:read", "tasks:act",
                        "guides:statement"}),
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
        raise UserError(f"unknown role '{role}'; roles: {', '.join(ROLES)}")
    return role
