"""Benchmark ``portal pb tally`` against the bare interpreter and, if installed, pabutools.

    python benchmarks/bench_pb.py [--out results.json] [--data DIR] [--rules RULE ...]
                                  [--voters 200000] [--synthetic-rule-timeout 600]
                                  [--synthetic-budget 1800]

For every .pb file in the data folder (default: tests/data/pabulib) and every rule in its
reference.json entry, and for a synthetic approval election of 200,000 voters (ballots) and 200
projects — the design load's figure — (generated with ``random.Random(seed)`` and written with
our writer to a temporary .pb), it times one ``python -m portal.pb.cli tally FILE --rule RULE``
process, start-up included, and reports it also as a multiple of ``python -c pass`` measured in
the same run.

The synthetic election runs every approval rule, cheapest first, each in one process; a rule
that runs past ``--synthetic-rule-timeout`` seconds is stopped and reported as a time-out, and
once ``--synthetic-budget`` seconds are spent on the synthetic election the rules left are
reported as not run (both with a line saying so, never silently). On the 2-core benchmark
machine (2026-11-22) the greedy and plain MES rules take 1.3–2 CPU seconds at 200,000 voters
(86,911 distinct ballots) and each MES with Add1 completions about 80 (150 s wall with the
machine shared): five of those make the synthetic election about 7 minutes of CPU.

If ``pabutools`` can be imported by this interpreter, the same files and rules are timed with
pabutools in a process of their own (start-up, parsing and rule, as for ours), calling what
FORMAT.md §9.1 names for each rule, and the speed-up and agreement are reported. Install it
only in a separate venv, never in the project::

    python3 -m venv /tmp/pabuvenv && /tmp/pabuvenv/bin/pip install pabutools
    PYTHONPATH=. /tmp/pabuvenv/bin/python benchmarks/bench_pb.py --out bench.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.pb.model import Ballot, Election, Project  # noqa: E402
from portal.pb.pabulib import write_pb  # noqa: E402
from portal.pb.rules import rule_names  # noqa: E402


def synthetic_name(voters: int, projects: int) -> str:
    return f"synthetic_{voters:,}_voters_{projects}_projects.pb".replace(",", "_")


# Runs inside a pabutools process: read a file, compute one rule as FORMAT.md §9.1 defines it,
# print the elapsed seconds and the sorted ids as JSON.
PABUTOOLS_SCRIPT = r"""
import json, math, sys, time
from copy import deepcopy
start = time.perf_counter()
from pabutools.election import (parse_pabulib, Cost_Sat, Cardinality_Sat,
                                Additive_Cardinal_Sat, Additive_Borda_Sat)
from pabutools.fractions import frac
from pabutools.rules import (greedy_utilitarian_welfare, method_of_equal_shares,
                             completion_by_rule_combination)
from pabutools.tiebreaking import TieBreakingRule

path, rule = sys.argv[1], sys.argv[2]
instance, profile = parse_pabulib(path)
profile = profile.as_multiprofile()
SATS = {"cost": Cost_Sat, "cardinality": Cardinality_Sat,
        "additive_cardinal": Additive_Cardinal_Sat, "additive_borda": Additive_Borda_Sat}

def sat_of(name):
    for key in sorted(SATS, key=len, reverse=True):
        if "_" + key + "_sat" in "_" + name:
            return SATS[key]
    raise SystemExit("no satisfaction in " + name)

def greedy(sat, initial=None):
    return greedy_utilitarian_welfare(instance, profile, sat_class=sat, is_sat_additive=True,
                                      initial_budget_allocation=initial)

def integral_add1(exhaustive_stop):
    # The equalshares.net / validator Add1 on pabutools' MES (FORMAT.md 9.2).
    n = profile.num_ballots()
    votes = {p: profile.approval_score(p) for p in instance}
    ties = TieBreakingRule(lambda inst, prof, p: (p.cost, -votes[p], p.name))
    def run(per_voter):
        copy = deepcopy(instance)
        copy.budget_limit = per_voter * n
        return method_of_equal_shares(copy, profile, sat_class=Cost_Sat, tie_breaking=ties)
    def cost(outcome):
        return sum(p.cost for p in outcome)
    per_voter = math.floor(frac(instance.budget_limit, n))
    current = run(per_voter)
    supported = {p for p in instance if votes[p] > 0}
    while True:
        if exhaustive_stop and instance.is_exhaustive(current):
            return current
        if set(current) >= supported:
            return current
        following = run(per_voter + 1)
        if cost(following) > instance.budget_limit:
            return current
        current, per_voter = following, per_voter + 1

if rule in ("greedy_votes",):
    outcome = greedy(Cost_Sat)
elif rule.startswith("greedy_"):
    outcome = greedy(sat_of(rule))
elif "eqnet_add1" in rule or "pabulib_add1" in rule:
    outcome = integral_add1("eqnet" in rule)
    if rule.endswith("_greedy") and not instance.is_exhaustive(outcome):
        outcome = greedy(Cost_Sat, outcome)
else:
    sat = sat_of(rule)
    params = {"sat_class": sat}
    if "_add1" in rule:
        params["voter_budget_increment"] = 1
    if rule.endswith("_greedy"):
        outcome = completion_by_rule_combination(
            instance, profile, [method_of_equal_shares, greedy_utilitarian_welfare],
            [params, {"sat_class": sat, "is_sat_additive": True}])
    else:
        outcome = method_of_equal_shares(instance, profile, **params)
print(json.dumps({"seconds": time.perf_counter() - start,
                  "selected": sorted(p.name for p in outcome)}))
"""

# City-greedy rules computed by "a few lines of independent code" in FORMAT.md; pabutools only
# has an equivalent for greedy_votes (greedy by Cost_Sat).
NO_PABUTOOLS_EQUIVALENT = (
    "greedy_points",
    "greedy_points_file_order",
    "greedy_score",
    "greedy_score_file_order",
    "greedy_votes_file_order",
)


def synthetic_election(seed: int = 2024, voters: int = 200_000, projects: int = 200) -> Election:
    """A reproducible city-sized approval election with skewed popularity and costs."""
    rng = random.Random(seed)
    ids = [f"P{i:03d}" for i in range(1, projects + 1)]
    position = {pid: i for i, pid in enumerate(ids)}
    costs = {pid: rng.randrange(5_000, 200_000, 500) * rng.choice((1, 1, 1, 2, 5)) for pid in ids}
    popularity = [rng.paretovariate(1.2) for _ in ids]
    budget = sum(costs.values()) * 3 // 10
    ballots: dict[Ballot, int] = {}
    for _ in range(voters):
        size = min(projects, max(1, int(rng.expovariate(1 / 4))))
        chosen: set[str] = set()
        while len(chosen) < size:
            chosen.update(rng.choices(ids, weights=popularity, k=size - len(chosen)))
        ballot = Ballot(tuple(sorted(chosen, key=position.__getitem__)))
        ballots[ballot] = ballots.get(ballot, 0) + 1
    meta = {
        "description": f"synthetic benchmark election (random.Random({seed}))",
        "country": "Worldwide",
        "unit": "Benchmark",
        "instance": str(seed),
        "rule": "unknown",
        "experimental": "1",
    }
    table = {pid: Project(pid, costs[pid]) for pid in ids}
    return Election(meta, table, ballots, "approval", budget)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(
    command: list[str], env: dict[str, str], timeout: float
) -> tuple[float, float, str]:
    """Wall-clock and CPU seconds of one process (start-up included), and its stdout.

    CPU time (user + system, from getrusage of waited-for children) stays meaningful when
    other work shares the machine; wall-clock time does not.
    """
    cpu_before = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=timeout, check=False
    )
    elapsed = time.perf_counter() - start
    cpu = _children_cpu() - cpu_before
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()[-400:]}")
    return elapsed, cpu, done.stdout


def best_of(
    repeats: int, command: list[str], env: dict[str, str], timeout: float
) -> tuple[float, float, str]:
    """Lowest wall and lowest CPU time over ``repeats`` runs, and the last output."""
    walls, cpus, output = [], [], ""
    for _ in range(repeats):
        wall, cpu, output = timed_process(command, env, timeout)
        walls.append(wall)
        cpus.append(cpu)
    return min(walls), min(cpus), output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "pabulib")
    parser.add_argument("--rules", nargs="*", help="only these rules")
    parser.add_argument("--repeats", type=int, default=3, help="best of N for our CLI")
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--voters", type=int, default=200_000)
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--no-synthetic", action="store_true")
    parser.add_argument(
        "--synthetic-rule-timeout",
        type=float,
        default=600.0,
        help="seconds one rule may take on the synthetic election before it is stopped",
    )
    parser.add_argument(
        "--synthetic-budget",
        type=float,
        default=1800.0,
        help="seconds for all rules on the synthetic election; the rules left are not run",
    )
    parser.add_argument("--no-pabutools", action="store_true")
    parser.add_argument(
        "--pabutools-timeout", type=float, default=120.0, help="seconds per pabutools run"
    )
    parser.add_argument(
        "--pabutools-synthetic",
        action="store_true",
        help="also run pabutools on the synthetic election (slow; timeouts likely)",
    )
    args = parser.parse_args()

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    python = sys.executable
    baseline, baseline_cpu, _ = best_of(max(5, args.repeats), [python, "-c", "pass"], env, 60)
    have_pabutools = not args.no_pabutools and importlib.util.find_spec("pabutools") is not None

    reference = json.loads((args.data / "reference.json").read_text(encoding="utf-8"))
    cases = [(args.data / name, list(rules)) for name, rules in reference.items()]
    workdir = tempfile.TemporaryDirectory(prefix="bench_pb_")
    synthetic_file = synthetic_name(args.voters, args.projects)
    synthetic_info: dict[str, Any] | None = None
    if not args.no_synthetic:
        synthetic = Path(workdir.name) / synthetic_file
        started = time.perf_counter()
        election = synthetic_election(args.seed, args.voters, args.projects)
        write_pb(election, synthetic)
        synthetic_info = {
            "file": synthetic_file,
            "voters": sum(election.ballots.values()),
            "distinct_ballots": len(election.ballots),
            "projects": len(election.projects),
            "megabytes": round(synthetic.stat().st_size / 1e6, 1),
            "rule_timeout_s": args.synthetic_rule_timeout,
            "budget_s": args.synthetic_budget,
        }
        del election
        print(
            f"synthetic election of {synthetic_info['voters']:,} voters "
            f"({synthetic_info['distinct_ballots']:,} distinct ballots) x {args.projects} "
            f"projects written in {time.perf_counter() - started:.1f} s "
            f"({synthetic_info['megabytes']:.1f} MB)",
            flush=True,
        )
        cases.append((synthetic, rule_names("approval")))

    rows = []
    synthetic_spent = 0.0
    for path, rules in cases:
        is_synthetic = path.name == synthetic_file
        for rule in rules:
            if args.rules and rule not in args.rules:
                continue
            command = [python, "-m", "portal.pb.cli", "tally", str(path), "--rule", rule]
            if is_synthetic:
                timing, spent = synthetic_run(path, rule, command, env, args, synthetic_spent)
                synthetic_spent += spent
                if isinstance(timing, str):  # timed out or not run: the row says so
                    rows.append({"file": path.name, "rule": rule, "status": timing})
                    print_row(rows[-1])
                    continue
                ours, ours_cpu, output = timing
            else:
                ours, ours_cpu, output = best_of(args.repeats, command, env, 3600)
            row = {
                "file": path.name,
                "rule": rule,
                "ours_s": round(ours, 4),
                "ours_cpu_s": round(ours_cpu, 4),
                "ours_over_baseline": round(ours / baseline, 2),
                "ours_cpu_over_baseline": round(ours_cpu / baseline_cpu, 2),
                "selected": json.loads(output)["selected"],
            }
            if not is_synthetic and rule in reference.get(path.name, {}):
                row["matches_reference"] = row["selected"] == reference[path.name][rule]
            if have_pabutools and rule not in NO_PABUTOOLS_EQUIVALENT:
                if is_synthetic and not args.pabutools_synthetic:
                    row["pabutools"] = "skipped"
                else:
                    timeout = args.pabutools_timeout
                    row.update(run_pabutools(python, path, rule, env, timeout, row))
            rows.append(row)
            print_row(row)
    workdir.cleanup()

    summary = {
        "python": sys.version.split()[0],
        "synthetic": synthetic_info,
        "baseline_python_c_pass_s": round(baseline, 4),
        "baseline_python_c_pass_cpu_s": round(baseline_cpu, 4),
        "pabutools": have_pabutools,
        "results": [{k: v for k, v in row.items() if k != "selected"} for row in rows],
    }
    print_table(summary)
    if args.out:
        args.out.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        print(f"results written to {args.out}")


def synthetic_run(
    path: Path, rule: str, command: list[str], env: dict[str, str], args, spent: float
) -> tuple[tuple[float, float, str] | str, float]:
    """One rule on the synthetic election within the per-rule time-out and what is left of the
    synthetic budget: ((wall, cpu, output) or why there is none, seconds spent). A line is
    printed when a rule times out or is not run."""
    left = args.synthetic_budget - spent
    if left <= 0:
        budget = f"the synthetic budget of {args.synthetic_budget:.0f} s is spent"
        print(f"NOT RUN: {rule} on {path.name}: {budget} (--synthetic-budget)", flush=True)
        return f"not run: {budget}", 0.0
    limit = min(args.synthetic_rule_timeout, left)
    started = time.perf_counter()
    try:
        return timed_process(command, env, limit), time.perf_counter() - started
    except subprocess.TimeoutExpired:
        print(
            f"TIMEOUT: {rule} on {path.name} stopped after {limit:.0f} s "
            f"(--synthetic-rule-timeout {args.synthetic_rule_timeout:.0f}; "
            f"{left:.0f} s of --synthetic-budget were left)",
            flush=True,
        )
        return f"timeout > {limit:.0f} s", time.perf_counter() - started


def run_pabutools(
    python: str, path: Path, rule: str, env: dict[str, str], timeout: float, ours: dict
) -> dict[str, object]:
    """Time pabutools on one file and rule in its own process; compare its selection."""
    command = [python, "-c", PABUTOOLS_SCRIPT, str(path), rule]
    try:
        elapsed, cpu, output = timed_process(command, env, timeout)
    except subprocess.TimeoutExpired:
        return {
            "pabutools": f"timeout > {timeout:.0f} s",
            "speedup": f"> {timeout / ours['ours_s']:.0f}",
        }
    result = json.loads(output)
    return {
        "pabutools_s": round(elapsed, 3),
        "pabutools_cpu_s": round(cpu, 3),
        "speedup": round(elapsed / ours["ours_s"], 1),
        "speedup_cpu": round(cpu / ours["ours_cpu_s"], 1),
        "pabutools_agrees": result["selected"] == ours["selected"],
    }


def print_row(row: dict[str, object]) -> None:
    if "ours_s" not in row:
        print(f"{row['file'][:34]:34} {row['rule']:38} {row['status']}", flush=True)
        return
    extra = ""
    if "pabutools_s" in row:
        extra = (
            f"  pabutools {row['pabutools_s']:.2f} s (cpu {row['pabutools_cpu_s']:.2f})"
            f"  x{row['speedup']} (cpu x{row['speedup_cpu']})"
            f"{'' if row['pabutools_agrees'] else '  DISAGREES'}"
        )
    elif "pabutools" in row:
        extra = f"  pabutools {row['pabutools']}"
    print(
        f"{row['file'][:34]:34} {row['rule']:38} {row['ours_s']:7.3f} s "
        f"(cpu {row['ours_cpu_s']:.3f}){extra}",
        flush=True,
    )


def print_table(summary: dict[str, Any]) -> None:
    """One line per file and rule: wall and CPU seconds, ratios to the bare interpreter."""
    print()
    print(
        f"python -c pass: {summary['baseline_python_c_pass_s']:.3f} s wall, "
        f"{summary['baseline_python_c_pass_cpu_s']:.3f} s cpu (Python {summary['python']})"
    )
    header = (
        f"{'file':30} {'rule':38} {'wall s':>7} {'cpu s':>7} {'cpu/base':>8} "
        f"{'pabu cpu s':>10} {'cpu speed-up':>12}"
    )
    print(header)
    print("-" * len(header))
    for row in summary["results"]:
        if "ours_s" not in row:
            print(f"{row['file'][:30]:30} {row['rule']:38} {row['status']}")
            continue
        pabu = row.get("pabutools_cpu_s", row.get("pabutools", "-"))
        pabu_text = f"{pabu:.2f}" if isinstance(pabu, float) else str(pabu)
        speedup = row.get("speedup_cpu", row.get("speedup", "-"))
        print(
            f"{row['file'][:30]:30} {row['rule']:38} {row['ours_s']:7.3f} "
            f"{row['ours_cpu_s']:7.3f} {row['ours_cpu_over_baseline']:8.1f} "
            f"{pabu_text:>10} {str(speedup):>12}"
        )
    times = [row["ours_cpu_s"] for row in summary["results"] if "ours_cpu_s" in row]
    if times:
        print(f"ours, cpu: median {statistics.median(times):.3f} s, max {max(times):.3f} s")


if __name__ == "__main__":
    main()
