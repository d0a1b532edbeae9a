#!/usr/bin/env bash
# Peer libraries for the benches, each in its own pinned virtualenv under /tmp/siyu-peers: CLV peers for
# bench/bench_clv.py, recordlinkage for bench/bench_identity_corpus.py.
# Run on purpose (never from tests): bash bench/peers/setup_peers.sh
set -u
ROOT=${SIYU_PEERS:-/tmp/siyu-peers}
PY=${PYTHON:-python3.11}
mkdir -p "$ROOT"

if [ ! -x "$ROOT/lifetimes/bin/python" ] || ! "$ROOT/lifetimes/bin/python" -c "import lifetimes" 2>/dev/null; then
  "$PY" -m venv "$ROOT/lifetimes"
  "$ROOT/lifetimes/bin/pip" install -q 'lifetimes==0.11.3' 'numpy<2' 'pandas<2' 'scipy<1.12' 'autograd<1.7' \
    || echo "lifetimes: install failed" >&2
fi

if [ ! -x "$ROOT/pymc/bin/python" ] || ! "$ROOT/pymc/bin/python" -c "import pymc_marketing" 2>/dev/null; then
  "$PY" -m venv "$ROOT/pymc"
  "$ROOT/pymc/bin/pip" install -q 'pymc-marketing' || echo "pymc-marketing: install failed" >&2
fi

# recordlinkage's ECM baseline for bench/bench_identity_corpus.py (bench/peers/ecm_worker.py).
if [ ! -x "$ROOT/recordlinkage/bin/python" ] || ! "$ROOT/recordlinkage/bin/python" -c "import recordlinkage" 2>/dev/null; then
  "$PY" -m venv "$ROOT/recordlinkage"
  "$ROOT/recordlinkage/bin/pip" install -q 'recordlinkage==0.16' 'numpy>=2,<2.5' 'pandas>=2.2,<2.4' 'pyarrow' \
    || echo "recordlinkage: install failed" >&2
fi
