"""Journey definitions in TOML, validated with one-line errors naming the file and the key.

    [journeys.welcome]
    trigger = { kind = "first_order" }
    holdout = 0.1
    exits = ["friend_removed", "opted_out"]
    [[journeys.welcome.steps]]
    wait_days = 0
    condition = "is_friend"
    action = { kind = "task", title = "确认地址", template = "{name}您好…" }
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from siyu.errors import UserError

TRIGGERS = {
    "friend_added": set(), "first_order": set(), "order_delivered": {"days"},
    "coupon_expiring": {"days"}, "points_expiring": {"days", "at_least"}, "birthday_month": set(),
    "tag_entered": {"tag"}, "past_interval": {"factor"}, "segment_entered": {"segment", "every_days", "saved"},
}
REQUIRED = {"tag_entered": {"tag"}}
ACTIONS = {"task": {"title", "template", "due_days"}, "coupon": {"value", "valid_days"},
           "invite": {"group", "title", "template", "due_days"}}
EVENTS = ("replied", "bought", "joined_group")
EXITS = ("bought", "friend_removed", "opted_out")
_STEP_KEYS = {"name", "wait_days", "until", "within_days", "condition", "otherwise", "action"}
_JOURNEY_KEYS = {"description", "trigger", "steps", "exits", "holdout", "enabled"}
DEFAULT_FILE = "default.toml"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")  # names go into task keys and URLs


@dataclass(frozen=True)
class Action:
    kind: str  # task | coupon | invite
    title: str = ""
    template: str = ""
    due_days: int = 1
    value_fen: int = 0
    valid_days: int = 30
    group: str = ""


@dataclass(frozen=True)
class Step:
    name: str
    wait_days: int = 0
    until: str | None = None  # an event that ends the wait early (replied, bought, joined_group)
    within_days: int = 0  # with `until`: how long to wait for it
    condition: str | None = None  # a segment predicate over the profile
    otherwise: str = "skip"  # the condition is false: skip the action | exit the journey
    action: Action | None = None


@dataclass(frozen=True)
class Journey:
    name: str
    trigger: str
    params: dict[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    exits: tuple[str, ...] = EXITS
    holdout: float = 0.1
    description: str = ""
    enabled: bool = True


def _fail(source: str, key: str, message: str) -> UserError:
    return UserError(f"{source}: {key}: {message}")


def _int(value: Any, source: str, key: str, low: int = 0, high: int = 3650) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(source, key, f"must be a whole number from {low} to {high}, not {value!r}")
    return value


def _text(value: Any, source: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(source, key, f"must be non-empty text, not {value!r}")
    return value


def _unknown(found: dict[str, Any], known: set[str], source: str, key: str) -> None:
    extra = sorted(set(found) - known)
    if extra:
        raise _fail(source, f"{key}.{extra[0]}", f"unknown key; known: {', '.join(sorted(known))}")


def placeholders(template: str, source: str, key: str) -> list[str]:
    """The profile fields a template names ({name}); bad braces are an error."""
    try:
        return [f for _, f, _, _ in string.Formatter().parse(template) if f]
    except ValueError as exc:
        raise _fail(source, key, f"bad template: {exc}") from None


def _action(raw: Any, source: str, key: str) -> Action:
    if not isinstance(raw, dict) or raw.get("kind") not in ACTIONS:
        raise _fail(source, f"{key}.kind", f"must be one of {', '.join(ACTIONS)}")
    kind = raw["kind"]
    _unknown(raw, ACTIONS[kind] | {"kind"}, source, key)
    if kind == "coupon":
        value = raw.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 100_000:
            raise _fail(source, f"{key}.value", f"must be yuan above 0, not {value!r}")
        return Action(kind, value_fen=round(value * 100),
                      valid_days=_int(raw.get("valid_days", 30), source, f"{key}.valid_days", 1))
    title = _text(raw.get("title"), source, f"{key}.title")
    template = _text(raw.get("template"), source, f"{key}.template")
    placeholders(template, source, f"{key}.template")
    group = _text(raw.get("group"), source, f"{key}.group") if kind == "invite" else ""
    placeholders(group, source, f"{key}.group")  # a profile field may pick the group, e.g. "{city}会员群"
    return Action(kind, title, template, _int(raw.get("due_days", 1), source, f"{key}.due_days", 0, 30),
                  group=group)


def _step(raw: Any, source: str, key: str, index: int) -> Step:
    if not isinstance(raw, dict):
        raise _fail(source, key, "must be a table")
    _unknown(raw, _STEP_KEYS, source, key)
    until = raw.get("until")
    if until is not None and until not in EVENTS:
        raise _fail(source, f"{key}.until", f"must be one of {', '.join(EVENTS)}, not {until!r}")
    within = _int(raw.get("within_days", 7 if until else 0), source, f"{key}.within_days")
    otherwise = raw.get("otherwise", "skip")
    if otherwise not in ("skip", "exit"):
        raise _fail(source, f"{key}.otherwise", f"must be skip or exit, not {otherwise!r}")
    condition = raw.get("condition")
    if condition is not None:
        _text(condition, source, f"{key}.condition")
    action = _action(raw["action"], source, f"{key}.action") if "action" in raw else None
    name = raw.get("name", f"step{index + 1}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(source, f"{key}.name", f"use at most 40 letters, digits, '_', '-' or '.', not {name!r}")
    return Step(name, _int(raw.get("wait_days", 0), source, f"{key}.wait_days"),
                until, within, condition, otherwise, action)


def parse_journey(name: str, raw: Any, source: str) -> Journey:
    key = f"journeys.{name}"
    if not _NAME.match(name):
        raise _fail(source, key, "a journey name is at most 40 letters, digits, '_', '-' or '.'")
    if not isinstance(raw, dict):
        raise _fail(source, key, "must be a table")
    _unknown(raw, _JOURNEY_KEYS, source, key)
    trigger = raw.get("trigger")
    if not isinstance(trigger, dict) or trigger.get("kind") not in TRIGGERS:
        raise _fail(source, f"{key}.trigger.kind", f"must be one of {', '.join(TRIGGERS)}")
    kind = trigger["kind"]
    params = {k: v for k, v in trigger.items() if k != "kind"}
    _unknown(params, TRIGGERS[kind], source, f"{key}.trigger")
    for needed in REQUIRED.get(kind, set()):
        _text(params.get(needed), source, f"{key}.trigger.{needed}")
    if kind == "segment_entered":  # a predicate evaluated now, or a saved segment's snapshots
        if ("segment" in params) == ("saved" in params):
            raise _fail(source, f"{key}.trigger", "give either segment (a predicate) or saved (a saved segment)")
        which = "segment" if "segment" in params else "saved"
        _text(params[which], source, f"{key}.trigger.{which}")
    steps = raw.get("steps")
    if not isinstance(steps, list) or not steps:
        raise _fail(source, f"{key}.steps", "needs at least one [[steps]] table")
    exits = raw.get("exits", list(EXITS))
    if not isinstance(exits, list) or any(e not in EXITS for e in exits):
        raise _fail(source, f"{key}.exits", f"must be a list of {', '.join(EXITS)}")
    holdout = raw.get("holdout", 0.1)
    if isinstance(holdout, bool) or not isinstance(holdout, int | float) or not 0 <= holdout < 1:
        raise _fail(source, f"{key}.holdout", f"must be a share from 0 to below 1, not {holdout!r}")
    return Journey(name, kind, params, tuple(_step(s, source, f"{key}.steps[{i}]", i) for i, s in enumerate(steps)),
                   tuple(exits), float(holdout), str(raw.get("description", "")), bool(raw.get("enabled", True)))


def parse_journeys(text: str, source: str) -> list[Journey]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"{source}: not valid TOML: {exc}") from None
    _unknown(data, {"journeys"}, source, "(top)")
    journeys = data.get("journeys", {})
    if not isinstance(journeys, dict) or not journeys:
        raise _fail(source, "journeys", "needs at least one [journeys.NAME] table")
    return [parse_journey(n, raw, source) for n, raw in journeys.items()]


def load_journeys(path: Path | None = None) -> list[Journey]:
    """The journeys of a TOML file; None: the default journeys shipped with siyu."""
    if path is None:
        text = resources.files("siyu.journeys").joinpath(DEFAULT_FILE).read_text(encoding="utf-8")
        return parse_journeys(text, f"siyu/journeys/{DEFAULT_FILE}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UserError(f"{path}: cannot read journeys: {exc.strerror}") from None
    return parse_journeys(text, str(path))
