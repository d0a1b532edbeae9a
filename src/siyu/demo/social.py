"""Groups and messages: persona and welfare groups with joins and leaves, 1:1 script chats and chatter.

Every new friend gets the staff member's chat script (lines `S01-L1` …); the chance a customer answers
drops along the script (`reply_probs`, scaled by the staff member's skill), which is what the diagnosis in
DOMAIN.md looks for. Beyond the script, each private-domain person is active in a given month with
`activity_rate` (fans almost always), speaking 1:1 or in their group; staff answer 1:1 messages.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.demo.config import DemoConfig
from siyu.demo.funnel import Friends
from siyu.demo.org import Org
from siyu.demo.persons import PERSONA_GROUPS, Persons

GROUP_SIZE = 400
GROUP_KINDS = [*PERSONA_GROUPS, "福利群"]
WELFARE = len(PERSONA_GROUPS)
SCRIPT_OFFSETS = [0.01, 0.6, 2.0, 5.0, 9.0, 14.0]  # days after the add for each script line

STAFF_LINES = [
    "您好呀，我是丝语的专属顾问，以后穿着上有任何问题都可以找我哦～",
    "您的包裹已经在路上了，收货地址没问题吧？",
    "收到货了吗？尺码合不合适呀？",
    "送您一张10元无门槛券，30天内有效，小程序就能用～",
    "我们有个宝藏福利群，新品和穿搭干货都会先发群里，邀请您加入呀",
    "最近穿着感觉怎么样？有任何建议都可以告诉我～",
]
CUSTOMER_LINES = ["好的", "收到了，谢谢", "地址没问题", "尺码有点大", "挺舒服的", "可以换货吗", "👍", "多少钱",
                  "有没有新款", "什么时候有活动", "已下单", "冰丝的还有吗", "谢谢小姐姐", "我看看"]
STAFF_REPLIES = ["亲，在的～", "好的，马上帮您处理", "这款有货哦", "稍等我帮您查一下", "感谢支持～", "已为您备注"]
GROUP_POSTS = ["【新品】冰丝无痕内衣上新啦", "今晚8点群内秒杀", "穿搭小课堂：内衣怎么选尺码", "福利：晒单抽奖",
               "会员日全场8折", "早安～今天也要元气满满"]


@dataclass
class Memberships:
    person: np.ndarray
    group: np.ndarray
    joined: np.ndarray
    left: np.ndarray  # nan when still a member at the end
    n_groups: int
    group_kind: np.ndarray  # per group: index into GROUP_KINDS
    group_owner: np.ndarray  # per group: staff index


@dataclass
class Messages:
    kind: np.ndarray  # '1v1' | 'group'
    person: np.ndarray  # the customer of the conversation (-1 for staff group posts)
    staff: np.ndarray  # staff of the 1:1 conversation or the group owner
    group: np.ndarray  # -1 for 1:1
    sender: np.ndarray  # 'staff' | 'customer'
    t: np.ndarray
    script: np.ndarray  # script number, 0 when not a script line
    line: np.ndarray  # script line number, 0 when not a script line
    text: np.ndarray  # index into the sender's phrase list


def join_groups(cfg: DemoConfig, persons: Persons, friends: Friends, org: Org, rng: np.random.Generator) -> Memberships:
    days = float(cfg.days)
    joins = rng.random(friends.n) < cfg.group_join_rate
    who = np.flatnonzero(joins)
    person = friends.person[who]
    kind = np.where(rng.random(len(who)) < cfg.welfare_share, WELFARE, persons.persona[person])
    counts = np.bincount(kind, minlength=len(GROUP_KINDS))
    per_kind = np.maximum(1, np.ceil(counts / GROUP_SIZE)).astype(np.int64)
    offsets = np.r_[0, np.cumsum(per_kind)]
    group = offsets[kind] + np.floor(rng.random(len(who)) * per_kind[kind]).astype(np.int64)
    joined = friends.added[who] + rng.uniform(0.3, 3.0, len(who))
    left = joined + rng.exponential(365.0 / max(cfg.group_leave_per_year, 1e-9), len(who))
    keep = joined < days - 0.01
    left = np.where(left < days - 0.01, left, np.nan)
    n_groups = int(offsets[-1])
    group_kind = np.repeat(np.arange(len(GROUP_KINDS)), per_kind)
    owner = rng.integers(0, org.n_online, n_groups)
    return Memberships(person[keep], group[keep], joined[keep], left[keep], n_groups, group_kind, owner)


def _script(cfg: DemoConfig, friends: Friends, org: Org, rng: np.random.Generator) -> Messages:
    days = float(cfg.days)
    n_lines = len(SCRIPT_OFFSETS)
    f = np.repeat(np.arange(friends.n), n_lines)
    line = np.tile(np.arange(1, n_lines + 1), friends.n)
    t = friends.added[f] + np.array(SCRIPT_OFFSETS)[line - 1] + rng.uniform(0, 0.2, len(f))
    gone = np.where(np.isnan(friends.removed), np.inf, friends.removed)[f]
    sent = (t < gone) & (t < days - 0.01)
    f, line, t = f[sent], line[sent], t[sent]
    staff = friends.staff[f]
    script = staff % 4 + 1
    responsive = rng.beta(4, 2, friends.n)[f] / (4 / 6)
    p = np.clip(np.array(cfg.reply_probs + (0.1,) * n_lines)[line - 1] * org.staff_quality[staff] * responsive, 0, 0.99)
    replied = rng.random(len(f)) < p
    latency = np.exp(rng.normal(np.log(20), 1.1, len(f))) / 1440.0
    r = np.flatnonzero(replied & (t + latency < days - 0.01))
    k, m = len(f), len(r)
    return Messages(
        kind=np.full(k + m, "1v1"), person=np.r_[friends.person[f], friends.person[f[r]]],
        staff=np.r_[staff, staff[r]], group=np.full(k + m, -1),
        sender=np.r_[np.full(k, "staff"), np.full(m, "customer")], t=np.r_[t, t[r] + latency[r]],
        script=np.r_[script, np.zeros(m, np.int64)], line=np.r_[line, np.zeros(m, np.int64)],
        text=np.r_[line - 1, rng.integers(0, len(CUSTOMER_LINES), m)],
    )


def _chatter(cfg: DemoConfig, persons: Persons, friends: Friends, groups: Memberships,
             rng: np.random.Generator) -> Messages:
    """Month by month, active persons speak 1:1 (staff answer) or in their group."""
    days = float(cfg.days)
    end = np.where(np.isnan(friends.removed), days, friends.removed)
    months = np.ceil((end - friends.added) / 30.0).astype(np.int64)
    f = np.repeat(np.arange(friends.n), months)
    month = np.arange(len(f)) - np.repeat(np.cumsum(months) - months, months)
    fan = persons.fan[friends.person[f]]
    active = rng.random(len(f)) < np.where(fan, 0.95, cfg.activity_rate)
    f, month, fan = f[active], month[active], fan[active]
    count = np.where(fan, rng.integers(8, 30, len(f)), rng.integers(1, 4, len(f)))
    f = np.repeat(f, count)
    start = friends.added[f] + np.repeat(month, count) * 30.0
    t = start + rng.uniform(0, 30, len(f))
    ok = t < np.minimum(end[f], days - 0.01)
    f, t = f[ok], t[ok]
    person = friends.person[f]
    # the group a person is in at that moment, if any (their first membership)
    g_of = np.full(persons.n, -1)
    g_join = np.full(persons.n, np.inf)
    g_left = np.full(persons.n, np.inf)
    order = np.argsort(groups.joined)[::-1]
    g_of[groups.person[order]] = groups.group[order]
    g_join[groups.person[order]] = groups.joined[order]
    g_left[groups.person[order]] = np.where(np.isnan(groups.left[order]), np.inf, groups.left[order])
    in_group = (g_of[person] >= 0) & (t > g_join[person]) & (t < g_left[person]) & (rng.random(len(t)) < 0.6)
    one = np.flatnonzero(~in_group)
    latency = np.exp(rng.normal(np.log(12), 1.3, len(one))) / 1440.0
    rep = one[(rng.random(len(one)) < 0.95) & (t[one] + latency < days - 0.01)]
    lat_rep = latency[np.isin(one, rep)]
    k, m = len(t), len(rep)
    return Messages(
        kind=np.r_[np.where(in_group, "group", "1v1"), np.full(m, "1v1")],
        person=np.r_[person, person[rep]], staff=np.r_[friends.staff[f], friends.staff[f[rep]]],
        group=np.r_[np.where(in_group, g_of[person], -1), np.full(m, -1)],
        sender=np.r_[np.full(k, "customer"), np.full(m, "staff")], t=np.r_[t, t[rep] + lat_rep],
        script=np.zeros(k + m, np.int64), line=np.zeros(k + m, np.int64),
        text=np.r_[rng.integers(0, len(CUSTOMER_LINES), k), rng.integers(0, len(STAFF_REPLIES), m)],
    )


def _group_posts(cfg: DemoConfig, groups: Memberships, rng: np.random.Generator) -> Messages:
    """The owner posts in each group about three times a week from its first member's arrival."""
    days = float(cfg.days)
    first = np.full(groups.n_groups, days)
    np.minimum.at(first, groups.group, groups.joined)
    count = rng.poisson((days - first) / 7.0 * 3.0)
    g = np.repeat(np.arange(groups.n_groups), count)
    t = first[g] + rng.uniform(0, 1, len(g)) * (days - 0.01 - first[g])
    k = len(g)
    return Messages(np.full(k, "group"), np.full(k, -1), groups.group_owner[g], g, np.full(k, "staff"), t,
                    np.zeros(k, np.int64), np.zeros(k, np.int64), rng.integers(0, len(GROUP_POSTS), k))


def make_messages(cfg: DemoConfig, persons: Persons, friends: Friends, groups: Memberships, org: Org,
                  rng: np.random.Generator) -> Messages:
    parts = [_script(cfg, friends, org, rng), _chatter(cfg, persons, friends, groups, rng),
             _group_posts(cfg, groups, rng)]
    merged = Messages(*(np.concatenate([getattr(p, f) for p in parts]) for f in Messages.__dataclass_fields__))
    order = np.argsort(merged.t, kind="stable")
    return Messages(*(getattr(merged, f)[order] for f in Messages.__dataclass_fields__))
