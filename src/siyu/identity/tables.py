"""The tables the identity layer reads and writes, as Arrow schemas (both engines understand them)."""

from __future__ import annotations

import pyarrow as pa

from siyu.engine import Engine

TEXT = pa.string()
TS = pa.timestamp("us")

#: The clean `identities` table written by the `normalise` step: the columns this layer reads.
IDENTITIES = pa.schema([
    ("channel", TEXT), ("channel_uid", TEXT), ("name", TEXT), ("name_masked", pa.bool_()),
    ("phone", TEXT), ("phone_prefix", TEXT), ("phone_suffix", TEXT), ("phone_masked", pa.bool_()),
    ("email", TEXT), ("unionid", TEXT), ("openid", TEXT), ("member_no", TEXT), ("nickname", TEXT),
    ("gender", TEXT), ("birthday", pa.date32()), ("province", TEXT), ("city", TEXT), ("district", TEXT),
    ("address", TEXT), ("first_seen_at", TS), ("last_seen_at", TS), ("n_rows", pa.int64()),
])

OUTPUT: dict[str, pa.Schema] = {
    # why two identities are linked: a shared key, a Splink match, or an operator's merge
    "identity_edge": pa.schema([
        ("a", TEXT), ("b", TEXT), ("kind", TEXT), ("key_name", TEXT), ("key_value", TEXT),
        ("probability", pa.float64()), ("run_id", TEXT),
    ]),
    # key values shared by too many identities to prove anything: for review, never used to link
    "superkey": pa.schema([
        ("key_name", TEXT), ("key_value", TEXT), ("n_identities", pa.int64()), ("n_names", pa.int64()),
        ("reason", TEXT), ("run_id", TEXT),
    ]),
    "person_map": pa.schema([("channel", TEXT), ("channel_uid", TEXT), ("person_id", TEXT)]),
    "person_history": pa.schema([
        ("person_id", TEXT), ("event", TEXT), ("other_id", TEXT), ("at", TS), ("run_id", TEXT),
    ]),
    "identity_override": pa.schema([
        ("kind", TEXT), ("a", TEXT), ("b", TEXT), ("at", TS), ("note", TEXT),
    ]),
}


def node_sql(alias: str = "") -> str:
    """The SQL naming an identity as one string, `channel:channel_uid` (how edges and overrides refer to it)."""
    p = f"{alias}." if alias else ""
    return f"({p}channel || ':' || {p}channel_uid)"


def ensure_output_tables(engine: Engine) -> None:
    """Create the identity tables that do not exist yet (empty), so every run and command can read them."""
    for name, schema in OUTPUT.items():
        engine.ensure_table(name, schema)


def identities_table(rows: list[dict[str, object]]) -> pa.Table:
    """An `identities` table from a few dicts (absent columns are NULL): for tests, demos and the bench."""
    return pa.Table.from_pylist([{f.name: r.get(f.name) for f in IDENTITIES} for r in rows], schema=IDENTITIES)
