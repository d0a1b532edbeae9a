"""Pairwise precision, recall and F1 of a clustering against the truth (counted, never enumerated)."""

from __future__ import annotations

import pyarrow as pa

from siyu.engine.local import arrow_sql
from siyu.engine.quote import ident


def pairwise_scores(assigned: pa.Table, truth: pa.Table, id_col: str) -> dict[str, float]:
    """`assigned(id, cluster_id)` against `truth(id, truth)`: pairs in one cluster that are truly one entity."""
    key = ident(id_col)
    sql = f"""
        WITH j AS (SELECT a.cluster_id, t.truth FROM a JOIN t ON a.{key} = t.{key}),
        pred AS (SELECT sum(n * (n - 1) / 2) AS p FROM (SELECT count(*) AS n FROM j GROUP BY cluster_id) q),
        real AS (SELECT sum(n * (n - 1) / 2) AS p FROM (SELECT count(*) AS n FROM j GROUP BY truth) q),
        tp AS (SELECT sum(n * (n - 1) / 2) AS p FROM (SELECT count(*) AS n FROM j GROUP BY cluster_id, truth) q),
        k AS (SELECT count(DISTINCT truth) AS c FROM j)
        SELECT CAST(tp.p AS DOUBLE) AS tp, CAST(pred.p AS DOUBLE) AS pred, CAST(real.p AS DOUBLE) AS real, k.c
        FROM tp, pred, real, k
    """
    row = arrow_sql(sql, a=assigned, t=truth).to_pylist()[0]
    tp, pred, real = (row["tp"] or 0.0), (row["pred"] or 0.0), (row["real"] or 0.0)
    precision = tp / pred if pred else 1.0
    recall = tp / real if real else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_clusters": float(row["c"]),
            "true_pairs": real, "found_pairs": pred}
