"""OneID: every channel identity resolved to one person (issue 4; docs/identity.md).

Hard keys link deterministically (with a super-key guard), Splink links the rest probabilistically,
connected components run as SQL on the engine, and person ids stay stable across runs.
"""

from siyu.identity.settings import IdentitySettings, identity_settings
from siyu.identity.step import resolve, run_identity

__all__ = ["IdentitySettings", "identity_settings", "resolve", "run_identity"]
