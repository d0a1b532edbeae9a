"""The report's words in Chinese and English."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "title": {"en": "Private-domain report", "zh": "私域经营报告"},
    "as_of": {"en": "Data to", "zh": "数据截至"},
    "health": {"en": "Health score", "zh": "私域健康度"},
    "health_note": {"en": "Each measure over the last {days} days against its target (100 = on target).",
                    "zh": "各项为最近 {days} 天的表现与目标之比（100 = 达标）。"},
    "trends": {"en": "Trends", "zh": "趋势"},
    "unfinished": {"en": "The period from {period} is left out: the data stop on {as_of}, before it ends.",
                   "zh": "{period} 起的时期未计入：数据截至 {as_of}，该时期尚未结束。"},
    "funnel": {"en": "New-customer sales funnel", "zh": "新客销售漏斗"},
    "funnel_note": {"en": "new-customer sales = parcels × acquisition rate × first-order conversion × first-order "
                          "value; the waterfall splits the change between the two periods (log-change, adds up "
                          "exactly).",
                    "zh": "新客销售额 = 包裹数 × 吸粉率 × 首单转化率 × 首单客单价；瀑布图拆解两期之间的变化"
                          "（对数分解，各项之和等于总变化）。"},
    "staff": {"en": "First-order conversion by staff member", "zh": "员工首单转化率"},
    "staff_note": {"en": "Dots: each member's rate; lines: 95% interval; dashed: team average. Red only when the "
                         "team average lies outside the interval.",
                   "zh": "圆点为个人转化率，横线为 95% 置信区间，虚线为团队平均；仅当团队平均落在区间之外才标红。"},
    "script": {"en": "Reply rate after each script line", "zh": "话术逐句回复率"},
    "script_of": {"en": "staff member {staff}", "zh": "员工 {staff}"},
    "team": {"en": "whole team", "zh": "全体员工"},
    "cohort": {"en": "Cohort retention: share ordering in month k after joining",
               "zh": "同期群留存：加入私域后第 k 个月下单的比例"},
    "no_data": {"en": "no data", "zh": "无数据"},
    "period": {"en": "period", "zh": "时期"},
    "before": {"en": "before", "zh": "前期"},
    "after": {"en": "after", "zh": "后期"},
    "change": {"en": "change", "zh": "变化"},
    "parcels": {"en": "parcels with card", "zh": "含包裹卡包裹数"},
    "acquisition_rate": {"en": "acquisition rate", "zh": "吸粉率"},
    "first_order_conversion": {"en": "first-order conversion", "zh": "首单转化率"},
    "first_order_value": {"en": "first-order value", "zh": "首单客单价"},
    "new_sales": {"en": "new-customer sales", "zh": "新客销售额"},
    "fallback": {"en": "OneID has not run: persons are channel identities, so conversion and contribution "
                       "undercount (a WeCom friend's Tmall orders are not linked).",
                 "zh": "尚未运行 OneID：按渠道身份计人，首单转化与贡献占比会偏低（企业微信好友的天猫订单无法关联）。"},
    "month": {"en": "M", "zh": "第"},
    "growth": {"en": "scale growth", "zh": "规模增长"},
    "churn": {"en": "churn", "zh": "流失率"},
    "activity": {"en": "activity", "zh": "活跃率"},
    "conversion": {"en": "first-order conversion", "zh": "首单转化率"},
    "repurchase": {"en": "repurchase", "zh": "复购率"},
    "contribution": {"en": "private-domain contribution", "zh": "私域贡献占比"},
    "lang_switch": {"en": "中文", "zh": "English"},
}


def t(key: str, lang: str, **kwargs: object) -> str:
    text = LABELS[key][lang]
    return text.format(**kwargs) if kwargs else text
