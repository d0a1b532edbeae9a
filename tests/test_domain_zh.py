"""Chinese names, phones and places as real exports write them: one reading for `siyu dedupe` and OneID."""

from __future__ import annotations

import pyarrow as pa
import pytest

from siyu.domain.zh_names import latin_pinyin, parse_name, pinyin_key, surname_undecided
from siyu.domain.zh_phones import known_phone, known_phone_sql, parse_phone, phone_parts_sql, shared_phones_sql
from siyu.domain.zh_places import (
    address_parts_sql,
    canonical_city,
    canonical_province,
    city_sql,
    province_sql,
    split_address,
)
from siyu.engine.local import arrow_sql


@pytest.mark.parametrize(("text", "name", "surname", "partial"), [
    ("付 欣丽", "付欣丽", "付", False),
    ("黎桂蕾(老客)", "黎桂蕾", "黎", False),
    ("黎桂蕾（老客）", "黎桂蕾", "黎", False),
    ("🌸刘欣妍🌸", "刘欣妍", "刘", False),
    ("VIP-刘欣妍", "刘欣妍", "刘", False),
    ("vip刘欣妍", None, None, False),  # glued tag and name: not guessed
    ("王叶-宝妈", "王叶", "王", False),
    ("宝妈-王叶", "王叶", "王", False),
    ("张三 VIP", "张三", "张", False),
    ("欧阳娜娜", "欧阳娜娜", "欧阳", False),
    ("崔小姐", None, "崔", True),
    ("王咏美女士", "王咏美", "王", False),
    ("李玲薇先生", "李玲薇", "李", False),
    ("张先生", None, "张", True),
    ("王女士", None, "王", True),
    ("李总", None, "李", True),
    ("张姐-深圳", None, "张", True),
    ("小张", None, "张", True),
    ("阿陈", None, "陈", True),
    ("张*", None, "张", True),
    ("崔**", None, "崔", True),
    ("欧阳*", None, "欧阳", True),
    ("李*波", None, "李", True),
    ("晴天", None, None, False),
    ("小雨", None, None, False),
    ("Lily", None, None, False),
    ("", None, None, False),
    (None, None, None, False),
])
def test_names_in_the_wild(text: str | None, name: str | None, surname: str | None, partial: bool) -> None:
    parsed = parse_name(text)
    assert (parsed.name, parsed.surname, parsed.partial) == (name, surname, partial)


def test_a_mask_keeps_the_last_character_it_shows() -> None:
    assert parse_name("李*波").last == "波" and parse_name("李**").last is None and parse_name("李博杰").last == "杰"


def test_a_name_ending_like_a_street_or_an_estate_is_a_name_unless_the_cell_has_another() -> None:
    # 园 / 苑 / 路 end given names as often as estates and streets: alone in a name cell they are the name
    assert [parse_name(t).name for t in ("李园", "田韵苑", "王路", "李园(老客)")] == ["李园", "田韵苑", "王路", "李园"]
    # beside a surname with an honorific, the street is the street; a district is never a name
    assert (parse_name("张姐-黄河路").surname, parse_name("张姐-黄河路").partial) == ("张", True)
    assert parse_name("南山区").name is None and parse_name("刘欣妍-翠湖苑").name == "刘欣妍"


def test_a_remark_carries_a_city_and_a_full_name_beats_a_partial_one() -> None:
    assert parse_name("张姐-深圳").city == "深圳"
    assert parse_name("张姐-刘欣妍").name == "刘欣妍"


@pytest.mark.parametrize("text", ["gaojinting", "Gao Jinting", "GAO JINTING", "Jinting Gao", "gao-jinting"])
def test_pinyin_spellings_read_like_the_characters(text: str) -> None:
    assert latin_pinyin(text) == "gaojinting" == parse_name("高金婷").pinyin
    assert parse_name(text).pinyin == "gaojinting" and parse_name(text).name is None


def test_homophones_share_pinyin_and_english_words_are_not_pinyin() -> None:
    assert parse_name("张伟").pinyin == parse_name("张炜").pinyin
    assert latin_pinyin("Vivian") is None and latin_pinyin("Grace") is None


@pytest.mark.parametrize(("text", "full", "prefix", "suffix", "masked"), [
    ("13812345678", "13812345678", "138", "5678", False),
    ("+86 138-1234-5678", "13812345678", "138", "5678", False),
    ("86-13812345678", "13812345678", "138", "5678", False),
    ("0086 13812345678", "13812345678", "138", "5678", False),
    ("１３８１２３４５６７８", "13812345678", "138", "5678", False),
    ("138 1234 5678", "13812345678", "138", "5678", False),
    ("151****5091", None, "151", "5091", True),
    ("151＊＊＊＊5091", None, "151", "5091", True),
    ("18888888888", None, None, None, False),
    ("13800138000", None, None, None, False),
    ("12345", None, None, None, False),
    (None, None, None, None, False),
])
def test_phones_in_python_and_sql_agree(text: str | None, full: str | None, prefix: str | None, suffix: str | None,
                                        masked: bool) -> None:
    p = parse_phone(text)
    assert (p.full, p.prefix, p.suffix, p.masked) == (full, prefix, suffix, masked)
    sql = ", ".join(f"{e} AS {k}" for k, e in phone_parts_sql("v").items())
    row = arrow_sql(f"SELECT {sql} FROM t", t=pa.table({"v": pa.array([text], pa.string())})).to_pylist()[0]
    got = (row["phone"], row["phone_prefix"], row["phone_suffix"], row["phone_masked"])
    assert got == (full, prefix, suffix, masked)


@pytest.mark.parametrize(("text", "known"), [
    ("+86 138-1234-5678", "13812345678"),
    ("151＊＊＊＊5091", "151****5091"),  # shown as platforms write a mask, whatever stars it came with
    ("151*****5091", "151****5091"),
    ("18888888888", None),  # a placeholder is no number
    ("12345", None),
    (None, None),
])
def test_the_known_phone_is_the_full_number_else_the_platforms_mask(text: str | None, known: str | None) -> None:
    """One reading for the identity review and the profile's `phone` (both showed it their own way before)."""
    p = parse_phone(text)
    assert known_phone(p.full, p.prefix, p.suffix) == known
    parts = ", ".join(f"{e} AS {k}" for k, e in phone_parts_sql("v").items())
    sql = f"SELECT {known_phone_sql('phone', 'phone_prefix', 'phone_suffix')} AS k FROM (SELECT {parts} FROM t)"
    assert arrow_sql(sql, t=pa.table({"v": pa.array([text], pa.string())})).column("k").to_pylist() == [known]


def test_a_phone_many_names_hold_is_shared() -> None:
    t = pa.table({"phone": ["13900000001"] * 5 + ["13700000002"] * 2,
                  "name": ["张三", "李四", "王五", "赵六", "钱七", "张三", "张三丰"]})
    shared = arrow_sql(shared_phones_sql("t", "phone", "name"), t=t).column("phone").to_pylist()
    assert shared == ["13900000001"]


@pytest.mark.parametrize(("text", "parts"), [
    ("广东 深圳 南山区 科技路1号", ("广东省", "深圳市", "南山区", "科技路1号")),
    ("广东省深圳市南山区科技路1号", ("广东省", "深圳市", "南山区", "科技路1号")),
    ("北京 朝阳区 建国路88号", ("北京市", "北京市", "朝阳区", "建国路88号")),
    ("北京市北京市朝阳区建国路88号", ("北京市", "北京市", "朝阳区", "建国路88号")),
    ("上海市 浦东新区 世纪大道1号", ("上海市", "上海市", "浦东新区", "世纪大道1号")),
    ("广西 南宁 青秀区 民族大道", ("广西壮族自治区", "南宁市", "青秀区", "民族大道")),
    ("内蒙古 呼和浩特 赛罕区 大学路", ("内蒙古自治区", "呼和浩特市", "赛罕区", "大学路")),
    ("浙江省杭州市西湖区文三路", ("浙江省", "杭州市", "西湖区", "文三路")),
])
def test_addresses_split_into_canonical_places(text: str, parts: tuple[str, ...]) -> None:
    assert split_address(text) == parts


@pytest.mark.parametrize(("province", "city", "canon"), [
    ("广东", "深圳", ("广东省", "深圳市")), ("广东省", "深圳市", ("广东省", "深圳市")),
    ("北京", "市辖区", ("北京市", "北京市")), ("北京市", None, ("北京市", "北京市")),
    ("湖北", "恩施土家族苗族自治州", ("湖北省", "恩施土家族苗族自治州")),
    ("新疆", "乌鲁木齐", ("新疆维吾尔自治区", "乌鲁木齐市")),
    (None, "深圳", (None, "深圳市")), ("", "", (None, None)),
])
def test_provinces_and_cities_in_python_and_sql_agree(province: str | None, city: str | None,
                                                      canon: tuple[str | None, str | None]) -> None:
    assert (canonical_province(province), canonical_city(city, province)) == canon
    t = pa.table({"p": pa.array([province], pa.string()), "c": pa.array([city], pa.string())})
    row = arrow_sql(f"SELECT {province_sql('p')} AS p, {city_sql('c', 'p')} AS c FROM t", t=t).to_pylist()[0]
    assert (row["p"], row["c"]) == canon


@pytest.mark.parametrize(("text", "parts"), [
    ("吉林长春朝阳区友谊路618号", ("吉林省", "长春市", "朝阳区", "友谊路618号")),
    ("广东省深圳南山区科技路1号", ("广东省", "深圳市", "南山区", "科技路1号")),
    ("重庆重庆沙坪坝区中山路863号", ("重庆市", "重庆市", "沙坪坝区", "中山路863号")),
    ("北京 北京 通州区 中山路412号", ("北京市", "北京市", "通州区", "中山路412号")),
])
def test_a_city_written_without_shi_and_without_a_space_is_split_off(text: str, parts: tuple[str, ...]) -> None:
    """JD and Tmall write 吉林长春朝阳区…: the district must not come out as 长春朝阳区 (in Python and in the SQL
    ingest runs)."""
    assert split_address(text) == parts
    got = arrow_sql(f"SELECT {address_parts_sql('t')} AS s FROM u", u=pa.table({"t": [text]})).to_pylist()[0]["s"]
    province = canonical_province(got["p"])
    assert (province, canonical_city(got["c"] or None, province), got["d"], got["r"]) == parts


def test_pinyin_key_does_not_care_which_word_is_the_surname() -> None:
    assert pinyin_key("张枫") == pinyin_key("Feng Zhang") == pinyin_key("Zhang Feng") == pinyin_key("zhangfeng")
    assert pinyin_key("高金婷") == pinyin_key("Jinting Gao") == pinyin_key("gaojinting")
    assert pinyin_key("付 欣丽") == pinyin_key("付欣丽")
    assert pinyin_key("张枫") != pinyin_key("张峰伟")
    assert pinyin_key("张*") is None and pinyin_key("崔小姐") is None
    assert surname_undecided("Feng Zhang") and not surname_undecided("Jinting Gao")
