"""Users, roles, API tokens, browser sessions and the audit log, on the operational store."""

from siyu.auth.roles import PERMISSIONS, ROLES, User, may

__all__ = ["PERMISSIONS", "ROLES", "User", "may"]
