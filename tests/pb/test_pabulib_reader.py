"""Reading .pb files: the tolerant parts, the strict parts, and line-numbered errors."""

from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest

from portal.pb.model import Ballot
from portal.pb.pabulib import PabulibError, parse_number, read_pb, read_pb_text

DATA = Path(__file__).resolve().parents[1] / "data" / "pabulib"

BASIC = """META
key;value
description;test
country;Poland
unit;Town
instance;2024
num_projects;3
num_votes;3
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name
1;60;2;First
2;50;2;Second
10;40;1;Third
VOTES
voter_id;vote
a;1,2
b;2,1
c;10
"""


def test_basic_file_reads_exact_values():
    election = read_pb_text(BASIC)
    assert election.vote_type == "approval"
    assert election.budget == 100 and isinstance(election.budget, int)
    assert election.project_ids == ("1", "2", "10")
    assert election.projects["10"].cost == 40
    assert election.projects["1"].name == "First"
    assert election.num_voters == 3
    # Approval ballots are stored in PROJECTS order, so "1,2" and "2,1" aggregate.
    assert election.ballots == {Ballot(("1", "2")): 2, Ballot(("10",)): 1}
    assert election.warnings == ()
    assert election.meta["unit"] == "Town"


def test_crlf_bom_and_lone_cr_line_endings():
    crlf = "\ufeff" + BASIC.replace("\n", "\r\n")
    assert read_pb_text(crlf) == read_pb_text(BASIC)
    lone_cr = BASIC.replace("\n", "\r")
    assert read_pb_text(lone_cr) == read_pb_text(BASIC)


def test_bom_in_a_file_on_disk(tmp_path):
    path = tmp_path / "bom.pb"
    path.write_bytes(b"\xef\xbb\xbf" + BASIC.replace("\n", "\r\n").encode("utf-8"))
    assert read_pb(path) == read_pb_text(BASIC)


def test_quoted_semicolons_doubled_quotes_and_mid_field_quotes():
    text = BASIC.replace("1;60;2;First", '1;60;2;"Zielona; ETAP II"').replace(
        "2;50;2;Second", '2;50;2;Boisko "Orlik"'
    )
    text = text.replace("10;40;1;Third", '10;40;1;"""Hey, ben jij?!"""')
    election = read_pb_text(text)
    assert election.projects["1"].name == "Zielona; ETAP II"
    assert election.projects["2"].name == 'Boisko "Orlik"'
    assert election.projects["10"].name == '"Hey, ben jij?!"'


def test_line_break_inside_quoted_cell_is_kept():
    text = BASIC.replace("1;60;2;First", '1;60;2;"two\nlines"')
    assert read_pb_text(text).projects["1"].name == "two\nlines"


def test_none_and_empty_cells_mean_missing():
    text = BASIC.replace("1;60;2;First", "1;60;2;None").replace("2;50;2;Second", "2;50;2;")
    election = read_pb_text(text)
    assert "name" not in election.projects["1"].extra
    assert "name" not in election.projects["2"].extra


def test_spaces_around_cells_and_list_items_are_trimmed():
    text = BASIC.replace("a;1,2", "a ;  1, 2 ,").replace("budget;100", "budget; 100 ")
    election = read_pb_text(text)
    assert election.budget == 100
    assert election.ballots[Ballot(("1", "2"))] == 2


def test_comma_decimals_in_budget_and_cost_and_decimal_budgets_are_exact():
    text = BASIC.replace("budget;100", "budget;100,5").replace("1;60;2", "1;60.25;2")
    election = read_pb_text(text)
    assert election.budget == Fraction(201, 2)
    assert election.projects["1"].cost == Fraction(241, 4)
    text = BASIC.replace("budget;100", "budget;969245.38").replace("2;50;2", "2;50.0;2")
    election = read_pb_text(text)
    assert election.budget == Fraction(96924538, 100)
    assert election.projects["2"].cost == 50 and isinstance(election.projects["2"].cost, int)


def test_blank_lines_and_missing_final_newline_are_fine():
    text = BASIC.replace("PROJECTS\n", "\nPROJECTS\n").replace("VOTES\n", "VOTES\n\n")
    assert read_pb_text(text.rstrip("\n")) == read_pb_text(BASIC)


def test_sections_and_headers_are_case_insensitive():
    text = BASIC.replace("META", "meta").replace("PROJECTS", " Projects ")
    assert read_pb_text(text) == read_pb_text(BASIC)


def test_columns_are_found_by_name_not_position():
    text = BASIC.replace("project_id;cost;votes;name", "project_id;name;votes;cost")
    text = text.replace("1;60;2;First", "1;First;2;60").replace("2;50;2;Second", "2;Second;2;50")
    text = text.replace("10;40;1;Third", "10;Third;1;40")
    election = read_pb_text(text)
    assert [p.cost for p in election.projects.values()] == [60, 50, 40]


def test_unknown_meta_keys_are_kept():
    text = BASIC.replace("rule;greedy\n", "rule;greedy\nneighborhoods;A,B\nmystery;42\n")
    assert read_pb_text(text).meta["mystery"] == "42"


def test_curator_totals_and_counts_only_warn():
    text = BASIC.replace("1;60;2;First", "1;60;7;First").replace("num_votes;3", "num_votes;4")
    election = read_pb_text(text)
    messages = [str(w) for w in election.warnings]
    assert any("votes column says 7" in m and m.startswith("line 14:") for m in messages)
    assert any("num_votes is 4" in m and m.startswith("line 8:") for m in messages)
    with pytest.raises(PabulibError, match="num_votes is 4"):
        read_pb_text(text, strict=True)


CUMULATIVE = """META
key;value
description;d
country;c
unit;u
instance;i
rule;greedy
num_projects;2
num_votes;3
budget;10
vote_type;cumulative
PROJECTS
project_id;cost;score
x;5;9
y;6;6
VOTES
voter_id;vote;points
1;x,y;3,2
2;y,x;4,0
3;x;6
"""


def test_cumulative_points_and_zero_points_are_kept():
    election = read_pb_text(CUMULATIVE)
    assert election.ballots[Ballot(("y", "x"), (4, 0))] == 1
    assert election.scores() == {"x": 9, "y": 6}
    assert election.votes() == {"x": 3, "y": 2}
    assert election.warnings == ()


def test_ordinal_score_uses_length_minus_position():
    text = BASIC.replace("vote_type;approval", "vote_type;ordinal")
    election = read_pb_text(text)
    assert election.ballots[Ballot(("2", "1"))] == 1  # order kept for rankings
    assert election.scores() == {"1": 3, "2": 3, "10": 1}


def test_empty_ballots_count_as_voters():
    election = read_pb_text(BASIC.replace("c;10", "c;").replace("10;40;1", "10;40;0"))
    assert election.num_voters == 3
    assert election.ballots[Ballot(())] == 1


def test_reader_accepts_a_text_stream():
    assert read_pb(io.StringIO(BASIC, newline="")) == read_pb_text(BASIC)


def test_shared_files_read_without_warnings():
    for path in DATA.glob("*.pb"):
        election = read_pb(path)
        assert election.warnings == (), path.name
        assert election.num_voters == int(election.meta["num_votes"])


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (BASIC.replace("2;50;2;Second", "2;5x0;2;Second"), 15, "cost '5x0'"),
        (BASIC.replace("c;10", "c;11"), 21, "unknown project '11'"),
        (BASIC.replace("10;40;1;Third", "1;40;1;Third"), 16, "duplicate project_id '1'"),
        (BASIC.replace("a;1,2", "a;1,1"), 19, "more than once"),
        (BASIC.replace("PROJECTS\n", "").replace("project_id;cost;votes;name\n", ""), 15, "VOTES"),
        (BASIC.replace("VOTES", "META"), 17, "appears twice"),
        (BASIC.replace("budget;100", "budget;lots"), 9, "budget 'lots'"),
        (BASIC.replace("vote_type;approval", "vote_type;quadratic"), 10, "quadratic"),
        (BASIC.replace("project_id;cost;votes;name", "id;cost;votes;name"), 13, "project_id"),
        (BASIC.replace("1;60;2;First", "1;60;2;First;extra"), 14, "5 cells"),
        ("junk\n" + BASIC, 1, "before the META"),
        (CUMULATIVE.replace("1;x,y;3,2", "1;x,y;3"), 18, "points has 1 values"),
        (CUMULATIVE.replace("3;x;6", "3;x;-6"), 20, "negative points"),
        (CUMULATIVE.replace("3;x;6", "3;x;six"), 20, "'six' is not a number"),
        (CUMULATIVE.replace("voter_id;vote;points", "voter_id;vote"), 17, "'points' column"),
    ],
)
def test_malformed_files_name_the_line(text, line, message):
    with pytest.raises(PabulibError) as caught:
        read_pb_text(text)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"line {line}: ")


def test_missing_sections_are_reported():
    with pytest.raises(PabulibError, match="missing section"):
        read_pb_text(BASIC.split("VOTES")[0])
    with pytest.raises(PabulibError, match="META, PROJECTS, VOTES"):
        read_pb_text("")


def test_wrong_section_order():
    reordered = "PROJECTS\nproject_id;cost\n1;5\n" + BASIC
    with pytest.raises(PabulibError, match="where META was expected") as caught:
        read_pb_text(reordered)
    assert caught.value.line == 1


def test_undecodable_bytes(tmp_path):
    path = tmp_path / "latin1.pb"
    path.write_bytes(BASIC.replace("First", "Pi\u00f1a").encode("latin-1"))
    with pytest.raises(PabulibError, match="not UTF-8"):
        read_pb(path)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12", 12),
        ("100000.0", 100000),
        ("0.5", Fraction(1, 2)),
        ("-3", -3),
        (".25", Fraction(1, 4)),
    ],
)
def test_parse_number_is_exact(text, value):
    parsed = parse_number(text)
    assert parsed == value and type(parsed) is type(value)


@pytest.mark.parametrize("text", ["", "1_000", "nan", "inf", "1,5", "0x10", "1.2.3"])
def test_parse_number_rejects_non_numbers(text):
    with pytest.raises(ValueError):
        parse_number(text)
