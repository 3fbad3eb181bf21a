"""The ``Prefer`` header decoded once into a small config (Prism's syntax).

Used by both request paths: the compiled pipeline and the Connexion
middleware (``http/prefer.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from specdouble.data.responses import ChosenResponse
from specdouble.support.jsonparse import dumps
from specdouble.support.problems import bad_request

EARLY_CODES = frozenset({400, 401, 403})


@dataclass(frozen=True)
class Preferences:
    code: int | None = None
    example: str | None = None
    dynamic: bool = False

    @property
    def forces(self) -> bool:
        return self.code is not None or self.example is not None or self.dynamic

    @property
    def applied(self) -> str:
        """The ``Preference-Applied`` value (RFC 7240): what was honoured."""
        parts = []
        if self.code is not None:
            parts.append(f"code={self.code}")
        if self.example is not None:
            parts.append(f"example={self.example}")
        if self.dynamic:
            parts.append("dynamic=true")
        return ", ".join(parts)


def parse_prefer(value: str | None) -> Preferences:
    """``code=404, example=notFound, dynamic=true`` -> Preferences (Prism's syntax).

    Unknown preferences are ignored, as RFC 7240 asks; malformed known ones are 400.
    """
    if not value:
        return Preferences()
    code: int | None = None
    example: str | None = None
    dynamic = False
    for part in value.replace(";", ",").split(","):
        key, _, raw = part.strip().partition("=")
        key, raw = key.strip().lower(), raw.strip().strip('"')
        if key == "code":
            if not raw.isdigit() or not 100 <= int(raw) <= 599:
                raise bad_request("Invalid Prefer header.",
                                  f"header.Prefer: code={raw!r} is not an HTTP status")
            code = int(raw)
        elif key == "example":
            if not raw:
                raise bad_request("Invalid Prefer header.", "header.Prefer: example needs a name")
            example = raw
        elif key == "dynamic":
            if raw.lower() not in {"true", "false"}:
                raise bad_request("Invalid Prefer header.",
                                  f"header.Prefer: dynamic={raw!r} is not true or false")
            dynamic = raw.lower() == "true"
    return Preferences(code, example, dynamic)


RawHeaders = list[tuple[bytes, bytes]]


def chosen_reply(chosen: ChosenResponse, applied: str) -> tuple[int, RawHeaders, bytes]:
    """Status, raw headers and body of a forced response (both paths send these bytes)."""
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
               for k, v in chosen.headers.items()]
    headers.append((b"preference-applied", applied.encode("latin-1")))
    body = b""
    if chosen.has_body and chosen.status != 204:
        body = dumps(chosen.body)
        headers.append((b"content-type", (chosen.media_type or "application/json").encode()))
    headers.append((b"content-length", str(len(body)).encode()))
    return chosen.status, headers, body
