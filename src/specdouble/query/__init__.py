"""The ``q`` query language of the mocked list endpoints, sorting and field projection.

Protocol-agnostic: plain strings in, plain dicts evaluated. Nothing here
knows about HTTP; callers turn :class:`QueryError` into their error shape.
"""

from specdouble.query.ast import Query
from specdouble.query.errors import QueryError
from specdouble.query.evaluate import matches
from specdouble.query.parser import parse_query
from specdouble.query.projection import parse_fields, project, projector
from specdouble.query.sorting import SortKey, parse_sort, sort_records

__all__ = [
    "Query",
    "QueryError",
    "SortKey",
    "matches",
    "parse_fields",
    "parse_query",
    "parse_sort",
    "project",
    "projector",
    "sort_records",
]
