"""Probabilistic links: Splink scores identities no hard key joins; a guard stops weak chains.

A masked Tmall buyer 张** with 138****5678 may match both 张伟 and 张卫东 well enough; linking both
would chain two people through one weak, ambiguous identity. So in any cluster whose members disagree
(different unmasked names, or different birthdays), links are taken strongest first and a link that
would put a disagreeing pair together is refused: the ambiguous identity joins its best match only.
"""

from __future__ import annotations

import pyarrow as pa

from siyu.engine import Engine
from siyu.engine.quote import literal, literal_list
from siyu.identity import match_comparisons, match_pairs
from siyu.identity.components import connected_components
from siyu.identity.key_links import KEYS_TABLE, SHARED
from siyu.identity.match_features import FEATURES, build_features
from siyu.identity.match_names import NAME_TYPO_EDITS
from siyu.identity.match_pairs import latest_model
from siyu.identity.settings import IdentitySettings

SCORED = "tmp_identity_match_scored"
RAW = "tmp_identity_match_raw"
EDGES = "tmp_identity_match_edges"
CLUSTERS = "tmp_identity_match_cc"
BAD_NODES = "tmp_identity_match_bad"
HOUSEHOLD = "tmp_identity_household_phones"


def match_edges(
    engine: Engine, cfg: IdentitySettings, run_id: str, groups: str | None = None, nodes: str | None = None,
    names_ready: bool = False, households: bool = False,
) -> tuple[int, str, str | None]:
    """Write guarded match edges to `tmp_identity_match_edges`; returns their number, how pairs were scored,
    and, when the guard refused no link, the table of components over all links (`node, label`), which
    the caller may use as is instead of computing the same components again.

    `groups(node, label)`: persons formed by hard keys, whose members lend each other missing attributes.
    `nodes`: SQL selecting every identity (`node`); links to identities not in it are ignored.
    `names_ready`: the caller already built the names of `identities` (match_names.build_names) this run.
    `households`: the caller wrote this run's key values and `superkey` (key_links): household phones and
    shared identities are read.
    """
    build_features(engine, nickname_channels=cfg.nickname_channels, groups=groups, names_ready=names_ready)
    data = engine.query(f"SELECT {', '.join(match_comparisons.COLUMNS)} FROM {FEATURES}")
    pairs, how = match_pairs.score(engine, data, cfg, run_id)
    engine.write_arrow(SCORED, pairs, mode="replace")
    # a pair whose real names or birthdays contradict each other is two people, however well the rest
    # agrees (a family phone typed by both: the key guard set it aside, Splink must not bring it back)
    household = _household_phones(engine) if households else {"join": "", "keep": "true"}
    if households:  # an identity several people used (key_links.build_shared) matches nobody
        household = {"join": f"{household['join']} LEFT JOIN {SHARED} sa ON sa.node = s.a "
                             f"LEFT JOIN {SHARED} sb ON sb.node = s.b",
                     "keep": f"{household['keep']} AND sa.node IS NULL AND sb.node IS NULL"}
    engine.create_temp_table_as(
        RAW,
        f"SELECT s.a, s.b, s.probability FROM {SCORED} s JOIN {FEATURES} fa ON fa.unique_id = s.a "
        f"JOIN {FEATURES} fb ON fb.unique_id = s.b {household['join']} "
        f"WHERE NOT coalesce({_disagree_sql('fa', 'fb')}, false) AND {household['keep']} "
        f"AND NOT coalesce({_other_phone_sql('fa', 'fb')}, false)",
    )
    n, all_kept = guard_chains(engine, cfg, run_id, nodes)
    how = f"{how}; {expectation(engine)}"
    for name in (SCORED, RAW, HOUSEHOLD) if all_kept else (SCORED, RAW, HOUSEHOLD, CLUSTERS):
        engine.drop_table(name)
    return n, how, CLUSTERS if all_kept else None


def expectation(engine: Engine) -> str:
    """What the model expects of the links it kept, in words for the run log: their precision (the mean match
    probability of the kept links) and the share of the matches it expects over the threshold that were kept
    (the scores summed; a pair the guard refused still counts). Below the threshold nothing is scored, so this is
    no recall against every true pair: see siyu.identity.dedupe.estimate for the whole-table estimate."""
    row = engine.query(
        f"SELECT (SELECT count(*) FROM {EDGES}) AS n, (SELECT sum(probability) FROM {EDGES}) AS kept, "
        f"(SELECT sum(probability) FROM {SCORED}) AS scored"
    ).to_pylist()[0]
    if not row["n"]:
        return "no probabilistic link kept"
    precision, kept = row["kept"] / row["n"], row["kept"] / row["scored"]
    return f"the model expects precision {precision:.3f} of its links and {kept:.1%} of the matches it scored " \
           f"over the threshold kept"


def _household_phones(engine: Engine) -> dict[str, str]:
    """A join and a condition refusing pairs that share only a household phone's evidence.

    A phone whose holders' real names differ (`superkey` 'names differ': a family's phone) says nothing about
    which of them a masked, nameless or nicknamed record sharing it (杜**, 151****5091 with no name) belongs to:
    such a pair is refused, unless both names are the same (a WeCom display name that is the real name) or the
    record's surname points at exactly one of the holders' names.
    """
    engine.create_temp_table_as(HOUSEHOLD, f"""
        SELECT substr(k.key_value, 1, 3) AS prefix, right(k.key_value, 4) AS suffix, k.surname,
               count(DISTINCT k.real_name) AS n_names
        FROM {KEYS_TABLE} k JOIN superkey s ON s.key_name = k.key_name AND s.key_value = k.key_value
        WHERE k.key_name = 'phone' AND s.reason = 'names differ' AND length(k.key_value) = 11
        GROUP BY substr(k.key_value, 1, 3), right(k.key_value, 4), k.surname
    """)
    weak = "CASE WHEN fa.name_real THEN fb.name_first ELSE fa.name_first END"
    join = (f"LEFT JOIN (SELECT DISTINCT prefix, suffix FROM {HOUSEHOLD}) hp ON hp.prefix = fa.phone_prefix "
            f"AND hp.suffix = fa.phone_suffix AND fb.phone_prefix = fa.phone_prefix "
            f"AND fb.phone_suffix = fa.phone_suffix "
            f"LEFT JOIN {HOUSEHOLD} hs ON hs.prefix = hp.prefix AND hs.suffix = hp.suffix AND hs.surname = {weak} "
            f"AND hs.n_names = 1")
    keep = ("(hp.prefix IS NULL OR (fa.name_real AND fb.name_real) OR fa.name_pinyin = fb.name_pinyin "
            "OR (coalesce(fa.name_real, false) <> coalesce(fb.name_real, false) AND hs.prefix IS NOT NULL))")
    return {"join": join, "keep": keep}


def _other_phone_sql(x: str, y: str) -> str:
    """Two identities showing phones that cannot be one number (prefix or last four digits differ), whose
    full names do not agree: a masked, nameless or display-named record with another number at the same
    address is a household member (孙** 166****5181 at 孙芬荷's flat, whose phone is 195…4207), not her.
    Only the same full name on both sides, or a mask showing the other's surname and last character (徐*聪 and
    徐悦聪), outweighs a second number (a person who holds two)."""
    return (
        f"({x}.phone_prefix IS NOT NULL AND {y}.phone_prefix IS NOT NULL AND {x}.phone_suffix IS NOT NULL "
        f"AND {y}.phone_suffix IS NOT NULL "
        f"AND ({x}.phone_prefix <> {y}.phone_prefix OR {x}.phone_suffix <> {y}.phone_suffix) "
        f"AND NOT coalesce({x}.name_pinyin = {y}.name_pinyin, false) "
        f"AND NOT coalesce({x}.name_first = {y}.name_first AND {x}.name_last = {y}.name_last, false))"
    )


def _disagree_sql(x: str, y: str) -> str:
    """Two identities that cannot be one person: both full names known and unlike; a real surname, or the
    character a mask left (李*波), that the other's real name contradicts; or birthdays that differ."""
    return (
        f"(({x}.name_real AND {y}.name_real AND {x}.name_pinyin <> {y}.name_pinyin "
        f"AND levenshtein({x}.name_pinyin, {y}.name_pinyin) > {NAME_TYPO_EDITS}) "
        f"OR ({x}.name_sure AND {y}.name_sure AND ({x}.name_masked OR {y}.name_masked) "
        f"AND ({x}.name_first <> {y}.name_first OR {x}.name_last <> {y}.name_last)) "
        f"OR ({x}.birthday <> {y}.birthday AND month({x}.birthday) <> day({y}.birthday) "
        f"AND NOT (month({x}.birthday) = 1 AND day({x}.birthday) = 1) "
        f"AND NOT (month({y}.birthday) = 1 AND day({y}.birthday) = 1)))"
    )


def guard_chains(
    engine: Engine, cfg: IdentitySettings, run_id: str, nodes: str | None = None, max_cluster: int = 500
) -> tuple[int, bool]:
    """Write the match edges to keep: all of them, except in clusters whose members disagree (see module).

    Returns the number kept and whether that is all of them.
    """
    edges = f"SELECT a, b FROM identity_edge UNION ALL SELECT a, b FROM {RAW}"
    nodes = nodes or f"SELECT a AS node FROM ({edges}) e UNION SELECT b AS node FROM ({edges}) e"
    connected_components(engine, nodes, edges, CLUSTERS, cfg.max_iterations)
    conflicts = engine.query(f"""
        SELECT c1.node AS x, c2.node AS y FROM {CLUSTERS} c1
        JOIN {CLUSTERS} c2 ON c1.label = c2.label AND c1.node < c2.node
        JOIN {FEATURES} f1 ON f1.unique_id = c1.node JOIN {FEATURES} f2 ON f2.unique_id = c2.node
        WHERE c1.label IN (SELECT label FROM {CLUSTERS} GROUP BY label HAVING count(*) BETWEEN 3 AND {max_cluster})
          AND {_disagree_sql('f1', 'f2')}
    """).to_pylist()
    bad = f"""SELECT DISTINCT c.label FROM {CLUSTERS} c WHERE c.node IN ({_values([r["x"] for r in conflicts])})
        UNION SELECT label FROM {CLUSTERS} GROUP BY label HAVING count(*) > {max_cluster}"""
    n_bad = engine.create_temp_table_as(
        BAD_NODES, f"SELECT c.node FROM {CLUSTERS} c JOIN ({bad}) b ON b.label = c.label"
    )
    if n_bad == 0:
        engine.drop_table(BAD_NODES)
        return engine.create_temp_table_as(EDGES, _edges_sql(RAW, run_id)), True
    hard = engine.query(
        f"SELECT e.a, e.b FROM identity_edge e JOIN {BAD_NODES} n ON n.node = e.a"
    ).to_pylist()
    weak = engine.query(
        f"SELECT r.a, r.b, r.probability FROM {RAW} r JOIN {BAD_NODES} n ON n.node = r.a "
        f"ORDER BY r.probability DESC, r.a, r.b"
    ).to_pylist()
    kept = _greedy_without_conflicts(hard, weak, conflicts)
    engine.write_arrow("tmp_identity_match_kept", pa.table({
        "a": pa.array([k[0] for k in kept], pa.string()), "b": pa.array([k[1] for k in kept], pa.string()),
    }), mode="replace")
    kept_sql = (
        f"SELECT r.* FROM {RAW} r LEFT JOIN {BAD_NODES} n ON n.node = r.a "
        f"LEFT JOIN tmp_identity_match_kept k ON k.a = r.a AND k.b = r.b WHERE n.node IS NULL OR k.a IS NOT NULL"
    )
    n = engine.create_temp_table_as(EDGES, _edges_sql(f"({kept_sql})", run_id))
    engine.drop_table(BAD_NODES)
    engine.drop_table("tmp_identity_match_kept")
    return n, False


def _edges_sql(pairs: str, run_id: str) -> str:
    """Pairs `(a, b, probability)` as rows of identity_edge."""
    return (
        f"SELECT r.a, r.b, 'match' AS kind, 'splink' AS key_name, CAST(NULL AS VARCHAR) AS key_value, "
        f"r.probability, {literal(run_id)} AS run_id FROM {pairs} r"
    )


def _values(items: list[str]) -> str:
    """A SQL list of string literals (never empty, so `IN (...)` stays valid)."""
    return literal_list(sorted(set(items)))[1:-1]


def _greedy_without_conflicts(
    hard: list[dict[str, str]], weak: list[dict[str, object]], conflicts: list[dict[str, str]]
) -> list[tuple[str, str]]:
    """Strongest links first; a link joining two groups that hold a disagreeing pair is refused.

    Only the few clusters with a disagreement get here, so a Python pass over their edges is cheap.
    """
    parent: dict[str, str] = {}
    members: dict[str, set[str]] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        members.setdefault(x, {x})
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(x: str, y: str) -> None:
        rx, ry = find(x), find(y)
        if rx != ry:
            if len(members[rx]) < len(members[ry]):
                rx, ry = ry, rx
            parent[ry] = rx
            members[rx] |= members.pop(ry)

    against: dict[str, set[str]] = {}
    for c in conflicts:
        against.setdefault(c["x"], set()).add(c["y"])
        against.setdefault(c["y"], set()).add(c["x"])
    for e in hard:
        union(e["a"], e["b"])
    kept = []
    for w in weak:
        a, b = str(w["a"]), str(w["b"])
        ra, rb = find(a), find(b)
        if ra == rb:
            kept.append((a, b))
            continue
        clash = any(against.get(m, set()) & members[rb] for m in members[ra])
        if not clash:
            union(a, b)
            kept.append((a, b))
    return kept


__all__ = ["EDGES", "guard_chains", "latest_model", "match_edges"]
