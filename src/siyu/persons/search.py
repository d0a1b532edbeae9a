"""Find persons by phone (full or masked 138****5678), name, channel id or person id."""

from __future__ import annotations

import re
from dataclasses import dataclass

from siyu.engine import Engine
from siyu.persons.columns import pii
from siyu.persons.scope import Scope

_MASKED_MOBILE = re.compile(r"^(1\d{2})\*{4}(\d{4})$")
SEARCH_FIELDS = ("phone", "name", "channel_uid", "person_id")


@dataclass(frozen=True)
class Query:
    """One of the fields set; `channel` narrows a channel_uid search."""

    phone: str | None = None
    name: str | None = None
    channel_uid: str | None = None
    channel: str | None = None
    person_id: str | None = None

    def matching_ids(self) -> tuple[str, dict[str, object]]:
        """SQL returning the person_ids that match, with parameters; a ValueError when nothing was asked."""
        if self.person_id:
            return "SELECT $person_id AS person_id", {"person_id": self.person_id}
        if self.phone:
            masked = _MASKED_MOBILE.fullmatch(self.phone.strip())
            if masked:
                cond = "i.phone_prefix = $prefix AND i.phone_suffix = $suffix"
                params: dict[str, object] = {"prefix": masked.group(1), "suffix": masked.group(2)}
            else:
                cond, params = "i.phone = $phone", {"phone": re.sub(r"[\s-]", "", self.phone)}
        elif self.name:
            cond, params = "i.name = $name", {"name": self.name.strip()}
        elif self.channel_uid:
            cond, params = "i.channel_uid = $uid", {"uid": self.channel_uid.strip()}
            if self.channel:
                cond += " AND i.channel = $channel"
                params["channel"] = self.channel
        else:
            raise ValueError(f"search needs one of: {', '.join(SEARCH_FIELDS)}")
        return (f"SELECT DISTINCT m.person_id FROM identities AS i JOIN person_map AS m "
                f"ON m.channel = i.channel AND m.channel_uid = i.channel_uid WHERE {cond}"), params


def search(engine: Engine, query: Query, scope: Scope, limit: int = 20, offset: int = 0,
           unmask: bool = False) -> tuple[list[dict[str, object]], int]:
    """(one page of matching persons, total matches), only those the scope may see."""
    ids, params = query.matching_ids()
    where, scope_params = scope.where("p")
    rows = engine.query(
        f"SELECT p.person_id, {pii('p.name', 'name', unmask)}, {pii('p.phone', 'phone', unmask)}, p.gender, "
        f"p.city, p.orders, p.net_spend, p.last_order_date, p.owner_staff_id, p.owner_store_id, "
        f"count(*) OVER () AS _total FROM person_profile AS p WHERE p.person_id IN ({ids}) AND {where} "
        f"ORDER BY p.person_id LIMIT {int(limit)} OFFSET {int(offset)}", {**params, **scope_params}).to_pylist()
    if not rows and offset:  # past the last page: the total still counts
        total = int(engine.scalar(f"SELECT count(*) FROM person_profile AS p WHERE p.person_id IN ({ids}) AND {where}",
                                  {**params, **scope_params}) or 0)
        return [], total
    total = int(rows[0]["_total"]) if rows else 0
    for r in rows:
        del r["_total"]
    return rows, total
