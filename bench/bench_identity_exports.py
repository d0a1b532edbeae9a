"""The warehouse's OneID on Chinese channel exports it has never seen: render, `siyu import`, `siyu run`, score.

    PYTHONPATH=src python bench/bench_identity_exports.py [--persons 5000] [--seed 2027] [--profile typical]

`siyu.corpus.exports` renders `--persons` people (the zh corpus's errors: masked Tmall/Douyin names and phones,
WeCom remarks and nicknames, pinyin, short places, households, shop phones) as the six channels' export files.
Each file goes through the built-in importer, then the `normalise` and `identity` steps run. `person_map` is
scored pairwise against the truth, beside the naive rule "same phone, or same name and address". Ids several
people hold (a shared member card, the shop phone as a walk-in's id) have no right answer and are left out.
The seed is not one the tests develop against (they use 7 and 11): held out.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from siyu.config import load_settings
from siyu.corpus.exports import write_exports
from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.identity.dedupe.evaluation import pairwise_scores
from siyu.ingest.importer import import_file
from siyu.pipeline.runner import run_pipeline

NODE = "channel || ':' || channel_uid"


def naive_clusters(engine: DuckDBEngine) -> pa.Table:
    """The naive rule on the clean identities: same full phone, or same name and same address."""
    rows = engine.query(f"SELECT {NODE} AS id, phone, name, address FROM identities").to_pylist()
    parent = {r["id"]: r["id"] for r in rows}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first: dict[tuple[str, ...], str] = {}
    for r in rows:
        keys: list[tuple[str, ...]] = [("p", r["phone"])] if r["phone"] else []
        if r["name"] and r["address"] and "*" not in r["name"]:
            keys.append(("na", r["name"], r["address"]))
        for k in keys:
            if k in first:
                parent[root(r["id"])] = root(first[k])
            else:
                first[k] = r["id"]
    return pa.table({"id": list(parent), "cluster_id": [root(i) for i in parent]})


def measure(persons: int, seed: int, profile: str, folder: Path) -> dict[str, Any]:
    """Render, import, run normalise + identity; scores of person_map and of the naive rule."""
    written, truth = write_exports(folder / "files", persons, seed, profile)
    truth = truth.filter(pc.is_valid(truth.column("truth")))
    engine = DuckDBEngine(folder / "w.duckdb")
    try:
        quarantined = sum(import_file(engine, source, path).rows_quarantined for source, path in written)
        t0 = time.perf_counter()
        run_pipeline(engine, load_settings(None), steps=["normalise", "identity"])
        seconds = time.perf_counter() - t0
        pm = engine.query(f"SELECT {NODE} AS id, person_id AS cluster_id FROM person_map")
        naive = naive_clusters(engine)
    finally:
        engine.close()
    return {"siyu": pairwise_scores(pm, truth, "id"), "naive": pairwise_scores(naive, truth, "id"),
            "identities": truth.num_rows, "quarantined": quarantined, "seconds": seconds}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--persons", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--profile", default="typical")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        r = measure(args.persons, args.seed, args.profile, Path(tmp))
    load = os.getloadavg()
    print(f"{args.persons} persons ({args.profile}, seed {args.seed}): {r['identities']} scored identities, "
          f"{r['quarantined']} rows quarantined; normalise+identity {r['seconds']:.1f} s; "
          f"load {load[0]:.2f} {load[1]:.2f}")
    for who in ("siyu", "naive"):
        s = r[who]
        print(f"  {who:6s} P {s['precision']:.3f}  R {s['recall']:.3f}  F1 {s['f1']:.3f}  "
              f"({s['found_pairs']:.0f} pairs found, {s['true_pairs']:.0f} true)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
