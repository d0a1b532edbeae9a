"""The zh corpus as six channels' export files, so the warehouse's OneID (`siyu import` + `siyu run`) can be scored.

The same people and errors as the `zh_channels` schema (`siyu.corpus.build`), each record one order in one
channel's export: Tmall and JD write the address in one cell, Douyin and the mini-program in 省/市/区/详细地址, a
WeCom friend shows a WeChat nickname and a staff remark, a store sale a member card (or the phone typed at the
till) and a birthday. Headers are each field's first alias in `siyu/ingest/sources/<source>.toml`. Each
identity (`channel:channel_uid`) is written to the truth with its person; an id several people hold (a shared
member card, the shop's own phone as a walk-in's id) has no right answer and is written with person NULL.

Held out: the bench draws with another seed than the tests that develop the matcher.
"""

from __future__ import annotations

import hashlib
import io
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from siyu.corpus.build import _dob, _maybe, _zh_name, _zh_phone, _zh_places
from siyu.corpus.people import Person, chinese_people
from siyu.corpus.profiles import PROFILES, Profile
from siyu.demo import gazetteer as gz
from siyu.demo.mappings import headers
from siyu.errors import UserError

Row = dict[str, str | None]
CHANNELS = ["tmall", "jd", "douyin", "wecom", "miniprogram", "store"]
SOURCES = {"tmall": "tmall", "jd": "jd", "douyin": "douyin", "wecom": "wecom-contacts",
           "miniprogram": "miniprogram", "store": "store"}
FILES = {"tmall": "tmall_orders.csv", "jd": "jd_orders.csv", "douyin": "douyin_orders.csv",
         "wecom-contacts": "wecom_contacts.csv", "miniprogram": "miniprogram_orders.csv", "store": "store_sales.csv"}
_STATUS = {"tmall": "交易成功", "jd": "完成", "douyin": "已完成", "miniprogram": "已完成", "store": "销售"}
_UID_PREFIX = {"tmall": "tb_", "jd": "jd_", "douyin": "dy", "wecom": "wm", "miniprogram": "o"}


def _uid(seed: int, person: str, channel: str) -> str:
    """A channel account id that says nothing about the person (a hash, no digits of the index)."""
    digest = hashlib.sha1(f"{seed}/{person}/{channel}".encode()).hexdigest()[:14]
    return _UID_PREFIX[channel] + digest


def _when(rng: random.Random) -> str:
    day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    return f"{day} {rng.randint(8, 22):02d}:{rng.randint(0, 59):02d}:00"


def _one_cell(province: str | None, city: str | None, district: str | None, address: str | None,
              rng: random.Random) -> str | None:
    """Tmall's and JD's 收货地址: `广东省 深圳市 南山区 科技路1号` (or without the spaces)."""
    parts = [x for x in (province, city, district, address) if x]
    return (" " if rng.random() < 0.5 else "").join(parts) or None


def _store(p: Person, stores: dict[str, Row]) -> str:
    """The store in `p`'s district (most people shop near home), added to the store list on first use."""
    store_id = "S" + hashlib.sha1(f"{p.state}/{p.city}/{p.district}".encode()).hexdigest()[:6].upper()
    stores.setdefault(store_id, {"store_id": store_id, "name": f"{p.city.removesuffix('市')}{p.district}店",
                                 "province": p.state, "city": p.city, "district": p.district})
    return store_id


def _order(p: Person, channel: str, prof: Profile, rng: random.Random, seed: int, n: int,
           stores: dict[str, Row]) -> Row:
    """One record of `p` as a row of `channel`'s export, by field name."""
    province, city, district, address = (_maybe(x, prof.missing, rng) for x in _zh_places(p, channel, prof, rng))
    base: Row = {"order_id": f"{channel[:2].upper()}{seed % 1000:03d}{n:08d}", "created_at": _when(rng),
                 "amount_paid": f"{rng.randint(39, 899)}.00"}
    if channel == "wecom":
        shown = _zh_name(p, channel, prof, rng)
        remark = shown if shown != p.name else None
        nickname = p.name if remark is None else (rng.choice(gz.NICKNAMES) if rng.random() < 0.7 else p.name)
        uid = _uid(seed, p.key, channel)
        # a guide of the store near home added them as often as the zh corpus gives a WeCom record an address
        staff = f"G{_store(p, stores)}" if rng.random() < 0.2 else f"KF{rng.randrange(20):02d}"
        return {"staff_id": staff, "external_userid": uid, "channel_uid": uid,
                "name": nickname, "remark": remark, "remark_mobile": _zh_phone(p, channel, prof, rng),
                "added_at": base["created_at"]}
    name, phone = _zh_name(p, channel, prof, rng), _zh_phone(p, channel, prof, rng)
    row: Row = {**base, "status": _STATUS[channel], "name": _maybe(name, prof.missing, rng),
                "phone": _maybe(phone, prof.missing, rng)}
    if channel == "store":
        card = _maybe(p.member_card, prof.missing, rng)
        return {**row, "member_no": card, "channel_uid": card or row["phone"],
                "birthday": _maybe(_dob(p, prof, rng), prof.missing, rng), "store_id": _store(p, stores)}
    row["channel_uid"] = _uid(seed, p.key, channel)
    if channel in ("tmall", "jd"):
        return {**row, "address": _one_cell(province, city, district, address, rng)}
    if channel == "miniprogram":
        row |= {"openid": row["channel_uid"], "nickname": rng.choice(gz.NICKNAMES)}
    return {**row, "province": province, "city": city, "district": district, "address": address}


def _csv(source: str, rows: list[Row]) -> bytes:
    cols = [(f, h) for f, h, _ in headers(source) if any(r.get(f) is not None for r in rows)]
    table = pa.table({h: pa.array([r.get(f) for r in rows], pa.string()) for f, h in cols})
    sink = io.BytesIO()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(quoting_style="needed"))
    return sink.getvalue()


def write_exports(folder: Path, persons: int = 1000, seed: int = 7, profile: str = "typical"
                  ) -> tuple[list[tuple[str, Path]], pa.Table]:
    """Write the six channels' export files into `folder`; returns (source, file) to import and the truth
    `(id = channel:channel_uid, person)`."""
    if profile not in PROFILES:
        raise UserError(f"unknown corpus profile {profile!r}; one of {', '.join(PROFILES)}")
    prof = PROFILES[profile]
    rng = random.Random(f"exports/{profile}/{seed}")
    rows: dict[str, list[Row]] = {c: [] for c in CHANNELS}
    holders: dict[str, set[str]] = {}
    stores: dict[str, Row] = {}
    for p in chinese_people(persons, rng, prof.households):
        n = 1 + (rng.randint(1, prof.max_extra) if rng.random() < prof.duplicates else 0)
        first = rng.randrange(len(CHANNELS))
        for k in range(n):
            channel = CHANNELS[(first + k) % len(CHANNELS)]
            row = _order(p, channel, prof, rng, seed, sum(map(len, rows.values())), stores)
            rows[channel].append(row)
            if row["channel_uid"]:
                holders.setdefault(f"{channel}:{row['channel_uid']}", set()).add(p.key)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stores.csv").write_bytes(_csv("stores", list(stores.values())))
    guides: list[Row] = [{"staff_id": f"G{k}", "name": f"导购{i:03d}", "store_id": k, "role": "导购"}
              for i, k in enumerate(stores)]
    guides += [{"staff_id": f"KF{i:02d}", "name": f"客服{i:02d}", "role": "客服"} for i in range(20)]
    (folder / "staff.csv").write_bytes(_csv("staff", guides))
    written = [("stores", folder / "stores.csv"), ("staff", folder / "staff.csv")]
    for channel, recs in rows.items():
        if recs:
            source = SOURCES[channel]
            path = folder / FILES[source]
            path.write_bytes(_csv(source, recs))
            written.append((source, path))
    ids = sorted(holders)
    truth = pa.table({"id": ids, "truth": [next(iter(holders[i])) if len(holders[i]) == 1 else None for i in ids]})
    return written, truth
