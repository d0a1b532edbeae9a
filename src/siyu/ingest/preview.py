"""Which header of an uploaded file each field of a source's mapping would read, before anything is loaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from siyu.ingest.mapping import load_mapping, normalise_header
from siyu.ingest.readers import open_reader


def preview_mapping(source: str, path: Path) -> dict[str, Any]:
    """{source, encoding, fields: [{field, header, required}], missing_required, unused_headers}; no row values
    (they may be personal data)."""
    mapping = load_mapping(source)
    reader = open_reader(path, mapping.encoding)
    by_norm = {normalise_header(h): h for h in reader.headers}
    fields, used = [], set()
    for spec in mapping.fields.values():
        header = next((by_norm[n] for n in (normalise_header(h) for h in spec.headers) if n in by_norm), None)
        if header is not None:
            used.add(header)
        fields.append({"field": spec.name, "header": header, "required": spec.required})
    return {
        "source": mapping.source,
        "encoding": getattr(reader, "encoding", None),
        "fields": fields,
        "missing_required": [f["field"] for f in fields if f["required"] and f["header"] is None],
        "unused_headers": [h for h in reader.headers if h not in used],
    }
