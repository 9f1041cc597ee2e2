"""bench_pb.py's synthetic election: the issue's size by default, and a rule that runs too long
or past the budget is reported with a line, never skipped silently."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from benchmarks import bench_pb


def options(rule_timeout: float, budget: float) -> argparse.Namespace:
    return argparse.Namespace(synthetic_rule_timeout=rule_timeout, synthetic_budget=budget)


def test_the_synthetic_election_has_the_issues_size_by_default():
    assert bench_pb.synthetic_election.__defaults__ == (2024, 200_000, 200)
    small = bench_pb.synthetic_election(voters=500, projects=12)
    assert sum(small.ballots.values()) == 500
    assert len(small.projects) == 12
    assert bench_pb.synthetic_name(200_000, 200) == "synthetic_200_000_voters_200_projects.pb"


def test_a_rule_within_its_time_gives_its_output():
    command = [sys.executable, "-c", "print('done')"]
    timing, spent = bench_pb.synthetic_run(
        Path("s.pb"), "mes_cost_sat", command, {}, options(30, 60), spent=0
    )
    assert isinstance(timing, tuple)
    wall, cpu, output = timing
    assert output.strip() == "done"
    assert 0 < wall <= spent


def test_a_rule_past_its_timeout_is_stopped_and_reported(capsys):
    command = [sys.executable, "-c", "import time; time.sleep(30)"]
    timing, spent = bench_pb.synthetic_run(
        Path("s.pb"), "mes_cost_sat_add1", command, {}, options(1, 600), spent=0
    )
    assert timing == "timeout > 1 s"
    assert 1 <= spent < 10
    assert "TIMEOUT: mes_cost_sat_add1 on s.pb stopped after 1 s" in capsys.readouterr().out


def test_rules_past_the_budget_are_reported_as_not_run(capsys):
    command = [sys.executable, "-c", "raise SystemExit('must not run')"]
    timing, spent = bench_pb.synthetic_run(
        Path("s.pb"), "mes_cost_sat_pabulib_add1", command, {}, options(900, 100), spent=100.5
    )
    assert timing == "not run: the synthetic budget of 100 s is spent"
    assert spent == 0.0
    assert "NOT RUN: mes_cost_sat_pabulib_add1 on s.pb" in capsys.readouterr().out


def test_the_budget_left_caps_a_rules_timeout(capsys):
    command = [sys.executable, "-c", "import time; time.sleep(30)"]
    timing, _ = bench_pb.synthetic_run(
        Path("s.pb"), "mes_cost_sat_add1", command, {}, options(900, 11), spent=10
    )
    assert timing == "timeout > 1 s"
    assert "1 s of --synthetic-budget were left" in capsys.readouterr().out
