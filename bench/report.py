"""Tables on the terminal and the JSON file in bench/results/.

Per scenario and server: the median over rounds of requests/s, p50 and p99
(each round is one process start, so the median hides one unlucky start),
errors summed over rounds, CPU of server and generator, RSS after the scenario.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable
from pathlib import Path

GENERATOR_SHARE_LIMIT = 0.5  # wrk CPU above half the server's: the figure is suspect
OTHER_LOAD_LIMIT = 25.0  # % of a core used by processes outside the bench: machine not quiet


def _median(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def summarize(runs: list[dict[str, object]]) -> dict[str, dict[str, dict[str, object]]]:
    """{scenario: {target: medians and sums}} from the per-round runs."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    for run in runs:
        out.setdefault(str(run["scenario"]), {}).setdefault(str(run["target"]), {})
    for scenario, targets in out.items():
        for target in targets:
            mine = [r for r in runs if r["scenario"] == scenario and r["target"] == target]
            rps = [float(r["rps"]) for r in mine]  # type: ignore[arg-type]
            targets[target] = {
                "rounds": len(mine),
                "rps": _median(rps),
                "rps_min": min(rps),
                "rps_max": max(rps),
                "p50_ms": _median(float(r["p50_ms"]) for r in mine),  # type: ignore[arg-type]
                "p99_ms": _median(float(r["p99_ms"]) for r in mine),  # type: ignore[arg-type]
                "errors": sum(int(r["errors"]) for r in mine),  # type: ignore[call-overload]
                "requests": sum(int(r["requests"]) for r in mine),  # type: ignore[call-overload]
                "server_cpu_pct": _median(float(r["server_cpu_pct"]) for r in mine),  # type: ignore[arg-type]
                "wrk_cpu_pct": _median(float(r["wrk_cpu_pct"]) for r in mine),  # type: ignore[arg-type]
                "other_cpu_pct": _median(float(r["other_cpu_pct"]) for r in mine),  # type: ignore[arg-type]
                "rps_per_server_cpu_s": _median(
                    r["rps_per_server_cpu_s"] for r in mine),  # type: ignore[misc]
                "rss_after_mib": mine[-1].get("rss_after_mib"),
                **_read_back(mine),
            }
    return out


def _read_back(runs: list[dict[str, object]]) -> dict[str, object]:
    """create-read: GETs sent and those that returned the record just posted, summed."""
    if not all("reads" in r for r in runs):
        return {}
    reads = sum(int(r["reads"]) for r in runs)  # type: ignore[call-overload]
    back = sum(int(r["read_back"]) for r in runs)  # type: ignore[call-overload]
    return {"reads": reads, "read_back": back,
            "read_back_pct": round(100 * back / reads, 1) if reads else None}


def ratios(summary: dict[str, dict[str, dict[str, object]]], ours: str, peer: str
           ) -> dict[str, dict[str, float | None]]:
    """specdouble/peer for requests/s (higher is better) and p99 (lower is better)."""
    out: dict[str, dict[str, float | None]] = {}
    for scenario, targets in summary.items():
        a, b = targets.get(ours), targets.get(peer)
        if not a or not b:
            continue

        def div(key: str, a: dict[str, object] = a, b: dict[str, object] = b) -> float | None:
            x, y = a.get(key), b.get(key)
            return round(float(x) / float(y), 2) if x and y else None  # type: ignore[arg-type]

        out[scenario] = {"rps": div("rps"), "p99": div("p99_ms"),
                         "rps_per_cpu_s": div("rps_per_server_cpu_s")}
    return out


def _fmt(value: object, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_tables(meta: dict[str, object], summary: dict[str, dict[str, dict[str, object]]],
                 ratio: dict[str, dict[str, float | None]], titles: dict[str, str]) -> None:
    m = meta["machine"]
    assert isinstance(m, dict)
    print(f"\nmachine: {m['cores']} cores ({m['cores_usable']} usable), {m['cpu_model']}")
    print("versions: " + ", ".join(f"{k} {m[k]}" for k in (
        "python", "specdouble", "connexion", "starlette", "uvicorn", "uvloop", "httptools",
        "wrk", "node", "prism")))
    print(f"load: {meta['load']}")
    head = (f"  {'server':<11}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
            f"{'srv CPU%':>10}{'wrk CPU%':>10}{'other%':>8}{'req/CPU-s':>11}{'RSS MiB':>9}")
    for scenario, targets in summary.items():
        print(f"\n{scenario}: {titles.get(scenario, '')}")
        print(head)
        for target, s in targets.items():
            flag = ""
            srv, gen = s["server_cpu_pct"], s["wrk_cpu_pct"]
            if srv and gen and float(gen) > GENERATOR_SHARE_LIMIT * float(srv):  # type: ignore[arg-type]
                flag = "  <- generator CPU too high"
            if s["other_cpu_pct"] and float(s["other_cpu_pct"]) > OTHER_LOAD_LIMIT:  # type: ignore[arg-type]
                flag += "  <- other processes busy"
            print(f"  {target:<11}{_fmt(s['rps'], ',.0f'):>9}{_fmt(s['p50_ms'], '.2f'):>9}"
                  f"{_fmt(s['p99_ms'], '.2f'):>9}{_fmt(s['errors'], 'd'):>8}"
                  f"{_fmt(srv, '.0f'):>10}{_fmt(gen, '.0f'):>10}"
                  f"{_fmt(s['other_cpu_pct'], '.0f'):>8}"
                  f"{_fmt(s['rps_per_server_cpu_s'], ',.0f'):>11}"
                  f"{_fmt(s['rss_after_mib'], '.0f'):>9}{flag}")
            if "reads" in s:
                print(f"  {'':<11}read back the record just posted: {s['read_back']:,} of "
                      f"{s['reads']:,} GETs ({_fmt(s['read_back_pct'], '.1f')}%)")
        if scenario in ratio:
            r = ratio[scenario]
            print(f"  ratio specdouble/prism: req/s {_fmt(r['rps'], '.2f')}x, "
                  f"p99 {_fmt(r['p99'], '.2f')}x, req per CPU-s {_fmt(r['rps_per_cpu_s'], '.2f')}x")


def print_ratios(title: str, ratio: dict[str, dict[str, float | None]]) -> None:
    """One line per scenario: a ratio between two targets other than specdouble/prism."""
    print(f"\nratio {title}:")
    for scenario, r in ratio.items():
        print(f"  {scenario:<12} req/s {_fmt(r['rps'], '.2f')}x, p99 {_fmt(r['p99'], '.2f')}x, "
              f"req per CPU-s {_fmt(r['rps_per_cpu_s'], '.2f')}x")


def print_startups(startups: list[dict[str, object]], sustained: dict[str, object]) -> None:
    print("\nstart-up to first answer (median over rounds), RSS idle after start:")
    keys = sorted({(str(s["target"]), str(s["launch"])) for s in startups})
    for target, launch in keys:
        mine = [s for s in startups if s["target"] == target and s["launch"] == launch]
        secs = _median(float(s["seconds"]) for s in mine)  # type: ignore[arg-type]
        rss = _median(float(s["rss_mib"]) for s in mine)  # type: ignore[arg-type]
        print(f"  {target:<11}{launch:<34}{_fmt(secs, '.2f'):>7} s{_fmt(rss, '.0f'):>7} MiB")
    if sustained:
        print("\nsustained run (RSS MiB sampled during the run):")
        for target, s in sustained.items():
            assert isinstance(s, dict)
            samples = " ".join(f"{m:.0f}" for _, m in s["rss_samples"])
            print(f"  {target:<11}{s['scenario']} {s['seconds']} s, {_fmt(s['rps'], ',.0f')} "
                  f"req/s, errors {s['errors']}; RSS start {s['rss_start_mib']:.0f} -> end "
                  f"{s['rss_end_mib']:.0f} MiB; samples: {samples}")


def write_json(path: Path, document: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")
