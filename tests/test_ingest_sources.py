"""Each built-in source, from a small hand-made file with that channel's real headers and file format."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from siyu.engine import Engine
from siyu.ingest.importer import import_file


def _csv(path: Path, rows: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(rows) + "\n").encode(encoding))
    return path


def _rows(engine: Engine, sql: str) -> list[dict[str, Any]]:
    return engine.query(sql).to_pylist()


def test_tmall_gb18030_csv(duck: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "tmall.csv", [
        "订单编号,买家会员名,买家实际支付金额,订单状态,收货人姓名,收货地址,联系手机,订单创建时间,订单付款时间,宝贝标题,宝贝总数量,退款金额,店铺名称",
        '="3001",tb_小明,"¥1,234.50",交易成功,张**,浙江省 杭州市 西湖区 文三路1号,138****5678,'
        "2024-03-01 12:00:00,2024/3/1 12:05,冰丝内裤,2,0.00,旗舰店",
        "3002,tb_小红,99,退款成功,李*,上海市浦东新区世纪大道100号,139****0000,2024/3/2 8:30,,纯棉背心,1,99.00,旗舰店",
    ], encoding="gb18030")
    report = import_file(duck, "tmall", path)
    assert report.encoding == "gb18030"
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (2, 2, 0)
    orders = _rows(duck, "SELECT * FROM raw_order ORDER BY order_id")
    assert [o["order_id"] for o in orders] == ["3001", "3002"]
    assert orders[0]["channel"] == "tmall" and orders[0]["channel_uid"] == "tb_小明"
    assert orders[0]["amount_paid"] == Decimal("1234.50")
    assert orders[0]["paid_at"] == dt.datetime(2024, 3, 1, 12, 5)
    assert [o["status"] for o in orders] == ["paid", "refunded"]
    assert orders[1]["status_raw"] == "退款成功" and orders[1]["refund_amount"] == Decimal("99.00")
    people = _rows(duck, "SELECT * FROM raw_identity ORDER BY channel_uid")
    assert (people[0]["province"], people[0]["city"], people[0]["district"], people[0]["address"]) == (
        "浙江省", "杭州市", "西湖区", "文三路1号")
    assert (people[1]["province"], people[1]["city"], people[1]["district"]) == ("上海市", "上海市", "浦东新区")
    assert people[0]["phone"] == "138****5678" and people[0]["name"] == "张**"
    assert duck.scalar("SELECT sum(qty) FROM raw_order_item") == 3


def test_jd_xlsx_on_a_named_sheet(duck: Engine, tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "说明"
    wb.active.append(["本文件由京东商家后台导出"])
    ws = wb.create_sheet("订单")
    ws.append(["京东订单导出 2024-03"])  # a title row above the header
    ws.append(["订单号", "下单帐号", "客户姓名", "客户地址", "联系电话", "下单时间", "订单金额", "应付金额",
               "订单状态", "商品名称", "商品ID", "订购数量", "京东价"])
    ws.append([250001, "jd_pin_1", "王五", "北京市 北京市 朝阳区 建国路88号", "13800001111",
               dt.datetime(2024, 3, 5, 9, 30), 300, 268.5, "已完成", "莫代尔睡衣", 100001, 1, 200])
    ws.append([250001, "jd_pin_1", "王五", "北京市 北京市 朝阳区 建国路88号", "13800001111",
               dt.datetime(2024, 3, 5, 9, 30), 300, 268.5, "已完成", "纯棉袜", 100002, 2, 50])
    ws.append([250002, "jd_pin_2", "赵六", "四川省成都市武侯区天府大道1号", "13900002222",
               45356.75, 80, 80, "已取消", "纯棉袜", 100002, 1, 80])
    path = tmp_path / "jd.xlsx"
    wb.save(path)
    report = import_file(duck, "jd", path, sheet="订单")
    assert report.rows_read == 3 and report.rows_quarantined == 0
    orders = _rows(duck, "SELECT * FROM raw_order ORDER BY order_id")
    assert [(o["order_id"], o["status"]) for o in orders] == [("250001", "paid"), ("250002", "closed")]
    assert orders[0]["amount_paid"] == Decimal("268.50")
    assert orders[1]["created_at"] == dt.datetime(2024, 3, 5, 18, 0)  # Excel serial 45356.75
    items = _rows(duck, "SELECT sku, qty, price FROM raw_order_item ORDER BY order_id, sku")
    assert [(i["sku"], i["qty"]) for i in items] == [("100001", 1), ("100002", 2), ("100002", 1)]
    assert _rows(duck, "SELECT _row FROM raw_order_item ORDER BY _row")[0]["_row"] == 3  # the sheet's own row


def test_douyin_utf8_bom_after_sale_overrides_status(duck: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "douyin.csv", [
        "主订单编号,子订单编号,选购商品,商品规格,商品数量,订单应付金额,收件人,收件人手机号,省,市,区,详细地址,"
        "订单提交时间,支付完成时间,订单状态,售后状态,达人ID,流量来源,买家ID",
        "\t6920001,\t6920001-1,冰丝内裤,M,1,59.9,刘**,150****1234,广东省,深圳市,南山区,科技园1号,"
        "2024-03-08 20:01:02,2024-03-08 20:01:30,已完成,退款成功,kol_9,直播,dy_open_1",
        "6920002,6920002-1,基础款T恤,L,2,120,陈**,151****5678,江苏省,南京市,鼓楼区,中山路2号,"
        "2024-03-09 10:00:00,2024-03-09 10:01:00,已完成,无售后,,商品卡,dy_open_2",
    ], encoding="utf-8-sig")
    report = import_file(duck, "douyin", path)
    assert report.encoding == "utf-8-sig" and report.rows_loaded == 2
    orders = _rows(duck, "SELECT order_id, sub_order_id, status, status_raw, creator_id FROM raw_order ORDER BY 1")
    assert orders[0] == {"order_id": "6920001", "sub_order_id": "6920001-1", "status": "refunded",
                         "status_raw": "已完成", "creator_id": "kol_9"}
    assert orders[1]["status"] == "paid" and orders[1]["creator_id"] is None
    ident = _rows(duck, "SELECT province, city, district, address FROM raw_identity ORDER BY channel_uid")[0]
    assert ident == {"province": "广东省", "city": "深圳市", "district": "南山区", "address": "科技园1号"}


def test_miniprogram_json_lines(duck: Engine, tmp_path: Path) -> None:
    records = [
        {"订单号": "MP001", "openid": "o_abc", "unionid": "u_1", "微信昵称": "小鱼", "手机号": "13812345678",
         "下单时间": "2024-03-01T10:00:00", "支付时间": "2024-03-01T10:00:05", "实付金额": 88.0, "优惠金额": 10,
         "订单状态": "已支付", "分享导购": "S007", "商品编码": "SKU1", "商品名称": "背心", "数量": 1, "单价": 98},
        {"订单号": "MP002", "openid": "o_def", "下单时间": "2024-03-02 11:00:00", "实付金额": "188.00",
         "订单状态": "待付款"},
    ]
    path = tmp_path / "mp.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n", encoding="utf-8")
    report = import_file(duck, "miniprogram", path)
    assert report.rows_loaded == 2 and report.rows_quarantined == 0
    orders = _rows(duck, "SELECT order_id, channel, status, discount, share_staff_id FROM raw_order ORDER BY 1")
    assert orders[0] == {"order_id": "MP001", "channel": "miniprogram", "status": "paid",
                         "discount": Decimal("10.00"), "share_staff_id": "S007"}
    assert orders[1]["status"] == "pending"
    ident = _rows(duck, "SELECT openid, unionid, nickname FROM raw_identity WHERE channel_uid = 'o_abc'")[0]
    assert ident == {"openid": "o_abc", "unionid": "u_1", "nickname": "小鱼"}


def test_store_walk_in_falls_back_to_phone(duck: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "pos.csv", [
        "单据号,会员卡号,会员手机,会员姓名,性别,生日,门店编号,导购编号,销售时间,实收金额,折扣金额,单据类型,商品编码,商品名称,数量,单价",
        "P1,VIP0001,13811112222,周杰,男,1990/5/6,ST01,G01,2024-03-01 15:00,199,20,销售,SKU1,文胸,1,219",
        "P2,,13800000000,,,,ST01,G02,2024-03-01 16:00,59,0,销售,SKU2,内裤,1,59",
        "P3,VIP0001,13811112222,周杰,男,1990/5/6,ST01,G01,2024-03-02 10:00,-199,0,退货,SKU1,文胸,-1,219",
    ])
    import_file(duck, "store", path)
    orders = _rows(duck, "SELECT order_id, channel_uid, status, amount_paid, staff_id FROM raw_order ORDER BY 1")
    assert [o["channel_uid"] for o in orders] == ["VIP0001", "13800000000", "VIP0001"]
    assert orders[2]["status"] == "refunded" and orders[2]["amount_paid"] == Decimal("-199.00")
    member = _rows(duck, "SELECT gender, birthday, member_no FROM raw_identity WHERE channel_uid = 'VIP0001'")
    assert member == [{"gender": "m", "birthday": dt.date(1990, 5, 6), "member_no": "VIP0001"}]


def test_wecom_contacts_unix_times_and_add_way(duck: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "contacts.csv", [
        "userid,external_userid,unionid,name,remark,remark_mobiles,gender,createtime,add_way,state",
        "zhangsan,wmEXT001,u_1,小鱼,老客 小鱼,13812345678,2,1709265600,包裹卡,card_2024",
        "lisi,wmEXT002,,阿花,,,1,2024-03-02 09:00:00,扫描二维码,",
    ])
    import_file(duck, "wecom-contacts", path)
    rows = _rows(duck, "SELECT staff_id, external_userid, added_at, add_source, add_way_raw, state "
                       "FROM raw_contact ORDER BY 2")
    assert rows[0] == {"staff_id": "zhangsan", "external_userid": "wmEXT001",
                       "added_at": dt.datetime(2024, 3, 1, 12, 0), "add_source": "package_card",
                       "add_way_raw": "包裹卡", "state": "card_2024"}
    assert rows[1]["add_source"] == "qr_code"
    ident = _rows(duck, "SELECT channel, gender, phone FROM raw_identity WHERE channel_uid = 'wmEXT001'")
    assert ident == [{"channel": "wecom", "gender": "f", "phone": "13812345678"}]


def test_groups_parquet_typed_columns(duck: Engine, tmp_path: Path) -> None:
    table = pa.table({
        "群ID": ["wr01", "wr01", "wr01"], "群名称": ["白领穿搭群"] * 3, "群类型": ["人群群"] * 3,
        "群主": ["zhangsan"] * 3, "成员ID": ["wmEXT001", "wmEXT002", "wmEXT001"],
        "事件": ["入群", "入群", "退群"],
        "时间": pa.array([dt.datetime(2024, 3, 1, 9), dt.datetime(2024, 3, 1, 10), dt.datetime(2024, 4, 1)]),
        "入群方式": ["邀请", "扫码", None],
    })
    path = tmp_path / "groups.parquet"
    pq.write_table(table, path)
    import_file(duck, "groups", path)
    assert _rows(duck, "SELECT group_id, group_type, owner_staff_id FROM raw_group") == [
        {"group_id": "wr01", "group_type": "persona", "owner_staff_id": "zhangsan"}]
    events = _rows(duck, "SELECT member_id, event, event_at FROM raw_group_event ORDER BY event_at")
    assert [e["event"] for e in events] == ["join", "join", "leave"]
    assert events[2]["event_at"] == dt.datetime(2024, 4, 1)


def test_messages_parcels_coupons_stored_value_and_masters(duck: Engine, tmp_path: Path) -> None:
    _csv(tmp_path / "msg.csv", [
        "消息ID,会话类型,会话ID,群ID,员工ID,客户ID,发送方,发送时间,话术ID,内容",
        "m1,单聊,c1,,zhangsan,wmEXT001,员工,2024-03-01 10:00:00,L01,您好",
        "m2,群聊,,wr01,,wmEXT002,客户,2024-03-01 10:05:00,,收到",
    ])
    _csv(tmp_path / "parcels.csv", [
        "运单号,平台,订单号,发货时间,是否放包裹卡,包裹卡码",
        "SF1,tmall,3001,2024-03-02 08:00,是,card_2024",
        "SF2,jd,250001,2024-03-02 09:00,否,",
    ])
    (tmp_path / "coupons.jsonl").write_text(json.dumps(
        {"券码": "C1", "渠道": "miniprogram", "用户ID": "o_abc", "活动": "首单礼", "面额": "¥10", "门槛": "99",
         "发放时间": "2024-03-01", "到期时间": "2024-03-31", "核销时间": "2024-03-10 12:00", "核销订单号": "MP009"},
        ensure_ascii=False) + "\n", encoding="utf-8")
    pq.write_table(pa.table({"流水号": ["T1", "T2"], "渠道": ["store", "store"], "会员ID": ["VIP0001"] * 2,
                             "类型": ["充值", "消费"], "金额": pa.array([Decimal("500.00"), Decimal("-88.00")]),
                             "时间": ["2024-03-01 12:00:00", "2024-03-05 12:00:00"]}), tmp_path / "sv.parquet")
    _csv(tmp_path / "products.csv", ["商品编码,商品名称,类目,材质,款式,吊牌价,上市时间",
                                     "SKU1,冰丝内裤,内裤,冰丝,基础款,59,2023-05-01"])
    _csv(tmp_path / "staff.csv", ["员工ID,姓名,门店编号,角色,入职时间", "zhangsan,张三,ST01,导购,2022-01-01"])
    _csv(tmp_path / "stores.csv", ["门店编号,门店名称,省,市,区,开业时间",
                                   "ST01,西湖店,浙江省,杭州市,西湖区,2020-10-01"])
    for source, name in [("messages", "msg.csv"), ("parcels", "parcels.csv"), ("coupons", "coupons.jsonl"),
                         ("stored-value", "sv.parquet"), ("products", "products.csv"), ("staff", "staff.csv"),
                         ("stores", "stores.csv")]:
        report = import_file(duck, source, tmp_path / name)
        assert report.rows_quarantined == 0, (source, report.problems)
    assert _rows(duck, "SELECT kind, sender_type FROM raw_message ORDER BY message_id") == [
        {"kind": "1v1", "sender_type": "staff"}, {"kind": "group", "sender_type": "customer"}]
    assert _rows(duck, "SELECT with_card FROM raw_parcel ORDER BY parcel_id") == [{"with_card": True},
                                                                                  {"with_card": False}]
    assert _rows(duck, "SELECT value, min_spend, redeemed_at FROM raw_coupon") == [
        {"value": Decimal("10.00"), "min_spend": Decimal("99.00"), "redeemed_at": dt.datetime(2024, 3, 10, 12)}]
    assert _rows(duck, "SELECT kind, amount FROM raw_stored_value ORDER BY txn_id") == [
        {"kind": "topup", "amount": Decimal("500.00")}, {"kind": "spend", "amount": Decimal("-88.00")}]
    assert duck.scalar("SELECT material FROM raw_product") == "冰丝"
    assert duck.scalar("SELECT role FROM raw_staff") == "导购"
    assert duck.scalar("SELECT city FROM raw_store") == "杭州市"
