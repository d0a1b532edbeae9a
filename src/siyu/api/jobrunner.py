"""The process of one background job: `python -m siyu.api.jobrunner JOB_ID`, started by siyu.api.jobs.

It outlives the request (and the worker) that started it, writes its output to the job's log, and records its
own end in the store, so any worker can answer for it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from siyu.api import jobs
from siyu.errors import SiyuError
from siyu.store import open_store


def run_pipeline(args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """`siyu run` in a child process, its output into this job's log."""
    cmd = [sys.executable, "-m", "siyu", "run", "--warehouse", args["warehouse"]]
    if args.get("config"):
        cmd += ["--config", args["config"]]
    sys.stdout.flush()
    return subprocess.call(cmd, stdin=subprocess.DEVNULL), {}


def run_import(args: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One uploaded file into the raw tables, published when it ends well. A retry adds nothing twice: the
    importer skips rows it already holds (content hash) and keys quarantine entries by file, row and field."""
    from siyu.config.settings import load_settings
    from siyu.ingest.importer import import_file
    from siyu.pipeline.access import writing

    settings = load_settings(Path(args["config"]) if args.get("config") else None)
    with writing(settings, Path(args["warehouse"]), None, must_exist=False) as eng:
        report = import_file(eng, args["source"], Path(args["file"]), encoding=settings.imports.encoding,
                             batch_rows=settings.imports.batch_rows, timezone=settings.brand.timezone)
    result = {k: getattr(report, k) for k in ("import_id", "source", "rows_read", "rows_loaded", "rows_duplicate",
                                              "rows_quarantined", "fields_quarantined", "added", "encoding")}
    result["quarantine"] = [asdict(p) for p in report.problems]  # row, field, reason: no raw text, no PII
    print(f"imported {report.rows_loaded:,} new rows of {report.rows_read:,}; "
          f"{report.rows_duplicate:,} already held; {report.rows_quarantined:,} quarantined")
    return 0, result


KINDS = {"run": run_pipeline, "import": run_import}


def main(job_id: str) -> int:
    store = open_store(os.environ[jobs.STORE_ENV], migrate=False)
    code = 1
    result: dict[str, Any] = {}
    try:
        args = jobs.mark_running(store, job_id)
        code, result = KINDS[args.pop("kind")](args)
    except SiyuError as exc:  # a user's mistake or a busy warehouse: one line, no traceback
        result = {"message": str(exc).splitlines()[0]}
        print(result["message"])
    except Exception as exc:
        result = {"message": f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"}
        raise
    finally:
        jobs.finish(store, job_id, code, result)
        store.dispose()
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
