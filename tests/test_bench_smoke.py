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
                                   "prefer-404", "user-1000", "create-read"}
    # mock --stateful read back every record it had just created
    stateful = doc["summary"]["create-read"]["specdouble"]
    assert stateful["reads"] > 0 and stateful["read_back"] == stateful["reads"]
    for name, rows in doc["summary"].items():
        row = rows["specdouble"]
        assert row["requests"] > 0, name
        assert row["errors"] == 0, (name, row)
    assert doc["sustained"]["specdouble"]["errors"] == 0
    assert doc["startups"][0]["seconds"] > 0


@pytest.mark.skipif(shutil.which("wrk") is None or shutil.which("redis-server") is None,
                    reason="wrk or redis-server is not installed")
def test_workers_bench_runs_memory_and_redis_configs(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.workers import main

    code = main(["--workers-list", "1,2", "--scenarios", "read", "--rounds", "1",
                 "--duration", "1", "--warmup", "0", "--connections", "4",
                 "--results", str(tmp_path)])

    assert code == 0
    [written] = tmp_path.glob("workers-*.json")
    doc = json.loads(written.read_text())
    configs = {"memory-1", "redis-1", "redis-2"}
    rows = doc["summary"]["read"]
    assert set(rows) == configs
    for name, row in rows.items():
        assert row["requests"] > 0, name
        assert row["errors"] == 0, (name, row)
    # The Redis configs really went through Redis; the baseline never did.
    assert rows["memory-1"]["redis_commands_per_request"] == 0
    assert rows["redis-1"]["redis_commands_per_request"] > 0
    assert rows["redis-2"]["redis_commands_per_request"] > 0
    ratios = doc["ratio_rps_to_memory_1"]["read"]
    assert set(ratios) == configs
    assert all(ratios[name] is not None and ratios[name] > 0 for name in configs)
    assert ratios["memory-1"] == 1.0


def test_granian_target_serves_the_same_app_with_the_same_arguments(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Server choice (issue 14): granian gets exactly `serve`'s arguments, built-in specs only."""
    monkeypatch.syspath_prepend(str(ROOT))
    from bench.run import launches
    from bench.scenarios import SCENARIOS

    specs = ROOT / "specs"
    [ours] = [launch for launch in launches("specdouble", list(SCENARIOS), specs, None,
                                            generated=ROOT) if not launch.label.startswith("mock")]
    [granian] = launches("granian", list(SCENARIOS), specs, None)
    assert granian.argv[1:3] == ["-m", "bench.granian_app"]
    strip_port = [a for a in ours.argv[3:] if a != str(ours.port)]
    assert strip_port == [a for a in granian.argv[3:] if a != str(granian.port)]
    assert [s.name for s in granian.scenarios] == [s.name for s in SCENARIOS if not s.generated]
