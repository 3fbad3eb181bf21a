"""The Emporix ``saas-token`` customer header: who the customer is.

In reality an HS256 JWT with ``sub`` (customer number) and ``exp``. The
documented example sends the placeholder ``text``, so by default any value
is accepted, even an empty one (the vendor's schema is a plain string);
strict mode requires a well-formed JWT whose
``exp``, if present, is in the future. The signature is never checked: the
mock has no passphrase.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime

from specdouble.support.problems import bad_request

FIELD = "header.saas-token"


def _payload(token: str) -> dict | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(segment))
    except (binascii.Error, ValueError):
        return None
    return payload if isinstance(payload, dict) else None


def customer_of(token: str | None, now: datetime, strict: bool) -> str | None:
    """The customer number in the token, if it carries one; Problem when invalid."""
    if token is None:
        raise bad_request("The saas-token header is required.", f"{FIELD}: is required")
    payload = _payload(token)
    if payload is None:
        if strict:
            raise bad_request("The saas-token is not a well-formed JWT.",
                              f"{FIELD}: not a JWT (header.payload.signature)")
        return None
    exp = payload.get("exp")
    expired = exp is not None and (not isinstance(exp, int | float) or exp <= now.timestamp())
    if strict and expired:
        raise bad_request("The saas-token has expired.", f"{FIELD}: expired (exp={exp})")
    sub = payload.get("sub")
    return str(sub) if sub is not None else None
