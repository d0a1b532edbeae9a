"""recordlinkage's unsupervised Fellegi–Sunter (ECM) classifier on one table; prints the matched pairs as JSON.

Runs in the recordlinkage peer virtualenv (bash bench/peers/setup_peers.sh), so recordlinkage and the numpy /
pandas it needs never become siyu dependencies. Candidate pairs: records sharing any one exact value of a column
selective enough to block on; every column compared exactly; ECM on the binary vectors.
Usage: python ecm_worker.py TABLE.parquet ID_COLUMN [IGNORED_COLUMN ...]
Output (last line): {"pairs": [[id_a, id_b], ...], "candidates": N, "seconds": S}
"""

import json
import sys
import time

import pandas as pd
import recordlinkage


def ecm_pairs(frame: pd.DataFrame) -> tuple[list[list[str]], int]:
    cols = list(frame.columns)
    indexer = recordlinkage.Index()
    for c in cols:
        if frame[c].nunique() > max(20, len(frame) // 50):  # a column like 来源渠道 would pair everyone
            indexer.block(c)
    candidates = indexer.index(frame)
    compare = recordlinkage.Compare()
    for c in cols:
        compare.exact(c, c, label=c)
    vectors = compare.compute(candidates, frame)
    matches = recordlinkage.ECMClassifier(binarize=None).fit_predict(vectors)
    return [[str(a), str(b)] for a, b in matches], len(candidates)


def main() -> None:
    path, id_col, *ignored = sys.argv[1:]
    frame = pd.read_parquet(path).set_index(id_col).drop(columns=ignored, errors="ignore")
    t0 = time.perf_counter()
    pairs, candidates = ecm_pairs(frame)
    print(json.dumps({"pairs": pairs, "candidates": candidates, "seconds": time.perf_counter() - t0}))


if __name__ == "__main__":
    main()
