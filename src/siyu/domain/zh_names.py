"""Chinese names as exports and staff write them, parsed into what they still say about the person.

- `付 欣丽`, `黎桂蕾(老客)`, `🌸刘欣妍🌸`: the name 付欣丽 / 黎桂蕾 / 刘欣妍 (spaces, notes and emoji dropped).
- `VIP-刘欣妍`, `王叶-宝妈`: a WeCom remark; the name is the part that looks like one.
- `张姐-深圳`, `崔小姐`, `李总`, `小张`, `阿陈`: only the surname is known (and 深圳 is a city).
- `张*`, `崔**`: a platform mask; only the surname is visible.
- `gaojinting`, `Gao Jinting`, `Jinting Gao`: the pinyin of 高金婷, compared by sound.
A surname alone (masked or honorific) is partial evidence: it can confirm a match made on other grounds and
refute one (李* is not 王丽), never make one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pypinyin import lazy_pinyin

from siyu.domain.zh_places import CITIES, PROVINCES
from siyu.domain.zh_text import nfkc

# the common single-character surnames (about 99% of people), then the compound ones
SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚"
    "卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向"
    "汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单"
    "季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄"
    "窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查"
    "麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴"
)
#: the ten most frequent surnames (about 40% of people): one of them agreeing says little
COMMON_SURNAMES = tuple("王李张刘陈杨黄赵吴周")
COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "长孙",
                     "宇文", "司徒", "申屠", "端木", "独孤", "南宫", "钟离", "轩辕")
#: what follows a surname when staff or a form knows only that much: 张先生, 崔小姐, 李总, 张姐
HONORIFICS = ("先生", "女士", "小姐", "太太", "夫人", "老师", "阿姨", "叔叔", "经理", "老板", "总", "姐", "哥",
              "叔", "姨", "妹", "弟", "生", "sir")
#: words in remarks that are about the customer, not their name
_TAGS = re.compile(r"^(vip\d*|svip|老客户?|新客户?|会员|客户|顾客|宝妈|孕妈|学生|白领|回头客|团购|代购|大客户|意向|"
                   r"已购|未购|黑名单|待跟进|重要|[a-z]?\d+)$", re.IGNORECASE)
_NOTE = re.compile(r"[(（\[【<《{].*?[)）\]】>》}]")
_SEPARATORS = re.compile(r"[-_/|·,，、;；:：~+#@&.。!！?？]+")
_CJK = re.compile(r"^[\u4e00-\u9fff*]+$")
_CJK_ANY = re.compile(r"[\u4e00-\u9fff]")
_KEEP = re.compile(r"[^0-9A-Za-z\u4e00-\u9fff*\s\-_/|·,，、;；:：~+#@&.。!！?？()（）\[\]【】<>《》{}]")
_CITIES = frozenset(PROVINCES) | CITIES


#: a token ending so is a place or a street, not a name (南山区, 黄河街)
_PLACE_ENDINGS = ("省", "市", "区", "县", "镇", "乡", "村", "街", "号", "州", "旗")
#: endings of streets and estates that are also given names (黄河路, 翠湖苑; 李园, 田韵苑, 王路): such a token is
#: the name only when no other part of the cell reads as one (张姐-黄河路 is 张)
_PLACE_OR_NAME_ENDINGS = ("路", "苑", "园")


@dataclass(frozen=True)
class ChineseName:
    """What a name cell says. `name` only when a full name is known; `surname` whenever one is visible."""

    name: str | None
    surname: str | None
    pinyin: str | None  # of the full name (characters or pinyin as written), for comparing by sound
    partial: bool  # only the surname is known (masked, honorific, 小X)
    city: str | None = None  # a place a remark carried (张姐-深圳)
    last: str | None = None  # the last character, of a full name or the one a mask left visible (李*波 → 波)


_NOTHING = ChineseName(None, None, None, False)


@lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str:
    return "".join(lazy_pinyin(char)).lower()


def pinyin_of(name: str) -> str:
    """Pinyin without tones or spaces, character by character (a name wants each character's common reading,
    not the phrase dictionary's: 叶韵 is yeyun, not xieyun); Latin text is kept lower-cased."""
    return "".join(_char_pinyin(c) for c in name if not c.isspace()).lower()


def surname_of(name: str) -> str | None:
    """The surname a Chinese name starts with (a compound one first), or None."""
    if name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1] if name[:1] in SURNAMES else None


_SURNAME_PINYIN = frozenset(pinyin_of(s) for s in (*SURNAMES, *COMPOUND_SURNAMES))
_SYLLABLE = re.compile(
    r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ei|ao|ou|an|en|"
    r"in|un|vn|ia|ie|iu|ua|uo|ui|ue|ve|er|a|o|e|i|u|v)(?:ng|n|r)?"
)


def _is_pinyin(word: str) -> bool:
    return re.fullmatch(f"(?:{_SYLLABLE.pattern})+", word) is not None


def latin_pinyin(text: str) -> str | None:
    """`Gao Jinting` / `gaojinting` / `Jinting Gao` → 'gaojinting' when the text reads as a pinyin name."""
    words = [w for w in re.split(r"[\s\-_.]+", text.lower()) if w]
    if not words or not all(w.isalpha() and w.isascii() and _is_pinyin(w) for w in words):
        return None
    if len(words) == 2 and words[1] in _SURNAME_PINYIN and words[0] not in _SURNAME_PINYIN:
        words = [words[1], words[0]]  # given name first, as Western forms ask
    joined = "".join(words)
    if not any(joined.startswith(s) for s in _SURNAME_PINYIN) or not 4 <= len(joined) <= 18:
        return None
    return joined


def _latin_words(text: str) -> list[str]:
    raw = _KEEP.sub(" ", _NOTE.sub(" ", nfkc(text) or ""))
    return [w for w in re.split(r"[\s\-_.]+", raw.lower()) if w]


def surname_undecided(text: str) -> bool:
    """A two-word pinyin name whose words could each be the surname (Feng Zhang: 张枫, or 冯章?)."""
    words = _latin_words(text)
    return len(words) == 2 and all(w in _SURNAME_PINYIN for w in words) and latin_pinyin(text) is not None


def pinyin_key(text: str | None) -> str | None:
    """A full name's pinyin with its surname and given name in a fixed (sorted) order, so 张枫, zhangfeng,
    Zhang Feng and Feng Zhang compare equal: in a Western-order spelling which word is the surname is often
    undecidable (feng is 冯 too). None when the text is not a full name."""
    p = parse_name(text)
    if p.partial or not (p.name or p.pinyin):
        return None
    if p.name and p.surname:
        parts = [pinyin_of(p.surname), pinyin_of(p.name[len(p.surname):])]
    else:
        words = _latin_words(text or "")
        if len(words) == 2:
            parts = words
        else:
            joined = p.pinyin or ""
            sur = max((s for s in _SURNAME_PINYIN if joined.startswith(s) and len(joined) > len(s)), key=len,
                      default="")
            parts = [sur, joined[len(sur):]]
    return "".join(sorted(x for x in parts if x))


def _cjk_token(token: str) -> ChineseName | None:
    """A token of CJK characters (and *) read as a name, a mask, or a surname with an honorific."""
    if "*" in token:
        head = token.split("*", 1)[0]
        sur = surname_of(head) if head else None
        tail = token.rstrip("*")[-1] if not token.endswith("*") else None
        return ChineseName(None, sur, None, True, last=tail) if sur and len(head) <= 2 else None
    for title in HONORIFICS:
        if token.endswith(title) and len(token) > len(title):
            head = token[: -len(title)]
            if head in SURNAMES or head in COMPOUND_SURNAMES:
                return ChineseName(None, head, None, True)
            if len(title) >= 2 and 2 <= len(head) <= 4 and surname_of(head):  # 王咏美女士: a full name and a title
                return ChineseName(head, surname_of(head), pinyin_of(head), False, last=head[-1])
    if len(token) == 2 and token[0] in "小阿老" and token[1] in SURNAMES:
        return ChineseName(None, token[1], None, True)
    sur = surname_of(token)
    if sur and len(sur) < len(token) <= 4 and token not in _CITIES and not token.endswith(_PLACE_ENDINGS):
        return ChineseName(token, sur, pinyin_of(token), False, last=token[-1])
    return None


def _rank(found: ChineseName, token: str) -> int:
    """Which reading of a cell's tokens is its name: a full name, then a surname alone, then a full name that could
    be a street or an estate (黄河路)."""
    if found.partial:
        return 1
    return 0 if token.endswith(_PLACE_OR_NAME_ENDINGS) else 2


@lru_cache(maxsize=262144)
def parse_name(text: str | None) -> ChineseName:
    """What a name, nickname or staff remark says about a Chinese person's name (see the module doc)."""
    raw = (nfkc(text) or "").strip()
    if not raw:
        return _NOTHING
    cleaned = _KEEP.sub(" ", _NOTE.sub(" ", raw)).strip()
    if not _CJK_ANY.search(cleaned):
        py = latin_pinyin(cleaned)
        return ChineseName(None, None, py, False) if py else _NOTHING
    tokens = [t for t in _SEPARATORS.split(cleaned) if t.strip()]
    # spaces inside a name (付 欣丽) are typing, not structure: join CJK pieces separated only by spaces
    tokens = [w for t in tokens for w in (["".join(t.split())] if _CJK.match("".join(t.split())) else t.split())]
    city = next((t.removesuffix("市") for t in tokens if t.removesuffix("市") in _CITIES), None)
    best: ChineseName | None = None
    best_token = ""
    for token in tokens:
        if _TAGS.match(token) or token.removesuffix("市") in _CITIES or not _CJK.match(token):
            continue
        found = _cjk_token(token)
        if found and (best is None or _rank(found, token) > _rank(best, best_token)):
            best, best_token = found, token
    if best is None:
        return ChineseName(None, None, None, False, city)
    return ChineseName(best.name, best.surname, best.pinyin, best.partial, city, best.last)
