"""What operators use to check and correct OneID: find an identity, show a person, explain a pair.

Identities are named `channel:channel_uid`; persons by their id (P…). Names and phones are masked in
everything meant for people unless the caller asks otherwise (DESIGN.md: PII).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from siyu.domain import mask_name, mask_phone
from siyu.domain.zh_phones import known_phone
from siyu.engine import Engine
from siyu.errors import UserError
from siyu.identity.components import connected_components
from siyu.identity.match_comparisons import COLUMNS
from siyu.identity.match_features import FEATURES, build_features
from siyu.identity.match_links import latest_model
from siyu.identity.match_names import CONTEXT, NAMES, build_names
from siyu.identity.settings import IdentitySettings
from siyu.identity.tables import ensure_output_tables, node_sql


def find_identity(engine: Engine, ref: str) -> str:
    """`channel:channel_uid` of an identity, or of the first identity of person `ref`; else a clear error."""
    ensure_output_tables(engine)
    if ":" in ref:
        channel, uid = ref.split(":", 1)
        key = {"channel": channel, "uid": uid}
        hit = engine.scalar("SELECT count(*) FROM person_map WHERE channel = $channel AND channel_uid = $uid", key)
        if not hit and engine.table_exists("identities"):
            hit = engine.scalar("SELECT count(*) FROM identities WHERE channel = $channel AND channel_uid = $uid", key)
        if hit:
            return ref
        raise UserError(f"no identity {ref!r}: name it as channel:channel_uid, e.g. tmall:tb123")
    node = engine.scalar(f"SELECT min({node_sql()}) FROM person_map WHERE person_id = $ref", {"ref": ref})
    if node is None:
        raise UserError(f"no person {ref!r} and no identity by that name (identities look like channel:channel_uid)")
    return str(node)


def person_of(engine: Engine, node: str) -> str | None:
    channel, uid = node.split(":", 1)
    value = engine.scalar("SELECT person_id FROM person_map WHERE channel = $channel AND channel_uid = $uid",
                          {"channel": channel, "uid": uid})
    return str(value) if value is not None else None


def show_person(engine: Engine, ref: str, unmask: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """The person `ref` (a person id or one of its identities) and all its identities across channels."""
    node = find_identity(engine, ref)
    person = person_of(engine, node)
    if person is None:
        raise UserError(f"{node} has no person yet: run `siyu run --step identity`")
    cols = "m.channel, m.channel_uid"
    if engine.table_exists("identities"):
        rows = engine.query(
            f"SELECT {cols}, i.name, i.phone, i.phone_prefix, i.phone_suffix, i.unionid, i.member_no, "
            f"i.city, i.first_seen_at, i.last_seen_at FROM person_map m LEFT JOIN identities i "
            f"ON i.channel = m.channel AND i.channel_uid = m.channel_uid "
            f"WHERE m.person_id = $person ORDER BY m.channel, m.channel_uid", {"person": person}
        ).to_pylist()
    else:
        rows = engine.query(f"SELECT {cols} FROM person_map m WHERE m.person_id = $person",
                            {"person": person}).to_pylist()
    for r in rows:
        phone = known_phone(r.pop("phone", None), r.pop("phone_prefix", None), r.pop("phone_suffix", None))
        r["phone"] = phone if unmask else mask_phone(phone)
        if not unmask:
            r["name"] = mask_name(r.get("name"))
    return person, rows


@dataclass
class Explanation:
    a: str
    b: str
    person_a: str | None
    person_b: str | None
    shared_keys: list[dict[str, Any]] = field(default_factory=list)
    links: list[dict[str, Any]] = field(default_factory=list)
    overrides: list[dict[str, Any]] = field(default_factory=list)
    weights: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    @property
    def same_person(self) -> bool:
        return self.person_a is not None and self.person_a == self.person_b


def _shared_keys(engine: Engine, a: str, b: str, cfg: IdentitySettings) -> list[dict[str, Any]]:
    """Hard keys both identities hold, and whether each is set aside: a super-key, or held by an identity several
    people used (key_links.build_shared), which links by no key."""
    from siyu.identity import key_links

    if not engine.table_exists("identities"):
        return []
    build_names(engine)
    key_links.build_key_values(engine, cfg.keys, cfg.nickname_channels)
    rows = engine.query(
        f"SELECT DISTINCT x.key_name, x.key_value, "
        f"coalesce(s.reason, CASE WHEN x.shared OR y.shared THEN 'identity shared' END) AS reason "
        f"FROM {key_links.KEYS_TABLE} x "
        f"JOIN {key_links.KEYS_TABLE} y ON x.key_name = y.key_name AND x.key_value = y.key_value "
        f"LEFT JOIN superkey s ON s.key_name = x.key_name AND s.key_value = x.key_value "
        f"WHERE x.node = $a AND y.node = $b ORDER BY 1", {"a": a, "b": b}
    ).to_pylist()
    for name in (key_links.KEYS_TABLE, key_links.SHARED, NAMES, CONTEXT):
        engine.drop_table(name)
    for r in rows:
        if r["key_name"] == "phone":
            r["key_value"] = mask_phone(r["key_value"])
    return rows


def _splink_weights(engine: Engine, a: str, b: str, cfg: IdentitySettings) -> tuple[list[dict[str, Any]], str]:
    """Splink's match weight per comparison for the pair, with the model of the latest run."""
    from siyu.identity.splink_linker import explain_pair

    saved = latest_model(engine)
    if saved is None or not engine.table_exists("identities"):
        return [], "no Splink model yet (run `siyu run --step identity` with probabilistic = true)"
    hard = "tmp_identity_explain_groups"
    edges = "SELECT a, b FROM identity_edge WHERE kind IN ('key', 'override')"
    connected_components(engine, f"SELECT {node_sql()} AS node FROM identities", edges, hard, cfg.max_iterations)
    build_features(engine, nickname_channels=cfg.nickname_channels, groups=hard)
    data = engine.query(f"SELECT {', '.join(COLUMNS)} FROM {FEATURES}")
    for name in (hard, FEATURES, NAMES, CONTEXT):
        engine.drop_table(name)
    ids = data.column("unique_id").to_pylist()
    if a not in ids or b not in ids:
        return [], "one of the two is not in `identities` (known only from contacts): no attributes to compare"
    rows = explain_pair(data, saved, data.slice(ids.index(a), 1), data.slice(ids.index(b), 1))
    return rows, "attributes missing on an identity are taken from the persons its hard keys form"


def explain(engine: Engine, ref_a: str, ref_b: str, cfg: IdentitySettings) -> Explanation:
    """Why two identities are, or are not, one person."""
    a, b = find_identity(engine, ref_a), find_identity(engine, ref_b)
    out = Explanation(a, b, person_of(engine, a), person_of(engine, b))
    out.shared_keys = _shared_keys(engine, a, b, cfg)
    out.links = engine.query(
        "SELECT a, b, kind, key_name, probability FROM identity_edge "
        "WHERE (a = $a AND b = $b) OR (a = $b AND b = $a)", {"a": a, "b": b}
    ).to_pylist()
    out.overrides = engine.query(
        'SELECT kind, a, b, "at", note FROM identity_override WHERE a IN ($a, $b) OR b IN ($a, $b) ORDER BY "at"',
        {"a": a, "b": b},
    ).to_pylist()
    out.weights, out.note = _splink_weights(engine, a, b, cfg)
    return out
