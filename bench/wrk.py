"""wrk as the benchmarks' HTTP client: a closed loop of N connections in C, so the figures are the server's.

A Python asyncio/httpx client on the same two cores costs about as much CPU per request as the server itself
(1.4 ms against 1.8 ms per redemption), so with Python clients a p95 measured what the clients and the server
together could do. wrk (Debian's `wrk`) spends a few microseconds per request; install it with
`apt-get install wrk`. The benchmarks fall back to their Python clients without it and say so.

Each run is a warm-up (untimed, every connection opened and the first pages read), then a timed run of a fixed
duration; the requests cycle through the given list, each connection starting at its own place. wrk's
latency percentiles are exact to the microsecond (it keeps an HdrHistogram).

A closed loop at saturation measures the queue as much as the service: every connection sends again the moment
it is answered, so latency is connections / throughput plus the wait. `paced` offers a fixed rate instead: each
connection (one wrk thread each, so a Lua state per connection) has its own schedule of intended send times
(rate / connections apart, the connections staggered), waits for its next one (wrk's `delay()`), and measures
each latency from the intended send time, not the actual one (as wrk2 does): a late answer delays the next send,
and that delay counts against the next request's latency (no coordinated omission). A server that cannot keep up
shows an achieved rate below the offered one, with the backlog in the tail.
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


# paced: LuaJIT's ffi reads CLOCK_MONOTONIC (wrk's Lua has no sub-second clock); one connection per thread
_PACED = """
local ffi = require("ffi")
ffi.cdef[[ typedef struct {{ long tv_sec; long tv_nsec; }} siyu_timespec;
           int clock_gettime(int clk, siyu_timespec *ts); ]]
local ts = ffi.new("siyu_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local requests = {requests}
local headers = {headers}
local unique = {unique}
local interval = {interval}
local connections = {connections}
local threads = {{}}
-- globals, not locals: setup() hands `base` and `id` to each thread's state, and done() reads back `lats`, `bad`
-- and `sent` from it (thread:get and thread:set see globals only)
base = 0
sent = 0
intended = 0
lats = {{}}
bad = 0

function setup(thread)
  if #threads == 0 then base = now_ms() + 100 end
  thread:set("id", #threads + 1)
  thread:set("base", base)
  table.insert(threads, thread)
end

function init(args)
  first = base + (id - 1) * interval / connections
end

local function due() return first + sent * interval end

function delay()
  local wait = due() - now_ms()
  if wait <= 0 then return 0 end
  return math.ceil(wait)
end

function request()
  intended = due()
  sent = sent + 1
  local r = requests[((id * 7919 + sent) % #requests) + 1]
  local h = {{}}
  for k, v in pairs(headers) do h[k] = v end
  if r[3] ~= nil then h["Content-Type"] = "application/json" end
  if unique ~= "" then h[unique] = string.format("{prefix}-%d-%d", id, sent) end
  return wrk.format(r[1], r[2], h, r[3])
end

function response(status, hdrs, body)
  lats[#lats + 1] = now_ms() - intended
  if status >= 300 then bad = bad + 1 end
end

function done(summary, latency, requests)
  local n, b, s = 0, 0, 0
  for _, t in ipairs(threads) do
    local l = t:get("lats")
    io.write("WRK-LAT")
    for _, v in ipairs(l) do io.write(string.format(" %.3f", v)) end
    io.write("\\n")
    b = b + t:get("bad")
    s = s + t:get("sent")
  end
  io.write(string.format("WRK-PACED %d %d %d %d\\n", summary.duration, b, s,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""


@dataclass(frozen=True)
class Paced:
    """A paced run: `offered` requests/s intended, `requests` answered in `seconds`, latencies from the intended
    send time."""

    offered: float
    requests: int
    sent: int  # requests sent (an answer still awaited when the run ended is sent, not answered)
    seconds: float
    bad: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


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


def paced(url: str, requests: list[Request], headers: dict[str, str], *, rate: float, connections: int = 20,
          seconds: int = 10, warmup: int = 2, unique_header: str = "") -> Paced:
    """Offers `rate` requests/s from `connections` connections (each its own wrk thread, paced on its own schedule);
    latencies from each request's intended send time."""
    if WRK is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    prefix = uuid.uuid4().hex[:12]
    listed = _lua([[r.method, r.path, r.body] for r in requests])
    interval = connections * 1000.0 / rate  # ms between one connection's sends
    with tempfile.TemporaryDirectory() as folder:

        def wrk(phase: str, duration: int) -> str:
            path = Path(folder) / f"{phase}.lua"
            path.write_text(_PACED.format(requests=listed, headers=_lua(headers), unique=_lua(unique_header),
                                          interval=f"{interval:.6f}", connections=connections,
                                          prefix=f"{prefix}-{phase}"))
            return subprocess.run([WRK, f"-t{connections}", f"-c{connections}", "-s", str(path), "--timeout", "30s",
                                   f"-d{duration}s", url], check=True, capture_output=True, text=True).stdout

        if warmup:
            wrk("warm", warmup)
        out = wrk("timed", seconds)
    lats = sorted(float(v) for x in out.splitlines() if x.startswith("WRK-LAT") for v in x.split()[1:])
    line = next(x for x in out.splitlines() if x.startswith("WRK-PACED "))
    micros, bad, sent, sockets = (int(v) for v in line.split()[1:])

    def pct(q: float) -> float:
        return lats[min(len(lats) - 1, int(q * len(lats)))] if lats else 0.0

    return Paced(rate, len(lats), sent, micros / 1e6, bad + sockets, pct(0.50), pct(0.95), pct(0.99),
                 lats[-1] if lats else 0.0)
