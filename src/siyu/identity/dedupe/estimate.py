"""What the model itself expects of a clustering, without any truth: its precision and recall, and the threshold.

Splink scores each candidate pair with a match probability. Summed, they are the number of true pairs the model
expects: among the candidates (`mass`), and among the pairs a clustering puts together (`linked`). A pair put
together without ever being scored (joined through a third record) counts as 0, so a chain is no evidence:

    estimated precision = linked mass / pairs inside clusters
    estimated recall    = linked mass / mass of every scored pair

The threshold is the one, of a few, whose clustering has the best estimated F1 among those with an estimated
precision of at least `PRECISION` (on a tie, the higher threshold; when none reaches it, the highest).

The probabilities come from a model that assumes its comparisons independent, while records of one household
agree on several at once: the pairs the guard keeps apart still carry their mass, so recall is underestimated on
data with households; a chain counting 0 makes precision an underestimate too. With truth, `siyu dedupe --truth`
prints both, to see how far apart they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from siyu.engine.local import arrow_sql

#: the thresholds tried, lowest first
GRID = (0.9, 0.95, 0.99, 0.995, 0.999)
#: the estimated precision a threshold must keep (issue 17's bar; the estimate ran below the truth on every
#: corpus cell, since a chain counts for nothing)
PRECISION = 0.95
#: pairs scored below this are not worth predicting: they hardly add to the mass
FLOOR = 0.01


@dataclass(frozen=True)
class Estimate:
    threshold: float
    precision: float
    recall: float

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def estimate(assigned: pa.Table, pairs: pa.Table, threshold: float) -> Estimate:
    """`assigned(unique_id, cluster_id)` judged by `pairs(unique_id_l, unique_id_r, match_probability)`."""
    sql = """
        WITH inside AS (SELECT sum(n * (n - 1) / 2) AS n FROM (SELECT count(*) AS n FROM a GROUP BY cluster_id) q),
        scored AS (
            SELECT p.match_probability AS mp, l.cluster_id = r.cluster_id AS linked
            FROM p JOIN a l ON l.unique_id = p.unique_id_l JOIN a r ON r.unique_id = p.unique_id_r
        )
        SELECT CAST((SELECT n FROM inside) AS DOUBLE) AS inside,
               coalesce(sum(CASE WHEN linked THEN mp END), 0) AS linked, coalesce(sum(mp), 0) AS mass
        FROM scored
    """
    row = arrow_sql(sql, a=assigned.select(["unique_id", "cluster_id"]),
                    p=pairs.select(["unique_id_l", "unique_id_r", "match_probability"])).to_pylist()[0]
    inside, linked, mass = row["inside"] or 0.0, row["linked"], row["mass"]
    return Estimate(threshold, linked / inside if inside else 1.0, linked / mass if mass else 1.0)


def choose(pairs: pa.Table, cluster: Callable[[float], pa.Table],
           grid: tuple[float, ...] = GRID) -> tuple[pa.Table, Estimate, list[Estimate]]:
    """The clustering `cluster(threshold)` at the threshold of best estimated F1 among those whose estimated
    precision reaches `PRECISION` (the highest threshold when none does); its estimate, and every one tried."""
    tried: list[tuple[Estimate, pa.Table]] = []
    for threshold in grid:
        assigned = cluster(threshold)
        tried.append((estimate(assigned, pairs, threshold), assigned))
    precise = [t for t in tried if t[0].precision >= PRECISION] or [tried[-1]]
    best = max(precise, key=lambda t: (round(t[0].f1, 3), t[0].threshold))
    return best[1], best[0], [e for e, _ in tried]


def above(pairs: pa.Table, threshold: float) -> pa.Table:
    """The pairs scored at least `threshold`."""
    return pairs.filter(pc.greater_equal(pairs.column("match_probability"), threshold))
