"""The built-in services' resolved specs, loaded once for unit tests of seeders and data."""

from __future__ import annotations

from typing import Any

from specdouble.services import BUILT_IN
from specdouble.spec.loader import load_spec
from specdouble.support.resources import specs_dir

SPECS: dict[str, Any] = {s.name: load_spec(specs_dir() / s.spec_file) for s in BUILT_IN}
