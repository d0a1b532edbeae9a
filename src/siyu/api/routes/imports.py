"""Imports: upload a channel export with a preview of its mapping, import it as a background job, the import
log, and quarantined rows."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, Response, UploadFile
from pydantic import BaseModel, Field

from siyu.api import jobs
from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded, unmasking, user_of
from siyu.auth import audit
from siyu.ingest.mapping import list_sources
from siyu.ingest.preview import preview_mapping

router = APIRouter(tags=["imports"])
MAX_UPLOAD = 512 * 1024 * 1024
UPLOAD_NAME = r"^[0-9a-f]{8}-[\w.\-]{1,100}$"


class ImportRequest(BaseModel):
    upload: str = Field(min_length=1, max_length=120, description="the name POST /imports/uploads answered")
    source: str = Field(min_length=1, max_length=60)


def _job_view(job: dict[str, Any]) -> dict[str, Any]:
    return {"job_id": job["id"], "status": job["status"], "upload": job["args"].get("upload"),
            "source": job["args"].get("source"), "started_by": job["user_name"], "created_at": job["created_at"],
            "finished_at": job["finished_at"], "result": job["result"]}


@router.post("/imports/uploads", status_code=201, **guarded("imports:write"))
def upload(request: Request, source: Annotated[str, Form(max_length=60)],
           file: Annotated[UploadFile, File()]) -> dict[str, object]:
    """Keep an export in the service's inbox and show which header each field of the source would read; import
    it with POST /imports (the next run picks it up)."""
    known = {s.name for s in list_sources()}
    if source not in known:
        raise HTTPException(422, f"unknown source '{source}'; sources: {', '.join(sorted(known))}")
    cfg = config(request)
    safe = re.sub(r"[^\w.\-]", "_", file.filename or "upload")[-100:]
    path = cfg.files / "uploads" / f"{uuid.uuid4().hex[:8]}-{safe}"
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with path.open("wb") as out:
        while chunk := file.file.read(1 << 20):
            size += len(chunk)
            if size > MAX_UPLOAD:
                out.close()
                path.unlink()
                raise HTTPException(413, "file larger than 512 MB: import it with `siyu import` on the server")
            out.write(chunk)
    try:
        preview = preview_mapping(source, path)
    except ValueError as exc:
        path.unlink()
        raise HTTPException(422, str(exc).splitlines()[0]) from None
    audit.record(cfg.store, user_of(request), "upload", f"{source} {path.name}", "")
    return {"upload": path.name, "bytes": size, **preview}


@router.post("/imports", status_code=202, **guarded("imports:write"))
def start_import(body: ImportRequest, request: Request, response: Response) -> dict[str, Any]:
    """Import an uploaded file into the warehouse as a background job (audited); poll /imports/jobs/{job_id} for
    its counts and quarantined rows. Asking again for the same upload and source answers with the job already
    started or done (200): nothing is imported twice. 409 while a run or another import is in progress."""
    cfg, user = config(request), user_of(request)
    if body.source not in {s.name for s in list_sources()}:
        raise HTTPException(422, f"unknown source '{body.source}'")
    path = cfg.files / "uploads" / body.upload
    if not re.fullmatch(UPLOAD_NAME, body.upload) or not path.is_file():
        raise HTTPException(404, f"no upload '{body.upload}'")
    key = f"{body.upload}:{body.source}"
    earlier = jobs.for_key(cfg.store, "import", key)
    if earlier is not None:
        response.status_code = 200
        return _job_view(earlier)
    args = {"warehouse": str(cfg.warehouse), "config": str(cfg.settings.source) if cfg.settings.source else None,
            "source": body.source, "file": str(path), "upload": body.upload}
    try:
        job_id = jobs.start(cfg.store, cfg.store_url, "import", user.name, args, cfg.files / "imports", key)
    except jobs.JobRunning as exc:
        raise HTTPException(409, str(exc)) from None
    audit.record(cfg.store, user, "import", f"{body.source} {body.upload}", "")
    job = jobs.get(cfg.store, job_id)
    assert job is not None
    return _job_view(job)


@router.get("/imports/jobs/{job_id}", **guarded("imports:write"))
def import_job(job_id: str, request: Request) -> dict[str, Any]:
    """An import job: queued, running, done (with counts and the quarantined rows: row, field, reason) or
    failed (with a message)."""
    job = jobs.get(config(request).store, job_id)
    if job is None or job["kind"] != "import":
        raise HTTPException(404, "no such import job")
    return _job_view(job)


@router.get("/imports", response_model=Page, **guarded("imports:write"))
def import_log(request: Request, limit: Limit = 50, offset: Offset = 0) -> Page:
    """Imports into the warehouse, newest first."""
    with config(request).serving.reader() as eng:
        total = int(eng.scalar("SELECT count(*) FROM import_log") or 0)
        items = eng.query(f"SELECT * FROM import_log ORDER BY started_at DESC LIMIT {limit} OFFSET {offset}"
                          ).to_pylist()
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.get("/imports/quarantine", response_model=Page, **guarded("imports:write"))
def quarantine(request: Request, source: Annotated[str | None, Query(max_length=60)] = None,
               unmask: bool = False, reason: Annotated[str | None, Query(max_length=500)] = None,
               limit: Limit = 50, offset: Offset = 0) -> Page:
    """Rows set aside at import with the field and reason; the raw line only when unmasked (it may hold PII)."""
    full = unmasking(request, unmask, reason)
    where, params = ("WHERE _source = $source", {"source": source}) if source else ("", {})
    raw = "raw_text" if full else "CAST(NULL AS VARCHAR) AS raw_text"
    cfg = config(request)
    with cfg.serving.reader() as eng:
        total = int(eng.scalar(f"SELECT count(*) FROM quarantine {where}", params) or 0)
        items = eng.query(f"SELECT _source AS source, _file AS file, _row AS row, field, reason, {raw}, import_id "
                          f"FROM quarantine {where} ORDER BY _ingested_at DESC, _row LIMIT {limit} OFFSET {offset}",
                          params).to_pylist()
    if full:
        audit.record(cfg.store, user_of(request), "unmask", "quarantine", reason or "")
    return Page(items=items, total=total, limit=limit, offset=offset)
