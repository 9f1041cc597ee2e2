"""Every rule on every shared Pabulib file gives exactly the pabutools reference selection."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.pb.cli import pb
from portal.pb.pabulib import read_pb
from portal.pb.rules import rule_names, tally

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
REFERENCE = json.loads((DATA / "reference.json").read_text(encoding="utf-8"))
CASES = [(name, rule) for name, rules in REFERENCE.items() for rule in rules]
REPO_ROOT = Path(__file__).resolve().parents[2]

_elections: dict[str, object] = {}


def _election(name: str):
    # Reading once per file keeps the suite fast; the rules cache derived data on it.
    if name not in _elections:
        _elections[name] = read_pb(DATA / name)
    return _elections[name]


def test_reference_covers_every_file_and_the_registry():
    assert sorted(REFERENCE) == sorted(p.name for p in DATA.glob("*.pb"))
    for name, rules in REFERENCE.items():
        assert set(rules) == set(rule_names(_election(name).vote_type)), name


@pytest.mark.parametrize(("name", "rule"), CASES)
def test_python_api_matches_reference(name, rule):
    assert tally(_election(name), rule) == REFERENCE[name][rule]


@pytest.mark.parametrize(("name", "rule"), CASES)
def test_cli_matches_reference(name, rule):
    result = CliRunner().invoke(pb, ["tally", str(DATA / name), "--rule", rule])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"rule": rule, "selected": REFERENCE[name][rule]}
    assert result.output.count("\n") == 1


def test_cli_subprocess_prints_exact_json_line():
    name, rule = "Poland_Warszawa_2017_Mlynow.pb", "mes_cost_sat_eqnet_add1"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    completed = subprocess.run(
        [sys.executable, "-m", "portal.pb.cli", "tally", str(DATA / name), "--rule", rule],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    expected = json.dumps({"rule": rule, "selected": REFERENCE[name][rule]})
    assert completed.stdout == expected + "\n"
