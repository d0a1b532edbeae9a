"""The development corpus (siyu.corpus) and zero-config `siyu dedupe` on it: precision where errors are realistic.

The matrix is small (about 1,100 records a cell) so it runs in seconds; bench/bench_identity_corpus.py prints the
same cells larger and at other seeds, beside the naive rule, recordlinkage's ECM and a plain Splink reference.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.compute as pc
import pytest

from siyu.corpus import PROFILES, SCHEMAS, make_corpus, write_corpus
from siyu.errors import UserError
from siyu.identity.dedupe import dedupe_file, dedupe_table

#: issue 17's bar: zero-config precision ≥ 0.95 on every cell
PRECISION = 0.95
#: cells below the bar today, with the precision they do reach (persons=500, seed 7) so they cannot fall further
#: (febrl/hostile was 0.887 until the guard weighed given name, surname, birth date and id together)
KNOWN_GAPS: dict[tuple[str, str], float] = {}
#: recall each cell reaches now (persons=500, seed 7), kept from falling back; far from done on Chinese data
#: (zh_channels/hostile was 0.54 while the estimate counted a pair joined through others as 0 and chose 0.999)
RECALL_NOW = {("febrl", "typical"): 0.98, ("febrl", "hostile"): 0.98, ("zh_channels", "typical"): 0.79,
              ("zh_channels", "hostile"): 0.65, ("demo_lines", "typical"): 0.95, ("demo_lines", "hostile"): 0.80,
              ("mislabeled", "typical"): 0.97, ("mislabeled", "hostile"): 0.91}


def test_same_seed_same_corpus_and_every_record_has_its_person() -> None:
    a, b = make_corpus("zh_channels", "typical", 200, seed=3), make_corpus("zh_channels", "typical", 200, seed=3)
    assert a.equals(b)
    assert not a.equals(make_corpus("zh_channels", "typical", 200, seed=4))
    assert a.column("truth").null_count == 0 and len(pc.unique(a.column("rec_id"))) == a.num_rows
    assert 200 < a.num_rows < 200 * 4 and len(pc.unique(a.column("truth"))) == 200


def test_chinese_profiles_carry_the_errors_of_real_exports() -> None:
    rows = make_corpus("zh_channels", "hostile", 800, seed=1).to_pylist()
    names = [r["姓名"] or "" for r in rows]
    phones = [r["手机"] or "" for r in rows]
    share = {
        "masked name": sum(bool(re.fullmatch(r"[\u4e00-\u9fff]{1,2}\*+[\u4e00-\u9fff]?", n)) for n in names),
        "masked phone": sum("****" in p for p in phones),
        "pinyin": sum(bool(re.fullmatch(r"[A-Za-z ]+", n)) for n in names),
        "space in name": sum(bool(re.fullmatch(r"[\u4e00-\u9fff] [\u4e00-\u9fff]+", n)) for n in names),
        "remark": sum(bool(re.search(r"VIP|老客|宝妈|姐-", n)) for n in names),
        "full-width digits": sum(any("０" <= c <= "９" for c in p) for p in phones),
        "+86 / 86-": sum(p.startswith(("+86", "86-")) for p in phones),
        "placeholder phone": sum(p in ("18888888888", "13800138000", "13888888888") for p in phones),
        "short province": sum(r["省"] in ("广东", "浙江", "江苏", "北京", "上海", "四川") for r in rows),
    }
    assert all(n >= 5 for n in share.values()), share
    # households: different people sharing one phone
    holders: dict[str, set[str]] = {}
    for r in rows:
        if r["手机"] and r["手机"].isdigit():
            holders.setdefault(r["手机"], set()).add(r["truth"])
    assert sum(len(h) > 1 for h in holders.values()) >= 20


def test_clean_profile_is_duplicates_without_errors() -> None:
    rows = make_corpus("febrl", "clean", 300, seed=2).to_pylist()
    assert not any(r["given_name"] and " " in r["given_name"] for r in rows)  # no titles
    assert all(r["date_of_birth"] is None or len(r["date_of_birth"]) == 8 for r in rows)  # no year-only dates


def test_unknown_schema_or_profile_is_a_user_error() -> None:
    with pytest.raises(UserError, match="unknown corpus schema 'nope'; one of febrl"):
        make_corpus("nope", "typical")
    with pytest.raises(UserError, match="unknown corpus profile"):
        make_corpus("febrl", "nope")
    assert set(SCHEMAS) >= {"febrl", "zh_channels", "demo_lines"} and set(PROFILES) >= {"typical", "hostile"}


@pytest.mark.parametrize(("schema", "profile"), sorted(RECALL_NOW))
def test_zero_config_dedupe_is_precise_on_every_cell(schema: str, profile: str) -> None:
    table = make_corpus(schema, profile, persons=500, seed=7)
    scores = dedupe_table(table, "rec_id", truth="truth").scores
    assert scores["precision"] >= KNOWN_GAPS.get((schema, profile), PRECISION), scores
    assert scores["recall"] >= RECALL_NOW[(schema, profile)], scores


def test_a_written_corpus_is_what_siyu_dedupe_reads(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    n = write_corpus(path, "zh_channels", "typical", persons=150, seed=5)
    result = dedupe_file(path, "rec_id", "truth", None, 0.99)
    assert result.rows == n and result.columns["姓名"] == "full_name" and result.columns["会员卡号"] == "member_no"
    assert result.columns["区"] == "district" and result.scores["precision"] >= PRECISION


def test_a_table_where_em_fails_on_the_first_two_blocks_still_dedupes() -> None:
    """Held-out seed 2027's demo_lines/hostile: EM drives an m probability to 0 on both first EM blocks (date of
    birth, pinyin); siyu refused the whole file until it trained on the next usable blocks."""
    table = make_corpus("demo_lines", "hostile", persons=1000, seed=2027)
    scores = dedupe_table(table, "rec_id", truth="truth").scores
    assert scores["precision"] >= PRECISION and scores["recall"] >= 0.7, scores
