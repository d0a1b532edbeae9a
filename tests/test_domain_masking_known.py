"""mask_message: in a chat with a known customer, their own names and address details are masked wherever they
appear, with the phones, e-mails and ID cards mask_text masks; other words, prices and one-character parts stay
as typed so the message reads."""

from __future__ import annotations

import pytest

from siyu.domain.masking import mask_known, mask_message

NAMES = ["王丽华", "Lily"]
ADDRESS = "人民路123号阳光花园12栋3单元1201室"


@pytest.mark.parametrize(("line", "masked"), [
    ("我是王丽华，上周买的睡衣", "我是王**，上周买的睡衣"),
    ("丽华姐您好，到货了吗", "**姐您好，到货了吗"),  # the given name alone, as the guide greets her
    ("寄到人民路123号阳光花园12栋3单元1201室，谢谢", "寄到**********************，谢谢"),
    ("我住阳光花园，12栋1201室", "我住****，********"),
    ("不是人民路那家店，是另一家", "不是***那家店，是另一家"),
    ("Lily here, 电话13812345678", "L*** here, 电话138****5678"),
    ("这件1201元太贵了，3号能到吗", "这件1201元太贵了，3号能到吗"),  # a price and a date are not her address
    ("王老师说华为手机可以", "王老师说华为手机可以"),  # one character of her name is not her name
])
def test_her_names_and_address_in_a_chat_are_masked(line: str, masked: str) -> None:
    assert mask_message(line, NAMES, [ADDRESS]) == masked


def test_names_a_platform_already_masked_and_missing_values_change_nothing() -> None:
    line = "张**您好，地址没问题"
    assert mask_known(line, ["张**", None, "张"], [None, "****"]) == line
    assert mask_message(None, NAMES, [ADDRESS]) is None
    assert mask_message("你好", [], []) == "你好"
