"""The contract suite covers every spec the server serves: none is left out."""

from __future__ import annotations

import re
from pathlib import Path

from specdouble.http.app import create_app


def test_every_served_spec_has_a_schemathesis_module() -> None:
    served = {s["spec"].removeprefix("/specs/").removesuffix(".json")
              for s in create_app().test_client().get("/").json()["services"]}
    loaded = set()
    for module in Path(__file__).parent.glob("test_*.py"):
        loaded |= set(re.findall(r'load_schema\(\s*"([a-z-]+)"', module.read_text()))
    assert served, "GET / lists the served specs"
    assert served <= loaded, f"specs without a Schemathesis run: {sorted(served - loaded)}"
