"""`siyu dedupe` with no option on the development corpus (siyu.corpus): pairwise precision / recall / F1 per
seed × schema × error profile, beside
- the naive rule "same phone, or same name and address";
- recordlinkage's unsupervised Fellegi–Sunter (ECM) classifier, run in its own virtualenv (bench/peers/
  ecm_worker.py; create it with `bash bench/peers/setup_peers.sh`, else the column says "—");
- a plain Splink reference: a hand-written Splink settings dict per schema (stock comparisons, EM-trained), in
  its own process, scored at its best threshold (match weight −10…40, i.e. match probability 0.001…1 − 1e-12)
  chosen against the truth: an upper bound for that model, as no user could pick it without the truth.

    python bench/bench_identity_corpus.py --persons 1000 --profile typical --profile hostile --seed 7 \
        --seed 2027 --seed 2028 --seed 2029

Seed 7 is the development corpus; other seeds are held-out tables of the same kinds. recordlinkage is a
bench-only peer (never a runtime dependency).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from siyu.corpus import PROFILES, SCHEMAS, make_corpus
from siyu.errors import UserError
from siyu.identity.dedupe import dedupe_table
from siyu.identity.dedupe.evaluation import pairwise_scores

HERE = Path(__file__).resolve().parent
ECM_PYTHON = Path(os.environ.get("SIYU_PEERS", "/tmp/siyu-peers")) / "recordlinkage" / "bin" / "python"
ECM_WORKER = HERE / "peers" / "ecm_worker.py"
TIMEOUT = 600  # seconds a contender may take before it is reported as not finished
#: match-weight thresholds the Splink reference is swept over (its best is reported): weights, not
#: probabilities, because FEBRL's best lies past 0.999999, where probabilities round to 1
SWEEP = list(range(-10, 41))

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
    """recordlinkage's ECM (bench/peers/ecm_worker.py in the peer virtualenv); None when that is missing."""
    if not ECM_PYTHON.exists():
        return None
    with tempfile.TemporaryDirectory(prefix="siyu-ecm-") as tmp:
        path = Path(tmp) / "table.parquet"
        pq.write_table(table, path)
        out = subprocess.run([str(ECM_PYTHON), str(ECM_WORKER), str(path), "rec_id", "truth"], capture_output=True,
                             text=True, check=False, timeout=TIMEOUT)
    if out.returncode != 0:
        print(f"ECM failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    matched = json.loads(out.stdout.strip().splitlines()[-1])["pairs"]
    position = {rid: i for i, rid in enumerate(table.column("rec_id").to_pylist())}
    return _score_labels(table, _components(table.num_rows, [(position[a], position[b]) for a, b in matched]))


#: schema → {column: ASCII name} for the Splink reference (its SQL wants plain identifiers); others dropped
SPLINK_COLUMNS: dict[str, dict[str, str]] = {
    "febrl": {c: c for c in ("given_name", "surname", "street_number", "address_1", "suburb", "postcode", "state",
                             "date_of_birth", "soc_sec_id", "phone_number")},
    "mislabeled": {c: c for c in ("first_and_surname", "family", "birth", "town", "mobile", "email")},
    "zh_channels": {"姓名": "name", "手机": "phone", "省": "province", "市": "city", "区": "district",
                    "详细地址": "address", "邮箱": "email", "生日": "birthday", "会员卡号": "card"},
    "demo_lines": {c: c for c in ("customer", "tel", "ship_to", "dob", "mail")},
}


def splink_settings(schema: str) -> tuple[dict[str, Any], list[Any]]:
    """What a competent Splink user would write for each schema from the Splink docs: blocking on phone, name,
    date of birth, postcode; stock comparisons for name, date, phone, address; EM blocks. FEBRL's is
    bench_identity's FEBRL reference."""
    import splink.comparison_library as cl
    from bench_identity import reference_settings_febrl
    from splink import block_on

    if schema == "febrl":
        settings = reference_settings_febrl()
        settings["comparisons"].append(cl.ExactMatch("phone_number"))
        settings["blocking_rules_to_generate_predictions"].append(block_on("phone_number"))
        return settings, [block_on("date_of_birth"), block_on("surname")]
    comparisons, blocking, em = {
        "mislabeled": (
            [cl.JaroWinklerAtThresholds("first_and_surname", [0.92, 0.8]), cl.NameComparison("family"),
             cl.DateOfBirthComparison("birth", input_is_string=True, datetime_format="%d/%m/%Y"),
             cl.ExactMatch("town"), cl.LevenshteinAtThresholds("mobile", [1, 2]), cl.EmailComparison("email")],
            [block_on("mobile"), block_on("family", "birth"), block_on("first_and_surname"), block_on("email")],
            [block_on("mobile"), block_on("family")]),
        "zh_channels": (
            [cl.LevenshteinAtThresholds("name", [1, 2]), cl.LevenshteinAtThresholds("phone", [1, 2]),
             cl.ExactMatch("province"), cl.ExactMatch("city"), cl.ExactMatch("district"),
             cl.LevenshteinAtThresholds("address", [3, 8]), cl.EmailComparison("email"),
             cl.DateOfBirthComparison("birthday", input_is_string=True, datetime_format="%Y-%m-%d"),
             cl.ExactMatch("card")],
            [block_on("phone"), block_on("name", "city"), block_on("name", "birthday"), block_on("email"),
             block_on("card")],
            [block_on("phone"), block_on("name")]),
        "demo_lines": (
            [cl.LevenshteinAtThresholds("customer", [1, 2]), cl.LevenshteinAtThresholds("tel", [1, 2]),
             cl.LevenshteinAtThresholds("ship_to", [3, 10]), cl.LevenshteinAtThresholds("dob", [1, 2]),
             cl.EmailComparison("mail")],
            [block_on("tel"), block_on("customer"), block_on("dob"), block_on("mail")],
            [block_on("tel"), block_on("customer")]),
    }[schema]
    return ({"link_type": "dedupe_only", "unique_id_column_name": "unique_id", "comparisons": comparisons,
             "blocking_rules_to_generate_predictions": blocking}, em)


def child_splink(schema: str, profile: str, persons: int, seed: int) -> dict[str, Any]:
    """The plain Splink reference on one corpus table, at the match weight of SWEEP best against the truth."""
    from bench_identity import trained_splink

    table = make_corpus(schema, profile, persons, seed)
    names = SPLINK_COLUMNS[schema]
    data = pa.table({"unique_id": table.column("rec_id"),
                     **{ascii_: table.column(col).cast(pa.string()) for col, ascii_ in names.items()}})
    t0 = time.perf_counter()
    settings, em_blocks = splink_settings(schema)
    linker = trained_splink(data, settings, em_blocks)
    scored = linker.inference.predict(threshold_match_weight=min(SWEEP)).as_pyarrow_table()
    seconds = time.perf_counter() - t0
    position = {rid: i for i, rid in enumerate(table.column("rec_id").to_pylist())}
    left = [position[x] for x in scored.column("unique_id_l").to_pylist()]
    right = [position[x] for x in scored.column("unique_id_r").to_pylist()]
    weight = scored.column("match_weight").to_pylist()
    best: dict[str, Any] = {}
    for t in SWEEP:
        pairs = [(a, b) for a, b, w in zip(left, right, weight, strict=True) if w >= t]
        scores = _score_labels(table, _components(table.num_rows, pairs))
        if not best or scores["f1"] > best["f1"]:
            best = {**scores, "threshold": t, "probability": 2.0**t / (1 + 2.0**t)}
    return {**best, "seconds": seconds}


def splink_best(schema: str, profile: str, persons: int, seed: int) -> dict[str, Any] | None:
    """child_splink in its own process (as bench_identity runs its references)."""
    try:
        out = subprocess.run([sys.executable, __file__, "--child", schema, profile, str(persons), str(seed)],
                             capture_output=True, text=True, check=False, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        print(f"Splink reference failed: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _fmt(s: dict[str, Any] | None) -> str:
    return "—" if s is None else f"{s['precision']:.4f} / {s['recall']:.4f} / {s['f1']:.4f}"


def _ratio(ours: dict[str, float] | None, ref: dict[str, Any] | None) -> str:
    return "—" if ours is None or ref is None else f"×{ours['f1'] / max(ref['f1'], 1e-9):.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--schema", action="append", choices=sorted(SCHEMAS))
    parser.add_argument("--profile", action="append", choices=sorted(PROFILES))
    parser.add_argument("--seed", type=int, action="append", help="corpus seed (repeatable; 7 = development)")
    parser.add_argument("--no-ref", action="store_true", help="siyu and the naive rule only (fast)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        schema, profile, persons, seed = args.child
        print(json.dumps(child_splink(schema, profile, int(persons), int(seed)), default=str))
        return
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[:3]}")
    print("| seed | schema | profile | records | siyu dedupe P / R / F1 | threshold, model's estimate P / R | time | "
          "naive rule P / R / F1 | ECM P / R / F1 | Splink best P / R / F1 (match weight) | siyu / ECM F1 | "
          "siyu / Splink F1 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for seed in args.seed or [7]:
        for schema in args.schema or sorted(SCHEMAS):
            for profile in args.profile or ["typical", "hostile"]:
                table = make_corpus(schema, profile, args.persons, seed)
                t0 = time.perf_counter()
                try:
                    result = dedupe_table(table, "rec_id", "truth")
                    ours, e, guess = result.scores, result.expected, "—"
                except UserError as exc:  # a refusal is a cell with nothing found, not the end of the matrix
                    ours, e, guess = {"precision": 1.0, "recall": 0.0, "f1": 0.0}, None, f"refused: {exc}"
                took = time.perf_counter() - t0
                if e is not None:
                    guess = f"{e.threshold:g}: {e.precision:.4f} / {e.recall:.4f}"
                rl = None if args.no_ref else ecm(table)
                ref = None if args.no_ref else splink_best(schema, profile, args.persons, seed)
                ref_cell = "—" if ref is None else f"{_fmt(ref)} (w {ref['threshold']:g})"
                print(f"| {seed} | {schema} | {profile} | {table.num_rows} | {_fmt(ours)} | {guess} | "
                      f"{took:.1f} s | {_fmt(naive(table, schema))} | {_fmt(rl)} | {ref_cell} | "
                      f"{_ratio(ours, rl)} | {_ratio(ours, ref)} |", flush=True)
    with open("/proc/loadavg") as f:
        print(f"load average at end: {f.read().split()[:3]}")


if __name__ == "__main__":
    main()
