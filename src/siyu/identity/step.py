"""The `identity` step of `siyu run`: clean identities → person_map (issue 4).

Order: hard-key edges (super-keys set aside), Splink match edges for what keys do not link, operators'
merges; connected components with operators' splits honoured; then stable person ids.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pyarrow as pa

from siyu.config import Settings
from siyu.engine import Engine
from siyu.errors import UserError
from siyu.identity import key_links, overrides
from siyu.identity.components import connected_components
from siyu.identity.match_names import CONTEXT, NAMES, build_names
from siyu.identity.settings import IdentitySettings, identity_settings
from siyu.identity.stable_ids import assign_person_ids
from siyu.identity.tables import ensure_output_tables

NODES = "tmp_identity_nodes"
LABELS = "tmp_identity_labels"
DETACHED = "tmp_identity_detached"
HARD_GROUPS = "tmp_identity_hard_groups"
MAX_SPLIT_ROUNDS = 10


def run_identity(engine: Engine, settings: Settings) -> tuple[int, int, str]:
    """Resolve every identity to a person; returns (identities read, person_map rows, summary)."""
    from siyu.identity.decisions import import_decisions

    cfg = identity_settings(settings)
    import_decisions(engine, settings)  # operators' merges/splits taken in `siyu serve` since the last run
    return resolve(engine, cfg)


def resolve(engine: Engine, cfg: IdentitySettings, run_id: str | None = None) -> tuple[int, int, str]:
    """The step itself, for callers that already hold validated settings (tests, bench, CLI)."""
    if not engine.table_exists("identities"):
        raise UserError("no `identities` table: run the `normalise` step first (`siyu run --step normalise`)")
    run_id = run_id or uuid.uuid4().hex[:12]
    ensure_output_tables(engine)
    nodes = key_links.nodes_sql()
    if engine.table_exists("contacts"):
        nodes = f"SELECT DISTINCT * FROM ({nodes} UNION ALL {key_links.contact_nodes_sql()}) q"
    rows_in = engine.create_temp_table_as(NODES, nodes)
    build_names(engine)
    key_links.build_key_values(engine, cfg.keys, cfg.nickname_channels)
    n_super = engine.create_table_as("superkey", key_links.superkeys_sql(cfg.superkey_threshold, run_id))
    parts = [key_links.key_edges_sql(cfg.superkey_threshold, run_id), overrides.merge_edges_sql(run_id)]
    engine.create_table_as("identity_edge", " UNION ALL ".join(f"({p})" for p in parts))
    n_match, how, components = 0, "probabilistic matching off", None
    if cfg.probabilistic:
        from siyu.identity.match_links import EDGES, match_edges

        connected_components(engine, f"SELECT node FROM {NODES}", "SELECT a, b FROM identity_edge",
                             HARD_GROUPS, cfg.max_iterations)
        n_match, how, components = match_edges(engine, cfg, run_id, groups=HARD_GROUPS,
                                               nodes=f"SELECT node FROM {NODES}", names_ready=True,
                                               households=True)
        engine.insert_select("identity_edge", f"SELECT * FROM {EDGES}")
    n_edges = engine.row_count("identity_edge")
    if components and not engine.query(overrides.split_pairs_sql()).num_rows:
        # the guard kept every link and no operator split anything: its components are the persons
        rounds = 0
        engine.create_temp_table_as(LABELS, f"SELECT node, label FROM {components}")
        engine.drop_table(components)
    else:
        rounds = _components_honouring_splits(engine, cfg)
    persons, events = assign_person_ids(engine, LABELS, NODES, run_id, dt.datetime.now().replace(microsecond=0))
    for name in (NODES, LABELS, DETACHED, key_links.KEYS_TABLE, key_links.SHARED, "tmp_identity_match_edges",
                 "tmp_identity_features", NAMES, CONTEXT, HARD_GROUPS):
        engine.drop_table(name)
    message = (
        f"{rows_in:,} identities → {persons:,} persons; {n_edges:,} links ({n_match:,} probabilistic), "
        f"{n_super:,} super-keys set aside, {events:,} id events, {rounds} rounds; {how}"
    )
    return rows_in, engine.row_count("person_map"), message


def _components_honouring_splits(engine: Engine, cfg: IdentitySettings) -> int:
    """Components, detaching split identities until no split pair shares a component; returns rounds."""
    splits = engine.query(overrides.split_pairs_sql()).to_pylist()
    detached = sorted({s["a"] for s in splits if s["b"] is None})
    rounds = 0
    for _ in range(MAX_SPLIT_ROUNDS):
        engine.write_arrow(DETACHED, pa.table({"node": pa.array(detached, pa.string())}), mode="replace")
        # joins, not NOT IN: Spark plans NOT IN (subquery) as a slow null-aware nested loop
        edges = (
            f"SELECT e.a, e.b FROM identity_edge e LEFT JOIN {DETACHED} da ON da.node = e.a "
            f"LEFT JOIN {DETACHED} db ON db.node = e.b "
            f"WHERE e.kind = 'override' OR (da.node IS NULL AND db.node IS NULL)"
        )
        rounds += connected_components(engine, f"SELECT node FROM {NODES}", edges, LABELS, cfg.max_iterations)
        if all(s["b"] is None for s in splits):
            break
        same = engine.query(
            f"SELECT la.node FROM {LABELS} la JOIN {LABELS} lb ON la.label = lb.label "
            f"JOIN ({overrides.split_pairs_sql()}) s ON s.a = la.node AND s.b = lb.node"
        ).column("node").to_pylist()
        fresh = sorted(set(same) - set(detached))
        if not fresh:
            break
        detached = sorted(set(detached) | set(fresh))
    return rounds

