"""Parse a batch of export rows into typed columns, vectorised, with one reason per rejected row.

The batch is parsed by one generated SQL query run in-process over Arrow (`siyu.engine.local`), so a
million rows cost a few DuckDB vector passes, not a million Python calls. The value rules themselves live in
`siyu.ingest.values`. For each row the query also names the first *required* field that failed and why: such a
row is rejected whole (it goes to the quarantine, never half into one raw table and not another). A bad value
in any other field is left empty and listed in the row's `__notes` (field, reason, raw value), so an order is
not lost for a birthday nobody can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from siyu.domain import zh_places
from siyu.engine import Engine
from siyu.engine.local import arrow_sql
from siyu.engine.quote import ident, literal
from siyu.errors import UserError
from siyu.ingest.mapping import ADDRESS_PARTS, BIRTHDAY_PARTS, FieldSpec, Mapping, Target, normalise_header
from siyu.ingest.meta import hash_sql
from siyu.ingest.values import DEFAULT_TIMEZONE, EXPECTED, RULES, WS, in_range, month_day_sql, text_sql, typed_sql
from siyu.schema.tables import RAW_TABLES

_WS = WS
_UNKNOWN = "\u241funknown"  # a value no map produces: marks values the map does not know


BATCH_ALIAS = "__siyu_batch"  # the name the parse SQL reads a batch by


class MissingHeaderError(UserError):
    """A required field has none of its accepted headers in the file."""


class DuplicateHeaderError(UserError):
    """Two columns of the file have a header a field reads: siyu will not guess which one is meant."""


@dataclass(frozen=True)
class Column:
    """Where a field's values come from in the file: position and header as written."""

    index: int
    header: str


def resolve_columns(mapping: Mapping, headers: list[str], path: Path) -> dict[str, Column | None]:
    """Match each field to a file column by its aliases (in the mapping's order of preference).

    Raises before anything is loaded when a required field has no header and no fallback that has one, or when
    a header a field reads appears twice (columns the mapping does not read may repeat: exports do that).
    """
    found: dict[str, list[int]] = {}
    for i, header in enumerate(headers):
        found.setdefault(normalise_header(header), []).append(i)
    columns: dict[str, Column | None] = {}
    for spec in mapping.fields.values():
        hits = next((found[normalise_header(h)] for h in spec.headers if normalise_header(h) in found), None)
        if hits and len(hits) > 1:
            raise DuplicateHeaderError(
                f"{path}: the header {headers[hits[0]].strip()!r} appears in columns {hits[0] + 1} and {hits[1] + 1}; "
                f"siyu cannot tell which one holds {spec.name}: rename or remove one of them"
            )
        columns[spec.name] = None if hits is None else Column(hits[0], headers[hits[0]].strip())
    for spec in mapping.fields.values():
        fallback_ok = spec.fallback is not None and columns.get(spec.fallback) is not None
        if spec.required and columns[spec.name] is None and not fallback_ok:
            shown = ", ".join(h.strip() for h in headers if h.strip()) or "(none)"
            raise MissingHeaderError(
                f"{path}: no column for required field {spec.name} (source {mapping.source}); "
                f"accepted headers: {', '.join(spec.headers)}; headers found: {shown}"
            )
    return columns


def _is_text(arrow_type: pa.DataType) -> bool:
    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


def _clean(col: str, arrow_type: pa.DataType) -> str:
    """The cell as text, NULL when empty (text columns arrive trimmed by `prepare`)."""
    if _is_text(arrow_type):
        return f"nullif({col}, '')"
    return f"nullif(trim(CAST({col} AS VARCHAR)), '')"


def prepare(data: pa.Table, mapping: Mapping, columns: dict[str, Column | None]) -> pa.Table:
    """Trim text cells and look map values up with Arrow kernels (several times faster than in SQL).

    Map fields get a column `m_<field>`: the mapped value, or null when the value is empty or unknown.
    """
    used = sorted({c.index for c in columns.values() if c is not None})
    for i in used:
        name = f"c{i}"
        col = data.column(name)
        if _is_text(col.type):
            data = data.set_column(i, name, pc.utf8_trim(col, _WS))
    for spec in mapping.fields.values():
        src = columns[spec.name]
        if spec.type != "map" or src is None:
            continue
        text = data.column(f"c{src.index}")
        if not _is_text(text.type):
            text = pc.utf8_trim(pc.cast(text, pa.string()), _WS)
        keys, values = _map_arrays(mapping.maps[spec.map or ""])
        idx = pc.index_in(pc.utf8_lower(text), value_set=keys)
        data = data.append_column(f"m_{spec.name}", pc.take(values, idx))
    for spec in mapping.fields.values():
        src = columns[spec.name]
        if spec.type == "address" and src is not None and _is_text(data.column(f"c{src.index}").type):
            data = data.append_column(f"s_{spec.name}", split_addresses(data.column(f"c{src.index}")))
    return data


_NONEMPTY_V = "nullif(v, '')"


def split_addresses(text: pa.ChunkedArray | pa.Array) -> pa.Array:
    """The address regex run once per distinct address (a buyer's address repeats on each of their orders).

    Same SQL as the per-row split, so the parts are identical; the regex is the costliest part of a parse.
    """
    encoded = pc.dictionary_encode(text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text)
    split = arrow_sql(
        f"SELECT {zh_places.address_parts_sql(_NONEMPTY_V)} AS s FROM u",
        u=pa.table({"v": encoded.dictionary}),
    ).column("s").combine_chunks()
    return pc.take(split, encoded.indices)


def _map_arrays(values: dict[str, str]) -> tuple[pa.Array, pa.Array]:
    """Lower-cased keys and their values; matching ignores case and surrounding spaces."""
    keys: dict[str, str] = {}
    for key, value in values.items():
        keys.setdefault(key.strip().lower(), value)
    keys.pop("", None)
    return pa.array(list(keys), pa.string()), pa.array(list(keys.values()), pa.string())


def _typed_value(spec: FieldSpec, col: str, arrow_type: pa.DataType, timezone: str) -> str | None:
    """SQL for a typed file column (Parquet) that already holds the field's type; None when it must be parsed
    from text."""
    return typed_sql(spec.type, col, arrow_type, timezone)


def _typed(spec: FieldSpec, col: str, t: str, arrow_type: pa.DataType, timezone: str) -> str:
    """SQL for the parsed value (before fallback/override); typed Parquet columns skip the text path."""
    typed = _typed_value(spec, col, arrow_type, timezone)
    if typed is not None:
        return typed
    if spec.type == "map":
        return f"CASE WHEN {t} IS NULL THEN NULL ELSE coalesce({ident('m_' + spec.name)}, {literal(_UNKNOWN)}) END"
    return text_sql(spec.type, t, timezone)


_SQL_TYPES = {
    "id": "VARCHAR", "text": "VARCHAR", "map": "VARCHAR", "address": "VARCHAR", "datetime": "TIMESTAMP",
    "date": "DATE", "birthday": "DATE", "amount": "DECIMAL(18,2)", "int": "BIGINT", "bool": "BOOLEAN",
}
_DATED = ("datetime", "date", "birthday")  # types whose values must fall in the plausible range
MONTH_DAY = "STRUCT(m INTEGER, d INTEGER)"
NOTE_TYPE = "STRUCT(field VARCHAR, reason VARCHAR, raw VARCHAR)[]"


@dataclass(frozen=True)
class _Check:
    """A way a field can be wrong: `essential` ones reject the row, the others empty the field and note it."""

    condition: str
    header: str
    reason: str  # SQL
    raw: str  # SQL: the cell as text
    essential: bool


def _stages(
    mapping: Mapping, columns: dict[str, Column | None], schema: pa.Schema, timezone: str
) -> tuple[list[str], list[str], set[str]]:
    """The cleaned text (`t_`) and parsed value (`v_`, plus `a_` address parts, `md_` month-days) of each field."""
    stage0: list[str] = ["*"]  # the cleaned text of each field, computed once
    stage1: list[str] = ["__row"]  # the parsed value of each field
    typed_cells: set[str] = set()  # fields whose `t_` is the typed file value, not its text
    for spec in mapping.fields.values():
        src = columns[spec.name]
        t = ident("t_" + spec.name)
        if src is None:
            stage0.append(f"NULL::VARCHAR AS {t}")
            stage1 += [t, f"NULL::{_SQL_TYPES[spec.type]} AS {ident('v_' + spec.name)}"]
            if spec.type == "address":
                stage1.append(f"NULL::STRUCT(p VARCHAR, c VARCHAR, d VARCHAR, r VARCHAR) AS {ident('a_' + spec.name)}")
            if spec.type == "birthday":
                stage1.append(f"NULL::{MONTH_DAY} AS {ident('md_' + spec.name)}")
            continue
        col = ident(f"c{src.index}")
        arrow_type = schema.field(f"c{src.index}").type
        if _typed_value(spec, col, arrow_type, timezone) is not None:
            # the typed value stands in for the cell's text (null exactly when the cell is), so a million
            # values are not rendered as text only for a message no valid row needs
            typed_cells.add(spec.name)
            stage0.append(f"{col} AS {t}")
        else:
            stage0.append(f"{_clean(col, arrow_type)} AS {t}")
        typed = _typed(spec, col, t, arrow_type, timezone)
        stage1 += [t, f"{typed} AS {ident('v_' + spec.name)}"]
        if spec.type == "address":
            split = ident(f"s_{spec.name}") if f"s_{spec.name}" in schema.names else (
                zh_places.address_parts_sql(typed)
            )
            stage1.append(f"{split} AS {ident('a_' + spec.name)}")
        if spec.type == "birthday":
            md = month_day_sql(t) if spec.name not in typed_cells else f"NULL::{MONTH_DAY}"
            stage1.append(f"{md} AS {ident('md_' + spec.name)}")
    return stage0, stage1, typed_cells


def build_sql(
    mapping: Mapping, columns: dict[str, Column | None], schema: pa.Schema, batch: str = "b",
    timezone: str = DEFAULT_TIMEZONE,
) -> str:
    """One SELECT over table `batch` (the batch plus `__row`) giving every output column, the first error that
    rejects the row (`__bad_field`, `__bad_reason`) and the fields left empty because they were bad (`__notes`)."""
    stage0, stage1, typed_cells = _stages(mapping, columns, schema, timezone)
    dated = [s.name for s in mapping.fields.values() if s.type in _DATED]
    bounded = ", ".join(f"{in_range(ident('v_' + n))} AS {ident('v_' + n)}" for n in dated)
    finals: list[str] = ["__row"]
    checks: list[_Check] = []
    for spec in mapping.fields.values():
        v, t = ident("v_" + spec.name), ident("t_" + spec.name)
        src = columns[spec.name]
        header = src.header if src else spec.headers[0]
        label = f"{header} ({spec.name})"
        value = f"nullif(nullif({v}, {literal(_UNKNOWN)}), '')" if spec.type == "map" else v
        text = f"nullif(trim(CAST({t} AS VARCHAR)), '')" if spec.name in typed_cells else t
        if spec.type == "map":
            allowed = _allowed(mapping.maps[spec.map or ""])
            head, tail = literal(label + ": unknown value "), literal("; allowed: " + allowed)
            reason = f"{head} || '''' || {t} || '''' || {tail}"
            checks.append(_Check(f"{v} = {literal(_UNKNOWN)}", header, reason, t, spec.required))
        elif spec.type in EXPECTED:
            md = f" AND {ident('md_' + spec.name)} IS NULL" if spec.type == "birthday" else ""
            said = f"{literal(label + ': not ' + EXPECTED[spec.type] + ': ')} || '''' || {text} || ''''"
            reason = f"{said} || {literal(RULES.get(spec.type, ''))}"
            checks.append(_Check(f"{t} IS NOT NULL AND {v} IS NULL{md}", header, reason, text, spec.required))
        if spec.fallback:
            value = f"coalesce({value}, {_final_ref(mapping, spec.fallback)})"
        if spec.override:
            value = f"coalesce({_final_ref(mapping, spec.override)}, {value})"
        if spec.required:
            checks.append(_Check(f"({value}) IS NULL", header, literal(f"missing required field {label}"), t, True))
        if spec.type == "address":
            finals += _address_parts(mapping, spec, value)
        else:
            finals.append(f"{value} AS {ident(spec.name)}")
        if spec.type == "birthday":
            md = ident("md_" + spec.name)
            finals += [f"CASE WHEN {v} IS NULL THEN {md}.m END AS birth_month",
                       f"CASE WHEN {v} IS NULL THEN {md}.d END AS birth_day"]
    finals += _verdict([c for c in checks if c.essential])
    finals.append(_notes([c for c in checks if not c.essential]))
    if mapping.channel and "channel" not in mapping.fields:
        finals.append(f"{literal(mapping.channel)} AS channel")
    ranged = f"SELECT * REPLACE ({bounded}) FROM s1" if bounded else "SELECT * FROM s1"
    return (
        f"WITH s0 AS (SELECT {', '.join(stage0)} FROM {batch}), s1 AS (SELECT {', '.join(stage1)} FROM s0), "
        f"s AS ({ranged}) SELECT {', '.join(finals)} FROM s"
    )


def _verdict(checks: list[_Check]) -> list[str]:
    """The first check that rejects the row: its header and reason."""
    if not checks:
        return ["NULL::VARCHAR AS __bad_field", "NULL::VARCHAR AS __bad_reason"]
    return [
        "CASE " + " ".join(f"WHEN {c.condition} THEN {literal(c.header)}" for c in checks) + " END AS __bad_field",
        "CASE " + " ".join(f"WHEN {c.condition} THEN {c.reason}" for c in checks) + " END AS __bad_reason",
    ]


def _notes(checks: list[_Check]) -> str:
    """Every optional field of the row that was bad (and so left empty), or NULL when none was."""
    if not checks:
        return f"NULL::{NOTE_TYPE} AS __notes"
    items = ", ".join(
        f"CASE WHEN {c.condition} THEN {{'field': {literal(c.header)}, 'reason': {c.reason} || {literal(LEFT_EMPTY)}, "
        f"'raw': CAST({c.raw} AS VARCHAR)}} END"
        for c in checks
    )
    some = " OR ".join(f"coalesce({c.condition}, false)" for c in checks)
    return f"CASE WHEN {some} THEN list_filter([{items}], lambda x: x IS NOT NULL) END AS __notes"


LEFT_EMPTY = "; the field was left empty, the row kept"


def hash_columns_sql(mapping: Mapping) -> str:
    """Each target's `_row_hash` as a select list over the parsed columns."""
    return ", ".join(f"{hash_sql(mapping.source, target_columns(mapping, t))} AS {ident('__h_' + t.table)}"
                     for t in mapping.targets)


def hashes_sql(mapping: Mapping) -> str:
    """Each target's `_row_hash` over the parsed batch `p`: a second query, because DuckDB inlines CTEs
    and would parse every field again for each hash that reads it."""
    return f"SELECT {hash_columns_sql(mapping)} FROM p"


def staged_sql(parse_sql: str, mapping: Mapping) -> str:
    """The accepted rows of a parse with their hashes: one pass where the warehouse runs the SQL itself.

    A subquery, not a CTE, so DuckDB computes each parsed column once for all the hashes that read it."""
    return (f"SELECT * EXCLUDE (__bad_field, __bad_reason), {hash_columns_sql(mapping)} "
            f"FROM ({parse_sql}) AS p WHERE p.__bad_field IS NULL")


def rejected_sql(parse_sql: str) -> str:
    """The rejected rows of a parse: row number, first failing field and why."""
    return f"SELECT __row, __bad_field, __bad_reason FROM ({parse_sql}) AS p WHERE p.__bad_field IS NOT NULL"


def target_columns(mapping: Mapping, target: Target) -> list[str]:
    """The columns a target receives: its fields, plus `channel` when the mapping names one, plus the month and
    day of a birthday written without a year."""
    cols = list(target.fields)
    if any(mapping.fields[c].type == "birthday" for c in cols if c in mapping.fields):
        cols += [c for c in BIRTHDAY_PARTS if c not in cols and c in RAW_TABLES[target.table].names]
    if mapping.channel and "channel" not in cols and "channel" in RAW_TABLES[target.table].names:
        cols.append("channel")
    return cols


def _allowed(values: dict[str, str], limit: int = 25) -> str:
    """The values a map accepts, for messages; the exporters' own (non-ASCII) wording first."""
    keys = sorted({k.strip() for k in values if k.strip()}, key=lambda k: (k.isascii(), k))
    more = f" … and {len(keys) - limit} more" if len(keys) > limit else ""
    return ", ".join(keys[:limit]) + more


def _final_ref(mapping: Mapping, name: str) -> str:
    spec = mapping.fields[name]
    v = ident("v_" + name)
    return f"nullif(nullif({v}, {literal(_UNKNOWN)}), '')" if spec.type == "map" else v


def _address_parts(mapping: Mapping, spec: FieldSpec, value: str) -> list[str]:
    """Split an address; explicit province/city/district fields of the mapping win over the split."""
    a = ident("a_" + spec.name)
    p = f"nullif({a}.p, '')"
    exprs = {
        "province": zh_places.province_sql(p),
        "city": zh_places.city_sql(f"nullif(trim({a}.c), '')", p),
        "district": f"nullif({a}.d, '')",
    }
    out = [f"{exprs[part]} AS {ident(part)}" for part in ADDRESS_PARTS if part not in mapping.fields]
    rest = f"CASE WHEN {p} IS NULL AND {a}.c = '' THEN {value} ELSE nullif(trim({a}.r, {literal(_WS)}), '') END"
    out.append(f"{rest} AS {ident(spec.name)}")
    return out


@dataclass
class Parsed:
    good: pa.Table  # one column per mapping output, plus __row
    bad: pa.Table  # __row, __bad_field, __bad_reason, plus the batch's raw columns


class BatchParser:
    """Parses batches of one file: the SQL is generated once per batch schema."""

    def __init__(
        self, mapping: Mapping, columns: dict[str, Column | None], timezone: str = DEFAULT_TIMEZONE
    ) -> None:
        self.mapping = mapping
        self.columns = columns
        self.timezone = timezone
        self._sql: dict[pa.Schema, str] = {}
        self._hashes = hashes_sql(mapping)

    def _with_hashes(self, parsed: pa.Table) -> pa.Table:
        if not parsed.num_rows:
            return parsed
        hashes = arrow_sql(self._hashes, p=parsed)
        for name in hashes.column_names:
            parsed = parsed.append_column(name, hashes.column(name))
        return parsed

    def _prepared(self, data: pa.Table, rows: pa.Array) -> tuple[pa.Table, str]:
        """The batch ready for the parse SQL (trimmed, maps looked up, `__row`), and that SQL."""
        b = prepare(data, self.mapping, self.columns).append_column("__row", rows)
        if b.schema not in self._sql:
            self._sql[b.schema] = build_sql(
                self.mapping, self.columns, b.schema, batch=BATCH_ALIAS, timezone=self.timezone
            )
        return b, self._sql[b.schema]

    def parse(self, data: pa.Table, rows: pa.Array) -> Parsed:
        """Split the batch into accepted rows (typed, with a hash per target, and `__notes` naming the fields
        left empty) and rejected ones."""
        b, sql = self._prepared(data, rows)
        out = arrow_sql(sql, **{BATCH_ALIAS: b})
        bad_mask = pc.is_valid(out.column("__bad_field"))
        if not pc.any(bad_mask).as_py():
            return Parsed(self._with_hashes(out.drop_columns(["__bad_field", "__bad_reason"])), _no_rows(data))
        good = self._with_hashes(out.filter(pc.invert(bad_mask)).drop_columns(["__bad_field", "__bad_reason"]))
        why = out.filter(bad_mask).select(["__row", "__bad_field", "__bad_reason"])
        return Parsed(good, _rejected(data, rows, why))

    def stage(self, engine: Engine, table: str, data: pa.Table, rows: pa.Array, create: bool) -> tuple[int, pa.Table]:
        """Parse, hash and append the accepted rows to temporary table `table` in one pass on `engine`.

        Why: the parsed batch never round-trips through Arrow (parse, then hash, then stage were three scans
        and two copies). Returns (rows accepted, rejected rows as `Parsed.bad`); a batch with rejected rows
        is parsed a second time, without hashing, to name them.
        """
        b, sql = self._prepared(data, rows)
        accepted = engine.stage_arrow(table, staged_sql(sql, self.mapping), {BATCH_ALIAS: b}, create=create)
        if accepted == b.num_rows:
            return accepted, _no_rows(data)
        why = engine.query_arrow(rejected_sql(sql), {BATCH_ALIAS: b})
        return accepted, _rejected(data, rows, why)


def notes_sql(parsed: str) -> str:
    """One row per field left empty in the parsed rows of table `parsed`: row, field, reason, raw value."""
    return (
        f"SELECT __row, n.field AS field, n.reason AS reason, n.raw AS raw FROM "
        f"(SELECT __row, unnest(__notes) AS n FROM {parsed} WHERE __notes IS NOT NULL) AS u ORDER BY __row"
    )


def field_notes(good: pa.Table) -> pa.Table:
    """The fields left empty in a parsed batch (`Parsed.good`), as `notes_sql` gives them."""
    return arrow_sql(notes_sql("p"), p=good.select(["__row", "__notes"]))


def _rejected(data: pa.Table, rows: pa.Array, why: pa.Table) -> pa.Table:
    """The rejected rows' reasons joined to their cells as read, in file order (for the quarantine)."""
    raw = data.append_column("__row", rows)
    raw = raw.filter(pc.is_in(raw.column("__row"), value_set=why.column("__row").combine_chunks()))
    return why.join(raw, "__row", join_type="inner").sort_by("__row")


def _no_rows(data: pa.Table) -> pa.Table:
    b = data.slice(0, 0).append_column("__row", pa.array([], pa.int64()))
    return b.append_column("__bad_field", pa.array([], pa.string())).append_column(
        "__bad_reason", pa.array([], pa.string())
    )
