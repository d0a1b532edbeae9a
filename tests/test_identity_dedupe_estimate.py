"""`siyu dedupe` chooses its threshold and reports precision and recall from the model's own scores, no truth."""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from siyu.cli.main import app
from siyu.corpus import write_corpus
from siyu.identity.dedupe import dedupe_table
from siyu.identity.dedupe.estimate import choose, estimate


def pairs(*links: tuple[str, str, float]) -> pa.Table:
    return pa.table({"unique_id_l": [a for a, _, _ in links], "unique_id_r": [b for _, b, _ in links],
                     "match_probability": [p for _, _, p in links]})


def assigned(*clusters: str) -> pa.Table:
    """'abc', 'd', 'e' → every letter with its cluster."""
    return pa.table({"unique_id": [u for c in clusters for u in c], "cluster_id": [c for c in clusters for _ in c]})


def test_the_estimate_sums_the_scores_and_a_chain_counts_for_nothing() -> None:
    scored = pairs(("a", "b", 0.9), ("b", "c", 0.8), ("d", "e", 0.5))
    got = estimate(assigned("abc", "d", "e"), scored, 0.7)
    # 3 pairs inside {a, b, c}, a-c never scored: 1.7 expected true pairs of 3; of 2.2 in all the scores
    assert got.precision == pytest.approx(1.7 / 3) and got.recall == pytest.approx(1.7 / 2.2)
    assert got.threshold == 0.7
    assert estimate(assigned("ab", "c", "de"), scored, 0.5).precision == pytest.approx((0.9 + 0.5) / 2)


def test_the_threshold_is_the_best_estimated_f1_among_the_precise_enough() -> None:
    scored = pairs(("a", "b", 0.999), ("c", "d", 0.97), ("e", "f", 0.6), ("f", "g", 0.6), ("e", "g", 0.6))
    by_threshold = {0.5: assigned("ab", "cd", "efg"), 0.9: assigned("ab", "cd", "e", "f", "g"),
                    0.99: assigned("ab", "c", "d", "e", "f", "g")}
    chosen, best, tried = choose(scored, by_threshold.__getitem__, (0.5, 0.9, 0.99))
    # at 0.5 the expected precision is 3.769/5 = 0.75 (below 0.95); at 0.9 it is 0.98 with more recall than at 0.99
    assert [round(t.precision, 3) for t in tried] == [0.754, 0.984, 0.999]
    assert best.threshold == 0.9 and chosen.equals(by_threshold[0.9])
    # none precise enough: the highest threshold
    _, fallback, _ = choose(scored, lambda _t: assigned("abcdefg"), (0.5, 0.9))
    assert fallback.threshold == 0.9


def test_dedupe_reports_what_the_model_expects_and_keeps_a_given_threshold(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    write_corpus(path, "febrl", "typical", persons=200, seed=3)
    res = CliRunner().invoke(app, ["dedupe", str(path), "--id", "rec_id", "--truth", "truth"])
    assert res.exit_code == 0, res.output
    assert "links nobody" not in res.output  # full phones with no masked one among them are still a phone
    found = re.search(r"threshold ([0-9.]+) \(chosen from the model's estimate\); the model expects precision "
                      r"([0-9.]+)  recall ([0-9.]+)", res.output)
    assert found, res.output
    threshold, precision, recall = (float(x) for x in found.groups())
    assert 0.9 <= threshold <= 0.999 and precision >= 0.95 and 0.5 <= recall <= 1.0
    given = CliRunner().invoke(app, ["dedupe", str(path), "--id", "rec_id", "--threshold", "0.999"])
    assert "threshold 0.999 (given)" in given.output


def test_the_estimate_is_near_the_truth_on_a_corpus_cell() -> None:
    from siyu.corpus import make_corpus

    result = dedupe_table(make_corpus("mislabeled", "typical", 400, seed=7), "rec_id", truth="truth")
    assert result.expected is not None
    assert abs(result.expected.precision - result.scores["precision"]) <= 0.03
    assert abs(result.expected.recall - result.scores["recall"]) <= 0.05
