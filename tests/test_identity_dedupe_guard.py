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


def _parse(digits: str | None) -> dt.date | None:
    """yyyymmdd or yyyy as `siyu dedupe` parses it; an impossible date (19800230) is no date."""
    if not digits:
        return None
    try:
        return dt.date(int(digits), 1, 1) if len(digits) == 4 else dt.date(
            int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def english(rows: list[tuple[str, str | None, str | None, str | None, str | None]]) -> pa.Table:
    """(id, given name, surname, date of birth as written, national id) → the columns the guard reads."""
    def col(i: int) -> pa.Array:
        return pa.array([r[i] for r in rows], pa.string())

    parsed = [_parse(r[3]) for r in rows]
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


def test_an_impossible_birth_date_counts_against_by_its_year_only() -> None:
    # 1980-02-30 (no such day) lost its day and month: with the same name and year and another id, one person;
    # a year 2 digits off still counts against
    records = english([("a", "benjamin", "taylor", "19800230", "1187147"),
                       ("b", "benjamin", "taylor", "19800425", "9195663"),
                       ("c", "nathan", "morris", "19650230", "2722141"), ("d", "joel", "morris", "19810425", None)])
    got = clusters(guarded_clusters(pairs(("a", "b", 0.999), ("c", "d", 0.999)), records, 0.99))
    assert got == {frozenset({"a", "b"}), frozenset({"c"}), frozenset({"d"})}


def test_an_id_or_a_birth_date_one_slip_apart_is_the_same_persons() -> None:
    # another given name and birth date, but the id one digit off (a typo; two ids differ in more); a surname and
    # id replaced with a date one digit off; two ids 3 digits apart and other birth dates are still two people
    records = english([("a", "breeanne", "dibben", "19830905", "6261894"),
                       ("b", "mia", "dibben", "19241203", "6261895"),
                       ("c", "thomas", "petersen", "19211030", "9215248"),
                       ("d", "thomas", "tuckwell", "19211430", "8702265"),
                       ("e", "lucy", "collins", "19760117", "5512348"), ("f", "gregory", "collins", "19490623",
                                                                          "5518848")])
    links = pairs(("a", "b", 0.999), ("c", "d", 0.999), ("e", "f", 0.999))
    got = clusters(guarded_clusters(links, records, 0.99))
    assert got == {frozenset({"a", "b"}), frozenset({"c", "d"}), frozenset({"e"}), frozenset({"f"})}


def test_names_written_the_other_way_round_agree() -> None:
    # campbell joshua / joshua campbel: the names agree crossed, with an id two slips apart, against another date
    records = english([("a", "campbell", "joshua", "19801008", "6114246"),
                       ("b", "joshua", "campbel", "19670227", "6114462")])
    assert clusters(guarded_clusters(pairs(("a", "b", 0.999)), records, 0.99)) == {frozenset({"a", "b"})}


def test_one_full_name_at_one_place_outweighs_a_replaced_birth_date_and_id() -> None:
    # lachlan hayam twice on one street and postcode (written with a slip and spaces): one person whatever the
    # date and id say; his household (another given name) and a namesake elsewhere stay apart
    records = english([("a", "lachlan", "hayam", "19030930", "4827200"),
                       ("b", "lachlan", "hayam", "19670831", "3083874"),
                       ("c", "grace", "hayam", "19700412", "1180452"),
                       ("d", "lachlan", "hayam", "19881205", "7001234")])
    records = records.append_column("address_base", pa.array(["lexcen avenue horseshoe bend",
                                                              "lexcen avenue horseshoebend", "lexcen avenue "
                                                              "horseshoe bend", "high street"]))
    records = records.append_column("postcode", pa.array(["2161", "2161", "2161", "2161"]))
    links = pairs(("a", "b", 0.999), ("a", "c", 0.999), ("a", "d", 0.999))
    got = clusters(guarded_clusters(links, records, 0.99))
    assert got == {frozenset({"a", "b"}), frozenset({"c"}), frozenset({"d"})}


def test_a_relative_record_missing_its_birth_date_does_not_keep_out_one_that_agrees_with_its_person() -> None:
    # elly reid twice, once without a date of birth; a third record with the given name and id replaced agrees with
    # the person on surname and birth date: one person, although it contradicts the dateless record alone
    records = english([("org", "elly", "reid", "19850523", "6391700"), ("nodate", "elly", "reid", None, "6391700"),
                       ("renamed", "mikhaili", "reid", "19850523", "2111602")])
    links = pairs(("org", "nodate", 0.9999), ("renamed", "nodate", 0.9995), ("renamed", "org", 0.999))
    assert clusters(guarded_clusters(links, records, 0.99)) == {frozenset({"org", "nodate", "renamed"})}


def test_a_household_stays_apart_where_only_one_of_a_persons_records_holds_the_birth_date() -> None:
    # john smith once with and once without his date of birth; emily smith, born 30 years later, contradicts
    # only the dated record by pair, but the person as a whole: two people
    records = english([("john", "john", "smith", "19600312", "1187147"), ("john2", "john", "smith", None, "1187147"),
                       ("emily", "emily", "smith", "19900505", None)])
    links = pairs(("john", "john2", 0.9999), ("emily", "john2", 0.9995), ("emily", "john", 0.999))
    assert clusters(guarded_clusters(links, records, 0.99)) == {frozenset({"john", "john2"}), frozenset({"emily"})}


def test_a_record_at_another_street_does_not_keep_out_a_replaced_date_and_id_that_agree_with_the_rest() -> None:
    # emma louca at one street three times (one of them with another street written); a fourth record with the
    # date and id replaced agrees on both names with every one of them
    records = english([("org", "emma", "louca", "19590308", "4142406"), ("dup", "emma", "louca", "19590308",
                                                                           "4142406"),
                       ("moved", "emma", "louca", "19590308", "4142406"),
                       ("replaced", "emma", "louca", "19360512", "5962113")])
    records = records.append_column("address_base", pa.array(["cherry place pinecroft", "pinecroft cherry place",
                                                              "morton street pinecroft", "pinecroft cherry place"]))
    records = records.append_column("postcode", pa.array(["3377"] * 4))
    links = pairs(("org", "dup", 0.9999), ("org", "moved", 0.9999), ("replaced", "org", 0.9995),
                  ("replaced", "moved", 0.999))
    assert clusters(guarded_clusters(links, records, 0.99)) == {frozenset({"org", "dup", "moved", "replaced"})}
