"""The q grammar, in Lark's EBNF.

Whitespace is significant (it separates conditions), so it is folded into
the terminals that may carry it: ``_LPAR`` / ``_RPAR`` / ``_COMMA`` / ``_AND``
absorb the spaces around them, ``_SEP`` separates conditions. The
contextual lexer only tries the terminals the parser can accept next, which
is what lets ``FIELD`` and ``BARE`` overlap. ``REGEX_GROUP`` (``(~a b)``)
outranks ``_LPAR`` and allows one level of nested parentheses.
"""

from __future__ import annotations

GRAMMAR = r"""
start: condition (_SEP condition)*

condition: FIELD _COLON value

?value: BARE            -> bare
      | STRING          -> quoted
      | REGEX_BARE      -> regex
      | REGEX_GROUP     -> regex
      | comparison
      | _LPAR comparison (_AND comparison)* _RPAR  -> range
      | _LPAR item (_COMMA item)* _RPAR            -> one_of

comparison: OP (NUMBER | STRING)

item: BARE    -> bare
    | STRING  -> quoted

FIELD: /[A-Za-z_$@][A-Za-z0-9_$@-]*(\.[A-Za-z0-9_$@-]+)*/
_COLON: ":"
OP: ">=" | "<=" | ">" | "<"
NUMBER: /[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/
STRING: /"(?:[^"\\]|\\.)*"/
BARE: /[^\s"(),~<>:][^\s"(),]*/
REGEX_BARE: /~[^\s]+/
REGEX_GROUP.2: /\(~(?:[^()\\]|\\.|\((?:[^()\\]|\\.)*\))+\)/
_LPAR: /\(\s*/
_RPAR: /\s*\)/
_COMMA: /\s*,\s*/
_AND: /\s+AND\s+/i
_SEP: /\s+/
"""

# How each terminal is named in "expected ..." messages.
TERMINAL_NAMES: dict[str, str] = {
    "FIELD": "a field name",
    "_COLON": "':'",
    "COLON": "':'",
    "OP": "a comparison operator (>, >=, <, <=)",
    "NUMBER": "a number",
    "STRING": 'a quoted string ("...")',
    "BARE": "a value",
    "REGEX_BARE": "'~' and a regular expression",
    "REGEX_GROUP": "'(~' regular expression ')'",
    "_LPAR": "'('",
    "LPAR": "'('",
    "_RPAR": "')'",
    "RPAR": "')'",
    "_COMMA": "','",
    "COMMA": "','",
    "_AND": "'AND'",
    "AND": "'AND'",
    "_SEP": "a space before the next condition",
    "$END": "end of query",
}
