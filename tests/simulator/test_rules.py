"""The simulator's pure rules: exact amounts, bounds, steps, balance, tax impact, quantiles."""

from __future__ import annotations

import random
import statistics
from decimal import Decimal
from fractions import Fraction

import pytest

from portal.simulator import rules
from portal.simulator.rules import Line, Simulator

PARKS = Line(1, 30_000_000, 10_000_000, 50_000_000, 5_000_000)
LIBRARIES = Line(2, 20_000_000, 0, 40_000_000, 5_000_000)
ROADS = Line(3, 50_000_000, 20_000_000, 80_000_000, 10_000_000)
SKATE = Line.toggle(4, 10_000_000, included=False)
BALANCED = Simulator((PARKS, LIBRARIES, ROADS, SKATE), tolerance=0)


def codes(violations):
    return sorted((v.code, v.line_id) for v in violations)


@pytest.mark.parametrize(
    ("value", "minor"),
    [
        (1500000, 150_000_000),
        ("1500000.50", 150_000_050),
        ("  1 500 000 ", 150_000_000),
        (12.3, 1230),  # a JSON float reads as the decimal it was written as
        (0.1, 10),
        ("-5", -500),
        (Decimal("2.50"), 250),
    ],
)
def test_to_minor_reads_amounts_exactly(value, minor):
    assert rules.to_minor(value, 2) == minor


@pytest.mark.parametrize("value", ["", "abc", "1,5", "NaN", "Infinity", None, True, [], {}, "1e40"])
def test_to_minor_refuses_what_is_not_an_amount(value):
    with pytest.raises(rules.AmountError) as error:
        rules.to_minor(value, 2)
    assert error.value.code == rules.INVALID_AMOUNT


def test_a_fraction_of_a_cent_is_off_step():
    with pytest.raises(rules.AmountError) as error:
        rules.to_minor("1.005", 2)
    assert error.value.code == rules.OFF_STEP
    assert rules.to_minor("7", 0) == 7
    with pytest.raises(rules.AmountError):
        rules.to_minor("7.5", 0)  # yen have no cents


def test_to_major_rounds_half_away_from_zero_exactly():
    assert rules.to_major(12345, 2) == Decimal("123.45")
    assert rules.to_major(Fraction(1, 2), 2) == Decimal("0.01")
    assert rules.to_major(Fraction(-1, 2), 2) == Decimal("-0.01")
    assert rules.to_major(Fraction(1, 3), 2) == Decimal("0.00")
    assert rules.to_major(Fraction(25, 2), 0, 1) == Decimal("12.5")


def test_current_amounts_are_a_valid_balanced_response():
    chosen = {line.id: line.current for line in BALANCED.lines}
    assert rules.check(BALANCED, chosen) == []


def test_moving_money_between_lines_keeps_the_balance():
    chosen = {1: 40_000_000, 2: 10_000_000, 3: 50_000_000, 4: 0}
    assert rules.check(BALANCED, chosen) == []
    summary = rules.summarize(BALANCED, chosen)
    assert (summary.chosen_total, summary.delta, summary.balanced) == (100_000_000, 0, True)


def test_every_broken_rule_is_reported_by_line():
    chosen = {1: 5_000_000, 2: 41_000_000, 3: 55_000_000}
    found = rules.check(BALANCED, chosen)
    assert codes(found) == [
        ("above_maximum", 2),
        ("below_minimum", 1),
        ("missing_line", 4),
        ("off_step", 2),
        ("off_step", 3),
    ]
    # balance is only judged once every line is right
    assert all(v.code != rules.UNBALANCED for v in found)


def test_unbalanced_total_is_refused_unless_within_the_tolerance():
    chosen = {1: 35_000_000, 2: 20_000_000, 3: 50_000_000, 4: 0}
    found = rules.check(BALANCED, chosen)
    assert codes(found) == [("unbalanced", None)]
    assert found[0].params == {"delta": 5_000_000, "tolerance": 0}
    tolerant = Simulator(BALANCED.lines, tolerance=5_000_000)
    assert rules.check(tolerant, chosen) == []
    assert rules.check(tolerant, {**chosen, 1: 40_000_000})[0].code == rules.UNBALANCED


def test_toggle_lines_take_nothing_or_their_cost():
    assert SKATE.allowed_amounts() == range(0, 10_000_001, 10_000_000)
    base = {1: 20_000_000, 2: 20_000_000, 3: 50_000_000}
    assert rules.check(BALANCED, {**base, 4: 10_000_000}) == []
    assert codes(rules.check(BALANCED, {**base, 4: 5_000_000})) == [("off_step", 4)]
    chosen, violations = rules.parse_choices(BALANCED, {"4": True, "1": "200000"})
    assert chosen == {4: 10_000_000, 1: 20_000_000} and violations == []


def test_parse_choices_names_unknown_lines_and_bad_amounts():
    chosen, violations = rules.parse_choices(
        BALANCED, {"99": 5, "abc": 1, "1": "lots", "2": "0.001", "3": 500000}
    )
    assert chosen == {3: 50_000_000}
    assert codes(violations) == [
        ("invalid_amount", 1),
        ("off_step", 2),
        ("unknown_line", None),
        ("unknown_line", None),
    ]


def test_validate_a_draft_fills_missing_lines_and_skips_the_balance():
    chosen, violations = rules.validate(BALANCED, {"1": 500000}, final=False)
    assert violations == []
    assert chosen == {1: 50_000_000, 2: 20_000_000, 3: 50_000_000, 4: 0}
    _chosen, final = rules.validate(BALANCED, {"1": 500000}, final=True)
    assert codes(final) == [("missing_line", 2), ("missing_line", 3), ("missing_line", 4)]
    _c, bad_draft = rules.validate(BALANCED, {"1": 500001}, final=False)
    assert codes(bad_draft) == [("above_maximum", 1), ("off_step", 1)]


def test_tax_mode_allows_a_new_total_and_prices_it_per_household():
    tax = Simulator((PARKS, LIBRARIES, ROADS), mode=rules.TAX, household_share=Decimal("0.00002"))
    chosen = {1: 50_000_000, 2: 20_000_000, 3: 50_000_000}  # +200,000.00
    assert rules.check(tax, chosen) == []
    summary = rules.summarize(tax, chosen)
    assert summary.delta == 20_000_000
    assert summary.household_impact == Decimal("4.00")  # 200,000 × 0.00002
    assert rules.household_impact(tax, -1) == Decimal("0.00")
    assert rules.household_impact(tax, -25_000) == Decimal("-0.01")  # −0.005 rounds away
    # balance mode never moves taxes
    assert rules.household_impact(BALANCED, 20_000_000) == Decimal("0.00")


def test_definition_checks():
    assert rules.check_line_definition(PARKS) == []
    assert codes(rules.check_line_definition(Line(1, 5, 10, 0, 5))) == [
        ("minimum_above_maximum", 1)
    ]
    assert codes(rules.check_line_definition(Line(1, 7, 0, 10, 5))) == [("current_off_step", 1)]
    assert codes(rules.check_line_definition(Line(1, 5, 0, 12, 5))) == [("maximum_off_step", 1)]
    assert codes(rules.check_line_definition(Line(1, 5, 0, 10, 0))) == [("step_not_positive", 1)]
    assert codes(rules.check_line_definition(Line(1, 20, 0, 10, 5))) == [
        ("current_out_of_bounds", 1)
    ]
    assert codes(rules.check_line_definition(Line(1, 0, -5, 10, 5))) == [("negative_minimum", 1)]


def _expand(counts):
    return [value for value, n in counts.items() for _ in range(n)]


@pytest.mark.parametrize("seed", range(25))
def test_statistics_from_counts_match_the_raw_values(seed):
    generator = random.Random(seed)
    counts = {generator.randrange(0, 20) * 5: generator.randrange(1, 9) for _ in range(12)}
    values = sorted(_expand(counts))
    dist = rules.distribution(counts)
    assert dist.count == len(values)
    assert dist.mean == Fraction(sum(values), len(values))
    assert dist.median == Fraction(statistics.median(values)).limit_denominator(4)
    assert (dist.minimum, dist.maximum) == (values[0], values[-1])
    # type 7 quartiles, as statistics.quantiles(method="inclusive")
    q1, _q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    assert float(dist.q1) == pytest.approx(q1)
    assert float(dist.q3) == pytest.approx(q3)


def test_quantiles_are_exact_for_huge_counts():
    counts = {100: 50_000, 200: 50_000}
    dist = rules.distribution(counts)
    assert dist.median == 150  # the two middle values are 100 and 200
    assert dist.mean == 150
    assert dist.q1 == 100 and dist.q3 == 200
    assert rules.distribution({}) is None


def test_movement_counts_raised_kept_and_cut():
    move = rules.movement({10: 3, 20: 5, 30: 2}, current=20)
    assert (move.raised, move.kept, move.cut, move.count) == (2, 5, 3, 10)
    assert move.share(move.kept) == Fraction(1, 2)
    assert rules.movement({}, 5).share(0) == 0
