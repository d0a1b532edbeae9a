"""Find persons by phone (full or masked 138****5678), name, channel id or person id."""

from __future__ import annotations

import re
from dataclasses import dataclass

from siyu.domain.masking import mask_name, mask_phone
from siyu.domain.zh_phones import national_digits
from siyu.engine import Engine
from siyu.engine.quote import literal_list
from siyu.errors import UserError
from siyu.persons.finder import SEARCH_KEY, SEARCH_TABLE, SHOWN, masked_phone_key, name_key, phone_key, uid_key
from siyu.persons.scope import Scope

#: a masked mobile as platforms show it (151****5091), after the country prefix and separators are gone
_MASKED_MOBILE = re.compile(r"^(1\d{2})\*+(\d{4})$")
MAX_IDENTITIES = 1000  # a name shared by more people than this is not a search
SEARCH_FIELDS = ("phone", "name", "channel_uid", "person_id")


@dataclass(frozen=True)
class Query:
    """One of the fields set; `channel` narrows a channel_uid search."""

    phone: str | None = None
    name: str | None = None
    channel_uid: str | None = None
    channel: str | None = None
    person_id: str | None = None

    def _phone_typed(self) -> tuple[str, tuple[str, str] | None]:
        """The typed phone as the identities hold it (no +86, spaces or full-width digits), and its visible
        prefix and suffix when it is masked."""
        number = national_digits(self.phone)
        masked = _MASKED_MOBILE.fullmatch(number)
        return number, (masked.group(1), masked.group(2)) if masked else None

    def key(self) -> str | None:
        """The search table's key for this query (siyu.persons.finder); None for a person id; a UserError when
        nothing was asked."""
        if self.person_id:
            return None
        if self.phone:
            number, masked = self._phone_typed()
            return masked_phone_key(*masked) if masked else phone_key(number)
        if self.name:
            return name_key(self.name.strip())
        if self.channel_uid:
            return uid_key(self.channel_uid.strip(), self.channel or None)
        raise UserError(f"search needs one of: {', '.join(SEARCH_FIELDS)}")

    def matching_ids(self, engine: Engine) -> list[str]:
        """The person ids that match, by index lookups one table at a time (a join would scan person_map);
        a ValueError when nothing was asked."""
        if self.person_id:
            return [self.person_id]
        rest, params_rest = "TRUE", {}
        if self.phone:
            number, masked = self._phone_typed()
            if masked:
                cond, params = "phone_suffix = $suffix", {"suffix": masked[1]}
                rest, params_rest = "phone_prefix = $prefix", {"prefix": masked[0]}
            else:
                cond, params = "phone = $phone", {"phone": number}
        elif self.name:
            cond, params = "name = $name", {"name": self.name.strip()}
        elif self.channel_uid:
            cond, params = "channel_uid = $uid", {"uid": self.channel_uid.strip()}
            if self.channel:
                rest, params_rest = "channel = $channel", {"channel": self.channel}
        else:
            raise UserError(f"search needs one of: {', '.join(SEARCH_FIELDS)}")
        # the indexed condition alone in a materialized CTE: DuckDB 2 plans `indexed AND other` as a full scan
        found = engine.rows(
            f"WITH m AS MATERIALIZED (SELECT channel, channel_uid, phone_prefix FROM identities WHERE {cond}) "
            f"SELECT channel, channel_uid FROM m WHERE {rest} LIMIT {MAX_IDENTITIES}", {**params, **params_rest})
        return person_ids(engine, found)


def person_ids(engine: Engine, identities: list[dict[str, object]]) -> list[str]:
    """The persons these (channel, channel_uid) identities belong to."""
    if not identities:
        return []
    uids = literal_list(sorted({str(i["channel_uid"]) for i in identities}))
    wanted = {(i["channel"], i["channel_uid"]) for i in identities}
    rows = engine.rows(f"SELECT channel, channel_uid, person_id FROM person_map WHERE channel_uid IN {uids}")
    return sorted({r["person_id"] for r in rows if (r["channel"], r["channel_uid"]) in wanted})


def search(engine: Engine, query: Query, scope: Scope, limit: int = 20, offset: int = 0,
           unmask: bool = False) -> tuple[list[dict[str, object]], int]:
    """(one page of matching persons, total matches), only those the scope may see.

    The matching persons' rows are read plain (a few, at most MAX_IDENTITIES), then paged and masked here by the
    domain's rules: DuckDB spends longer planning the masks' SQL and a window count than reading the rows.
    With the search table (published snapshots) that is one lookup of one key; else three, over the tables."""
    key = query.key()
    if key is not None and engine.table_exists(SEARCH_TABLE):
        # the scope before the cap: a guide's customer named like 1,000 others is still found
        where, params = scope.where(SEARCH_TABLE)
        rows = engine.rows(f"SELECT {', '.join(SHOWN)} FROM {SEARCH_TABLE} WHERE {SEARCH_KEY} = $key AND {where} "
                           f"LIMIT {MAX_IDENTITIES}", {"key": key, **params})
    else:
        ids = query.matching_ids(engine)
        if not ids:
            return [], 0
        where, params = scope.where("p")
        rows = engine.rows(f"SELECT {', '.join(f'p.{c}' for c in SHOWN)} FROM person_profile AS p "
                           f"WHERE p.person_id IN {literal_list(ids)} AND {where}", params)
    rows.sort(key=lambda r: str(r["person_id"]))
    page = rows[offset:offset + limit]
    if not unmask:
        for r in page:
            r["name"], r["phone"] = mask_name(r["name"]), mask_phone(r["phone"])
    return page, len(rows)
