"""The pause point tests use to interrupt a command at a chosen place, instead of guessing with a timer.

A test sets SIYU_TEST_PAUSE=<name>, waits for "paused at step <name>" on stderr and then sends Ctrl-C or kill -9:
the interruption lands where the test means it to on a fast machine and a slow one alike.
"""

from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "SIYU_TEST_PAUSE"


def pause_point(step: str) -> None:
    """With SIYU_TEST_PAUSE=<step>, stop here (inside the caller's transaction, its writes not yet committed) and
    wait to be interrupted or killed; it does nothing otherwise."""
    if os.environ.get(PAUSE_ENV) != step:
        return
    print(f"paused at step {step}", file=sys.stderr, flush=True)
    while True:
        time.sleep(1)
