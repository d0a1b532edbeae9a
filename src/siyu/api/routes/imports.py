"""Imports: upload a channel export with a preview of its mapping, the import log, and quarantined rows."""

from __future__ import annotations

import re
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, Request, UploadFile

from siyu.api.pages import Limit, Offset, Page
from siyu.api.security import config, guarded, unmasking, user_of
from siyu.auth import audit
from siyu.ingest.mapping import list_sources
from siyu.ingest.preview import preview_mapping

router = APIRouter(tags=["imports"])
MAX_UPLOAD = 512 * 1024 * 1024


@router.post("/imports/uploads", status_code=201, **guarded("imports:write"))
def upload(request: Request, source: Annotated[str, Form(max_length=60)],
           file: Annotated[UploadFile, File()]) -> dict[str, object]:
    """Keep an export in the service's inbox and show which header each field of the source would read; load it
    with `siyu import SOURCE FILE` (the next run picks it up)."""
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
