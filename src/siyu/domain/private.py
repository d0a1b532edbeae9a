"""Who is in the private domain (DOMAIN.md "Private-domain person"): a WeCom friend not removed, or a member of a
brand group, at the end of the day asked. A group membership is the member's last event in that group by then (a
join and a leave at the same moment: the leave wins)."""

from __future__ import annotations

import datetime as dt

from siyu.engine.quote import literal


def private_domain_sql(day: dt.date) -> str:
    """(channel, channel_uid) of each WeCom identity in the private domain at the end of `day`."""
    d = literal(day)
    return f"""
        SELECT 'wecom' AS channel, external_userid AS channel_uid FROM contacts
        WHERE external_userid IS NOT NULL AND CAST(added_at AS DATE) <= {d}
          AND (removed_at IS NULL OR CAST(removed_at AS DATE) > {d})
        UNION
        SELECT 'wecom', member_id FROM (
            SELECT member_id, event, row_number() OVER (PARTITION BY member_id, group_id
                                                        ORDER BY event_at DESC, event DESC) AS rk
            FROM group_events WHERE member_id IS NOT NULL AND CAST(event_at AS DATE) <= {d}
        ) AS e WHERE rk = 1 AND event = 'join'
    """
