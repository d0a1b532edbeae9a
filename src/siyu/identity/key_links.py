"""Deterministic links: identities sharing a hard key (unionid, full phone, member number, email, the code of a
package card printed for one order …).

A key value shared by more identities than `superkey_threshold` (a store's phone typed for walk-ins, a
family phone) links none of them: it is written to `superkey` for review instead. Edges are a star from
each identity to the smallest identity holding the same value, which connects the same identities as all
pairs would, in linear size.
"""

from __future__ import annotations

from siyu.engine import Engine
from siyu.engine.quote import ident, literal, literal_list
from siyu.errors import UserError
from siyu.identity.match_names import NAME_TYPO_EDITS, NAMES, RAW_ROWS, name_columns_sql, name_joins_sql
from siyu.identity.tables import node_sql

KEYS_TABLE = "tmp_identity_keys"
#: identities several people used (their rows carry names that contradict each other): see `build_shared`
SHARED = "tmp_identity_shared"
#: the key a per-order package-card code gives (not a column of identities: see `order_code_parts`)
ORDER_CODE = "order_code"
#: the key a store sale gives the buyer and the WeCom friend its guide added right after (`store_sale_parts`)
STORE_SALE = "store_sale"
#: how long after a store sale its guide may add the customer as a WeCom friend (while still at the till)
STORE_ADD_MINUTES = 30
#: the key a store's one member of a name gives its one WeCom friend of that name (`store_name_parts`)
STORE_NAME = "store_name"
#: the key a print run's card gives a WeCom add and the one buyer of that run whose phone fits (`card_run_parts`)
CARD_RUN = "card_run"
#: how long after a parcel ships its card may still be scanned to add the brand's WeCom
CARD_SCAN_DAYS = 30
#: the key a store gives the buyers there who typed one phone at its till (`store_phone_parts`)
STORE_PHONE = "store_phone"


def _normalised(key: str) -> str:
    """How a key's values are compared: trimmed text; e-mail also lower-cased (Foo@X.com = foo@x.com)."""
    value = f"trim(CAST({ident(key)} AS VARCHAR))"
    return f"lower({value})" if key == "email" else value


def build_key_values(engine: Engine, keys: list[str], nickname_channels: list[str]) -> int:
    """One row per (identity, key, value) for every non-empty key; returns the number of rows.

    Values come from `identities` (latest value), `identity_keys` (every value ever seen, so a changed
    phone still links) and `contacts` (a WeCom friend's unionid and remark phone), whichever exist.
    """
    derived = [k for k in keys if k in (ORDER_CODE, STORE_SALE, STORE_NAME, CARD_RUN, STORE_PHONE)]
    keys = [k for k in keys if k not in derived]
    have = set(engine.table_schema("identities").names)
    missing = [k for k in keys if k not in have]
    if missing:
        raise UserError(
            f"siyu.toml [identity] keys: {', '.join(missing)} not a column of identities "
            f"(columns: {', '.join(sorted(have))})"
        )
    parts = [
        f"SELECT {node_sql()} AS node, {literal(k)} AS key_name, {_normalised(k)} AS key_value FROM identities "
        f"WHERE {ident(k)} IS NOT NULL"
        for k in keys
    ]
    if keys and engine.table_exists("identity_keys"):
        names = literal_list(keys)
        parts.append(
            f"SELECT {node_sql()} AS node, key_type AS key_name, "
            f"CASE WHEN key_type = 'email' THEN lower(trim(key_value)) ELSE trim(key_value) END AS key_value "
            f"FROM identity_keys WHERE key_type IN {names} AND key_value IS NOT NULL"
        )
    if engine.table_exists("contacts"):
        parts += [
            f"SELECT 'wecom:' || external_userid AS node, {literal(k)} AS key_name, trim({ident(k)}) AS key_value "
            f"FROM contacts WHERE {ident(k)} IS NOT NULL AND external_userid IS NOT NULL"
            for k in ("unionid", "phone") if k in keys
        ]
    if ORDER_CODE in derived:
        parts += order_code_parts(engine)
    if STORE_SALE in derived:
        parts += store_sale_parts(engine)
    if STORE_NAME in derived:
        parts += store_name_parts(engine, nickname_channels)
    if CARD_RUN in derived:
        parts += card_run_parts(engine)
    if STORE_PHONE in derived:
        parts += store_phone_parts(engine)
    if not parts:
        parts = ["SELECT '' AS node, '' AS key_name, '' AS key_value WHERE 1 = 0"]
    union = " UNION ALL ".join(parts)
    # what each holder's sure name says: its full name's pinyin, else the surname and character a mask shows;
    # and a display name that is nothing but a Chinese name, shown by one identity only or given as a real name
    # at least as often as shown (郑影毓 on WeCom; not 阳光 or 夏天, nicknames hundreds show whose first character
    # is also a surname): on a phone it can contest the key, never link
    read = names_read_sql(nickname_channels)
    shows = "sum(CASE WHEN name_sure THEN 0 ELSE 1 END)"
    known = (f"SELECT pinyin FROM r GROUP BY pinyin HAVING {shows} <= 1 "
             f"OR sum(CASE WHEN real_name IS NOT NULL THEN 1 ELSE 0 END) >= {shows}")
    shown = "NOT r.name_sure AND coalesce(r.han_name, false) AND kn.pinyin IS NOT NULL"
    names = f"""
        WITH r AS ({read})
        SELECT r.node, CASE WHEN r.real_name IS NOT NULL THEN r.pinyin END AS real_name,
               CASE WHEN r.name_sure THEN r.surname END AS surname,
               CASE WHEN r.name_sure THEN r.last END AS last,
               CASE WHEN {shown} THEN r.pinyin END AS shown_name,
               CASE WHEN {shown} THEN r.surname END AS shown_surname
        FROM r LEFT JOIN ({known}) kn ON kn.pinyin = r.pinyin
    """
    build_shared(engine, nickname_channels)
    return engine.create_temp_table_as(
        KEYS_TABLE,
        f"SELECT DISTINCT q.node, q.key_name, q.key_value, n.real_name, n.surname, n.last, "
        f"CASE WHEN q.key_name = 'phone' THEN n.shown_name END AS shown_name, "
        f"CASE WHEN q.key_name = 'phone' THEN n.shown_surname END AS shown_surname, "
        f"sh.node IS NOT NULL AS shared FROM ({union}) q "
        f"LEFT JOIN ({names}) n ON n.node = q.node LEFT JOIN {SHARED} sh ON sh.node = q.node "
        f"WHERE q.key_value <> ''",
    )


def names_read_sql(nickname_channels: list[str]) -> str:
    """(node, name_sure, real_name, name_full, pinyin, surname, last, han_name): each identity's name as
    match_names read it, with whether it is sure (not a display name on a nickname channel) and real."""
    return f"""
        SELECT n.node, n.name_sure, n.real_name, p.name_full, p.pinyin, p.surname, p.last, p.han_name
        FROM (SELECT {node_sql('s')} AS node, {name_columns_sql(nickname_channels)} FROM identities s
              {name_joins_sql()}) n
        JOIN {NAMES} p ON p.raw = n.name
    """


def sure_names_sql(nickname_channels: list[str]) -> str:
    """(node, real_name, surname, last, full_name): what each identity's sure name says: its full name's pinyin
    (李媛 and 袁丽 alike: the pinyin key ignores name order), else the surname and character a mask shows (a display
    name on a nickname channel says nothing); and that full name as written (spaces and notes dropped)."""
    return f"""
        SELECT r.node, CASE WHEN r.real_name IS NOT NULL THEN r.pinyin END AS real_name,
               CASE WHEN r.real_name IS NOT NULL THEN r.name_full END AS full_name,
               CASE WHEN r.name_sure THEN r.surname END AS surname,
               CASE WHEN r.name_sure THEN r.last END AS last
        FROM ({names_read_sql(nickname_channels)}) r
    """


def build_shared(engine: Engine, nickname_channels: list[str]) -> int:
    """Write `tmp_identity_shared(node, n_names)`: identities whose own rows name people that cannot be one
    (a couple's store member card: 闫珠竹 on one sale, 张彬先生 on the next; two surnames, or two full names
    further apart than a typo). Such an identity holds each person's phone in its history, so its keys would
    chain the couple's other accounts into one person: it links by no key and matches nobody (it is several
    people; no answer is right). Needs `raw_identity` (without it, none) and the names read by
    `match_names.build_names`. Nickname channels are left out: a WeCom display name changes at will. Returns
    rows written."""
    if not engine.table_exists(RAW_ROWS):
        return engine.create_temp_table_as(SHARED, "SELECT '' AS node, 0 AS n_names WHERE 1 = 0")
    channels = literal_list(nickname_channels or [""])
    rows = f"""
        SELECT DISTINCT {node_sql('r')} AS node, CASE WHEN NOT p.partial THEN p.pinyin END AS pinyin, p.surname
        FROM {RAW_ROWS} r JOIN {NAMES} p ON p.raw = r.name
        WHERE r.channel_uid IS NOT NULL AND r.channel NOT IN {channels}
    """
    far = f"""
        SELECT DISTINCT a.node FROM ({rows}) a JOIN ({rows}) b ON b.node = a.node AND a.pinyin < b.pinyin
        WHERE levenshtein(a.pinyin, b.pinyin) > {NAME_TYPO_EDITS}
    """
    return engine.create_temp_table_as(SHARED, f"""
        SELECT g.node, g.n_names FROM (
            SELECT node, count(DISTINCT pinyin) AS n_names, count(DISTINCT surname) AS n_surnames
            FROM ({rows}) q GROUP BY node) g
        LEFT JOIN ({far}) f ON f.node = g.node
        WHERE g.n_surnames > 1 OR f.node IS NOT NULL
    """)


def order_code_parts(engine: Engine) -> list[str]:
    """The per-order code (一单一码) as a key: a package-card code printed on one parcel only is that order's
    code, so the order's buyer and the WeCom friend whose add carried it (`state`) hold the same value.

    A card code on several parcels is a print run's and is no key at all. Needs `parcels`, `orders` and
    `contacts`, as the parcels and WeCom contacts mappings import them; without them it adds nothing.
    """
    if not all(engine.table_exists(t) for t in ("parcels", "orders", "contacts")):
        return []
    codes = (
        "SELECT trim(card_code) AS code, min(channel) AS channel, min(order_id) AS order_id FROM parcels "
        "WHERE card_code IS NOT NULL AND trim(card_code) <> '' "
        "GROUP BY trim(card_code) HAVING count(DISTINCT channel || ':' || order_id) = 1"
    )
    key = literal(ORDER_CODE)
    return [
        f"SELECT {node_sql('o')} AS node, {key} AS key_name, c.code AS key_value FROM ({codes}) c "
        f"JOIN orders o ON o.channel = c.channel AND o.order_id = c.order_id",
        f"SELECT 'wecom:' || t.external_userid AS node, {key} AS key_name, c.code AS key_value FROM ({codes}) c "
        f"JOIN contacts t ON trim(t.state) = c.code WHERE t.external_userid IS NOT NULL",
    ]


def card_run_parts(engine: Engine) -> list[str]:
    """A print run's package card with a phone as a key: a WeCom add that carried a run's code (`PK-TM-2501`:
    Tmall's cards of one month, printed on many parcels) came from one of the parcels of that run shipped in the
    `CARD_SCAN_DAYS` before it; when exactly one buyer of those parcels shows a phone whose first 3 and last 4
    digits are the friend's (the remark phone, or the phone of the mini-program account with the friend's
    unionid), the friend and that buyer hold the same value (the friend).

    Neither piece decides alone: a masked phone is shared by strangers (7 of 11 digits), a run's code by
    thousands of buyers; a stranger with the friend's phone mask who also got a parcel of that run in those
    days is rare, and a second candidate makes it nobody's key. The names guard of `superkeys_sql` still
    applies (a buyer 王* and a friend noted 李静 contest it). Needs `parcels`, `orders` and `contacts`.
    """
    if not all(engine.table_exists(t) for t in ("parcels", "orders", "contacts")):
        return []
    if "added_at" not in set(engine.table_schema("contacts").names):
        return []
    runs = (
        "SELECT trim(card_code) AS code FROM parcels WHERE card_code IS NOT NULL AND trim(card_code) <> '' "
        "GROUP BY trim(card_code) HAVING count(DISTINCT channel || ':' || order_id) > 1"
    )
    phones = (
        "SELECT t.external_userid, t.phone FROM contacts t WHERE t.phone IS NOT NULL UNION "
        "SELECT t.external_userid, i.phone FROM contacts t JOIN identities i ON i.unionid = t.unionid "
        "WHERE i.phone IS NOT NULL"
    )
    adds = f"""
        SELECT DISTINCT t.external_userid, trim(t.state) AS code, t.added_at, substr(p.phone, 1, 3) AS prefix,
               right(p.phone, 4) AS suffix
        FROM contacts t JOIN ({runs}) r ON r.code = trim(t.state) JOIN ({phones}) p
        ON p.external_userid = t.external_userid
        WHERE t.external_userid IS NOT NULL AND t.added_at IS NOT NULL AND length(p.phone) = 11
    """
    buyers = f"""
        SELECT DISTINCT trim(p.card_code) AS code, p.shipped_at, {node_sql('i')} AS node, i.phone_prefix,
               i.phone_suffix
        FROM parcels p JOIN orders o ON o.channel = p.channel AND o.order_id = p.order_id
        JOIN identities i ON i.channel = o.channel AND i.channel_uid = o.channel_uid
        WHERE i.phone_prefix IS NOT NULL AND i.phone_suffix IS NOT NULL
    """
    # equi-join on the code and the phone's visible digits first: a run's parcels times its adds would be huge
    candidates = f"""
        SELECT DISTINCT a.external_userid, b.node FROM ({adds}) a JOIN ({buyers}) b
        ON b.code = a.code AND b.phone_prefix = a.prefix AND b.phone_suffix = a.suffix
        WHERE b.shipped_at <= a.added_at AND b.shipped_at >= a.added_at - INTERVAL {CARD_SCAN_DAYS} DAY
    """
    one = (f"SELECT external_userid, min(node) AS node FROM ({candidates}) c GROUP BY external_userid "
           "HAVING count(DISTINCT node) = 1")
    node = "CASE WHEN side.k = 0 THEN o.node ELSE 'wecom:' || o.external_userid END"
    return [
        f"SELECT {node} AS node, {literal(CARD_RUN)} AS key_name, 'wecom:' || o.external_userid AS key_value "
        f"FROM ({one}) o CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 AS k) side"
    ]


def store_phone_parts(engine: Engine) -> list[str]:
    """A phone typed at one store's till as a key: (store, phone), held by the buyers of that store who gave it.

    Where the phone is not contested it adds nothing to the `phone` key. Where it is a family's (its holders'
    names differ: 王霞's store card and 王娣's mini-program account on one number), a nameless walk-in who
    typed it is the holder who is a member of that very store, when exactly one named holder buys there: the
    names guard of `superkeys_sql` sets the value aside when two named holders do. Needs `orders` with
    `store_id`; without it, nothing.
    """
    if not (engine.table_exists("orders") and "store_id" in set(engine.table_schema("orders").names)):
        return []
    phones = "SELECT channel, channel_uid, trim(phone) AS phone FROM identities WHERE phone IS NOT NULL"
    if engine.table_exists("identity_keys"):
        phones += (" UNION SELECT channel, channel_uid, trim(key_value) FROM identity_keys "
                   "WHERE key_type = 'phone' AND key_value IS NOT NULL")
    return [
        f"SELECT DISTINCT {node_sql('o')} AS node, {literal(STORE_PHONE)} AS key_name, "
        f"o.store_id || '|' || p.phone AS key_value FROM orders o "
        f"JOIN ({phones}) p ON p.channel = o.channel AND p.channel_uid = o.channel_uid "
        f"WHERE o.store_id IS NOT NULL AND o.channel_uid IS NOT NULL"
    ]


def store_sale_parts(engine: Engine) -> list[str]:
    """A store sale as a key: a guide who adds a WeCom friend within `STORE_ADD_MINUTES` after a sale in their
    store (by them, when the till records who sold) added that sale's buyer, so both hold the sale's id.

    Only when it is unambiguous: the add follows exactly one sale of that store (whoever sold it: a till whose
    seller is not the guide who adds must not link the guide's own sale instead), that sale is followed by
    exactly one add, and the buyer's sales are followed by adds of one friend only (a till's own phone typed for
    walk-ins is one identity buying for many people, and must not gather their friends). Needs `orders`,
    `contacts` and `staff`; without them it adds nothing.
    """
    needs = {"orders": {"store_id", "staff_id", "created_at"}, "contacts": {"staff_id", "added_at"},
             "staff": {"staff_id", "store_id"}}
    if not all(engine.table_exists(t) and cols <= set(engine.table_schema(t).names) for t, cols in needs.items()):
        return []
    adds = (
        "SELECT c.external_userid, c.staff_id, c.added_at, s.store_id FROM contacts c "
        "JOIN staff s ON s.staff_id = c.staff_id WHERE c.external_userid IS NOT NULL AND c.added_at IS NOT NULL"
    )
    # the hour of the add and the hour half an hour before: an equi-join on (store, hour), not on the store alone
    before = f"a.added_at - INTERVAL {STORE_ADD_MINUTES} MINUTE"
    hours = (f"SELECT a.*, date_trunc('hour', a.added_at) AS hour FROM ({adds}) a UNION "
             f"SELECT a.*, date_trunc('hour', {before}) AS hour FROM ({adds}) a")
    # every sale of the store in the window, whoever sold it and whether or not the buyer is known: the add must
    # follow exactly one, or the guide may have added the buyer of another
    candidates = f"""
        SELECT a.external_userid, a.staff_id AS adder, o.staff_id AS seller, o.channel, o.channel_uid, o.order_id
        FROM ({hours}) a
        JOIN orders o ON o.store_id = a.store_id AND date_trunc('hour', o.created_at) = a.hour
        WHERE o.created_at <= a.added_at AND o.created_at >= {before}
    """
    sales = f"""
        WITH c AS ({candidates}),
        per_add AS (SELECT external_userid FROM c GROUP BY external_userid HAVING count(*) = 1),
        per_sale AS (SELECT channel, order_id FROM c GROUP BY channel, order_id HAVING count(*) = 1),
        per_buyer AS (SELECT channel, channel_uid FROM c GROUP BY channel, channel_uid
                      HAVING count(DISTINCT external_userid) = 1)
        SELECT c.* FROM c JOIN per_add a ON a.external_userid = c.external_userid
        JOIN per_sale s ON s.channel = c.channel AND s.order_id = c.order_id
        JOIN per_buyer b ON b.channel = c.channel AND b.channel_uid = c.channel_uid
        WHERE c.channel_uid IS NOT NULL AND (c.seller IS NULL OR c.seller = c.adder)
    """
    # one part holding both sides (buyer, friend): Spark refuses one query repeating the CTE names of `sales`
    node = f"CASE WHEN side.k = 0 THEN {node_sql('o')} ELSE 'wecom:' || o.external_userid END"
    return [
        f"SELECT {node} AS node, {literal(STORE_SALE)} AS key_name, o.channel || ':' || o.order_id AS key_value "
        f"FROM ({sales}) o CROSS JOIN (SELECT 0 AS k UNION ALL SELECT 1 AS k) side"
    ]


def store_name_parts(engine: Engine, nickname_channels: list[str]) -> list[str]:
    """A store's member of a name as a key: a guide types a WeCom friend's real name as the remark (张婷婕, not a
    display name); when the guide's store has exactly one buyer of that full name and exactly one WeCom friend
    of its guides goes by it (both written alike, and no other name of the store sounds the same), both hold
    the value (store, name). A guide adding a customer of the store they serve and noting the name is what makes
    the two one person; a second buyer or friend of that name in the store (two 王芳), or of a name that sounds
    the same (孙丽, 孙莉: the remark may be a typo for the other), makes it nobody's key. Needs `orders` (with
    `store_id`), `contacts` and `staff`; without them it adds nothing.
    """
    needs = {"orders": {"store_id"}, "contacts": {"staff_id"}, "staff": {"staff_id", "store_id"}}
    if not all(engine.table_exists(t) and cols <= set(engine.table_schema(t).names) for t, cols in needs.items()):
        return []
    holders = f"""
        SELECT DISTINCT {node_sql('o')} AS node, o.store_id, 0 AS side FROM orders o
        WHERE o.store_id IS NOT NULL AND o.channel_uid IS NOT NULL
        UNION ALL
        SELECT DISTINCT 'wecom:' || c.external_userid AS node, s.store_id, 1 AS side FROM contacts c
        JOIN staff s ON s.staff_id = c.staff_id WHERE c.external_userid IS NOT NULL AND s.store_id IS NOT NULL
    """
    # one of a sound in the store, and written alike: a guide's homophone typo (李珊 for the member 李姗) must not
    # land on another member 李珊; the pinyin key ignores order (李媛 ~ 袁丽), the name as written does not
    named = (f"SELECT h.node, h.store_id, h.side, n.real_name AS sound, n.full_name FROM ({holders}) h "
             f"JOIN ({sure_names_sql(nickname_channels)}) n ON n.node = h.node WHERE n.full_name IS NOT NULL")
    unique = (f"SELECT store_id, sound FROM ({named}) q GROUP BY store_id, sound "
              "HAVING count(DISTINCT CASE WHEN side = 0 THEN node END) = 1 "
              "AND count(DISTINCT CASE WHEN side = 1 THEN node END) = 1 AND count(DISTINCT full_name) = 1")
    return [
        f"SELECT DISTINCT h.node, {literal(STORE_NAME)} AS key_name, h.store_id || '|' || h.full_name AS key_value "
        f"FROM ({named}) h JOIN ({unique}) u ON u.store_id = h.store_id AND u.sound = h.sound"
    ]


def nodes_sql() -> str:
    """Every identity to resolve: the clean identities, plus WeCom friends known only from `contacts`."""
    return f"SELECT DISTINCT {node_sql()} AS node, channel, channel_uid FROM identities"


def contact_nodes_sql() -> str:
    return (
        "SELECT DISTINCT 'wecom:' || external_userid AS node, 'wecom' AS channel, external_userid AS channel_uid "
        "FROM contacts WHERE external_userid IS NOT NULL"
    )


def _groups_sql(threshold: int) -> str:
    """Per key value: its holders, their distinct real names, and whether their names contradict each other
    (two full names further apart than a typo, or a surname or visible character a masked holder shows that
    another's name lacks: 王丽婷 and 杜** on one phone). A nameless or masked holder alone neither agrees nor
    conflicts; 陈琳勤 and 陈羚勤, or 黄琳 and 黄羚 (one mistyped character, the last one too: a full name's last
    character counts only against the one a mask left) are one name, as for probabilistic matches. A display
    name that is nothing but a Chinese name (a WeCom friend called 郑影毓 whose remark phone is 苏香锦's) counts
    as a name here: a family member's phone typed as a friend's is a household key, not that friend's.

    Names are compared pairwise only within key values of at most `threshold` holders: one held by more links
    nobody anyway, and a shop's phone typed for thousands of named walk-ins would make millions of pairs."""
    small = (f"SELECT key_name, key_value FROM {KEYS_TABLE} GROUP BY key_name, key_value "
             f"HAVING count(DISTINCT node) <= {int(threshold)}")
    names = (f"SELECT DISTINCT k.key_name, k.key_value, coalesce(k.real_name, k.shown_name) AS real_name "
             f"FROM {KEYS_TABLE} k JOIN ({small}) s ON s.key_name = k.key_name AND s.key_value = k.key_value "
             "WHERE coalesce(k.real_name, k.shown_name) IS NOT NULL")
    far = f"""
        SELECT DISTINCT a.key_name, a.key_value FROM ({names}) a JOIN ({names}) b
        ON b.key_name = a.key_name AND b.key_value = a.key_value AND a.real_name < b.real_name
        WHERE levenshtein(a.real_name, b.real_name) > {NAME_TYPO_EDITS}
    """
    return f"""
        SELECT g.key_name, g.key_value, g.n, g.n_names, g.parts_differ OR f.key_name IS NOT NULL AS contested
        FROM (SELECT key_name, key_value, count(DISTINCT node) AS n, count(DISTINCT real_name) AS n_names,
                     count(DISTINCT coalesce(surname, shown_surname)) > 1
                         OR (count(DISTINCT last) > 1
                             AND sum(CASE WHEN real_name IS NULL AND last IS NOT NULL THEN 1 ELSE 0 END) > 0)
                         AS parts_differ
              FROM {KEYS_TABLE} GROUP BY key_name, key_value) g
        LEFT JOIN ({far}) f ON f.key_name = g.key_name AND f.key_value = g.key_value
    """


def superkeys_sql(threshold: int, run_id: str) -> str:
    """Key values that link nobody: held by more than `threshold` identities, or by people whose names
    contradict each other (a family phone, a recycled number); and identities several people used
    (`build_shared`: key_name 'identity', the identity as key_value)."""
    return f"""
        SELECT key_name, key_value, n AS n_identities, n_names,
               CASE WHEN n > {int(threshold)} THEN 'shared by more than {int(threshold)}' ELSE 'names differ' END
                   AS reason,
               {literal(run_id)} AS run_id
        FROM ({_groups_sql(threshold)}) g WHERE n > {int(threshold)} OR (contested AND n > 1)
        UNION ALL
        SELECT 'identity' AS key_name, node AS key_value, 1 AS n_identities, n_names,
               'identity shared' AS reason, {literal(run_id)} AS run_id
        FROM {SHARED}
    """


def key_edges_sql(threshold: int, run_id: str) -> str:
    """Star edges between identities sharing a key value held by 2..threshold identities.

    When the holders' names contradict each other, only holders of the same full name (by pinyin) are linked
    by it; holders without a full real name (masked, nameless) are left to probabilistic matching.
    """
    return f"""
        WITH g AS ({_groups_sql(threshold)}),
        k AS (
            SELECT k.node, k.key_name, k.key_value,
                   CASE WHEN g.contested THEN k.real_name ELSE '' END AS part
            FROM {KEYS_TABLE} k JOIN g ON g.key_name = k.key_name AND g.key_value = k.key_value
            WHERE g.n BETWEEN 2 AND {int(threshold)} AND NOT k.shared
        ),
        hubs AS (
            SELECT key_name, key_value, part, min(node) AS hub FROM k WHERE part IS NOT NULL
            GROUP BY key_name, key_value, part
        )
        SELECT DISTINCT k.node AS a, h.hub AS b, 'key' AS kind, k.key_name, k.key_value,
               CAST(NULL AS DOUBLE) AS probability, {literal(run_id)} AS run_id
        FROM k JOIN hubs h ON h.key_name = k.key_name AND h.key_value = k.key_value AND h.part = k.part
        WHERE k.node <> h.hub
    """
