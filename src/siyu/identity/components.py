"""Connected components in SQL on the engine: label propagation with pointer jumping.

Each identity starts labelled with itself; each round it takes the smallest label among itself and its
neighbours, then the label of its label (pointer jumping), which halves long chains each round. The loop
stops when a round changes nothing, so the result is exact, not an approximation; `max_iterations` only
guards against a bug turning into an endless run.
"""

from __future__ import annotations

from siyu.engine import Engine


class ComponentsDidNotConverge(RuntimeError):
    """Label propagation still changed labels after the allowed rounds."""


def connected_components(
    engine: Engine, nodes_sql: str, edges_sql: str, out: str, max_iterations: int = 60
) -> int:
    """Write `out(node, label)`: label = smallest node of the node's component. Returns rounds used.

    `nodes_sql` selects a column `node`; `edges_sql` selects `a, b` (undirected; nodes absent from
    `nodes_sql` are ignored).
    """
    edges = f"{out}_edges"
    # scratch: on DuckDB TEMP tables, never compressed into the warehouse file (32 → 17 s at 1M)
    engine.create_temp_table_as(
        edges,
        f"""
        WITH n AS (SELECT DISTINCT node FROM ({nodes_sql}) q), e AS ({edges_sql})
        SELECT DISTINCT e.a AS src, e.b AS dst FROM e JOIN n na ON na.node = e.a JOIN n nb ON nb.node = e.b
        WHERE e.a <> e.b
        UNION
        SELECT DISTINCT e.b AS src, e.a AS dst FROM e JOIN n na ON na.node = e.a JOIN n nb ON nb.node = e.b
        WHERE e.a <> e.b
        """,
    )
    # Rounds alternate between `out` and a spare table, the first reading the nodes themselves (each its own
    # label). A round that changes nothing wrote the same labels as the table it read, so when the loop
    # stops `out` holds the result whichever table was written last: no final copy.
    spare = f"{out}_spare"
    current = f"(SELECT DISTINCT node, node AS label FROM ({nodes_sql}) q)"
    target = out
    try:
        for round_no in range(1, max_iterations + 1):
            engine.create_temp_table_as(target, _round_sql(current, edges))
            changed = int(
                engine.scalar(f"SELECT count(*) FROM {target} s JOIN {current} c ON c.node = s.node "
                              f"WHERE s.label <> c.label")
                or 0
            )
            if changed == 0:
                return round_no
            current, target = target, (spare if target == out else out)
        raise ComponentsDidNotConverge(
            f"connected components still changing after {max_iterations} rounds; raise "
            "[identity] max_iterations in siyu.toml"
        )
    finally:
        for name in (edges, spare):
            engine.drop_table(name)


def _round_sql(labels: str, edges: str) -> str:
    """One round: smallest neighbour label, then jump to the label's own label."""
    return f"""
        WITH cur AS (SELECT node, label FROM {labels} q0),
        nb AS (
            SELECT e.src AS node, min(l.label) AS label FROM {edges} e JOIN cur l ON l.node = e.dst
            GROUP BY e.src
        ),
        hooked AS (
            SELECT l.node, CASE WHEN nb.label IS NOT NULL AND nb.label < l.label THEN nb.label ELSE l.label END
                   AS label
            FROM cur l LEFT JOIN nb ON nb.node = l.node
        )
        SELECT h.node, CASE WHEN j.label IS NOT NULL AND j.label < h.label THEN j.label ELSE h.label END AS label
        FROM hooked h LEFT JOIN hooked j ON j.node = h.label
    """
