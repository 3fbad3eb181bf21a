"""Thin handlers, one module per service: parse -> domain -> respond."""
