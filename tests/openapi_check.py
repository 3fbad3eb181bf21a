"""Validate a real response against the spec with openapi-core.

openapi-core has no httpx adapter; these two small classes satisfy its
request and response protocols.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict


@dataclass
class CoreRequest:
    method: str
    path: str
    host_url: str = "https://api.emporix.io"
    body: bytes | None = None
    content_type: str = "application/json"
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def parameters(self) -> RequestParameters:
        return RequestParameters(query=ImmutableMultiDict(self.query),
                                 header=Headers(self.headers), cookie=ImmutableMultiDict())

    @property
    def full_url_pattern(self) -> str:
        return self.host_url + self.path


@dataclass
class CoreResponse:
    status_code: int
    data: bytes
    content_type: str
    headers: Headers


def core_response(response: httpx.Response) -> CoreResponse:
    return CoreResponse(response.status_code, response.content,
                        response.headers.get("content-type", "application/json"),
                        Headers(list(response.headers.items())))


def validate_response(spec: dict[str, Any], method: str, path: str,
                      response: httpx.Response) -> None:
    """Raise if ``response`` violates what ``spec`` documents for ``method path``."""
    host = spec.get("servers", [{}])[-1].get("url", "https://api.emporix.io")
    openapi = _openapi(id(spec), spec)
    openapi.validate_response(CoreRequest(method.lower(), path, host_url=host),
                              core_response(response))


_CACHE: dict[int, OpenAPI] = {}


def _openapi(key: int, spec: dict[str, Any]) -> OpenAPI:
    if key not in _CACHE:
        _CACHE[key] = OpenAPI.from_dict(spec)
    return _CACHE[key]
