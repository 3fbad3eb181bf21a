"""specdouble: an OpenAPI-first, stateful mock server for commerce APIs."""

__version__ = "0.1.0"
