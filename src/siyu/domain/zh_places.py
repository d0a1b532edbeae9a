"""Provinces, cities and districts as exports write them: with or without 省/市/区, short names, municipalities.

JD writes `广东 深圳 南山区`, Tmall `广东省 深圳市 南山区`, a store form `深圳` and a municipality
`北京 北京市 朝阳区` or `北京市 朝阳区`. Canonical forms: a province by its full official name (广东省,
广西壮族自治区, 北京市), a city with 市 (深圳市; an autonomous prefecture or 地区 keeps its suffix), and a
municipality's city is the municipality itself. Compare on these, never on the raw text.
"""

from __future__ import annotations

import re

from siyu.domain.zh_text import nfkc
from siyu.engine.quote import literal

#: short name → official name of every province-level division
PROVINCES: dict[str, str] = {
    "北京": "北京市", "天津": "天津市", "上海": "上海市", "重庆": "重庆市", "河北": "河北省", "山西": "山西省",
    "辽宁": "辽宁省", "吉林": "吉林省", "黑龙江": "黑龙江省", "江苏": "江苏省", "浙江": "浙江省", "安徽": "安徽省",
    "福建": "福建省", "江西": "江西省", "山东": "山东省", "河南": "河南省", "湖北": "湖北省", "湖南": "湖南省",
    "广东": "广东省", "海南": "海南省", "四川": "四川省", "贵州": "贵州省", "云南": "云南省", "陕西": "陕西省",
    "甘肃": "甘肃省", "青海": "青海省", "台湾": "台湾省", "内蒙古": "内蒙古自治区", "广西": "广西壮族自治区",
    "西藏": "西藏自治区", "宁夏": "宁夏回族自治区", "新疆": "新疆维吾尔自治区", "香港": "香港特别行政区",
    "澳门": "澳门特别行政区",
}
MUNICIPALITIES = ("北京", "天津", "上海", "重庆")
#: big cities by the short name people write without 市 (深圳, 长春): an address can be split after them with no space
CITIES = frozenset(" ".join([
    "深圳 广州 东莞 佛山 杭州 宁波 温州 南京 苏州 无锡 成都 武汉 长沙 西安 济南 青岛 郑州",
    "福州 厦门 合肥 沈阳 大连 石家庄 昆明 南宁 南昌 哈尔滨 长春 太原 贵阳 海口 乌鲁木齐",
    "呼和浩特 珠海 中山 惠州 常州 南通 徐州 嘉兴 绍兴 金华 台州 泉州 烟台 潍坊 洛阳 兰州",
    "银川 西宁 拉萨 三亚 汕头 江门 湛江 扬州 镇江 芜湖 唐山 保定 邯郸 大庆 吉林 襄阳 宜昌",
    "株洲 岳阳 桂林 柳州 绵阳",
]).split())
_CITY_SUFFIXES = ("市", "自治州", "地区", "盟")
_DISTRICT_SUFFIXES = ("区", "县", "市", "旗")

#: a one-line address written with full names: province (or municipality), city (a municipality's with or
#: without 市: 北京 北京 通州区), district, the rest
ADDRESS_PATTERN = (
    r"^(北京市?|天津市?|上海市?|重庆市?|[^\s\d]{2,7}?(?:省|自治区|特别行政区))?\s*"
    r"([^\s\d]{1,10}?(?:市|自治州|地区|盟)|北京|天津|上海|重庆)?\s*"
    r"([^\s\d]{1,10}?(?:区|县|市|旗))?\s*(.*)$"
)
#: the same, also reading short province names (广东 深圳 …, as JD writes them) and a city written without 市: a
#: known city (吉林长春朝阳区, 重庆重庆沙坪坝区), or any name followed by a space unless it ends like a district or a
#: street; 5x slower, so only for addresses that need it
_SHORT_CITIES = "|".join(sorted({*CITIES, *MUNICIPALITIES}, key=len, reverse=True))
SHORT_ADDRESS_PATTERN = (
    r"^(北京市?|天津市?|上海市?|重庆市?|[^\s\d]{2,7}?(?:省|自治区|特别行政区)|"
    + "|".join(k for k in PROVINCES if k not in MUNICIPALITIES) + r")?\s*"
    r"([^\s\d]{1,10}?(?:市|自治州|地区|盟)|" + _SHORT_CITIES + r"|[^\s\d]{1,3}[^\s\d区县旗镇乡路街道号巷弄村]\s)?\s*"
    r"([^\s\d]{1,10}?(?:区|县|市|旗))?\s*(.*)$"
)
_FULL_START = r"^(北京|天津|上海|重庆|[^\s\d]{2,7}?(省|自治区|特别行政区)\s*[^\s\d]{1,10}?(市|自治州|地区|盟))"


def address_parts_sql(text: str) -> str:
    """SQL (DuckDB): `STRUCT(p, c, d, r)` of a one-line address; the short-name pattern only where the address
    does not start with a full province and city (a municipality's own name is enough)."""
    fields = "['p', 'c', 'd', 'r']"
    return (f"CASE WHEN regexp_matches({text}, {literal(_FULL_START)}) "
            f"THEN regexp_extract({text}, {literal(ADDRESS_PATTERN)}, {fields}) "
            f"ELSE regexp_extract({text}, {literal(SHORT_ADDRESS_PATTERN)}, {fields}) END")


def province_short(text: str | None) -> str | None:
    """广东省 / 广东 / 广西壮族自治区 → 广东 / 广东 / 广西: the name people say."""
    t = (nfkc(text) or "").strip()
    for short in PROVINCES:
        if t.startswith(short):
            return short
    return t or None


def canonical_province(text: str | None) -> str | None:
    """The official name of a province written any way (广东 → 广东省); unknown text is kept as written."""
    t = (nfkc(text) or "").strip()
    short = province_short(t)
    return PROVINCES.get(short or "", t or None)


def canonical_city(text: str | None, province: str | None = None) -> str | None:
    """深圳 → 深圳市; 恩施土家族苗族自治州 stays; a municipality's city (or its 市辖区) is the municipality."""
    t = re.sub(r"\s+", "", nfkc(text) or "")
    short = province_short(province) if province else None
    if t in ("", "市辖区", "县") and short in MUNICIPALITIES:
        return PROVINCES[short]
    if not t:
        return None
    if t.endswith(_CITY_SUFFIXES):
        return t
    if t in PROVINCES and t in MUNICIPALITIES:
        return PROVINCES[t]
    return t + "市"


def province_sql(col: str) -> str:
    """SQL: `canonical_province` (portable: a CASE over the 34 short names)."""
    t = f"trim({col})"
    whens = " ".join(f"WHEN {t} LIKE '{short}%' THEN '{full}'" for short, full in PROVINCES.items())
    return f"CASE WHEN {col} IS NULL OR {t} = '' THEN NULL {whens} ELSE {t} END"


def city_sql(col: str, province: str | None = None) -> str:
    """SQL: `canonical_city`; with `province`, a municipality's missing city or 市辖区 becomes the municipality."""
    t = f"replace(trim({col}), ' ', '')"
    muni = ""
    if province is not None:
        prov = province_sql(province)
        municipalities = ", ".join(f"'{PROVINCES[m]}'" for m in MUNICIPALITIES)
        muni = (f"WHEN ({col} IS NULL OR {t} IN ('', '市辖区', '县')) AND {prov} IN ({municipalities}) "
                f"THEN {prov} ")
    suffixed = " OR ".join(f"{t} LIKE '%{s}'" for s in _CITY_SUFFIXES)
    return (f"CASE {muni}WHEN {col} IS NULL OR {t} = '' THEN NULL WHEN {suffixed} THEN {t} "
            f"ELSE {t} || '市' END")


def split_address(text: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """(province, city, district, rest) of a one-line address, each canonical where found (Python twin of the
    SQL split ingest runs)."""
    t = (nfkc(text) or "").strip()
    m = re.match(SHORT_ADDRESS_PATTERN, t)
    if not t or m is None:
        return None, None, None, t or None
    p, c, d, rest = (g.strip() if g else None for g in m.groups())
    province = canonical_province(p) if p else None
    city = canonical_city(c, province) if c else (canonical_city(None, province) if province else None)
    return province, city, d or None, rest or None
