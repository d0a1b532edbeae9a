"""The `normalise` step: append-only raw rows → one clean row per natural key.

Raw tables keep every version of every row ever imported (an order exported on Monday as paid and on Friday
as refunded is two raw rows). Later steps want one row per order, identity, contact … with keys normalised,
so this step decides, in SQL that runs on both engines:

- the most recently imported version of a row wins (`_ingested_at`, then `_row`);
- phones are normalised to 11 mainland digits, or kept as prefix/suffix when the channel masked them;
- money and statuses follow one documented rule (see `orders` below and docs/model.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from siyu.domain.orders import net_amount_sql, order_status_sql, refund_amount_sql
from siyu.domain.zh_phones import phone_parts_sql
from siyu.domain.zh_places import city_sql, province_sql
from siyu.engine import Engine

# One sortable number per raw row: later imports first, then later rows of the same file.
RECENCY = "(CAST(epoch(_ingested_at) AS BIGINT) * 1000000000 + _row)"


def _latest(table: str, key: str, columns: str) -> str:
    """The newest version of each row of `table` by `key` (a comma list of columns)."""
    return f"""
        SELECT {columns} FROM (
            SELECT {columns},
                   row_number() OVER (PARTITION BY {key} ORDER BY {RECENCY} DESC) AS _rn
            FROM {table}
        ) AS v WHERE _rn = 1
    """


def phone_sql(col: str) -> dict[str, str]:
    """SQL for a phone column: the full normalised number, and the prefix/suffix that masked forms keep.

    `+86 138-1234-5678`, `0086 13812345678`, `１３８１２３４５６７８` and `13812345678` are one number; `138****5678`
    is a masked number whose first three and last four digits are still evidence (siyu.domain.zh_phones). A shop's
    placeholder stays a number here: the identity step sets it aside as a super-key, where it is reviewed.
    """
    return phone_parts_sql(col, placeholders=True)


def _clean_text(col: str) -> str:
    return f"nullif(trim({col}), '')"


_ID_SOURCE = """
    -- every sighting of a channel identity: its own rows, plus holders seen only in group events, coupons or
    -- stored value, so every person a later step counts has an identity (and a person_id) of its own
    SELECT channel, channel_uid, name, phone, email, unionid, openid, member_no, nickname, gender, birthday,
           birth_month, birth_day, province, city, district, address, _ingested_at, _row
    FROM raw_identity WHERE channel_uid IS NOT NULL
    UNION ALL
    SELECT 'wecom', member_id, NULL, NULL, NULL, unionid, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, _ingested_at, _row
    FROM raw_group_event WHERE member_id IS NOT NULL
    UNION ALL
    SELECT channel, channel_uid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, _ingested_at, _row
    FROM raw_coupon WHERE channel IS NOT NULL AND channel_uid IS NOT NULL
    UNION ALL
    SELECT channel, channel_uid, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           NULL, NULL, NULL, NULL, NULL, NULL, _ingested_at, _row
    FROM raw_stored_value WHERE channel IS NOT NULL AND channel_uid IS NOT NULL
"""

_ID_ATTRS = ["name", "phone", "email", "unionid", "openid", "member_no", "nickname", "gender", "birthday",
             "birth_month", "birth_day", "province", "city", "district", "address"]
_TYPED_ATTRS = ("birthday", "birth_month", "birth_day")  # not text: taken as they are


def identities_sql() -> str:
    """One row per (channel, channel_uid); each attribute is its most recent non-empty value."""
    latest = ",\n".join(
        f"arg_max({_clean_text(a) if a not in _TYPED_ATTRS else a}, {RECENCY}) "
        f"FILTER (WHERE {_clean_text(a) if a not in _TYPED_ATTRS else a} IS NOT NULL) AS {a}"
        for a in _ID_ATTRS
    )
    ph = phone_sql("phone")
    return f"""
        WITH src AS ({_ID_SOURCE}),
        merged AS (
            SELECT channel, channel_uid, {latest}, count(*) AS n_rows
            FROM src GROUP BY channel, channel_uid
        ),
        seen AS (
            SELECT channel, channel_uid, min(created_at) AS first_seen_at, max(created_at) AS last_seen_at
            FROM (
                SELECT channel, channel_uid, created_at FROM raw_order
                UNION ALL SELECT 'wecom', external_userid, added_at FROM raw_contact
                UNION ALL SELECT 'wecom', member_id, event_at FROM raw_group_event
            ) AS a GROUP BY channel, channel_uid
        )
        SELECT m.channel, m.channel_uid, m.name,
               coalesce(regexp_matches(m.name, '[*]'), false) AS name_masked,
               {ph['phone']} AS phone, {ph['phone_prefix']} AS phone_prefix,
               {ph['phone_suffix']} AS phone_suffix, {ph['phone_masked']} AS phone_masked,
               lower(m.email) AS email, m.unionid, m.openid, m.member_no, m.nickname, m.gender, m.birthday,
               -- a birthday known only as month and day (05-12) still counts for birthday campaigns
               CAST(coalesce(month(m.birthday), m.birth_month) AS BIGINT) AS birth_month,
               CAST(coalesce(day(m.birthday), m.birth_day) AS BIGINT) AS birth_day,
               -- one spelling of each place (广东 → 广东省, 深圳 → 深圳市), whichever the channel wrote
               {province_sql('m.province')} AS province, {city_sql('m.city', 'm.province')} AS city,
               m.district, m.address,
               s.first_seen_at, s.last_seen_at, m.n_rows
        FROM merged AS m LEFT JOIN seen AS s ON s.channel = m.channel AND s.channel_uid = m.channel_uid
    """


def identity_keys_sql() -> str:
    """Every hard key ever seen for an identity (not only the latest): a changed phone still links."""
    full = phone_sql("phone")["phone"]
    return f"""
        WITH src AS ({_ID_SOURCE}),
        keys AS (
            SELECT channel, channel_uid, 'phone' AS key_type, {full} AS key_value FROM src
            UNION ALL SELECT channel, channel_uid, 'unionid', {_clean_text('unionid')} FROM src
            UNION ALL SELECT channel, channel_uid, 'member_no', {_clean_text('member_no')} FROM src
            UNION ALL SELECT channel, channel_uid, 'openid', {_clean_text('openid')} FROM src
            UNION ALL SELECT channel, channel_uid, 'email', lower({_clean_text('email')}) FROM src
                WHERE regexp_matches(email, '^[^@ ]+@[^@ ]+[.][^@ ]+$')
        )
        SELECT DISTINCT channel, channel_uid, key_type, key_value FROM keys WHERE key_value IS NOT NULL
    """


_ORDER_COLS = (
    "channel, order_id, sub_order_id, channel_uid, created_at, paid_at, amount_paid, discount, status, "
    "refund_amount, refunded_at, shop_name, store_id, staff_id, share_staff_id, coupon_id, creator_id, "
    "traffic_source, _ingested_at, _row"
)


def orders_sql() -> str:
    """One row per order. The latest import of an order (or of a Douyin sub-order) wins: a later export's status
    replaces the earlier; sub-orders add up to their order (JD repeats order amounts on every item row, so those
    count once). Status, refund and net follow siyu.domain.orders (docs/definitions.md)."""
    latest = _latest("raw_order", "channel, order_id, coalesce(sub_order_id, '')", _ORDER_COLS)
    refund = refund_amount_sql("status", "amount_paid", "refund_amount")
    return f"""
        WITH sub AS (
            SELECT *, {refund} AS refund_eff FROM ({latest}) AS l
        ),
        agg AS (
            SELECT channel, order_id,
                   min(channel_uid) AS channel_uid, min(created_at) AS created_at, min(paid_at) AS paid_at,
                   CAST(sum(amount_paid) AS DECIMAL(18,2)) AS amount_paid,
                   CAST(sum(refund_eff) AS DECIMAL(18,2)) AS refund_amount,
                   CAST(sum(discount) AS DECIMAL(18,2)) AS discount,
                   max(refunded_at) AS refunded_at,
                   {order_status_sql("status")} AS status,
                   min(shop_name) AS shop_name, min(store_id) AS store_id, min(staff_id) AS staff_id,
                   min(share_staff_id) AS share_staff_id, min(coupon_id) AS coupon_id,
                   min(creator_id) AS creator_id, min(traffic_source) AS traffic_source
            FROM sub GROUP BY channel, order_id
        ),
        items AS (
            SELECT channel, order_id, CAST(sum(coalesce(qty, 1)) AS BIGINT) AS n_items
            FROM order_items GROUP BY channel, order_id
        )
        SELECT a.channel, a.order_id, a.channel_uid, a.created_at, a.paid_at,
               CAST(coalesce(a.paid_at, a.created_at) AS DATE) AS order_date, a.status, a.amount_paid,
               a.refund_amount,
               {net_amount_sql("a.status", "a.amount_paid", "a.refund_amount")} AS net_amount,
               a.discount, a.refunded_at, a.store_id, a.staff_id, a.share_staff_id, a.coupon_id, a.shop_name,
               a.creator_id, a.traffic_source, coalesce(i.n_items, 0) AS n_items
        FROM agg AS a LEFT JOIN items AS i ON i.channel = a.channel AND i.order_id = a.order_id
    """


def order_items_sql() -> str:
    """Item rows (already unique by content hash), with attributes from the product master by sku."""
    return """
        SELECT i.channel, i.order_id, i.sub_order_id, i.sku, coalesce(i.product_name, p.product_name) AS product_name,
               i.spec, coalesce(i.category, p.category) AS category, coalesce(i.material, p.material) AS material,
               coalesce(i.style, p.style) AS style, coalesce(i.qty, 1) AS qty, i.price,
               CAST(coalesce(i.amount, i.price * coalesce(i.qty, 1)) AS DECIMAL(18,2)) AS amount
        FROM raw_order_item AS i LEFT JOIN products AS p ON p.sku = i.sku
    """


def contacts_sql() -> str:
    """One row per friendship (staff, customer, added_at): a re-add after removal is a new friendship."""
    cols = ("staff_id, external_userid, unionid, name, remark, remark_mobile, added_at, removed_at, "
            "add_source, state, _ingested_at, _row")
    latest = _latest("raw_contact", "staff_id, external_userid, added_at", cols)
    full = phone_sql("remark_mobile")["phone"]
    return f"""
        SELECT staff_id, external_userid, unionid, name, remark, {full} AS phone, added_at, removed_at,
               add_source, state
        FROM ({latest}) AS c
    """


@dataclass(frozen=True)
class _Simple:
    """A clean table that is just the latest version of each raw row by a key."""

    name: str
    raw: str
    key: str
    columns: str


_SIMPLE = [
    _Simple("products", "raw_product", "sku",
            "sku, product_name, category, material, style, list_price, launched_at"),
    _Simple("chat_groups", "raw_group", "group_id", "group_id, group_name, group_type, owner_staff_id"),
    _Simple("group_events", "raw_group_event", "group_id, member_id, event, event_at",
            "group_id, member_id, unionid, event, event_at, join_way"),
    _Simple("messages", "raw_message", "message_id",
            "message_id, kind, conversation_id, group_id, staff_id, customer_id, sender_type, sent_at, "
            "script_line_id, content"),
    _Simple("parcels", "raw_parcel", "parcel_id", "parcel_id, channel, order_id, shipped_at, with_card, card_code"),
    _Simple("coupons", "raw_coupon", "coupon_id",
            "coupon_id, channel, channel_uid, campaign, value, min_spend, issued_at, expires_at, redeemed_at, "
            "order_id, staff_id"),
    _Simple("stored_value", "raw_stored_value", "txn_id",
            "txn_id, channel, channel_uid, kind, amount, txn_at, store_id, staff_id"),
    _Simple("staff", "raw_staff", "staff_id", "staff_id, name, store_id, role, joined_at"),
    _Simple("stores", "raw_store", "store_id", "store_id, name, province, city, district, opened_at"),
]


def clean_tables() -> list[tuple[str, str]]:
    """(table, SELECT) in build order: products before items, items before orders."""
    built = [(s.name, _latest(s.raw, s.key, s.columns)) for s in _SIMPLE]
    return [
        *built,
        ("order_items", order_items_sql()),
        ("orders", orders_sql()),
        ("contacts", contacts_sql()),
        ("identities", identities_sql()),
        ("identity_keys", identity_keys_sql()),
    ]


RAW_INPUTS = ["raw_identity", "raw_order", "raw_order_item", "raw_contact", "raw_group", "raw_group_event",
              "raw_message", "raw_parcel", "raw_coupon", "raw_stored_value", "raw_staff", "raw_store", "raw_product"]


def normalise(engine: Engine) -> tuple[int, int, str]:
    """Rebuild every clean table from the raw tables; returns (raw rows read, clean rows written, detail)."""
    rows_in = sum(engine.row_count(t) for t in RAW_INPUTS)
    written: dict[str, int] = {}
    for name, sql in clean_tables():
        written[name] = engine.create_table_as(name, sql)
    detail = ", ".join(f"{k} {written[k]:,}" for k in ("orders", "identities", "contacts", "messages"))
    return rows_in, sum(written.values()), detail
