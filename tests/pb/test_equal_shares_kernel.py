"""The Equal Shares kernel: resuming from a checkpoint equals running from scratch."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from portal.pb.equal_shares import Checkpoint, mes_run
from portal.pb.pabulib import read_pb
from portal.pb.prepared import prepare, sat_view

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"


@pytest.mark.parametrize(
    ("name", "satisfaction", "steps"),
    [
        # The cardinal case once diverged after ~216 steps, so cover well past that.
        ("Poland_Czestochowa_2020_Kiedrzyn.pb", "cardinal", 260),
        ("Poland_Czestochowa_2020_Kiedrzyn.pb", "cost", 60),
        ("Poland_Krakow_2018_Czyzyny.pb", "borda", 60),
        ("Poland_Warszawa_2017_Mlynow.pb", "cost", 40),
    ],
)
def test_checkpointed_runs_equal_fresh_runs(name, satisfaction, steps):
    election = read_pb(DATA / name)
    prep = prepare(election)
    view = sat_view(election, satisfaction)
    key = prep.lexico_rank.__getitem__
    start = Fraction(prep.budget, prep.num_voters)
    checkpoint = Checkpoint()
    for step in range(0, steps, 1 if steps <= 60 else 2):
        per_voter = start + step * prep.money_scale
        fresh = mes_run(prep, view, per_voter, key).selected
        resumed = mes_run(prep, view, per_voter, key, checkpoint=checkpoint).selected
        assert resumed == fresh, step
    assert checkpoint.state is not None  # the checkpoint was actually used


def test_mes_run_with_no_voters_buys_nothing():
    election = read_pb(DATA / "Poland_Warszawa_2017_Mlynow.pb")
    prep = prepare(election)
    empty = type(prep)(**{**prep.__dict__, "num_voters": 0})
    assert mes_run(empty, sat_view(election, "cost"), Fraction(0), lambda p: p).selected == []
