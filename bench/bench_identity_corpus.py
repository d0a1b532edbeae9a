"""`siyu dedupe` with no option on the development corpus (siyu.corpus): pairwise precision / recall / F1 per
schema × error profile, beside the naive rule "same phone, or same name and address" and, when recordlinkage
is importable, its unsupervised Fellegi–Sunter (ECM) classifier on the same candidate pairs.

    python bench/bench_identity_corpus.py --persons 1000 --profile typical --profile hostile

recordlinkage is a bench-only comparison (never a runtime dependency); without it the column says "—".
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import pyarrow as pa

from siyu.corpus import PROFILES, SCHEMAS, make_corpus
from siyu.identity.dedupe import dedupe_table
from siyu.identity.dedupe.evaluation import pairwise_scores

#: schema → (phone columns, name columns, address columns) for the naive rule, as a user would pick them
NAIVE: dict[str, tuple[list[str], list[str], list[str]]] = {
    "febrl": (["phone_number"], ["given_name", "surname"], ["street_number", "address_1", "suburb"]),
    "mislabeled": (["mobile"], ["first_and_surname"], ["town"]),
    "zh_channels": (["手机"], ["姓名"], ["省", "市", "区", "详细地址"]),
    "demo_lines": (["tel"], ["customer"], ["ship_to"]),
}


def _components(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return [find(i) for i in range(n)]


def _score_labels(table: pa.Table, labels: list[int]) -> dict[str, float]:
    assigned = pa.table({"rec_id": table.column("rec_id"), "cluster_id": pa.array([str(x) for x in labels])})
    return pairwise_scores(assigned, table.select(["rec_id", "truth"]), "rec_id")


def _pairs_on(rows: list[dict[str, Any]], key: Any) -> list[tuple[int, int]]:
    first: dict[Any, int] = {}
    pairs = []
    for i, row in enumerate(rows):
        k = key(row)
        if k is None:
            continue
        if k in first:
            pairs.append((first[k], i))
        else:
            first[k] = i
    return pairs


def naive(table: pa.Table, schema: str) -> dict[str, float]:
    """Same phone (as written), or same name and same address (as written)."""
    phones, names, places = NAIVE[schema]
    rows = table.to_pylist()

    def joined(row: dict[str, Any], cols: list[str]) -> str | None:
        vals = [(row[c] or "").strip() for c in cols]
        return "|".join(vals) if all(vals) else None

    pairs = _pairs_on(rows, lambda r: joined(r, phones))
    pairs += _pairs_on(rows, lambda r: (joined(r, names), joined(r, places)) if joined(r, names) and joined(
        r, places) else None)
    return _score_labels(table, _components(table.num_rows, pairs))


def ecm(table: pa.Table) -> dict[str, float] | None:
    """recordlinkage's ECM on pairs sharing any one exact value, every column compared exactly."""
    try:
        import recordlinkage
    except ImportError:
        return None
    frame = table.to_pandas().set_index("rec_id")
    cols = [c for c in frame.columns if c != "truth"]
    features = frame[cols]
    indexer = recordlinkage.Index()
    for c in cols:
        if features[c].nunique() > max(20, len(features) // 50):  # a column like 来源渠道 would pair everyone
            indexer.block(c)
    candidates = indexer.index(features)
    compare = recordlinkage.Compare()
    for c in cols:
        compare.exact(c, c, label=c)
    vectors = compare.compute(candidates, features)
    matches = recordlinkage.ECMClassifier(binarize=None).fit_predict(vectors)
    position = {rid: i for i, rid in enumerate(frame.index)}
    pairs = [(position[a], position[b]) for a, b in matches]
    return _score_labels(table, _components(table.num_rows, pairs))


def _fmt(s: dict[str, float] | None) -> str:
    return "—" if s is None else f"{s['precision']:.4f} / {s['recall']:.4f} / {s['f1']:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--schema", action="append", choices=sorted(SCHEMAS))
    parser.add_argument("--profile", action="append", choices=sorted(PROFILES))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[:3]}")
    print("| schema | profile | records | siyu dedupe P / R / F1 | threshold, model's estimate P / R | time | "
          "naive rule P / R / F1 | ECM P / R / F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for schema in args.schema or sorted(SCHEMAS):
        for profile in args.profile or ["typical", "hostile"]:
            table = make_corpus(schema, profile, args.persons, args.seed)
            t0 = time.perf_counter()
            result = dedupe_table(table, "rec_id", "truth")
            took = time.perf_counter() - t0
            e = result.expected
            guess = "—" if e is None else f"{e.threshold:g}: {e.precision:.4f} / {e.recall:.4f}"
            print(f"| {schema} | {profile} | {table.num_rows} | {_fmt(result.scores)} | {guess} | {took:.1f} s | "
                  f"{_fmt(naive(table, schema))} | {_fmt(ecm(table))} |", flush=True)
    with open("/proc/loadavg") as f:
        print(f"load average at end: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
