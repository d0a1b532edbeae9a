"""A warehouse holding some orders, for the parts of the loyalty step that read it (tier spend): each order's
latest version in `orders`, each buyer's own channel uid in `person_map`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from decimal import Decimal

import pyarrow as pa

from siyu.engine.duckdb_engine import DuckDBEngine
from siyu.loyalty.orders import OrderRow

ORDERS = pa.schema([("channel", pa.string()), ("order_id", pa.string()), ("channel_uid", pa.string()),
                    ("status", pa.string()), ("net_amount", pa.decimal128(18, 2)), ("order_date", pa.date32())])
PERSON_MAP = pa.schema([("person_id", pa.string()), ("channel", pa.string()), ("channel_uid", pa.string())])


@contextmanager
def warehouse_of(orders: Iterable[OrderRow]) -> Iterator[DuckDBEngine]:
    latest = list({(o.channel, o.order_id): o for o in orders}.values())
    with DuckDBEngine(":memory:") as engine:
        engine.write_arrow("orders", pa.Table.from_pylist(
            [{"channel": o.channel, "order_id": o.order_id, "channel_uid": o.person_id, "status": o.status,
              "net_amount": Decimal(o.net_fen) / 100, "order_date": o.paid_on} for o in latest], schema=ORDERS),
            mode="replace")
        engine.write_arrow("person_map", pa.Table.from_pylist(
            [{"person_id": p, "channel": c, "channel_uid": p} for p, c in sorted({(o.person_id, o.channel)
                                                                                 for o in latest})],
            schema=PERSON_MAP), mode="replace")
        yield engine
