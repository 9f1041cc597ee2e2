"""The ``pb`` command group: output formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from portal.pb.cli import pb
from portal.pb.rules import rule_names

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"
WARSAW = str(DATA / "Poland_Warszawa_2017_Mlynow.pb")


def run(*args: str):
    return CliRunner().invoke(pb, list(args))


def test_tally_tie_breaking_option():
    result = run("tally", WARSAW, "--rule", "greedy_votes", "--tie-breaking", "file_order")
    assert result.exit_code == 0
    assert json.loads(result.output)["rule"] == "greedy_votes"
    assert run("tally", WARSAW, "--rule", "greedy_votes", "--tie-breaking", "coin").exit_code == 2


def test_unknown_rule_exits_2_and_lists_valid_rules():
    result = run("tally", WARSAW, "--rule", "mes_magic")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "error: rule 'mes_magic' is unknown" in result.stderr
    assert all(name in result.stderr for name in rule_names("approval"))


def test_rule_of_another_vote_type_exits_2():
    result = run("tally", WARSAW, "--rule", "greedy_score")
    assert result.exit_code == 2
    assert "does not apply" in result.stderr


def test_malformed_file_exits_2_with_line_number(tmp_path):
    path = tmp_path / "bad.pb"
    path.write_text(
        "META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;5\n"
        "VOTES\nvoter_id;vote\n1;1\n2;7\n",
        encoding="utf-8",
    )
    result = run("tally", str(path), "--rule", "greedy_votes")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: line 11: vote for unknown project '7'"
    assert result.stdout == ""


def test_missing_file_exits_2():
    assert run("tally", str(DATA / "nope.pb"), "--rule", "greedy_votes").exit_code == 2


def test_rules_lists_applicable_names():
    result = run("rules", WARSAW)
    assert result.exit_code == 0
    names = [line.split("\t")[0] for line in result.output.splitlines()]
    assert names == rule_names("approval")


@pytest.mark.parametrize("rule", ["greedy_votes", "mes_cost_sat_greedy"])
def test_explain_prints_json(rule):
    result = run("explain", WARSAW, "--rule", rule)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["rule"] == rule
    assert data["kind"] in ("greedy", "equal_shares")


def test_cli_module_imports_nothing_from_the_web_app():
    import subprocess
    import sys

    code = (
        "import sys, portal.pb.cli; "
        "bad = [m for m in sys.modules if m.startswith(('flask', 'sqlalchemy', 'portal.app'))]; "
        "print(bad)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert done.stdout.strip() == "[]"
