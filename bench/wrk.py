"""wrk as the benchmarks' HTTP client: a closed loop of N connections in C, so the figures are the server's.

A Python asyncio/httpx client on the same two cores costs about as much CPU per request as the server itself
(1.4 ms against 1.8 ms per redemption), so with Python clients a p95 measured what the clients and the server
together could do. wrk (Debian's `wrk`) spends a few microseconds per request; install it with
`apt-get install wrk`. The benchmarks fall back to their Python clients without it and say so.

Each run is a warm-up (untimed, every connection opened and the first pages read), then a timed run of a fixed
duration; the requests cycle through the given list, each connection starting at its own place. wrk's
latency percentiles are exact to the microsecond (it keeps an HdrHistogram).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

WRK = shutil.which("wrk")


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str | None = None


@dataclass(frozen=True)
class Result:
    requests: int
    seconds: float
    bad: int  # non-2xx answers and socket errors
    p50_ms: float
    p95_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


_SCRIPT = """
local requests = {requests}
local headers = {headers}
local unique = {unique}
local n = 0
local start = 0
local counter = 0
local threads = {{}}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  start = (id * 7919) % #requests
end

function request()
  n = n + 1
  local r = requests[((start + n) % #requests) + 1]
  local h = {{}}
  for k, v in pairs(headers) do h[k] = v end
  if r[3] ~= nil then h["Content-Type"] = "application/json" end
  if unique ~= "" then
    counter = counter + 1
    h[unique] = string.format("{prefix}-%d-%d", id, counter)
  end
  return wrk.format(r[1], r[2], h, r[3])
end

function done(summary, latency, requests)
  io.write(string.format("WRK-RESULT %d %d %d %d %.3f %.3f %.3f\\n",
    summary.requests, summary.duration, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def _lua(value: object) -> str:
    """A Lua literal for strings, None and (nested) lists/dicts of them: JSON strings are valid Lua strings."""
    if value is None:
        return "nil"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{json.dumps(k)}] = {_lua(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua(v) for v in value) + "}"
    raise TypeError(type(value))


def run(url: str, requests: list[Request], headers: dict[str, str], *, connections: int = 20,
        seconds: int = 10, warmup: int = 2, unique_header: str = "") -> Result:
    """Runs wrk with `connections` connections on two threads; `unique_header` gets a value unique per request."""
    if WRK is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    prefix = uuid.uuid4().hex[:12]  # a run never replays an earlier run's keys
    listed = _lua([[r.method, r.path, r.body] for r in requests])
    with tempfile.TemporaryDirectory() as folder:

        def wrk(phase: str, duration: int) -> str:
            """One wrk run; its unique values carry the phase, so the timed run never replays the warm-up's."""
            path = Path(folder) / f"{phase}.lua"
            path.write_text(_SCRIPT.format(requests=listed, headers=_lua(headers), unique=_lua(unique_header),
                                           prefix=f"{prefix}-{phase}"))
            return subprocess.run([WRK, "-t2", f"-c{connections}", "-s", str(path), "--timeout", "30s",
                                   f"-d{duration}s", url], check=True, capture_output=True, text=True).stdout

        if warmup:
            wrk("warm", warmup)
        out = wrk("timed", seconds)
    line = next(x for x in out.splitlines() if x.startswith("WRK-RESULT "))
    n, micros, status, sockets, p50, p95, p99 = line.split()[1:]
    return Result(int(n), int(micros) / 1e6, int(status) + int(sockets), float(p50), float(p95), float(p99))
