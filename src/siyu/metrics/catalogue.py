"""Every metric of DOMAIN.md's table by name: its labels, unit, the slices that make sense, and its SQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from siyu.errors import UserError
from siyu.metrics import chats, flows, stocks
from siyu.metrics.periods import Window
from siyu.metrics.settings import MetricsSettings

Builder = Callable[[Window, str, MetricsSettings], str]

SPELL_SLICES = ("all", "staff", "store", "add_source")


@dataclass(frozen=True)
class Metric:
    name: str
    en: str
    zh: str
    unit: str  # rate | money | count | minutes
    kind: str  # ratio: numerator ÷ denominator; level: the numerator; given: the query's own value
    slices: tuple[str, ...]
    build: Builder
    family: str | None = None  # metrics of one family come from one query (FAMILIES), with a `metric` column


def _reply(name: str) -> Builder:
    return lambda w, s, c: chats.reply_minutes(w, s, [name])


METRICS: list[Metric] = [
    Metric("private_domain_size", "Private-domain size", "私域规模", "count", "level",
           (*SPELL_SLICES, "group"), lambda w, s, c: stocks.size(w, s)),
    Metric("acquisition_rate", "Acquisition rate (package cards)", "吸粉率", "rate", "ratio",
           ("all", "channel"), lambda w, s, c: flows.acquisition_rate(w, s)),
    Metric("first_order_conversion", "First-order conversion", "首单转化率", "rate", "ratio",
           (*SPELL_SLICES, "channel"), lambda w, s, c: flows.first_order_conversion(w, s)),
    Metric("repurchase_rate", "Repurchase rate", "复购率", "rate", "ratio",
           ("all", "channel"), lambda w, s, c: flows.repurchase_rate(w, s)),
    Metric("average_order_value", "Average order value", "客单价", "money", "ratio",
           ("all", "channel", "store", "staff"), lambda w, s, c: flows.average_order_value(w, s)),
    Metric("churn_rate", "Churn", "流失率", "rate", "ratio",
           SPELL_SLICES, lambda w, s, c: stocks.churn(w, s)),
    Metric("activity_rate", "Activity", "活跃率", "rate", "ratio",
           SPELL_SLICES, lambda w, s, c: stocks.activity(w, s)),
    Metric("stored_value_rate", "Stored-value rate", "储值率", "rate", "ratio",
           SPELL_SLICES, lambda w, s, c: stocks.stored_value_rate(w, s)),
    Metric("staff_reply_minutes_median", "Staff reply time, median (min)", "员工回复时长中位数(分钟)", "minutes",
           "given", ("all", "staff"), _reply("staff_reply_minutes_median"), "reply_minutes"),
    Metric("staff_reply_minutes_p90", "Staff reply time, p90 (min)", "员工回复时长P90(分钟)", "minutes",
           "given", ("all", "staff"), _reply("staff_reply_minutes_p90"), "reply_minutes"),
    Metric("customer_reply_minutes_median", "Customer reply time, median (min)", "客户回复时长中位数(分钟)",
           "minutes", "given", ("all", "staff"), _reply("customer_reply_minutes_median"), "reply_minutes"),
    Metric("customer_reply_minutes_p90", "Customer reply time, p90 (min)", "客户回复时长P90(分钟)", "minutes",
           "given", ("all", "staff"), _reply("customer_reply_minutes_p90"), "reply_minutes"),
    Metric("group_members", "Group members", "社群成员数", "count", "level",
           ("all", "group"), lambda w, s, c: stocks.group_members(w, s)),
    Metric("group_active_members", "Group active members", "社群活跃人数", "count", "level",
           ("all", "group"), lambda w, s, c: chats.group_speakers(w, s)),
    Metric("group_exit_rate", "Group exit rate", "退群率", "rate", "ratio",
           ("all", "group"), lambda w, s, c: stocks.group_exit_rate(w, s)),
    Metric("private_domain_contribution", "Private-domain contribution", "私域贡献占比", "rate", "ratio",
           ("all", "channel"), lambda w, s, c: flows.contribution(w, s)),
    Metric("public_feed_back", "Sales fed back to public platforms", "反哺公域销售额", "money", "level",
           ("all", "channel"), lambda w, s, c: flows.feed_back(w, s)),
    Metric("core_return_rate", "Core customers' return rate", "核心客户退货率", "rate", "ratio",
           ("all", "channel"), lambda w, s, c: flows.core_return_rate(w, s, c.core_share)),
]

FamilyBuilder = Callable[[Window, str, list[str]], str]
FAMILIES: dict[str, FamilyBuilder] = {"reply_minutes": chats.reply_minutes}  # one sort for all four quantiles

BY_NAME: dict[str, Metric] = {m.name: m for m in METRICS}
SLICES = ("all", "channel", "staff", "store", "add_source", "group")


def find(name: str) -> Metric:
    """The metric called `name`; a clear error listing the known names otherwise."""
    if name in BY_NAME:
        return BY_NAME[name]
    raise UserError(f"unknown metric {name!r}; known: {', '.join(BY_NAME)}")
