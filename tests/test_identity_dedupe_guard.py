"""The clustering guard of `siyu dedupe`: households and masked records are not chained into one person."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from siyu.identity.dedupe.chinese import name_columns
from siyu.identity.dedupe.guard import guarded_clusters, personal_pairs


def chinese_records(rows: list[tuple[str, str | None, str | None]]) -> pa.Table:
    """(id, name as written, phone) → the columns `siyu dedupe` prepares for Chinese names."""
    table = pa.table({"unique_id": [r[0] for r in rows], "phone": pa.array([r[2] for r in rows], pa.string())})
    for name, values in name_columns(pa.chunked_array([pa.array([r[1] for r in rows], pa.string())])).items():
        table = table.append_column(name, values)
    return table


def pairs(*links: tuple[str, str, float]) -> pa.Table:
    return pa.table({"unique_id_l": [a for a, _, _ in links], "unique_id_r": [b for _, b, _ in links],
                     "match_probability": [p for _, _, p in links]})


def clusters(assigned: pa.Table) -> set[frozenset[str]]:
    out: dict[str, set[str]] = {}
    for row in assigned.to_pylist():
        out.setdefault(row["cluster_id"], set()).add(row["unique_id"])
    return {frozenset(m) for m in out.values()}


def test_a_family_phone_does_not_make_two_names_one_person() -> None:
    records = chinese_records([("a", "宋婧萍", "15394555086"), ("b", "林枝", "15394555086"),
                               ("c", "林枝", "+86 15394555086")])
    got = guarded_clusters(pairs(("a", "b", 0.999), ("b", "c", 0.998), ("a", "c", 0.997)), records, 0.99)
    assert clusters(got) == {frozenset({"a"}), frozenset({"b", "c"})}


def test_homophones_stay_one_person_but_two_character_names_that_sound_different_do_not() -> None:
    records = chinese_records([("a", "张伟", None), ("b", "张炜", None), ("c", "刘丽", None), ("d", "刘泽", None)])
    got = guarded_clusters(pairs(("a", "b", 0.999), ("c", "d", 0.999)), records, 0.99)
    assert clusters(got) == {frozenset({"a", "b"}), frozenset({"c"}), frozenset({"d"})}


def test_a_mask_that_shows_another_character_or_surname_is_another_person() -> None:
    records = chinese_records([("a", "王达星", None), ("b", "王*锦", None), ("c", "李*", None), ("d", "王*星", None)])
    got = guarded_clusters(pairs(("a", "b", 0.999), ("a", "c", 0.999), ("a", "d", 0.999)), records, 0.99)
    assert frozenset({"a", "d"}) in clusters(got) and frozenset({"b"}) in clusters(got)


def test_a_masked_record_close_to_two_relatives_joins_neither() -> None:
    records = chinese_records([("mum", "林厚君", "18364925334"), ("kid", "林小雨", "18364925334"),
                               ("m", "林**", "183****5334")])
    links = pairs(("m", "mum", 0.995), ("m", "kid", 0.7))
    got = guarded_clusters(links, records, 0.99, candidates=links)
    assert frozenset({"m"}) in clusters(got)
    # without the relative nearby, the masked record joins its match
    alone = guarded_clusters(pairs(("m", "mum", 0.995)), records, 0.99)
    assert frozenset({"m", "mum"}) in clusters(alone)


def test_a_surname_and_an_address_alone_never_link_a_masked_record() -> None:
    records = chinese_records([("a", "潘晓凡", "16672831271"), ("b", "潘*", "159****1335"),
                               ("c", "潘**", "166****1271")])
    for name, values in (("phone_masked", [False, True, True]), ("phone_prefix", ["166", "159", "166"]),
                         ("phone_suffix", ["1271", "1335", "1271"])):
        records = records.append_column(name, pa.array(values))
    kept = personal_pairs(pairs(("a", "b", 0.999), ("a", "c", 0.999)), records).to_pylist()
    assert [(k["unique_id_l"], k["unique_id_r"]) for k in kept] == [("a", "c")]


def test_english_records_differing_in_given_name_and_birth_date_are_two_people() -> None:
    records = pa.table({
        "unique_id": ["a", "b", "c"], "given_canon": ["rebecca", "henry", "henry"], "surname": ["green"] * 3,
        "dob": pa.array([dt.date(1971, 4, 22), dt.date(2001, 9, 3), dt.date(1971, 4, 22)]),
        "national_id": pa.array([None, None, None], pa.string()), "email": pa.array([None, None, None], pa.string()),
    })
    got = guarded_clusters(pairs(("a", "b", 0.999), ("a", "c", 0.998)), records, 0.99)
    # a and b differ in both; c differs only in its given name (FEBRL replaces one value at times): kept
    assert clusters(got) == {frozenset({"a", "c"}), frozenset({"b"})}


def english(rows: list[tuple[str, str | None, str | None, str | None, str | None]]) -> pa.Table:
    """(id, given name, surname, date of birth as written, national id) → the columns the guard reads."""
    def col(i: int) -> pa.Array:
        return pa.array([r[i] for r in rows], pa.string())

    digits = [r[3] for r in rows]
    parsed = [dt.date(int(d[:4]), int(d[4:6]), int(d[6:])) if d and len(d) == 8 and d[4:6] <= "12" and d[6:] <= "31"
              else dt.date(int(d), 1, 1) if d and len(d) == 4 else None for d in digits]
    return pa.table({"unique_id": col(0), "given_canon": col(1), "surname": col(2), "dob_str": col(3),
                     "dob": pa.array(parsed, pa.date32()), "national_id": col(4),
                     "email": pa.array([None] * len(rows), pa.string())})


def test_a_household_on_one_address_is_not_chained_through_a_record_missing_its_given_name() -> None:
    # ward has no given name; she differs from the harrises in surname and birth date, the harrises from each
    # other in given name and national id: three people, however the shared address and phone scored
    records = english([("ward", None, "ward", "19601118", None), ("jas", "jasmine", "harris", None, "8544026"),
                       ("alex", "alex", "harris", "19751101", "4402619"),
                       ("alex2", "alexander", "harris", "19751101", None)])
    links = pairs(("ward", "jas", 0.999), ("jas", "alex", 0.998), ("alex", "alex2", 0.997), ("ward", "alex", 0.99))
    got = clusters(guarded_clusters(links, records, 0.99))
    assert any({"alex", "alex2"} <= c for c in got) and not any({"ward", "alex"} <= c for c in got)
    assert not any({"jas", "alex"} <= c for c in got)


def test_a_year_only_or_impossible_birth_date_still_contradicts_another_year() -> None:
    # 1957 (year only) vs 1972; 19651319 (no such month) vs 19811109: each with a second difference
    records = english([("a", "richard", "macdonald", "1957", None), ("b", "nathan", "morris", "19720128", None),
                       ("c", None, "campbell", "19651319", "8998896"), ("d", None, "campbell", "19811109", "1272804")])
    got = clusters(guarded_clusters(pairs(("a", "b", 0.999), ("c", "d", 0.999)), records, 0.99))
    assert got == {frozenset({"a"}), frozenset({"b"}), frozenset({"c"}), frozenset({"d"})}


def test_one_replaced_value_or_written_the_other_way_round_is_still_one_person() -> None:
    # FEBRL-style duplicates: names swapped, one swapped and one misspelt, a replaced id with the same birth date,
    # and a surname and id replaced where the given name and the birth date agree
    records = english([("a", "jasper", "desilva", "19310208", "1187147"),
                       ("b", "desllva", "jasper", "19310208", "9195663"),
                       ("c", "ryan", "joel", "19720615", "7563426"), ("d", "emily", "ryan", "19720615", "5185238"),
                       ("e", "madeline", "mason", "19761231", "9595082"),
                       ("f", "madelne", "birchby", "19761231", "2722141")])
    got = clusters(guarded_clusters(pairs(("a", "b", 0.999), ("c", "d", 0.999), ("e", "f", 0.999)), records, 0.99))
    assert got == {frozenset({"a", "b"}), frozenset({"c", "d"}), frozenset({"e", "f"})}


def test_the_same_name_born_decades_apart_is_two_people_and_a_new_phone_is_not() -> None:
    records = english([("a", "chloe", "bennett", "19970204", None), ("b", "chloe", "bennett", "19700304", None),
                       ("c", "nathaniel", "wood", "19760621", None), ("d", "nathaniel", "wood", "19760621", None)])
    phones = pa.array(["0786335552", "0459756700", "0658355805", "0262143596"])
    mails = pa.array([None, None, "nathaniel.wood18@example.com", "nw@example.org"], pa.string())
    records = records.set_column(records.column_names.index("email"), "email", mails).append_column("phone", phones)
    got = clusters(guarded_clusters(pairs(("a", "b", 0.999), ("c", "d", 0.999)), records, 0.99))
    # c and d: a new phone and another e-mail, but the same name and date of birth: one person
    assert got == {frozenset({"a"}), frozenset({"b"}), frozenset({"c", "d"})}


def test_one_building_but_another_flat_is_a_neighbour_not_the_same_household() -> None:
    from siyu.identity.dedupe.prepare import standardise

    raw = pa.table({"id": ["a", "b", "c", "d"], "name": ["john smith"] * 4,
                    "address": ["12 high street apt 4b", "12 high street apt 7", "12 high street, apt 4b",
                                "滨江花园9栋5单元102室"],
                    "phone": ["0412345678", "0498765432", "0411111111", None]})
    data, _ = standardise(raw, "id", {"name": "full_name", "address": "address", "phone": "phone"})
    flats = dict(zip(data.column("unique_id").to_pylist(), data.column("address_flat").to_pylist(), strict=True))
    bases = data.column("address_base").to_pylist()
    assert flats == {"a": "4b", "b": "7", "c": "4b", "d": "5-102"}
    assert bases[:3] == ["12 high street"] * 3 and bases[3] == "滨江花园9栋"
    # the same name in flats 4b and 7 with other phones: two people; in 4b twice: one, a new phone or not
    got = clusters(guarded_clusters(pairs(("a", "b", 0.999), ("a", "c", 0.998)), data, 0.99))
    assert got == {frozenset({"a", "c"}), frozenset({"b"}), frozenset({"d"})}
