"""The warehouse's OneID reads Chinese names the way `siyu dedupe` does (siyu.domain.zh_names): remarks and
spaces, masked names as partial evidence that can refute but never alone decide, families kept apart."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from test_identity_matching import _explain, brand, person_of, trained  # noqa: F401 (fixture)

from siyu.engine import Engine
from siyu.errors import UserError
from siyu.identity import IdentitySettings, resolve
from siyu.identity.match_comparisons import splink_settings
from siyu.identity.match_names import names_table
from siyu.identity.review import explain
from siyu.identity.tables import identities_table

HOME = {"province": "浙江", "city": "杭州", "district": "西湖区", "address": "浙江杭州西湖区中山路8号101室"}


def _phone(number: str) -> dict[str, object]:
    return {"phone": number, "phone_prefix": number[:3], "phone_suffix": number[-4:]}


def _resolve(engine: Engine, extra: list[dict[str, object]], seed: int = 5) -> dict[str, object]:
    """Resolve the extra identities inside a small brand (so the model has data to learn from)."""
    rows, _ = brand(200, seed=seed)
    engine.write_arrow("identities", identities_table(rows + extra), mode="replace")
    resolve(engine, IdentitySettings())
    return person_of(engine)


def test_masked_name_of_another_surname_on_one_phone_stays_apart(duck: Engine) -> None:
    """王丽婷 and a masked 杜** hold one phone: the surname contradicts, so the phone links neither way."""
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "wang", "name": "王丽婷", **_phone("13900001234"), **HOME},
        {"channel": "douyin", "channel_uid": "du", "name": "杜**", "name_masked": True, **_phone("13900001234"),
         **HOME},
    ])
    assert persons["store:wang"] != persons["douyin:du"]
    reasons = duck.query("SELECT key_value, reason FROM superkey WHERE key_name = 'phone'").to_pylist()
    assert {"key_value": "13900001234", "reason": "names differ"} in reasons


def test_masked_name_whose_visible_character_differs_is_a_contradiction(duck: Engine) -> None:
    """李*波 shows its last character: it is not 李博杰, even on the same phone and address."""
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "bojie", "name": "李博杰", **_phone("13711112222"), **HOME},
        {"channel": "tmall", "channel_uid": "bo", "name": "李*波", "name_masked": True, **_phone("13711112222"),
         **HOME},
        # the same mask with the right character joins
        {"channel": "douyin", "channel_uid": "jie", "name": "李*杰", "name_masked": True,
         **_phone("13722223333"), **HOME},
        {"channel": "store", "channel_uid": "bojie2", "name": "李博杰", **_phone("13722223333"), **HOME},
    ])
    assert persons["store:bojie"] != persons["tmall:bo"]
    assert persons["douyin:jie"] == persons["store:bojie2"]


def test_masked_name_levels(trained: Engine) -> None:  # noqa: F811 (fixture)
    def level(masked: str, full: str) -> str:
        return _explain(trained, {"channel": "a", "channel_uid": "1", "name": masked, "name_masked": True},
                        {"channel": "b", "channel_uid": "2", "name": full})["name"]

    assert level("李*波", "李博杰") == "masked, other surname or character"
    assert level("杜**", "王丽婷") == "masked, other surname or character"
    assert level("李*杰", "李博杰") == "masked, same surname and last character"
    assert level("张*", "张 炜") == "masked, same surname"


def test_couple_sharing_a_member_card_stays_two_people(duck: Engine) -> None:
    card = {"member_no": "M0001", **HOME}
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "husband", "name": "陈建国", **_phone("13600001111"), **card,
         "birthday": dt.date(1978, 4, 2)},
        {"channel": "store", "channel_uid": "wife", "name": "周美玲", **_phone("13600002222"), **card,
         "birthday": dt.date(1981, 9, 12)},
        # her mini-program account, known only by the card: masked name, no phone
        {"channel": "miniprogram", "channel_uid": "wife-mp", "name": "周*", "name_masked": True, **card},
    ])
    assert persons["store:husband"] != persons["store:wife"]
    assert persons["store:husband"] != persons["miniprogram:wife-mp"]


def test_space_inside_a_name_is_the_same_name(duck: Engine) -> None:
    """付 欣丽 is 付欣丽: on a family phone shared with her father she joins herself, not him."""
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "her", "name": "付欣丽", **_phone("13512345678"), **HOME},
        {"channel": "miniprogram", "channel_uid": "her-mp", "name": "付 欣丽", **_phone("13512345678"), **HOME},
        {"channel": "store", "channel_uid": "father", "name": "付建军", **_phone("13512345678"), **HOME},
    ])
    assert persons["store:her"] == persons["miniprogram:her-mp"]
    assert persons["store:her"] != persons["store:father"]


def test_surname_with_a_title_does_not_contest_a_phone(duck: Engine) -> None:
    """崔小姐 is what a clerk typed for 崔欣怡: only the surname is known, and it agrees."""
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "miss", "name": "崔小姐", **_phone("13312345678"), **HOME},
        {"channel": "miniprogram", "channel_uid": "xinyi", "name": "崔欣怡", **_phone("13312345678"), **HOME},
    ])
    assert persons["store:miss"] == persons["miniprogram:xinyi"]
    assert duck.query("SELECT * FROM superkey WHERE key_value = '13312345678'").num_rows == 0


def test_name_in_a_wecom_remark_joins_the_right_holder_of_a_family_phone(duck: Engine) -> None:
    """A friend shown as 晴天 whom staff noted as VIP-刘欣妍 is 刘欣妍, not her mother on the same phone."""
    duck.write_arrow("contacts", pa.table({
        "staff_id": ["DG1"], "external_userid": ["w1"], "unionid": ["u1"], "name": ["晴天"],
        "remark": ["VIP-刘欣妍"], "phone": ["13812340000"], "state": pa.array([None], pa.string()),
    }), mode="replace")
    persons = _resolve(duck, [
        {"channel": "wecom", "channel_uid": "w1", "name": "晴天", "unionid": "u1", **_phone("13812340000")},
        {"channel": "store", "channel_uid": "xinyan", "name": "刘欣妍", **_phone("13812340000"), **HOME},
        {"channel": "store", "channel_uid": "mother", "name": "王芳", **_phone("13812340000"), **HOME},
    ])
    assert persons["wecom:w1"] == persons["store:xinyan"]
    assert persons["wecom:w1"] != persons["store:mother"]


def test_setting_mistakes_are_one_line_user_errors(duck: Engine) -> None:
    with pytest.raises(UserError, match=r"^no `identities` table"):
        resolve(duck, IdentitySettings())
    with pytest.raises(UserError, match=r"^siyu.toml \[identity\] blocking: unknown column\(s\) nmae;"):
        splink_settings([["nmae", "city"]])


def test_names_are_read_once_with_zh_names() -> None:
    read = {r["raw"]: r for r in names_table(["VIP-刘欣妍", "付 欣丽", "李*波", "崔小姐", "田韵苑", "Tom Li",
                                              "🌸"]).to_pylist()}
    assert (read["VIP-刘欣妍"]["name_full"], read["VIP-刘欣妍"]["pinyin"]) == ("刘欣妍", "liuxinyan")
    assert read["付 欣丽"]["name_full"] == "付欣丽"
    assert (read["李*波"]["partial"], read["李*波"]["surname"], read["李*波"]["last"]) == (True, "li", "bo")
    assert (read["崔小姐"]["partial"], read["崔小姐"]["surname"], read["崔小姐"]["name_full"]) == (True, "cui", None)
    # names zh_names does not read are kept as written, not dropped (a name ending 苑, a Western name)
    assert (read["田韵苑"]["name_full"], read["田韵苑"]["surname"]) == ("田韵苑", "tian")
    assert read["Tom Li"]["pinyin"] == "tomli"
    assert read["🌸"]["name_full"] is None


def test_a_nameless_record_on_a_family_phone_joins_neither_holder(duck: Engine) -> None:
    """王丽婷 and 李强 share a phone and a home: a Douyin buyer with no name, that phone's mask and that address
    could be either of them, so Splink must not pick one (the phone step 2 set aside must not come back)."""
    masked = {"phone": None, "phone_prefix": "139", "phone_suffix": "1234", "phone_masked": True}
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "wang", "name": "王丽婷", **_phone("13900001234"), **HOME},
        {"channel": "tmall", "channel_uid": "li", "name": "李强", **_phone("13900001234"), **HOME},
        {"channel": "douyin", "channel_uid": "nobody", "name": None, **masked, **HOME},
    ])
    assert persons["store:wang"] != persons["tmall:li"]
    assert persons["douyin:nobody"] not in (persons["store:wang"], persons["tmall:li"])


def test_wecom_display_name_of_another_person_on_a_family_phone_stays_apart(duck: Engine) -> None:
    """A WeCom friend called 郑影毓 whose remark phone is 苏香锦's: the display name is nothing but a Chinese
    name of another surname, so the phone is a household's, not hers; 苏香锦's own WeCom account still joins."""
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "su", "name": "苏香锦", **_phone("13165624070"), **HOME},
        {"channel": "miniprogram", "channel_uid": "su-mp", "name": "苏香锦", **_phone("13165624070"), **HOME},
        {"channel": "wecom", "channel_uid": "su-w", "name": "苏香锦", **_phone("13165624070")},
        {"channel": "wecom", "channel_uid": "zheng", "name": "郑影毓", **_phone("13165624070")},
    ])
    assert persons["store:su"] == persons["miniprogram:su-mp"] == persons["wecom:su-w"]
    assert persons["wecom:zheng"] != persons["store:su"]
    reasons = duck.query("SELECT key_value, reason FROM superkey WHERE key_name = 'phone'").to_pylist()
    assert {"key_value": "13165624070", "reason": "names differ"} in reasons


def test_display_names_that_are_not_names_do_not_contest_a_phone(duck: Engine) -> None:
    """知足常乐 or Anna on WeCom say nothing about who holds the phone: it still links its holder. Nor does 阳光, a
    nickname many friends show (阳 is a surname too): a name shown by several and given as a real name by fewer
    is a nickname."""
    sunny = [
        row
        for i, real in enumerate(["万嘉宁", "罗芬黛", "陈秀巧"])
        for row in (
            {"channel": "miniprogram", "channel_uid": f"mp{i}", "name": real, **_phone(f"1860000000{i}"), **HOME},
            {"channel": "wecom", "channel_uid": f"sunny{i}", "name": "阳光", **_phone(f"1860000000{i}")},
        )
    ]
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "chen", "name": "陈俪婵", **_phone("18594127810"), **HOME},
        {"channel": "wecom", "channel_uid": "anna", "name": "Anna", **_phone("18594127810")},
        {"channel": "wecom", "channel_uid": "zhizu", "name": "知足常乐", **_phone("18594127810")},
        *sunny,
    ])
    assert persons["store:chen"] == persons["wecom:anna"] == persons["wecom:zhizu"]
    assert all(persons[f"wecom:sunny{i}"] == persons[f"miniprogram:mp{i}"] for i in range(3))
    assert duck.query("SELECT * FROM superkey WHERE key_value = '18594127810' OR key_value LIKE '186%'"
                      ).num_rows == 0


def test_masked_buyer_with_another_phone_at_a_family_address_stays_apart(duck: Engine) -> None:
    """孙** with 166****5181 at 孙芬荷's flat, whose phone is 195…4207: a surname and an address are a household's,
    and the other number says it is someone else (her son), however well Splink scores the rest (the test
    lowers the threshold to 0.05 so the score alone would link); 徐*聪 at 徐悦聪's flat with another number
    shows her given name's last character, and joins."""
    rows, _ = brand(200, seed=5)
    elsewhere = {**HOME, "address": "浙江杭州西湖区文三路9号2幢301室"}
    duck.write_arrow("identities", identities_table([*rows,
        {"channel": "store", "channel_uid": "fenhe", "name": "孙芬荷", **_phone("19552514207"), **HOME},
        {"channel": "miniprogram", "channel_uid": "fenhe-mp", "name": "孙芬荷", **_phone("19552514207"), **HOME},
        {"channel": "tmall", "channel_uid": "son", "name": "孙**", "name_masked": True, "phone": None,
         "phone_prefix": "166", "phone_suffix": "5181", "phone_masked": True, **HOME},
        {"channel": "store", "channel_uid": "yuecong", "name": "徐悦聪", **_phone("17866187042"), **elsewhere},
        {"channel": "douyin", "channel_uid": "xu", "name": "徐*聪", "name_masked": True, "phone": None,
         "phone_prefix": "178", "phone_suffix": "1173", "phone_masked": True, **elsewhere},
    ]), mode="replace")
    resolve(duck, IdentitySettings(match_threshold=0.05))
    persons = person_of(duck)
    assert persons["store:fenhe"] == persons["miniprogram:fenhe-mp"]
    assert persons["tmall:son"] != persons["store:fenhe"]
    assert persons["douyin:xu"] == persons["store:yuecong"]


def test_same_person_masked_on_tmall_and_named_on_wecom_still_joins(duck: Engine) -> None:
    """张** with 138****5678 at 张伟's address is 张伟, whom WeCom shows by name with his full phone."""
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "wei", "name": "张伟", **_phone("13812345678"), **HOME},
        {"channel": "wecom", "channel_uid": "wei-w", "name": "张伟", **_phone("13812345678")},
        {"channel": "tmall", "channel_uid": "wei-t", "name": "张**", "name_masked": True, "phone": None,
         "phone_prefix": "138", "phone_suffix": "5678", "phone_masked": True, **HOME},
    ])
    assert persons["store:wei"] == persons["wecom:wei-w"] == persons["tmall:wei-t"]


def test_a_display_name_reads_as_a_name_only_when_it_is_one() -> None:
    read = {r["raw"]: r["han_name"] for r in names_table(["郑影毓", "知足常乐", "小白", "张姐", "Anna", "王**",
                                                            "陈霞(老客)"]).to_pylist()}
    assert read == {"郑影毓": True, "知足常乐": False, "小白": False, "张姐": False, "Anna": False, "王**": False,
                    "陈霞(老客)": False}


def test_a_member_card_a_couple_shares_chains_neither(duck: Engine) -> None:
    _couple_card_case(duck)


@pytest.mark.spark
def test_a_member_card_a_couple_shares_chains_neither_on_spark(spark: Engine) -> None:
    _couple_card_case(spark)


def _couple_card_case(duck: Engine) -> None:
    """One store card, two people: 闫珠竹 bought on it with her phone, 张彬先生 with his. The card's identity holds
    both phones, so its keys would chain her nameless mini-program account and his JD account into one person; its rows
    name two people, so it links by no key and matches nobody. A card whose rows differ by a typo (陈琳勤 /
    陈羚勤) is one person's and still links."""
    duck.write_arrow("raw_identity", pa.table({
        "channel": ["store"] * 4, "channel_uid": ["VIP1", "VIP1", "VIP2", "VIP2"],
        "name": ["闫珠竹", "张彬先生", "陈琳勤", "陈羚勤"],
    }), mode="replace")
    duck.write_arrow("identity_keys", pa.table({
        "channel": ["store"] * 5, "channel_uid": ["VIP1", "VIP1", "VIP1", "VIP2", "VIP2"],
        "key_type": ["member_no", "phone", "phone", "member_no", "phone"],
        "key_value": ["VIP1", "13186357745", "15014096313", "VIP2", "13900005555"],
    }), mode="replace")
    elsewhere = {**HOME, "address": "浙江杭州西湖区文三路9号2幢301室"}
    persons = _resolve(duck, [
        {"channel": "store", "channel_uid": "VIP1", "name": "张彬先生", "member_no": "VIP1",
         **_phone("15014096313")},
        {"channel": "jd", "channel_uid": "zhang", "name": "张彬", **_phone("15014096313"), **HOME},
        # her mini-program account gave no name: only her phone says whose it is
        {"channel": "miniprogram", "channel_uid": "yan", "name": None, **_phone("13186357745"), **elsewhere},
        {"channel": "store", "channel_uid": "VIP2", "name": "陈羚勤", "member_no": "VIP2", **_phone("13900005555")},
        {"channel": "jd", "channel_uid": "chen", "name": "陈琳勤", **_phone("13900005555"), **HOME},
    ])
    assert persons["jd:zhang"] != persons["miniprogram:yan"]
    assert persons["store:VIP1"] not in (persons["jd:zhang"], persons["miniprogram:yan"])
    assert persons["store:VIP2"] == persons["jd:chen"]
    shared = duck.query("SELECT key_name, key_value, n_names FROM superkey WHERE reason = 'identity shared'")
    assert shared.to_pylist() == [{"key_name": "identity", "key_value": "store:VIP1", "n_names": 2}]
    # explain says the phone both hold was set aside, and why
    keys = explain(duck, "store:VIP1", "jd:zhang", IdentitySettings()).shared_keys
    assert {"key_name": "phone", "key_value": "150****6313", "reason": "identity shared"} in keys
