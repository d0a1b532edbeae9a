"""Column definitions of the warehouse, as Arrow schemas (both engines read them).

Raw tables are append-only copies of what the channels exported, already typed (dates parsed, amounts as
decimals, statuses mapped) but not merged: every row keeps where it came from (`_source`, `_file`, `_row`)
and a content hash (`_row_hash`) that makes re-imports idempotent. Conventions:

- timestamps are the brand's local wall-clock time (siyu.toml `brand.timezone`), without a zone;
- money is DECIMAL(18,2) in the brand's currency: exact, so sums and points never drift;
- `channel` is one of tmall, jd, douyin, miniprogram, store, wecom (or a channel a mapping names);
- `channel_uid` is the channel's own id of the buyer (Taobao nick, JD pin, Douyin openid, mini-program
  openid, store member number, WeCom external_userid).
"""

from __future__ import annotations

import pyarrow as pa

TEXT = pa.string()
TS = pa.timestamp("us")
DATE = pa.date32()
MONEY = pa.decimal128(18, 2)
INT = pa.int64()
BOOL = pa.bool_()
FLOAT = pa.float64()

META_COLUMNS: list[tuple[str, pa.DataType]] = [
    ("_source", TEXT),  # source adapter or mapping name (tmall, jd, …)
    ("_file", TEXT),  # file name as given to `siyu import`
    ("_row", INT),  # row number as a spreadsheet shows it: the header is row 1
    ("_ingested_at", TS),
    ("_row_hash", TEXT),  # hash of source + content: the idempotency key
]

_RAW: dict[str, list[tuple[str, pa.DataType]]] = {
    "raw_identity": [
        ("channel", TEXT), ("channel_uid", TEXT), ("name", TEXT), ("phone", TEXT), ("email", TEXT),
        ("unionid", TEXT), ("openid", TEXT), ("member_no", TEXT), ("nickname", TEXT), ("gender", TEXT),
        ("birthday", DATE), ("province", TEXT), ("city", TEXT), ("district", TEXT), ("address", TEXT),
        ("registered_at", TS),
        ("birth_month", INT), ("birth_day", INT),  # a birthday known without its year (05-12); birthday is NULL
    ],
    "raw_order": [
        ("channel", TEXT), ("order_id", TEXT), ("sub_order_id", TEXT), ("channel_uid", TEXT),
        ("created_at", TS), ("paid_at", TS), ("amount_paid", MONEY), ("discount", MONEY),
        ("status", TEXT), ("status_raw", TEXT), ("refund_amount", MONEY), ("refunded_at", TS),
        ("shop_name", TEXT), ("store_id", TEXT), ("staff_id", TEXT), ("share_staff_id", TEXT),
        ("coupon_id", TEXT), ("creator_id", TEXT), ("traffic_source", TEXT),
    ],
    "raw_order_item": [
        ("channel", TEXT), ("order_id", TEXT), ("sub_order_id", TEXT), ("sku", TEXT),
        ("product_name", TEXT), ("spec", TEXT), ("category", TEXT), ("material", TEXT), ("style", TEXT),
        ("qty", INT), ("price", MONEY), ("amount", MONEY),
    ],
    "raw_contact": [
        ("staff_id", TEXT), ("external_userid", TEXT), ("unionid", TEXT), ("name", TEXT),
        ("remark", TEXT), ("remark_mobile", TEXT), ("added_at", TS), ("removed_at", TS),
        ("add_source", TEXT), ("add_way_raw", TEXT), ("state", TEXT),
    ],
    "raw_group": [
        ("group_id", TEXT), ("group_name", TEXT), ("group_type", TEXT), ("owner_staff_id", TEXT),
        ("created_at", TS),
    ],
    "raw_group_event": [
        ("group_id", TEXT), ("member_id", TEXT), ("unionid", TEXT), ("event", TEXT), ("event_at", TS),
        ("join_way", TEXT),
    ],
    "raw_message": [
        ("message_id", TEXT), ("kind", TEXT), ("conversation_id", TEXT), ("group_id", TEXT),
        ("staff_id", TEXT), ("customer_id", TEXT), ("sender_type", TEXT), ("sent_at", TS),
        ("script_line_id", TEXT), ("content", TEXT),
    ],
    "raw_parcel": [
        ("parcel_id", TEXT), ("channel", TEXT), ("order_id", TEXT), ("shipped_at", TS),
        ("with_card", BOOL), ("card_code", TEXT),
    ],
    "raw_coupon": [
        ("coupon_id", TEXT), ("channel", TEXT), ("channel_uid", TEXT), ("campaign", TEXT),
        ("value", MONEY), ("min_spend", MONEY), ("issued_at", TS), ("expires_at", TS),
        ("redeemed_at", TS), ("order_id", TEXT), ("staff_id", TEXT),
    ],
    "raw_stored_value": [
        ("txn_id", TEXT), ("channel", TEXT), ("channel_uid", TEXT), ("kind", TEXT), ("amount", MONEY),
        ("txn_at", TS), ("store_id", TEXT), ("staff_id", TEXT),
    ],
    "raw_product": [
        ("sku", TEXT), ("product_name", TEXT), ("category", TEXT), ("material", TEXT), ("style", TEXT),
        ("list_price", MONEY), ("launched_at", TS),
    ],
    "raw_staff": [
        ("staff_id", TEXT), ("name", TEXT), ("store_id", TEXT), ("role", TEXT), ("joined_at", TS),
    ],
    "raw_store": [
        ("store_id", TEXT), ("name", TEXT), ("province", TEXT), ("city", TEXT), ("district", TEXT),
        ("opened_at", TS),
    ],
}

_SYSTEM: dict[str, list[tuple[str, pa.DataType]]] = {
    "quarantine": [
        ("_source", TEXT), ("_file", TEXT), ("_row", INT), ("field", TEXT), ("reason", TEXT),
        ("raw_text", TEXT), ("import_id", TEXT), ("_ingested_at", TS), ("_row_hash", TEXT),
    ],
    "import_log": [
        ("import_id", TEXT), ("source", TEXT), ("file", TEXT), ("file_bytes", INT), ("started_at", TS),
        ("finished_at", TS), ("rows_read", INT), ("rows_loaded", INT), ("rows_duplicate", INT),
        ("rows_quarantined", INT), ("status", TEXT),
        ("encoding", TEXT),  # the text encoding the file was read in (NULL for XLSX and Parquet)
        ("fields_quarantined", INT),  # bad optional values left empty, each with an entry in quarantine
    ],
    "run_log": [
        ("run_id", TEXT), ("step", TEXT), ("engine", TEXT), ("started_at", TS), ("finished_at", TS),
        ("seconds", FLOAT), ("rows_in", INT), ("rows_out", INT), ("status", TEXT), ("message", TEXT),
    ],
    # one row per `siyu run`: running while it works, then ok, partial (a step could not produce its results),
    # failed or interrupted; a run killed outright stays `running` with no finish (run_log says which steps
    # committed, each in its own transaction)
    "pipeline_run": [
        ("run_id", TEXT), ("pid", INT), ("engine", TEXT), ("started_at", TS), ("finished_at", TS),
        ("status", TEXT), ("reason", TEXT),
    ],
    "schema_version": [("version", INT), ("applied_at", TS)],
}


def _schema(cols: list[tuple[str, pa.DataType]], meta: bool) -> pa.Schema:
    return pa.schema(cols + (META_COLUMNS if meta else []))


RAW_TABLES: dict[str, pa.Schema] = {name: _schema(cols, True) for name, cols in _RAW.items()}
SYSTEM_TABLES: dict[str, pa.Schema] = {name: _schema(cols, False) for name, cols in _SYSTEM.items()}
TABLES: dict[str, pa.Schema] = {**RAW_TABLES, **SYSTEM_TABLES}


def raw_schema(table: str) -> pa.Schema:
    """The schema of a raw table; a clear error for a name that is not one."""
    try:
        return RAW_TABLES[table]
    except KeyError:
        known = ", ".join(sorted(RAW_TABLES))
        raise KeyError(f"unknown raw table {table!r}; known: {known}") from None
