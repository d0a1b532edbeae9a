"""The demo generator: deterministic by seed, channel-shaped exports, a truth table covering every id."""

from __future__ import annotations

import re

import numpy as np
import pyarrow.compute as pc
import pytest

from siyu.demo.brand import DemoBrand, generate
from siyu.demo.config import DemoConfig
from siyu.demo.mappings import source_spec


@pytest.fixture(scope="module")
def brand() -> DemoBrand:
    return generate(DemoConfig(persons=1500, seed=11))


def test_same_seed_same_brand_and_other_seed_differs() -> None:
    a = generate(DemoConfig(persons=300, seed=3))
    b = generate(DemoConfig(persons=300, seed=3))
    c = generate(DemoConfig(persons=300, seed=4))
    for source, table in a.exports.items():
        assert table.equals(b.exports[source]), source
    assert a.truth.equals(b.truth)
    assert a.persons.equals(b.persons)
    assert not a.exports["tmall"].equals(c.exports["tmall"])
    assert not a.persons.equals(c.persons)


def test_every_export_uses_its_mapping_fields(brand: DemoBrand) -> None:
    """Columns are mapping fields (or the address parts an address field splits into)."""
    for source, table in brand.exports.items():
        fields = set(source_spec(source)["fields"]) | {"province", "city", "district"}
        assert set(table.column_names) <= fields, source
        required = {f for f, spec in source_spec(source)["fields"].items() if spec.get("required")}
        assert required <= set(table.column_names) | {"channel_uid"}, source


def test_platforms_mask_phones_and_names(brand: DemoBrand) -> None:
    for source in ("tmall", "douyin", "jd"):
        phones = [p for p in brand.exports[source].column("phone").to_pylist() if p]
        assert phones and all(re.fullmatch(r"1[3-9]\d\*{4}\d{4}", p) for p in phones), source
    for source in ("tmall", "douyin"):
        names = brand.exports[source].column("name").to_pylist()
        assert all(re.fullmatch(r"[^*]{1,2}\*{1,3}", n) for n in names), source
    jd_names = brand.exports["jd"].column("name").to_pylist()
    assert all(re.fullmatch(r"[^*]\*[^*]?", n) for n in jd_names)
    mini = [p for p in brand.exports["miniprogram"].column("phone").to_pylist() if p]
    assert all(re.fullmatch(r"1[3-9]\d{9}", p) for p in mini)


def test_wechat_ids_join_wecom_and_miniprogram(brand: DemoBrand) -> None:
    """The same unionid shows on WeCom contacts and mini-program orders of one person."""
    wecom = set(brand.exports["wecom-contacts"].column("unionid").to_pylist())
    mini = {u for u in brand.exports["miniprogram"].column("unionid").to_pylist() if u}
    assert len(wecom & mini) > 0.3 * len(mini)


def test_truth_covers_every_identity(brand: DemoBrand) -> None:
    known = set(zip(brand.truth.column("channel").to_pylist(), brand.truth.column("channel_uid").to_pylist(),
                    strict=True))
    ex = brand.exports
    seen: set[tuple[str, str]] = set()
    for source in ("tmall", "jd", "douyin", "miniprogram"):
        seen |= {(source, u) for u in ex[source].column("channel_uid").to_pylist()}
    store = pc.coalesce(ex["store"].column("member_no"), ex["store"].column("phone")).to_pylist()
    seen |= {("store", u) for u in store}
    seen |= {("wecom", u) for u in ex["wecom-contacts"].column("external_userid").to_pylist()}
    seen |= {("wecom", u) for u in ex["groups"].column("member_id").to_pylist()}
    seen |= {("wecom", u) for u in ex["messages"].column("customer_id").to_pylist() if u}
    seen |= {(c, u) for c, u in zip(ex["coupons"].column("channel").to_pylist(),
                                    ex["coupons"].column("channel_uid").to_pylist(), strict=True)}
    seen |= {(c, u) for c, u in zip(ex["stored-value"].column("channel").to_pylist(),
                                    ex["stored-value"].column("channel_uid").to_pylist(), strict=True)}
    assert seen <= known
    assert brand.truth.num_rows == len(known)


def test_store_phone_typed_for_walk_ins_has_no_single_owner(brand: DemoBrand) -> None:
    """A store's own number used for many walk-ins maps to no one person in the truth table."""
    truth = brand.truth.filter(pc.equal(brand.truth.column("channel"), "store"))
    shared = truth.filter(pc.greater(truth.column("n_persons"), 1))
    assert shared.num_rows > 0
    assert shared.column("person_key").null_count == shared.num_rows
    assert all(u.startswith("0") or re.fullmatch(r"1\d{10}", u) for u in shared.column("channel_uid").to_pylist())


def test_noise_is_present(brand: DemoBrand) -> None:
    """Typos, changed phones, several accounts on one platform: what OneID has to cope with."""
    persons = brand.persons
    assert persons.column("phone2").null_count < persons.num_rows  # some changed their phone
    truth = brand.truth.filter(pc.is_valid(brand.truth.column("person_key")))
    tmall = truth.filter(pc.equal(truth.column("channel"), "tmall"))
    per_person = tmall.group_by("person_key").aggregate([("channel_uid", "count")])
    assert pc.max(per_person.column("channel_uid_count")).as_py() >= 2
    names = set(persons.column("name").to_pylist())
    mini_names = set(brand.exports["miniprogram"].column("name").to_pylist())
    assert mini_names - names  # homophone typos are not anyone's real name


def test_config_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="acquisition_rate"):
        DemoConfig(acquisition_rate=1.5)
    with pytest.raises(ValueError, match="persons"):
        DemoConfig(persons=1)


def test_channel_uids_say_nothing_about_the_person(brand: DemoBrand) -> None:
    """No id's digits follow the person's index or another of the person's ids, so a matcher cannot link
    identities by arithmetic on their uids (the old ids were one affine map of the index per channel)."""
    acc = brand.world.accounts
    kinds = {"tmall": acc.tmall[1], "jd": acc.jd, "douyin": acc.douyin[0], "openid": acc.openid,
             "unionid": acc.unionid, "external_userid": acc.external_userid, "member_no": acc.member_no}
    digits = {k: np.array([int(re.search(r"\d+$", u).group()) for u in v.to_pylist()])  # type: ignore[union-attr]
              for k, v in kinds.items()}
    index = np.arange(brand.world.persons.n)
    for kind, d in digits.items():
        assert len(np.unique(d)) == len(d), kind
        assert abs(np.corrcoef(index, d)[0, 1]) < 0.1, kind
        assert abs(np.corrcoef(index, d % 1000)[0, 1]) < 0.1, kind
    for a, b in [("openid", "unionid"), ("unionid", "external_userid"), ("jd", "member_no")]:
        gaps = digits[a] % 10**9 - digits[b] % 10**9
        assert len(np.unique(gaps)) > 0.99 * len(gaps), (a, b)


def test_coupon_only_mini_program_holders_carry_evidence(brand: DemoBrand) -> None:
    """A mini-program openid seen only on a coupon is an identity of its own: the coupon mapping gives it the
    holder's unionid, which their WeCom friendship shows too, so it can be linked rather than left alone."""
    from siyu.demo.direct import raw_tables

    ex = brand.exports
    ordered = set(ex["miniprogram"].column("channel_uid").to_pylist())
    rows = dict(raw_tables("coupons", ex["coupons"]))["raw_identity"]
    only = [(u, x) for u, x in zip(rows.column("channel_uid").to_pylist(), rows.column("unionid").to_pylist(),
                                   strict=True) if u not in ordered]
    assert len(only) > 50
    wecom = set(ex["wecom-contacts"].column("unionid").to_pylist())
    assert sum(x in wecom for _, x in only) > 0.8 * len(only)


def test_per_order_card_code_points_at_the_friends_own_order(brand: DemoBrand) -> None:
    """About `order_code_share` of package cards carry the order's own code; a WeCom add through one shows
    that code, and the order it was printed for was placed by the same person."""
    ex, truth = brand.exports, brand.truth
    owner = dict(zip(zip(truth.column("channel").to_pylist(), truth.column("channel_uid").to_pylist(),
                         strict=True), truth.column("person_key").to_pylist(), strict=True))
    buyer: dict[tuple[str, str], str] = {}
    for source in ("tmall", "jd", "douyin", "miniprogram"):
        t = ex[source]
        for oid, uid in zip(t.column("order_id").to_pylist(), t.column("channel_uid").to_pylist(), strict=True):
            buyer[(source, oid)] = owner[(source, uid)]
    parcels = ex["parcels"].filter(pc.is_valid(ex["parcels"].column("card_code")))
    codes = parcels.column("card_code").to_pylist()
    own = [c.startswith("DC") for c in codes]
    assert 0.45 < sum(own) / len(own) < 0.55
    order_of = {c: (ch, o) for c, ch, o, x in zip(codes, parcels.column("channel").to_pylist(),
                                                  parcels.column("order_id").to_pylist(), own, strict=True) if x}
    assert len(order_of) == sum(own)  # one parcel per code
    wecom = ex["wecom-contacts"]
    adds = [(s, u) for s, u in zip(wecom.column("state").to_pylist(), wecom.column("external_userid").to_pylist(),
                                   strict=True) if s and s.startswith("DC")]
    assert len(adds) > 20
    assert all(buyer[order_of[s]] == owner[("wecom", u)] for s, u in adds)


def test_store_shoppers_live_where_the_brand_has_a_store(brand: DemoBrand) -> None:
    """Who buys mostly offline lives in a city with a store; store sales are mostly to such locals."""
    world = brand.world
    persons = brand.persons
    assert 0.1 <= float(np.mean(world.persons.store_person)) <= 0.2  # the configured share holds
    assert world.org.local[world.persons.store_person].all()
    store_cities = set(world.org.tables["stores"].column("city").to_pylist())
    cities = persons.column("city").to_pylist()
    assert all(cities[i] in store_cities for i in np.flatnonzero(world.persons.store_person))
    orders = world.orders
    sold = orders.person[orders.store >= 0]
    assert np.mean(world.org.local[sold]) > 0.9


def test_mini_program_unionid_belongs_to_the_account(brand: DemoBrand) -> None:
    """code2Session gives a bound mini-program the unionid of every account: every order and coupon row of an
    account carries it (coupon-only accounts too); with `miniprogram_unionid_share = 0` (not bound) none does."""
    ex = brand.exports
    for source in ("miniprogram", "coupons"):
        assert ex[source].column("unionid").null_count == 0
    held: dict[str, set[str]] = {}
    for source in ("miniprogram", "coupons"):
        t = ex[source]
        for uid, union in zip(t.column("channel_uid").to_pylist(), t.column("unionid").to_pylist(), strict=True):
            held.setdefault(uid, set()).add(union)
    assert all(len(v) == 1 for v in held.values())
    unbound = generate(DemoConfig(persons=300, seed=3, miniprogram_unionid_share=0.0)).exports
    assert unbound["miniprogram"].column("unionid").null_count == unbound["miniprogram"].num_rows
