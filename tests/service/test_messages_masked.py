"""Chat messages in the 360 view: the phone, e-mail and ID card a customer typed come back masked, in full only
for a role that may unmask and gives a reason, and that unmask is in the audit log."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import httpx
import pytest

from service.conftest import free_port, start_server

KNOWN = "我是{0}，麻烦寄到{1}，周末家里有人"
LINE = "好的，我电话13912345678，邮箱lihua.w@163.com，身份证110105199003071234，周六到店"
MASKED = "好的，我电话139****5678，邮箱l***@163.com，身份证**************1234，周六到店"


@dataclass
class Chat:
    url: str
    person_id: str
    tokens: dict[str, str]
    name: str  # the customer's own name and address detail, as one of their identities holds them
    address: str

    def get(self, role: str, path: str, **params: object) -> httpx.Response:
        return httpx.get(self.url + path, headers={"Authorization": f"Bearer {self.tokens[role]}"}, params=params,
                         timeout=30)


@pytest.fixture(scope="module")
def chat(demo_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    """A copy of the demo warehouse where one of the guide's WeCom customers sent the newest message, with PII
    in it (the demo's scripted chats hold none), served on loopback."""
    from siyu.api.app import create_app
    from siyu.api.context import service_config
    from siyu.auth.users import add_user, create_token
    from siyu.config.settings import load_settings

    warehouse = tmp_path_factory.mktemp("chat") / "w.duckdb"
    shutil.copy(demo_warehouse, warehouse)
    with duckdb.connect(str(warehouse)) as con:
        row = con.execute(  # a guide's WeCom customer with a name and an address on one of their identities
            "SELECT p.person_id, m.channel_uid, p.owner_staff_id, i.name, i.address FROM person_profile p "
            "JOIN person_map m USING (person_id) JOIN person_map k USING (person_id) "
            "JOIN identities i ON i.channel = k.channel AND i.channel_uid = k.channel_uid "
            "WHERE m.channel = 'wecom' AND p.owner_staff_id IS NOT NULL AND length(i.name) >= 2 "
            "AND NOT contains(i.name, '*') AND length(i.address) >= 6 ORDER BY p.person_id LIMIT 1").fetchone()
        assert row is not None
        person_id, uid, staff, name, address = row
        insert = ("INSERT INTO messages (message_id, kind, staff_id, customer_id, sender_type, sent_at, content) "
                  "VALUES ($id, '单聊', $staff, $uid, '客户', $at, $line)")
        con.execute(insert, {"id": "msg-pii-test", "staff": staff, "uid": uid, "line": LINE,
                             "at": dt.datetime(2099, 1, 1, 10)})
        con.execute(insert, {"id": "msg-pii-known", "staff": staff, "uid": uid, "line": KNOWN.format(name, address),
                             "at": dt.datetime(2099, 1, 1, 9)})
    cfg = service_config(warehouse, load_settings(None))
    tokens = {}
    for role in ("analyst", "guide", "auditor"):
        add_user(cfg.store, role, role, password=f"{role}-pw", staff_id=staff if role == "guide" else None)
        tokens[role] = create_token(cfg.store, role, "tests")
    port = free_port()
    server, thread = start_server(create_app(cfg), port)
    yield Chat(f"http://127.0.0.1:{port}", str(person_id), tokens, name, address)
    server.should_exit = True
    thread.join(10)
    cfg.serving.close()


def _message(r: httpx.Response, message_id: str = "msg-pii-test") -> str:
    assert r.status_code == 200, r.text
    return str(next(m["content"] for m in r.json()["messages"] if m["message_id"] == message_id))


def test_chat_message_is_masked_by_default(chat: Chat) -> None:
    for role in ("analyst", "guide"):
        r = chat.get(role, f"/persons/{chat.person_id}")
        assert _message(r) == MASKED
        assert "13912345678" not in r.text and "lihua.w@163.com" not in r.text and "110105199003071234" not in r.text


def test_chat_message_in_full_only_when_unmasked_with_a_reason_and_audited(chat: Chat) -> None:
    path = f"/persons/{chat.person_id}"
    assert chat.get("analyst", path, unmask=True).status_code == 422  # no reason
    assert chat.get("guide", path, unmask=True, reason="customer asked").status_code == 403
    assert _message(chat.get("analyst", path, unmask=True, reason="call back: ticket 77")) == LINE
    audit = chat.get("auditor", "/audit", action="unmask").json()["items"]
    assert [(a["user_name"], a["target"]) for a in audit if "ticket 77" in a["reason"]] == [
        ("analyst", chat.person_id)]
    assert not any(a["user_name"] == "guide" for a in audit)


def test_the_customers_own_name_and_address_in_a_chat_are_masked(chat: Chat) -> None:
    from siyu.domain.masking import mask_name

    path = f"/persons/{chat.person_id}"
    masked = KNOWN.format(mask_name(chat.name), "*" * len(chat.address))
    for role in ("analyst", "guide"):
        r = chat.get(role, path)
        assert _message(r, "msg-pii-known") == masked
        assert chat.name not in r.text and chat.address not in r.text
    full = chat.get("analyst", path, unmask=True, reason="delivery complaint 12")
    assert _message(full, "msg-pii-known") == KNOWN.format(chat.name, chat.address)
