"""Shape the generated world into each channel's export, one Arrow table per source mapping.

Columns are named for the fields of `siyu/ingest/sources/<source>.toml` and hold what the file holds,
typed: map fields keep the channel's own wording (交易成功, 退款成功 …), masked channels are masked, and
per-sighting noise (typos, missing fields, the phone of the day) is applied here. `files.py` writes these
tables with each field's first header; `direct.py` maps them into raw tables like the importer would.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siyu.demo.accounts import scramble, unique_numbers
from siyu.demo.funnel import ADD_LABELS, shipped
from siyu.demo.orders import CHANNELS as CHANNEL_CODES
from siyu.demo.orders import CLOSED, DOUYIN, JD, MINI, PARTIAL, PENDING, REFUNDED, STORE, TMALL
from siyu.demo.social import CUSTOMER_LINES, GROUP_KINDS, GROUP_POSTS, STAFF_LINES, STAFF_REPLIES, WELFARE
from siyu.demo.text import concat, ints, mask_name_middle, mask_name_tail, money, pick, timestamps, with_nulls
from siyu.demo.world import World

# channel wording for (paid, pending, closed, refunded, partially refunded)
STATUS_TEXT = {
    TMALL: ["交易成功", "等待买家付款", "交易关闭", "退款成功", "部分退款"],
    JD: ["完成", "等待付款", "已取消", "已退款", "完成"],
    DOUYIN: ["已完成", "待付款", "已关闭", "已完成", "已完成"],
    MINI: ["已完成", "待付款", "已关闭", "已退款", "部分退款"],
    STORE: ["销售", "销售", "销售", "退货", "退货"],
}
SPECS = [f"{c} {s}" for c in ("肤色", "黑色", "雾蓝", "豆沙粉") for s in ("S", "M", "L", "XL")]


def _take(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    return arr.take(pa.array(np.asarray(idx, dtype=np.int64)))


def _opt_ts(w: World, days: np.ndarray) -> pa.Array:
    """Timestamps with nulls where `days` is nan."""
    missing = np.isnan(days)
    return with_nulls(timestamps(w.cfg.start, np.where(missing, 0, days)), missing)


def _order_codes(w: World) -> pa.Array:
    """Per order: the per-order code printed on its package card (一单一码), null for cards of a print run and
    orders without a card. Drawn from a generator of its own, so the share changes nothing else in the brand."""
    rng = np.random.default_rng([w.cfg.seed, 52])
    o = w.orders
    coded = o.with_card & (rng.random(o.n) < w.cfg.order_code_share)
    return with_nulls(concat("DC", ints(unique_numbers(rng, o.n, 10), 10)), ~coded)


def _mini_unionids(w: World) -> pa.Array:
    """Per person: the unionid their mini-program account holds, null for the accounts it is not known for.

    A mini-program bound to the brand's open-platform account gets the unionid from code2Session at every login
    (wx.login), for every user, whatever they authorised: it belongs to the account, not to an order or a coupon.
    `miniprogram_unionid_share` below 1 models a mini-program not bound (0) or a login that does not keep it.
    Drawn from a generator of its own, so the share changes nothing else in the brand."""
    rng = np.random.default_rng([w.cfg.seed, 53])
    unknown = rng.random(len(w.accounts.unionid)) >= w.cfg.miniprogram_unionid_share
    return with_nulls(w.accounts.unionid, unknown)


SOURCES = [
    "products", "stores", "staff", "tmall", "jd", "douyin", "miniprogram", "store", "wecom-contacts", "groups",
    "messages", "parcels", "coupons", "stored-value",
]
Sighting = tuple[str, pa.Array, np.ndarray]  # (channel, channel_uid, person)


class Shaper:
    """Builds export tables one at a time (so a 1M-person demo never holds them all).

    Each source draws its noise from its own generator, so a table is the same whichever order the
    tables are built in, and building one again gives the same table.
    """

    def __init__(self, w: World) -> None:
        self.w = w
        self.rng = np.random.default_rng([w.cfg.seed, 50])
        self.source = ""
        o = w.orders
        n = o.n
        i = np.arange(n)
        self.order_id = pc.if_else(
            pa.array(o.channel == TMALL), ints(2 * 10**17 + scramble(i, 7, 9) * 100 + i % 97),
            pc.if_else(pa.array(o.channel == JD), ints(3 * 10**11 + scramble(i, 13, 11)),
                       pc.if_else(pa.array(o.channel == DOUYIN), ints(69 * 10**17 + scramble(i, 17, 12) * 1000),
                                  pc.if_else(pa.array(o.channel == MINI), concat("MP", ints(scramble(i, 19, 10), 10)),
                                             concat("XS", ints(scramble(i, 23, 10), 10))))))
        self.first_line = np.searchsorted(w.lines.order, i)
        self.order_code = _order_codes(w)
        self.mini_unionid = _mini_unionids(w)
        self.sightings: dict[str, list[Sighting]] = {}  # per source: every identity it shows, for the truth

    def build(self, source: str) -> pa.Table:
        """The export table of one source."""
        builders = {
            "products": lambda: self.w.catalogue.table(self.w.cfg.start),
            "stores": lambda: self.w.org.tables["stores"], "staff": lambda: self.w.org.tables["staff"],
            "tmall": self.tmall, "jd": self.jd, "douyin": self.douyin, "miniprogram": self.miniprogram,
            "store": self.store, "wecom-contacts": self.wecom_contacts, "groups": self.groups,
            "messages": self.messages, "parcels": self.parcels, "coupons": self.coupons,
            "stored-value": self.stored_value,
        }
        self.source = source
        self.sightings[source] = []
        self.rng = np.random.default_rng([self.w.cfg.seed, 50, SOURCES.index(source)])
        table: pa.Table = builders[source]()
        return table

    def all_sightings(self) -> list[Sighting]:
        """Every identity sighting of every source (building, and dropping, sources not built yet)."""
        for source in SOURCES:
            if source not in self.sightings:
                self.build(source)
        return [s for source in SOURCES for s in self.sightings[source]]

    def seen(self, channel: str, uid: pa.Array, person: np.ndarray) -> pa.Array:
        self.sightings[self.source].append((channel, uid, np.asarray(person)))
        return uid

    # --- per-sighting helpers ---------------------------------------------------------------------
    def phone(self, person: np.ndarray, t: np.ndarray) -> pa.Array:
        p = self.w.persons
        later = t >= p.phone_change[person]
        return pc.if_else(pa.array(later), _take(p.phone2, person), _take(p.phone, person))

    def name(self, person: np.ndarray) -> pa.Array:
        p = self.w.persons
        typo = self.rng.random(len(person)) < self.w.cfg.homophone_rate
        return pc.if_else(pa.array(typo), _take(p.name_typo, person), _take(p.name, person))

    def missing(self, values: pa.Array, rate: float | None = None) -> pa.Array:
        r = self.w.cfg.missing_rate if rate is None else rate
        return with_nulls(values, self.rng.random(len(values)) < r)

    def status_text(self, channel: int, status: np.ndarray) -> pa.Array:
        return pick(STATUS_TEXT[channel], status)

    def paid_at(self, idx: np.ndarray) -> pa.Array:
        o = self.w.orders
        unpaid = np.isin(o.status[idx], [PENDING, CLOSED])
        days = o.t[idx] + self.rng.uniform(0.0005, 0.02, len(idx))
        return _opt_ts(self.w, np.where(unpaid, np.nan, days))

    def place(self, person: np.ndarray) -> dict[str, pa.Array]:
        p = self.w.persons
        return {"province": _take(p.province, person), "city": _take(p.city, person),
                "district": _take(p.district, person), "address": self.missing(_take(p.street, person), 0.01)}

    def staff_id(self, staff: np.ndarray) -> pa.Array:
        return with_nulls(_take(self.w.org.staff_id, np.maximum(staff, 0)), staff < 0)

    # --- order exports ----------------------------------------------------------------------------
    def tmall(self) -> pa.Table:
        w, o, li = self.w, self.w.orders, self.w.lines
        idx = np.flatnonzero(o.channel == TMALL)
        person = o.person[idx]
        first = self.first_line[idx]
        qty = np.bincount(li.order, weights=li.qty, minlength=o.n)[idx].astype(np.int64)
        status = self.status_text(TMALL, o.status[idx])
        sku = li.sku[first]
        return pa.table({
            "order_id": _take(self.order_id, idx),
            "channel_uid": self.seen("tmall", pc.if_else(pa.array(o.account[idx] == 1),
                                      _take(w.accounts.tmall[1], person), _take(w.accounts.tmall[0], person)), person),
            "amount_paid": money(o.paid[idx]), "status": status, "status_raw": status,
            "name": mask_name_tail(_take(w.persons.surname, person), w.persons.given_len[person]),
            **self.place(person),
            "phone": self.missing(self._masked_phone(person, o.t[idx])),
            "created_at": timestamps(w.cfg.start, o.t[idx]), "paid_at": self.paid_at(idx),
            "product_name": pick(w.catalogue.names, sku), "sku": pick(w.catalogue.skus, sku), "qty": pa.array(qty),
            "refund_amount": money(o.refund[idx]), "shop_name": pa.repeat(pa.scalar("丝语官方旗舰店"), len(idx)),
            "amount": money(o.paid[idx]),
        })

    def _masked_phone(self, person: np.ndarray, t: np.ndarray) -> pa.Array:
        phone = self.phone(person, t)
        return concat(pc.utf8_slice_codeunits(phone, 0, 3), "****", pc.utf8_slice_codeunits(phone, 7, 11))

    def _line_rows(self, channel: int) -> tuple[np.ndarray, np.ndarray]:
        """(line indices, their order indices) of one channel."""
        li = self.w.lines
        rows = np.flatnonzero(self.w.orders.channel[li.order] == channel)
        return rows, li.order[rows]

    def jd(self) -> pa.Table:
        w, o, li = self.w, self.w.orders, self.w.lines
        rows, idx = self._line_rows(JD)
        person = o.person[idx]
        status = self.status_text(JD, o.status[idx])
        return pa.table({
            "order_id": _take(self.order_id, idx), "channel_uid": self.seen("jd", _take(w.accounts.jd, person), person),
            "name": mask_name_middle(_take(w.persons.name, person)), **self.place(person),
            "phone": self.missing(self._masked_phone(person, o.t[idx])),
            "created_at": timestamps(w.cfg.start, o.t[idx]), "paid_at": self.paid_at(idx),
            "list_amount": money(o.gross[idx]), "amount_paid": money(o.paid[idx]),
            "status": status, "status_raw": status,
            "product_name": pick(w.catalogue.names, li.sku[rows]), "sku": pick(w.catalogue.skus, li.sku[rows]),
            "qty": pa.array(li.qty[rows]), "price": money(li.price[rows]),
            "refund_amount": money(o.refund[idx]), "shop_name": pa.repeat(pa.scalar("丝语京东旗舰店"), len(idx)),
        })

    def douyin(self) -> pa.Table:
        w, o, li = self.w, self.w.orders, self.w.lines
        rows, idx = self._line_rows(DOUYIN)
        person = o.person[idx]
        st = o.status[idx]
        status = self.status_text(DOUYIN, st)
        after = pc.if_else(pa.array(st == REFUNDED), "退款成功",
                           pc.if_else(pa.array(st == PARTIAL), "部分退款成功",
                                      pick(["", "无售后"], self.rng.integers(0, 2, len(idx)))))
        live = self.rng.random(len(idx)) < 0.4
        main = _take(self.order_id, idx)
        sub = ints(pc.add(main.cast(pa.int64()), pa.array(li.line_no[rows])).to_numpy())
        return pa.table({
            "order_id": main, "sub_order_id": sub,
            "channel_uid": self.seen("douyin", pc.if_else(
                pa.array(o.account[idx] == 1), _take(w.accounts.douyin[1], person), _take(w.accounts.douyin[0], person)
            ), person),
            "product_name": pick(w.catalogue.names, li.sku[rows]),
            "spec": pick(SPECS, self.rng.integers(0, len(SPECS), len(rows))),
            "sku": pick(w.catalogue.skus, li.sku[rows]), "qty": pa.array(li.qty[rows]),
            "amount_paid": money(li.amount[rows]), "amount": money(li.amount[rows]),
            "name": mask_name_tail(_take(w.persons.surname, person), w.persons.given_len[person]),
            "phone": self.missing(self._masked_phone(person, o.t[idx])), **self.place(person),
            "created_at": timestamps(w.cfg.start, o.t[idx]), "paid_at": self.paid_at(idx),
            "status": status, "status_raw": status, "after_sale": after,
            "creator_id": with_nulls(concat("KOL", ints(self.rng.integers(1, 60, len(idx)), 4)), ~live),
            "traffic_source": pc.if_else(pa.array(live), "直播",
                                         pick(["短视频", "商品卡", "搜索"], self.rng.integers(0, 3, len(idx)))),
        })

    def miniprogram(self) -> pa.Table:
        w, o, li = self.w, self.w.orders, self.w.lines
        rows, idx = self._line_rows(MINI)
        person = o.person[idx]
        status = self.status_text(MINI, o.status[idx])
        openid = self.seen("miniprogram", _take(w.accounts.openid, person), person)
        coupon = o.coupon[idx]
        return pa.table({
            "order_id": _take(self.order_id, idx), "channel_uid": openid, "openid": openid,
            "unionid": _take(self.mini_unionid, person),
            "nickname": _take(w.persons.nickname, person), "phone": self.missing(self.phone(person, o.t[idx])),
            "name": self.name(person), **self.place(person),
            "created_at": timestamps(w.cfg.start, o.t[idx]), "paid_at": self.paid_at(idx),
            "amount_paid": money(o.paid[idx]), "discount": money(o.discount[idx]),
            "status": status, "status_raw": status, "refund_amount": money(o.refund[idx]),
            "refunded_at": _opt_ts(w, o.refunded_at[idx]), "share_staff_id": self.staff_id(o.staff[idx]),
            "coupon_id": with_nulls(concat("CP", ints(np.maximum(coupon, 0) + 1, 9)), coupon < 0),
            "sku": pick(w.catalogue.skus, li.sku[rows]), "product_name": pick(w.catalogue.names, li.sku[rows]),
            "qty": pa.array(li.qty[rows]), "price": money(li.price[rows]),
        })

    def store(self) -> pa.Table:
        w, o, li = self.w, self.w.orders, self.w.lines
        rows, idx = self._line_rows(STORE)
        person = o.person[idx]
        walk = o.walk_in[idx]
        till_store = walk & (self.rng.random(len(idx)) < w.cfg.store_phone_share)
        member = with_nulls(_take(w.accounts.member_no, person), walk)
        phone = pc.if_else(pa.array(till_store), _take(w.org.store_phone, np.maximum(o.store[idx], 0)),
                           self.phone(person, o.t[idx]))
        status = self.status_text(STORE, o.status[idx])
        self.seen("store", pc.coalesce(member, phone), person)  # walk-ins: the phone typed at the till
        return pa.table({
            "order_id": _take(self.order_id, idx), "member_no": member, "phone": phone, "channel_uid": member,
            "name": with_nulls(self.name(person), walk),
            "gender": with_nulls(pick(["女", "男"], (w.persons.gender[person] == "m").astype(np.int64)), walk),
            "birthday": with_nulls(_take(w.persons.birthday, person), walk | (self.rng.random(len(idx)) < 0.3)),
            "store_id": _take(w.org.store_id, np.maximum(o.store[idx], 0)), "staff_id": self.staff_id(o.staff[idx]),
            "created_at": timestamps(w.cfg.start, o.t[idx]), "amount_paid": money(o.paid[idx]),
            "discount": money(o.discount[idx]), "status": status, "status_raw": status,
            "sku": pick(w.catalogue.skus, li.sku[rows]), "product_name": pick(w.catalogue.names, li.sku[rows]),
            "qty": pa.array(li.qty[rows]), "price": money(li.price[rows]),
        })

    def seen_mixed(self, channel: np.ndarray, uid: pa.Array, person: np.ndarray) -> pa.Array:
        for code in np.unique(channel):
            rows = np.flatnonzero(channel == code)
            self.seen(CHANNEL_CODES[code], _take(uid, rows), person[rows])
        return uid

    # --- private-domain exports -------------------------------------------------------------------
    def wecom_contacts(self) -> pa.Table:
        w, f = self.w, self.w.friends
        person = f.person
        ext = self.seen("wecom", _take(w.accounts.external_userid, person), person)
        real = self.rng.random(f.n) < 0.4
        mobile = self.missing(self.phone(person, f.added), 0.5)
        card = f.order >= 0
        state = pc.if_else(pa.array(f.source == 0), self._card_code(np.maximum(f.order, 0)),
                           concat("ST-", _take(w.org.store_id, np.maximum(f.store, 0))))
        state = with_nulls(state, ~card)
        label = pick(ADD_LABELS, f.source)
        return pa.table({
            "staff_id": self.staff_id(f.staff), "external_userid": ext, "channel_uid": ext,
            "unionid": _take(w.accounts.unionid, person),
            "name": pc.if_else(pa.array(real), _take(w.persons.name, person), _take(w.persons.nickname, person)),
            "remark": self.missing(self.name(person), 0.3), "remark_mobile": mobile, "phone": mobile,
            "gender": pick(["女", "男"], (w.persons.gender[person] == "m").astype(np.int64)),
            "added_at": timestamps(w.cfg.start, f.added), "removed_at": _opt_ts(w, f.removed),
            "add_source": label, "add_way_raw": label, "state": state,
        })

    def _card_code(self, order: np.ndarray) -> pa.Array:
        """The package card's QR parameter: the order's own code (一单一码) when its card was printed with one,
        else one per channel and month (a card print run)."""
        o = self.w.orders
        base = np.datetime64(self.w.cfg.start.isoformat(), "D")
        month = (base + np.floor(o.t[order]).astype("timedelta64[D]")).astype("datetime64[M]").astype(np.int64)
        yymm = (month // 12 + 1970) % 100 * 100 + month % 12 + 1
        code = pick(["TM", "JD", "DY", "MP", "MD"], o.channel[order])
        run = concat("PK-", code, "-", ints(yymm, 4))
        own = _take(self.order_code, order)
        return pc.if_else(pc.is_valid(own), own, run)

    def groups(self) -> pa.Table:
        w, g = self.w, self.w.groups
        left = ~np.isnan(g.left)
        person = np.r_[g.person, g.person[left]]
        group = np.r_[g.group, g.group[left]]
        event = np.r_[np.zeros(len(g.person), np.int64), np.ones(int(left.sum()), np.int64)]
        kind = g.group_kind[group]
        serial = group - np.searchsorted(g.group_kind, kind)  # number within its kind
        return pa.table({
            "group_id": concat("wrGr", ints(scramble(group, 71), 9)),
            "group_name": concat("丝语", pick(GROUP_KINDS, kind), ints(serial + 1, 2)),
            "group_type": pick(["社群", "福利群"], (kind == WELFARE).astype(np.int64)),
            "owner_staff_id": self.staff_id(g.group_owner[group]),
            "member_id": _take(w.accounts.external_userid, person),
            "unionid": _take(w.accounts.unionid, person),
            "event": pick(["入群", "退群"], event),
            "event_at": timestamps(w.cfg.start, np.r_[g.joined, g.left[left]]),
            "join_way": with_nulls(pick(["扫码入群", "邀请入群"], self.rng.integers(0, 2, len(person))), event == 1),
        })

    def messages(self) -> pa.Table:
        w, m = self.w, self.w.messages
        n = len(m.t)
        is_group = m.kind == "group"
        staff_sender = m.sender == "staff"
        text_lists = [STAFF_LINES, CUSTOMER_LINES, STAFF_REPLIES, GROUP_POSTS]
        # which phrase list: script lines, customer phrases, staff replies, group posts
        which = np.where(m.line > 0, 0, np.where(~staff_sender, 1, np.where(is_group, 3, 2)))
        offsets = np.r_[0, np.cumsum([len(x) for x in text_lists])]
        phrases = [p for x in text_lists for p in x]
        ext = with_nulls(_take(w.accounts.external_userid, np.maximum(m.person, 0)), m.person < 0)
        staff = self.staff_id(np.where(is_group & ~staff_sender, -1, m.staff))
        group_id = with_nulls(concat("wrGr", ints(scramble(np.maximum(m.group, 0), 71), 9)), ~is_group)
        conv = pc.if_else(pa.array(is_group), group_id, concat(self.staff_id(m.staff), ":", ext))
        return pa.table({
            "message_id": concat("msg", ints(scramble(np.arange(n), 73, 12), 12)),
            "kind": pick(["单聊", "群聊"], is_group.astype(np.int64)), "conversation_id": conv,
            "group_id": group_id, "staff_id": staff, "customer_id": ext,
            "sender_type": pick(["员工", "客户"], (~staff_sender).astype(np.int64)),
            "sent_at": timestamps(w.cfg.start, m.t),
            "script_line_id": with_nulls(concat("S", ints(m.script, 2), "-L", ints(m.line)), m.line == 0),
            "content": pick(phrases, offsets[which] + m.text),
        })

    def parcels(self) -> pa.Table:
        w, o = self.w, self.w.orders
        idx = np.flatnonzero(shipped(o))
        card = o.with_card[idx]
        return pa.table({
            "parcel_id": concat("YT", ints(scramble(idx, 79, 12), 12)),
            "channel": pick(CHANNEL_CODES, o.channel[idx]), "order_id": _take(self.order_id, idx),
            "shipped_at": timestamps(w.cfg.start, o.t[idx] + o.ship_delay[idx]),
            "with_card": pa.array(card), "card_code": with_nulls(self._card_code(idx), ~card),
        })

    def coupons(self) -> pa.Table:
        w, c = self.w, self.w.coupons
        return pa.table({
            "coupon_id": concat("CP", ints(np.arange(1, c.n + 1), 9)),
            "channel": pa.repeat(pa.scalar("miniprogram"), c.n),
            "channel_uid": self.seen("miniprogram", _take(w.accounts.openid, c.person), c.person),
            "unionid": _take(self.mini_unionid, c.person),  # claimed in the mini-program: its account's
            "campaign": pa.repeat(pa.scalar("加好友福利券"), c.n),
            "value": money(np.full(c.n, w.cfg.coupon_value)), "min_spend": money(np.full(c.n, 99.0)),
            "issued_at": timestamps(w.cfg.start, c.issued), "expires_at": timestamps(w.cfg.start, c.expires),
            "redeemed_at": _opt_ts(w, c.redeemed),
            "order_id": with_nulls(_take(self.order_id, np.maximum(c.order, 0)), c.order < 0),
            "staff_id": self.staff_id(c.staff),
        })

    def stored_value(self) -> pa.Table:
        w, s = self.w, self.w.stored
        n = len(s.t)
        at_store = s.channel == STORE
        uid = pc.if_else(pa.array(at_store), _take(w.accounts.member_no, s.person), _take(w.accounts.openid, s.person))
        return pa.table({
            "txn_id": concat("SV", ints(scramble(np.arange(n), 83, 10), 10)),
            "channel": pick(CHANNEL_CODES, s.channel), "channel_uid": self.seen_mixed(s.channel, uid, s.person),
            "kind": pick(["充值", "赠送", "消费"], np.select([s.kind == "topup", s.kind == "bonus"], [0, 1], 2)),
            "amount": money(s.amount), "txn_at": timestamps(w.cfg.start, s.t),
            "store_id": with_nulls(_take(w.org.store_id, np.maximum(s.store, 0)), s.store < 0),
            "staff_id": self.staff_id(s.staff),
        })


def iter_exports(shaper: Shaper) -> Iterator[tuple[str, pa.Table]]:
    """Every source's export table in import order, built one at a time."""
    for source in SOURCES:
        yield source, shaper.build(source)
