"""Whose customers a reader may see: everyone's, or (a guide) only those they own or their store owns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    """`staff_id`/`store_id` None for both and `limited` False: everyone; a limited scope with neither sees no one."""

    limited: bool = False
    staff_id: str | None = None
    store_id: str | None = None

    def where(self, alias: str = "p") -> tuple[str, dict[str, object]]:
        """A SQL condition on person_profile AS `alias`, with its bound parameters."""
        if not self.limited:
            return "TRUE", {}
        return (f"({alias}.owner_staff_id = $scope_staff OR {alias}.owner_store_id = $scope_store)",
                {"scope_staff": self.staff_id or "\x00none", "scope_store": self.store_id or "\x00none"})

    def admits(self, owner_staff_id: object, owner_store_id: object) -> bool:
        """`where` on a row already read: whether a person with these owners is in scope."""
        if not self.limited:
            return True
        return ((self.staff_id is not None and owner_staff_id == self.staff_id)
                or (self.store_id is not None and owner_store_id == self.store_id))


EVERYONE = Scope()
