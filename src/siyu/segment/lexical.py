"""What the segment language's text may contain, checked character by character before sqlglot reads it.

The language (docs/segments.md) has single-quoted text, names, numbers, operators, parentheses and `:=`
for helper arguments, and nothing else: no comments, no `;`, no quoted names, no parameters. This scan also
bounds the nesting, which sqlglot would otherwise follow by recursion until Python's stack runs out; it is a
loop, so no input can make it recurse.
"""

from __future__ import annotations

from siyu.segment.errors import SegmentError

MAX_DEPTH = 20
"""Levels of parentheses (a call's or a group's) and of `not` / unary minus one inside another."""

_REFUSED = {
    "--": "comments are not part of the segment language; remove the '--' and what follows",
    "/*": "comments are not part of the segment language; remove the '/* … */'",
    ";": "a segment is one condition, not several statements (remove the ';')",
    '"': "double quotes are not part of the language: text goes in single quotes ('冰丝'), names unquoted",
    "`": "backticks are not part of the language: names are written unquoted (orders, net_spend)",
    "$": "'$' is not part of the language; write the value itself, e.g. orders >= 2",
    "?": "'?' is not part of the language; write the value itself, e.g. orders >= 2",
    "[": "'[' is not part of the language; lists are written in parentheses: city in ('杭州市', '上海市')",
    "]": "']' is not part of the language; lists are written in parentheses: city in ('杭州市', '上海市')",
    "{": "'{' is not part of the language",
    "}": "'}' is not part of the language",
    "\\": "'\\' is not part of the language outside quoted text",
}
_OPERAND_NEXT = frozenset({"and", "or", "not", "between", "in", "like", "ilike", "is", "interval"})
_DEPTH_HINT = f"at most {MAX_DEPTH} levels of parentheses or `not` inside one another"


def check_text(text: str) -> None:
    """Raise SegmentError at the first character outside the grammar, or where nesting passes MAX_DEPTH."""
    i, n = 0, len(text)
    outer: list[tuple[int, int]] = []  # (nesting outside, position) of each open '('
    depth = 0  # levels around the current position: open parentheses and the prefix operators before them
    prefix = 0  # `not` / unary minus written one after another at this level
    expect_operand = True
    while i < n:
        ch = text[i]
        if ch == "'":
            i, expect_operand, prefix = _string_end(text, i) + 1, False, 0
            continue
        two = text[i:i + 2]
        bad = _REFUSED.get(two) or _REFUSED.get(ch)
        if bad:
            raise SegmentError(bad, text, i, i + (1 if two in _REFUSED else 0))
        if ch.isspace():
            i += 1
            continue
        if ch == "(":
            outer.append((depth, i))
            depth, prefix, expect_operand = depth + prefix + 1, 0, True
            if depth > MAX_DEPTH:
                raise SegmentError("the expression nests too deeply", text, i, i, _DEPTH_HINT)
            i += 1
            continue
        if ch == ")":
            if not outer:
                raise SegmentError("')' without a matching '('", text, i, i)
            depth, prefix, expect_operand = outer.pop()[0], 0, False
            i += 1
            continue
        end = _word_end(text, i)
        word = text[i:end].lower() if end > i else ch
        end = max(end, i + 1)
        if expect_operand and word in ("not", "-", "+"):
            prefix += 1
            if depth + prefix > MAX_DEPTH:
                raise SegmentError("the expression nests too deeply", text, i, end - 1, _DEPTH_HINT)
        elif word[0].isalnum() or word[0] == "_":
            expect_operand = word in _OPERAND_NEXT
            prefix = prefix if expect_operand else 0
        else:
            expect_operand = ch in "=<>!+-*/%|,:"
        i = end
    if outer:
        start = outer[-1][1]
        raise SegmentError("this '(' is never closed", text, start, start, "add the missing ')'")


def _string_end(text: str, start: int) -> int:
    """The index of the quote closing the text literal opened at `start` ('' is a quote inside)."""
    i = start + 1
    while i < len(text):
        if text[i] == "'":
            if text[i + 1:i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    raise SegmentError("this quoted text is never closed (a ' is missing)", text, start, start)


def _word_end(text: str, start: int) -> int:
    """The end of the name or number starting at `start` (its start when none starts there)."""
    i = start
    while i < len(text) and (text[i].isalnum() or text[i] in "_."):
        i += 1
    return i
