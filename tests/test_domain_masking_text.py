"""mask_text: the phones, e-mails and ID card numbers customers type into chats are masked, the message stays
readable, and numbers that are not personal data (order ids, prices, already-masked phones) are left alone."""

from __future__ import annotations

import pytest

from siyu.domain.masking import mask_text


@pytest.mark.parametrize(("line", "masked"), [
    ("你好，我电话13812345678，明天下午到店取货", "你好，我电话138****5678，明天下午到店取货"),
    ("加我微信吧 +86 139-1234-5678 谢谢", "加我微信吧 139****5678 谢谢"),
    ("手机号：１５９１２３４５６７８，打不通就发短信", "手机号：159****5678，打不通就发短信"),
    ("换号了 0086 186 1234 5678", "换号了 186****5678"),
    ("新号8613712345678记一下", "新号137****5678记一下"),
    ("发票发我邮箱 wang.lihua@qq.com 就行", "发票发我邮箱 w***@qq.com 就行"),
    ("邮箱是lihua_88@163.com，抬头写公司", "邮箱是l***@163.com，抬头写公司"),
    ("身份证号110105199003071234，报关要用", "身份证号**************1234，报关要用"),
    ("证件 44030619851212003X 寄顺丰", "证件 **************003X 寄顺丰"),
    ("老身份证110105900307123可以吗", "老身份证***********7123可以吗"),
    ("我是王丽华，电话 138 1234 5678，地址朝阳区建国路88号",
     "我是王丽华，电话 138****5678，地址朝阳区建国路88号"),
])
def test_personal_data_in_a_chat_line_is_masked(line: str, masked: str) -> None:
    assert mask_text(line) == masked


@pytest.mark.parametrize("line", [
    "订单号 202312010012345678901 什么时候发货？",  # a 21-digit order id holds no phone and no ID card
    "淘宝订单3456789012345678，麻烦查一下",  # 16 digits: neither an ID card nor a phone
    "客服说是138****5678这个号码",  # masked by the platform already
    "这款面霜399元，买2送1，12月12日截止",
    "",
])
def test_text_without_personal_data_is_unchanged(line: str) -> None:
    assert mask_text(line) == line


def test_no_text_stays_as_it_was() -> None:
    """A message with no text (a picture, a sticker) has NULL text: it stays NULL, and empty stays empty."""
    assert (mask_text(None), mask_text("")) == (None, "")


def test_several_items_in_one_message_are_all_masked() -> None:
    line = "电话13812345678或者15912345678，邮箱a.b@example.cn，身份证110105199003071234"
    out = mask_text(line) or ""
    for secret in ("13812345678", "15912345678", "a.b@example.cn", "110105199003071234", "19900307"):
        assert secret not in out
    assert out.startswith("电话138****5678或者159****5678，邮箱a***@example.cn，身份证")
