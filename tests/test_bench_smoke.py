"""The bench harness runs end to end: one short round against specdouble alone.

The bench is not a test; this keeps its harness from rotting (issue 8). No
peer is installed and no figure is asserted, only that every scenario got
the status it expects.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(shutil.which("wrk") is None,
                    reason="wrk is not installed (apt-get install -y wrk)")
def test_bench_harness_runs_one_short_round(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.run import main

    code = main(["--targets", "specdouble", "--rounds", "1", "--duration", "1",
                 "--warmup", "0", "--sustained", "2", "--connections", "4",
                 "--results", str(tmp_path)])

    assert code == 0
    [written] = tmp_path.glob("*.json")
    doc = json.loads(written.read_text())
    assert set(doc["summary"]) == {"read", "write", "cm-list", "reject-400", "reject-401",
                                   "prefer-404"}
    for name, rows in doc["summary"].items():
        row = rows["specdouble"]
        assert row["requests"] > 0, name
        assert row["errors"] == 0, (name, row)
    assert doc["sustained"]["specdouble"]["errors"] == 0
    assert doc["startups"][0]["seconds"] > 0
