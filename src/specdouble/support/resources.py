"""Where the specs and default fixtures live.

In a source checkout (editable install) they are the repository's
``specs/`` and ``fixtures/``; in a wheel they are bundled under
``specdouble/_bundled``. The project never needs anything outside itself.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parents[1]  # the specdouble package


def _locate(name: str) -> Path:
    checkout = _PACKAGE.parents[1] / name
    if checkout.is_dir():
        return checkout
    return _PACKAGE / "_bundled" / name


def specs_dir() -> Path:
    return _locate("specs")


def fixtures_dir() -> Path:
    return _locate("fixtures")
