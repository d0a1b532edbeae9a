"""Which identity pairs Splink scores on a run: all of them (full run), or only those touching what changed.

A full run trains the model on the data (or reuses the last one with `retrain = false`) and scores every
blocked pair. An incremental run reuses the saved model and scores only the pairs of identities whose
features changed since the last run (new identities, changed attributes, or a hard-key group that gained
a member) against everyone, keeping the earlier scores of untouched pairs: the same pairs a full run with
that model would score, without re-scoring millions of unchanged ones. Retrain now and then (a full run).
"""

from __future__ import annotations

import datetime as dt
import warnings

import pyarrow as pa
import pyarrow.compute as pc

from siyu.engine import Engine
from siyu.errors import Degraded
from siyu.identity import match_comparisons, splink_linker
from siyu.identity.match_features import FEATURES
from siyu.identity.settings import IdentitySettings

PAIRS = "identity_match_pair"  # every pair over the threshold, before the chain guard (kept for increments)
SNAPSHOT = "identity_snapshot"  # each identity's feature fingerprint at the last run
MODEL_TABLE = "identity_model"
MODEL_SCHEMA = pa.schema([("run_id", pa.string()), ("at", pa.timestamp("us")), ("model_json", pa.string())])
PAIR_SCHEMA = pa.schema([("a", pa.string()), ("b", pa.string()), ("probability", pa.float64())])
KEYS_ONLY = "deterministic key links only"


def latest_model(engine: Engine) -> str | None:
    """The Splink model (JSON) trained by the latest run, if any."""
    if not engine.table_exists(MODEL_TABLE):
        return None
    value = engine.scalar(f'SELECT model_json FROM {MODEL_TABLE} ORDER BY "at" DESC LIMIT 1')
    return str(value) if value is not None else None


def _fingerprint_sql() -> str:
    parts = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '~')" for c in match_comparisons.COLUMNS[1:])
    return f"SELECT unique_id AS node, md5(concat_ws('|', {parts})) AS fingerprint FROM {FEATURES}"


def _pairs(scored: pa.Table) -> pa.Table:
    """(a, b, probability) with a < b, whichever side Splink put each identity on."""
    left = scored.column("unique_id_l").cast(pa.string())
    right = scored.column("unique_id_r").cast(pa.string())
    first = pc.less(left, right)
    return pa.table({"a": pc.if_else(first, left, right), "b": pc.if_else(first, right, left),
                     "probability": scored.column("match_probability").cast(pa.float64())}, schema=PAIR_SCHEMA)


def _save_model(engine: Engine, run_id: str, model_json: str) -> None:
    engine.ensure_table(MODEL_TABLE, MODEL_SCHEMA)
    engine.write_arrow(MODEL_TABLE, pa.Table.from_pylist(
        [{"run_id": run_id, "at": dt.datetime.now(), "model_json": model_json}], schema=MODEL_SCHEMA))


def score(engine: Engine, data: pa.Table, cfg: IdentitySettings, run_id: str) -> tuple[pa.Table, str]:
    """Pairs over the match threshold for this run, and how they were obtained (for the run log)."""
    saved = latest_model(engine)
    affected = _affected(engine) if cfg.incremental and saved and engine.table_exists(PAIRS) else None
    if data.num_rows < 2:
        pairs, how = PAIR_SCHEMA.empty_table(), "too few identities to compare"
    elif affected is not None and saved is not None and len(affected) <= data.num_rows // 2:
        kept = _kept_pairs(engine, affected)
        fresh = splink_linker.predict_touching(data, saved, affected, cfg.match_threshold)
        pairs = pa.concat_tables([kept, _pairs(fresh)]) if fresh.num_rows else kept
        how = f"incremental: {len(affected):,} changed identities scored"
    elif saved is not None and not cfg.retrain:
        pairs = _pairs(splink_linker.predict(splink_linker.linker_from_json(data, saved), cfg.match_threshold))
        how = "full run with the saved model"
    else:
        pairs, how = _trained(engine, data, cfg, run_id)
    engine.write_arrow(PAIRS, pairs, mode="replace")
    engine.create_table_as(SNAPSHOT, _fingerprint_sql())
    return pairs, how


def _trained(engine: Engine, data: pa.Table, cfg: IdentitySettings, run_id: str) -> tuple[pa.Table, str]:
    """Pairs from a model trained on this data; none, with a Degraded warning, when there is nothing to learn
    (a tiny or degenerate warehouse): the run goes on with the key links alone, and no model is saved, so the
    next run trains again."""
    settings = match_comparisons.splink_settings(cfg.blocking)
    try:
        linker = splink_linker.train(data, settings, cfg.max_pairs_for_u, match_comparisons.TRAINING_BLOCKS,
                                     match_comparisons.DETERMINISTIC_RULES)
    except splink_linker.NothingToLearn as exc:
        how = KEYS_ONLY
        warnings.warn(Degraded(f"{how}: {exc}"), stacklevel=2)
        return PAIR_SCHEMA.empty_table(), how
    _save_model(engine, run_id, splink_linker.model_json(linker))
    return _pairs(splink_linker.predict(linker, cfg.match_threshold)), "model trained on this data"


def _affected(engine: Engine) -> list[str] | None:
    """Identities whose features differ from the last run's (new ones included); None without a snapshot."""
    if not engine.table_exists(SNAPSHOT):
        return None
    rows = engine.query(
        f"SELECT f.node FROM ({_fingerprint_sql()}) f LEFT JOIN {SNAPSHOT} s ON s.node = f.node "
        f"WHERE s.node IS NULL OR s.fingerprint <> f.fingerprint"
    )
    return [str(v) for v in rows.column("node").to_pylist()]


def _kept_pairs(engine: Engine, affected: list[str]) -> pa.Table:
    """Last run's pairs between identities that are unchanged and still present."""
    engine.write_arrow("tmp_identity_affected", pa.table({"node": pa.array(affected, pa.string())}), mode="replace")
    kept = engine.query(
        f"SELECT p.a, p.b, p.probability FROM {PAIRS} p "
        f"JOIN {FEATURES} fa ON fa.unique_id = p.a JOIN {FEATURES} fb ON fb.unique_id = p.b "
        f"LEFT JOIN tmp_identity_affected xa ON xa.node = p.a LEFT JOIN tmp_identity_affected xb ON xb.node = p.b "
        f"WHERE xa.node IS NULL AND xb.node IS NULL"
    )
    engine.drop_table("tmp_identity_affected")
    return kept.cast(PAIR_SCHEMA)
