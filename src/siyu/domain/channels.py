"""The channels siyu knows, and which are public platforms (公域) and which the brand's own (私域)."""

from __future__ import annotations

from siyu.errors import UserError, nearest_name

CHANNELS = ("tmall", "jd", "douyin", "miniprogram", "store", "wecom")
PUBLIC_CHANNELS = ("tmall", "jd", "douyin")  # the platform owns the customer; every sale is paid traffic
PRIVATE_CHANNELS = ("miniprogram", "store", "wecom")  # the brand owns the relationship


def check_channels(names: list[str], where: str = "") -> list[str]:
    """The names unchanged when each is a known channel; else a ValueError naming the first unknown one and the
    nearest known name (a typo in a channel list must not silently empty a metric)."""
    for name in names:
        if name not in CHANNELS:
            near = nearest_name(name, CHANNELS)
            hint = f"did you mean '{near}'? " if near else ""
            prefix = f"{where}: " if where else ""
            raise UserError(f"{prefix}unknown channel '{name}'; {hint}known channels: {', '.join(CHANNELS)}")
    return names
