"""Pabulib in and out: `portal pb import` of real elections gives the reference outcomes when the
portal computes them; export writes the same election back; bad files name the line."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.budgets import results
from portal.budgets.models import Ballot, Budget, Project
from portal.extensions import db
from portal.pb.pabulib import read_pb, read_pb_text
from portal.pb.rules import tally
from tests.budgets.factories import make_consultation

DATA = Path(__file__).resolve().parent.parent / "data" / "pabulib"
REFERENCE = json.loads((DATA / "reference.json").read_text())


def _import(app, path: Path, slug: str, *extra: str):
    runner = app.test_cli_runner()
    return runner.invoke(args=["pb", "import", str(path), "--consultation", slug, *extra])


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_import_then_compute_gives_the_reference_outcomes(app, ctx, name):
    consultation = make_consultation(ballot_ended=True)
    db.session.commit()
    result = _import(app, DATA / name, consultation.slug)
    assert result.exit_code == 0, result.output
    budget = db.session.scalar(select(Budget).where(Budget.consultation_id == consultation.id))
    election = read_pb(DATA / name)
    assert (
        db.session.scalar(select(func.count(Ballot.id)).where(Ballot.budget_id == budget.id))
        == election.num_voters
    )
    assert f"{election.num_voters} ballots" in result.output
    for rule, expected in REFERENCE[name].items():
        data = results.outcome(budget, rule)
        assert sorted(data["selected"]) == sorted(expected), rule
    # Nothing is published by the import itself.
    assert budget.results_published_at is None


def test_export_writes_the_same_election_back(app, ctx, tmp_path):
    name = "Poland_Warszawa_2017_Mlynow.pb"
    consultation = make_consultation(ballot_ended=True)
    db.session.commit()
    assert _import(app, DATA / name, consultation.slug, "--publish").exit_code == 0
    budget = db.session.scalar(select(Budget).where(Budget.consultation_id == consultation.id))
    assert budget.results_published_at is not None
    assert budget.ballot_kind == "knapsack"  # approval with max_sum_cost = budget
    out = tmp_path / "out.pb"
    result = app.test_cli_runner().invoke(args=["pb", "export", str(budget.id), "-o", str(out)])
    assert result.exit_code == 0, result.output
    original, exported = read_pb(DATA / name), read_pb(out)
    assert exported.num_voters == original.num_voters
    assert exported.votes() == original.votes()
    assert exported.budget == original.budget
    for rule in ("greedy_votes", "mes_cost_sat", "mes_cost_sat_add1"):
        assert tally(exported, rule) == tally(original, rule)
    # Anonymised: no voter metadata columns, voters numbered 1..n.
    text = out.read_text()
    votes_header = text.split("VOTES\n", 1)[1].splitlines()[0]
    assert votes_header == "voter_id;vote" and "170;" not in text.split("VOTES\n", 1)[1][:40]


def test_a_malformed_file_names_the_line_and_writes_nothing(app, ctx, tmp_path):
    consultation = make_consultation()
    db.session.commit()
    good = (DATA / "Poland_Krakow_2018_Czyzyny.pb").read_text()
    lines = good.splitlines()
    votes_at = lines.index("VOTES")
    lines[votes_at + 5] = lines[votes_at + 5].replace(";", ";999,", 1)  # an unknown project
    bad = tmp_path / "bad.pb"
    bad.write_text("\n".join(lines) + "\n")
    result = _import(app, bad, consultation.slug)
    assert result.exit_code != 0
    assert f"line {votes_at + 6}" in result.output and "999" in result.output
    assert db.session.scalar(select(func.count(Budget.id))) == 0
    assert db.session.scalar(select(func.count(Project.id))) == 0
    missing = _import(app, bad, "no-such-consultation")
    assert missing.exit_code != 0 and "no consultation" in missing.output


def test_results_bundle_lets_anyone_recompute(app, client, ctx):
    import hashlib

    name = "Poland_Czestochowa_2020_Kiedrzyn.pb"
    consultation = make_consultation(ballot_ended=True)
    db.session.commit()
    assert _import(app, DATA / name, consultation.slug).exit_code == 0
    budget = db.session.scalar(select(Budget).where(Budget.consultation_id == consultation.id))
    assert client.get(f"/budgets/{budget.id}/results/bundle.zip").status_code == 403
    budget.results_published_at = budget.created_at
    db.session.commit()
    response = client.get(f"/budgets/{budget.id}/results/bundle.zip")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    files = {Path(n).name: archive.read(n) for n in archive.namelist()}
    assert set(files) == {
        "election.pb",
        "result.json",
        "fingerprints.txt",
        "README.txt",
        "SHA256SUMS",
    }
    for line in files["SHA256SUMS"].decode().splitlines():
        digest, filename = line.split("  ")
        assert hashlib.sha256(files[filename]).hexdigest() == digest
    result = json.loads(files["result.json"])
    election = read_pb_text(files["election.pb"].decode())
    assert result["rule"] == budget.official_rule == "greedy_points"
    assert (
        sorted(result["selected"])
        == tally(election, result["rule"])
        == REFERENCE[name]["greedy_points"]
    )
    assert result["software"]["version"] and result["tie_breaking"] == "lexico"
    assert len(files["fingerprints.txt"].decode().split()) == election.num_voters
    # The results page explains every project and shows the chart and the comparison.
    page = client.get(f"/budgets/{budget.id}/results").get_data(as_text=True)
    assert "Rank 1." in page and 'role="img"' in page
    compare = client.get(f"/budgets/{budget.id}/results/compare").get_data(as_text=True)
    assert "mes_additive_cardinal_sat_add1_greedy" in compare
    api = client.get(f"/api/v1/budgets/{budget.id}/results?rule=mes_cost_sat").json
    assert sorted(s["ref"] for s in api["selected"]) == REFERENCE[name]["mes_cost_sat"]
    assert api["explanation"]["kind"] == "equal_shares"
    bad_rule = client.get(f"/api/v1/budgets/{budget.id}/results?rule=nonsense")
    assert bad_rule.status_code == 422
