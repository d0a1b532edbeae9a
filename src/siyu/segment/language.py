"""The segment language: a SQL boolean expression over the profile, parsed and checked by a whitelist.

    orders >= 2 and preferred_material = '冰丝' and has_tag('sleeping') and last_order_date < today() - 90

Safety comes from the whitelist, not from escaping: the expression is parsed by sqlglot (DuckDB dialect) into
an AST, and every node must be one of the operators, literals, known profile columns, whitelisted functions
or helpers below. Statements, subqueries, table references, unknown functions and qualified names cannot
pass, so nothing but person_profile (and the fact tables the helpers read) is ever touched. Helpers and
`today()` are then replaced by SQL siyu writes, and the result is rendered in DuckDB's dialect for the engine.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from siyu.segment.errors import SegmentError, closest
from siyu.segment.helpers import HELPERS, RENDER, Sources, Value
from siyu.segment.lexical import MAX_DEPTH, check_text

MAX_LENGTH = 4000
MAX_TEXT = 500  # characters in one quoted text
MAX_NUMBER = 1e15  # magnitude of a number literal (¥10^15 is beyond any spend)
MAX_DAYS = 36_525  # a day offset from today() or an interval: at most 100 years either way
DATE_YEARS = (1900, 2200)  # DATE literals: from 1900-01-01 to 2199-12-31
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Operators and literals that may appear anywhere.
_NODES: tuple[type[exp.Expr], ...] = (
    exp.And, exp.Or, exp.Not, exp.Paren, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is, exp.In,
    exp.Between, exp.Like, exp.ILike, exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod, exp.Neg, exp.DPipe,
    exp.Literal, exp.Boolean, exp.Null, exp.Identifier, exp.Column, exp.Interval, exp.Var, exp.CurrentDate,
)
# Plain functions users may call: name shown in messages → sqlglot class.
FUNCTIONS: dict[str, type[exp.Expr]] = {
    "coalesce": exp.Coalesce, "lower": exp.Lower, "upper": exp.Upper, "abs": exp.Abs, "round": exp.Round,
    "length": exp.Length, "month": exp.Month, "year": exp.Year, "day": exp.Day, "greatest": exp.Greatest,
    "least": exp.Least,
}
_UNITS = {"DAY": 1, "DAYS": 1, "WEEK": 7, "WEEKS": 7}
_CONDITIONS = (exp.And, exp.Or, exp.Not, exp.Paren, exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE, exp.Is,
               exp.In, exp.Between, exp.Like, exp.ILike, exp.Column, exp.Anonymous, exp.Boolean)


@dataclass(frozen=True)
class Vocabulary:
    """What an expression may name: the profile's columns and the as-of day `today()` stands for."""

    columns: frozenset[str]
    as_of: dt.date
    booleans: frozenset[str] = frozenset()
    texts: frozenset[str] = frozenset()  # text columns: compared with quoted text
    numbers: frozenset[str] = frozenset()  # numeric columns: compared with numbers

    def names(self) -> list[str]:
        return sorted(self.columns) + [f"{h}()" for h in HELPERS] + ["today()"]


def _span(node: exp.Expr) -> tuple[int | None, int | None]:
    """Character offsets of a node in the text, from the first token sqlglot recorded under it."""
    for n in node.walk():
        meta = getattr(n, "meta", None) or {}
        if "start" in meta:
            return int(meta["start"]), int(meta["end"])
    return None, None


def _fail(node: exp.Expr, text: str, message: str, hint: str = "") -> SegmentError:
    start, end = _span(node)
    return SegmentError(message, text, start, end, hint)


def parse(text: str) -> exp.Expr:
    """One expression, or a SegmentError pointing at what could not be parsed."""
    if not text.strip():
        raise SegmentError("the segment expression is empty; try something like: orders >= 2")
    if len(text) > MAX_LENGTH:
        raise SegmentError(f"the expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    check_text(text)
    try:
        trees = sqlglot.parse(text, read="duckdb")
    except RecursionError:
        raise SegmentError(f"the expression nests too deeply (at most {MAX_DEPTH} levels)") from None
    except (ParseError, TokenError) as exc:
        errors = getattr(exc, "errors", None) or [{}]
        err = errors[0]
        col = err.get("col")
        start = max(0, int(col) - len(str(err.get("highlight") or " "))) if col else None
        end = int(col) - 1 if col else None
        raise SegmentError(f"cannot read the expression: {err.get('description') or exc}", text, start, end,
                           "write one condition, e.g. orders >= 2 and has_tag('sleeping')") from None
    found = [t for t in trees if t is not None]
    if len(found) != 1:
        raise SegmentError("a segment is one condition, not several statements (remove the ';')", text,
                           text.find(";") if ";" in text else None)
    tree = found[0]
    if isinstance(tree, exp.Query | exp.DDL | exp.DML | exp.Command | exp.Drop):
        raise _fail(tree, text, "a segment is a condition, not a statement", "e.g. orders >= 2")
    return tree


def _check_column(node: exp.Column, text: str, vocab: Vocabulary) -> None:
    if node.table or node.args.get("db") or node.args.get("catalog"):
        raise _fail(node, text, f"'{node.sql()}': columns are written without a table name",
                    f"write {node.name} (columns of the profile)")
    if isinstance(node.this, exp.Star):
        raise _fail(node, text, "'*' is not a condition")
    name = node.name
    if name.lower() in ("today", "current_date"):
        return
    if name not in vocab.columns:
        raise _fail(node, text, f"unknown column '{name}'", closest(name, vocab.names()))


def _literal_value(node: exp.Expr) -> Value | None:
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        if node.is_string:
            return str(node.this)
        return float(node.this) if any(c in str(node.this) for c in ".eE") else int(node.this)
    if isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal) and not node.this.is_string:
        value = _literal_value(node.this)
        return -value if isinstance(value, int | float) else None
    return None


def helper_args(node: exp.Anonymous, text: str) -> dict[str, list[Value]]:
    """A helper call's arguments by name, checked against its signature; literals only."""
    name = node.name.lower()
    helper = HELPERS[name]
    args: dict[str, list[Value]] = {}
    position = 0
    for arg in node.expressions:
        if isinstance(arg, exp.PropertyEQ | exp.Kwarg | exp.EQ) and isinstance(arg.this, exp.Column | exp.Identifier):
            key, value_node = arg.this.name.lower(), arg.expression
            if key not in helper.params:
                raise _fail(arg, text, f"{name}() has no parameter '{key}'",
                            closest(key, helper.params) or f"parameters: {', '.join(helper.params)}")
        else:
            if position >= len(helper.positional) and not helper.many:
                raise _fail(arg, text, f"{name}() takes at most {len(helper.positional)} positional argument(s)",
                            f"e.g. {helper.doc}")
            key, value_node = helper.positional[min(position, len(helper.positional) - 1)], arg
            position += 1
        value = _literal_value(value_node)
        want = helper.params[key]
        ok = value is not None and (
            isinstance(value, bool) if want is bool else
            isinstance(value, int) and not isinstance(value, bool) if want is int else isinstance(value, want)
        )
        if not ok:
            kind = {int: "a whole number", str: "a quoted text", bool: "true or false"}[want]
            raise _fail(value_node, text, f"{name}({key} := …) takes {kind}",
                        f"e.g. {helper.doc}")
        if want is int and abs(int(value)) > MAX_DAYS:  # type: ignore[arg-type]
            raise _fail(value_node, text, f"{name}({key} := …) is at most {MAX_DAYS:,}")
        args.setdefault(key, []).append(value)  # type: ignore[arg-type]
    if name == "has_tag" and not args:
        raise _fail(node, text, "has_tag() needs a tag name", "e.g. has_tag('sleeping')")
    return args


_COMPARISONS = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)


def _check_types(node: exp.Expr, text: str, vocab: Vocabulary) -> None:
    """`orders > 'a'` or `city = 5` would fail inside the database; say so here, at the literal."""
    sides = [node.this, node.expression] if isinstance(node, _COMPARISONS) else (
        [node.this, *node.expressions] if isinstance(node, exp.In) else [])
    columns = [s for s in sides if isinstance(s, exp.Column) and not s.table]
    for col in columns:
        for other in sides:
            if not isinstance(other, exp.Literal):
                continue
            if col.name in vocab.numbers and other.is_string:
                raise _fail(other, text, f"{col.name} is a number: compare it with a number, not '{other.this}'")
            if col.name in vocab.texts and not other.is_string:
                raise _fail(other, text, f"{col.name} is text: quote the value, e.g. {col.name} = '{other.this}'")


def validate(tree: exp.Expr, text: str, vocab: Vocabulary) -> None:
    """Every node must be whitelisted; raises SegmentError at the first that is not."""
    bare = isinstance(tree, exp.Column) and tree.name not in vocab.booleans
    if not isinstance(tree, _CONDITIONS) or bare:
        raise _fail(tree, text, "a segment must be a condition (true or false for each person)",
                    "e.g. orders >= 2 or has_tag('sleeping')")
    for node in tree.walk():
        if isinstance(node, exp.Anonymous):
            name = node.name.lower()
            if name in ("today", "now", "current_date"):
                if node.expressions:
                    raise _fail(node, text, "today() takes no arguments")
                continue
            if name not in HELPERS:
                known = [*HELPERS, *FUNCTIONS, "today"]
                raise _fail(node, text, f"unknown function '{node.name}'",
                            closest(name, known) or f"functions: {', '.join(known)}")
            helper_args(node, text)
        elif isinstance(node, exp.Column):
            _check_column(node, text, vocab)
        elif isinstance(node, (*_COMPARISONS, exp.In)):
            _check_types(node, text, vocab)
        elif isinstance(node, exp.CurrentDate) and any(node.args.values()):
            raise _fail(node, text, "today() takes no arguments")
        elif isinstance(node, exp.Cast):
            if node.to.this != exp.DataType.Type.DATE or not isinstance(node.this, exp.Literal):
                raise _fail(node, text, "only DATE '2026-01-31' style literals may be cast")
            _check_date(node, text)
        elif isinstance(node, exp.Literal):
            _check_literal(node, text)
        elif isinstance(node, exp.Placeholder | exp.Parameter):
            raise _fail(node, text, "parameters are not part of the segment language; write the value itself")
        elif isinstance(node, exp.Add | exp.Sub) and _is_today(node.this):
            days = _days(node.expression)
            if days is not None and abs(days) > MAX_DAYS:
                raise _fail(node.expression, text, f"{days:,} days is too far from today(); at most {MAX_DAYS:,}")
        elif isinstance(node, exp.DataType):
            continue
        elif isinstance(node, exp.Interval):
            unit = node.unit.name.upper() if node.unit else ""
            if unit not in _UNITS:
                raise _fail(node, text, "intervals are in days or weeks, e.g. today() - interval 30 day")
            days = _days(node)
            if days is None or abs(days) > MAX_DAYS:
                raise _fail(node, text, f"an interval is a whole number of days or weeks, at most {MAX_DAYS:,} days")
        elif isinstance(node, exp.Subquery | exp.Query | exp.Table | exp.Star):
            raise _fail(node, text, "subqueries and table references are not allowed in a segment",
                        "use a helper: bought(...), in_group(...), friend_of(...), has_tag(...)")
        elif (isinstance(node, exp.Func) and type(node) in FUNCTIONS.values()) or (
            isinstance(node, exp.PropertyEQ | exp.Kwarg) and isinstance(node.parent, exp.Anonymous)
        ):
            continue
        elif not isinstance(node, _NODES):
            what = node.key if not isinstance(node, exp.Func) else f"function {node.sql_name().lower()}"
            raise _fail(node, text, f"'{what}' is not allowed in a segment",
                        closest(what, [*FUNCTIONS, *HELPERS]) or "see docs/segments.md for what is")


def _check_literal(node: exp.Literal, text: str) -> None:
    """Text of at most MAX_TEXT characters; numbers finite and at most MAX_NUMBER in size."""
    if node.is_string:
        if len(str(node.this)) > MAX_TEXT:
            raise _fail(node, text, f"a quoted text is at most {MAX_TEXT} characters")
        return
    try:
        number = float(str(node.this))
    except ValueError:
        raise _fail(node, text, f"'{node.this}' is not a number") from None
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        raise _fail(node, text, f"the number {node.this} is too large; at most {MAX_NUMBER:,.0f}")


def _check_date(node: exp.Cast, text: str) -> None:
    """DATE '2026-02-30' is no day: refuse it here, at the literal, rather than fail in the database."""
    value = str(node.this.this)
    try:
        if not _DATE.match(value):
            raise ValueError
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise _fail(node.this, text, f"'{value}' is not a real date", "write it as DATE '2026-01-31'") from None
    if not DATE_YEARS[0] <= day.year < DATE_YEARS[1]:
        raise _fail(node.this, text, f"the year {day.year} is out of range ({DATE_YEARS[0]}–{DATE_YEARS[1] - 1})")


def _days(node: exp.Expr) -> int | None:
    """An integer day count (`90`, `interval 90 day`, `interval '2' week`), or None."""
    if isinstance(node, exp.Interval):
        value = _literal_value(node.this) if node.this is not None else None
        try:
            number = int(str(value))
        except ValueError:
            return None
        return number * _UNITS[node.unit.name.upper()] if node.unit else None
    value = _literal_value(node)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _date(day: dt.date) -> exp.Expr:
    return exp.cast(exp.Literal.string(day.isoformat()), exp.DataType.Type.DATE)


def _is_today(node: exp.Expr) -> bool:
    if isinstance(node, exp.CurrentDate):
        return True
    if isinstance(node, exp.Anonymous) and node.name.lower() in ("today", "now", "current_date"):
        return True
    return isinstance(node, exp.Column) and not node.table and node.name.lower() in ("today", "current_date")


def _rewrite(node: exp.Expr, text: str, vocab: Vocabulary, src: Sources) -> exp.Expr:
    """today() (± days) → a DATE literal; helpers → EXISTS; columns → p.column."""
    if isinstance(node, exp.Add | exp.Sub) and _is_today(node.this):
        days = _days(node.expression)
        if days is not None:
            return _date(vocab.as_of + dt.timedelta(days=days if isinstance(node, exp.Add) else -days))
    if _is_today(node):
        return _date(vocab.as_of)
    if isinstance(node, exp.Anonymous) and node.name.lower() in HELPERS:
        sql = RENDER[node.name.lower()](helper_args(node, text), src, vocab.as_of)
        return sqlglot.parse_one(sql, read="duckdb")
    if isinstance(node, exp.Column):
        return exp.column(node.name, table="p", quoted=True)
    if isinstance(node, exp.Div | exp.Mod):
        # x / 0 is NULL (no match), never infinity or NaN, which compare as larger than every number
        node.set("expression", exp.Nullif(this=node.expression, expression=exp.Literal.number(0)))
    return node


def compile_predicate(text: str, vocab: Vocabulary, src: Sources | None = None) -> str:
    """The expression as a DuckDB-dialect condition over `person_profile AS p` (after full validation)."""
    tree = parse(text)
    try:
        validate(tree, text, vocab)
        out = tree.transform(lambda n: _rewrite(n, text, vocab, src or Sources()), copy=True)
        return out.sql(dialect="duckdb", comments=False)
    except RecursionError:  # a long chain of and/or within MAX_LENGTH stays far below; kept as a backstop
        raise SegmentError(f"the expression nests too deeply (at most {MAX_DEPTH} levels)") from None


def segment_sql(text: str, vocab: Vocabulary, src: Sources | None = None, select: str = "p.person_id") -> str:
    src = src or Sources()
    return f"SELECT {select} FROM {src.profile} AS p WHERE {compile_predicate(text, vocab, src)}"
