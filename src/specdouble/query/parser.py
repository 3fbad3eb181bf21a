"""Text -> :class:`~specdouble.query.ast.Query`, with errors a client can act on.

Lark does the parsing (LALR, contextual lexer); this module only turns the
tree into AST values, compiles regexes and dates up front, and translates
Lark's exceptions into :class:`QueryError` with a 1-based column and the
expected tokens in words.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from specdouble.query.ast import (
    Compare,
    CompareOp,
    Condition,
    Contains,
    Equals,
    Exists,
    OneOf,
    Operand,
    Predicate,
    Query,
    Range,
)
from specdouble.query.errors import QueryError
from specdouble.query.grammar import GRAMMAR, TERMINAL_NAMES
from specdouble.query.regex import compile_contains
from specdouble.support.clock import parse_iso

MAX_QUERY = 4096
_KEYWORDS = {"exists": True, "null": False, "missing": False}


@lru_cache(maxsize=1)
def _lark() -> Lark:
    return Lark(GRAMMAR, parser="lalr", lexer="contextual", propagate_positions=True)


def parse_query(text: str | None) -> Query:
    """Parse ``q``; None or blank means 'no condition'. Raises QueryError.

    A parsed query is immutable, so each distinct text is parsed by Lark once
    (clients repeat the same few queries); errors are not cached.
    """
    if text is None or not text.strip():
        return Query(())
    return _parse_cached(text)


@lru_cache(maxsize=256)
def _parse_cached(text: str) -> Query:
    if len(text) > MAX_QUERY:
        raise QueryError(f"query longer than {MAX_QUERY} characters", MAX_QUERY + 1)
    offset = len(text) - len(text.lstrip())
    body = text.strip()
    try:
        tree = _lark().parse(body)
        return _ToAst(offset).transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, QueryError):
            raise exc.orig_exc from None
        raise
    except UnexpectedInput as exc:
        raise _translate(exc, body, offset) from None


def _translate(exc: UnexpectedInput, body: str, offset: int) -> QueryError:
    if isinstance(exc, UnexpectedEOF):
        return QueryError("unexpected end of query", offset + len(body) + 1, _names(exc.expected))
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        if token.type == "$END":
            return QueryError(
                "unexpected end of query", offset + len(body) + 1, _names(exc.expected)
            )
        column = offset + (token.column or 1)
        start = token.start_pos or 0
        if token.type == "REGEX_BARE" and body[start - 1 : start] == "(":
            return QueryError("unterminated '(~' regular expression", column - 1, ["')'"])
        return QueryError(f"unexpected {_show(str(token))}", column, _names(exc.expected))
    if isinstance(exc, UnexpectedCharacters):
        column = offset + exc.column
        pos = len(body) if exc.pos_in_stream is None else exc.pos_in_stream
        char = body[pos] if pos < len(body) else ""
        expected = set(exc.allowed or ())
        if char == '"':
            return QueryError("unterminated quoted string", column, ["a closing '\"'"])
        if char == "~" and body[pos - 1 : pos] == "(":
            return QueryError("unterminated '(~' regular expression", column - 1, ["')'"])
        return QueryError(f"unexpected {_show(char)}", column, _names(expected))
    return QueryError(str(exc), offset + 1)  # pragma: no cover - Lark has no other kinds


def _names(terminals: Any) -> list[str]:
    names = {TERMINAL_NAMES.get(name, name) for name in terminals or ()}
    return sorted(names)


def _show(text: str) -> str:
    if not text:
        return "end of query"
    if text.isspace():
        return "space"
    return repr(text if len(text) <= 20 else text[:20] + "...")


def _unquote(token: str) -> str:
    inner = token[1:-1]
    out: list[str] = []
    chars = iter(inner)
    for char in chars:
        out.append(next(chars, "\\") if char == "\\" else char)
    return "".join(out)


class _ToAst(Transformer[Token, Any]):
    """Builds AST values; checks what the grammar cannot (operands, regexes)."""

    def __init__(self, offset: int) -> None:
        super().__init__()
        self._offset = offset

    def _column(self, token: Token) -> int:
        return self._offset + (token.column or 1)

    def start(self, conditions: list[Condition]) -> Query:
        return Query(tuple(conditions))

    @v_args(inline=True)
    def condition(self, field: Token, predicate: Predicate) -> Condition:
        return Condition(tuple(str(field).split(".")), predicate)

    @v_args(inline=True)
    def bare(self, token: Token) -> Equals | Exists:
        text = str(token)
        if text in _KEYWORDS:
            return Exists(_KEYWORDS[text])
        return Equals(text, quoted=False)

    @v_args(inline=True)
    def quoted(self, token: Token) -> Equals:
        return Equals(_unquote(str(token)), quoted=True)

    @v_args(inline=True)
    def regex(self, token: Token) -> Contains:
        text = str(token)
        pattern = text[2:-1] if text.startswith("(~") else text[1:]
        try:
            search = compile_contains(pattern)
        except ValueError as exc:
            expected = ["a valid regular expression"]
            raise QueryError(str(exc), self._column(token), expected) from None
        return Contains(pattern, search)

    @v_args(inline=True)
    def comparison(self, op: Token, operand: Token) -> Compare:
        value: Operand
        if operand.type == "NUMBER":
            value = float(str(operand))
        else:
            value = _parse_date(_unquote(str(operand)), self._column(operand))
        symbol: CompareOp = str(op)  # type: ignore[assignment]
        return Compare(symbol, value)

    def range(self, bounds: list[Compare]) -> Range:
        return Range(tuple(bounds))

    def one_of(self, items: list[Equals | Exists]) -> OneOf:
        # Inside a list, keywords are plain values: ("null","x") lists two strings.
        values = tuple(
            item if isinstance(item, Equals) else Equals(_keyword(item), quoted=False)
            for item in items
        )
        return OneOf(values)


def _keyword(item: Exists) -> str:
    return "exists" if item.present else "null"


def _parse_date(text: str, column: int) -> datetime:
    try:
        return parse_iso(text)
    except ValueError:
        raise QueryError(
            f"cannot compare with {text!r}",
            column,
            ["a number", 'a quoted date-time such as "2020-01-07T10:29:30.602Z"'],
        ) from None
