"""The budget simulator's rules, as pure functions: no Flask, no database, no binary floats.

Money is an ``int`` of minor units (cents for EUR, yen for JPY); ``exponent`` is the number of
minor-unit digits of the currency. Residents and planners write amounts in major units
("1500000.50"); :func:`to_minor` turns them into minor units exactly or says why it cannot.

A line's allowed amounts are ``minimum + k * step`` up to ``maximum`` (the grid an HTML
``<input type="range" min= step=>`` uses too). An on/off line (a project in or out) is the
same with ``minimum = 0`` and ``step = maximum = cost``: its amounts are ``0`` and ``cost``.

Every check returns *all* broken rules as :class:`Violation` values with a machine code; the
caller translates them (see ``portal.simulator.messages``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

BALANCE = "balance"
TAX = "tax"
MODES = (BALANCE, TAX)
AMOUNT = "amount"
TOGGLE = "toggle"
KINDS = (AMOUNT, TOGGLE)

# Machine codes of the rules a response can break.
BELOW_MINIMUM = "below_minimum"
ABOVE_MAXIMUM = "above_maximum"
OFF_STEP = "off_step"
UNBALANCED = "unbalanced"
UNKNOWN_LINE = "unknown_line"
MISSING_LINE = "missing_line"
INVALID_AMOUNT = "invalid_amount"

# Machine codes of the rules a planner's definition can break.
STEP_NOT_POSITIVE = "step_not_positive"
NEGATIVE_MINIMUM = "negative_minimum"
MINIMUM_ABOVE_MAXIMUM = "minimum_above_maximum"
CURRENT_OUT_OF_BOUNDS = "current_out_of_bounds"
CURRENT_OFF_STEP = "current_off_step"
MAXIMUM_OFF_STEP = "maximum_off_step"
NEGATIVE_TOLERANCE = "negative_tolerance"
NEGATIVE_SHARE = "negative_share"

MAX_MINOR = 10**15  # far above any municipal budget; keeps sums inside a 64-bit column


class AmountError(ValueError):
    """An amount could not be read; ``code`` is ``invalid_amount`` or ``off_step``."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Line:
    id: int
    current: int
    minimum: int
    maximum: int
    step: int
    kind: str = AMOUNT

    @classmethod
    def toggle(cls, id: int, cost: int, included: bool) -> Line:  # noqa: A002 - mirrors field
        """An on/off line: ``cost`` when in, ``0`` when out."""
        return cls(id, cost if included else 0, 0, cost, cost, TOGGLE)

    def on_step(self, amount: int) -> bool:
        return self.step > 0 and (amount - self.minimum) % self.step == 0

    def allowed_amounts(self) -> range:
        return range(self.minimum, self.maximum + 1, self.step)


@dataclass(frozen=True)
class Simulator:
    lines: tuple[Line, ...]
    mode: str = BALANCE
    tolerance: int = 0  # minor units; balance mode only
    household_share: Decimal = Decimal(0)  # change per household = change in total × share
    exponent: int = 2

    @property
    def current_total(self) -> int:
        return sum(line.current for line in self.lines)

    def line(self, line_id: int) -> Line | None:
        for line in self.lines:
            if line.id == line_id:
                return line
        return None


@dataclass(frozen=True)
class Violation:
    code: str
    line_id: int | None = None
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Summary:
    """The running figures shown to a resident (all money in minor units but the impact)."""

    current_total: int
    chosen_total: int
    delta: int  # chosen - current
    balanced: bool  # within the tolerance (always True in tax mode)
    household_impact: Decimal  # major units per household per year, rounded to the minor unit


# --- amounts ---------------------------------------------------------------------------------


def to_minor(value: Any, exponent: int) -> int:
    """Read an amount in major units (int, decimal string or float from JSON) as minor units.

    Raises :class:`AmountError` ``invalid_amount`` for anything that is not a finite number,
    and ``off_step`` for a fraction of the smallest unit (no step can reach it).
    """
    if isinstance(value, bool) or value is None:
        raise AmountError(INVALID_AMOUNT)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest decimal that reads back as this float
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "").replace("_", "")
        if not text or len(text) > 40:
            raise AmountError(INVALID_AMOUNT)
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise AmountError(INVALID_AMOUNT) from exc
    else:
        raise AmountError(INVALID_AMOUNT)
    if not number.is_finite():
        raise AmountError(INVALID_AMOUNT)
    scaled = number.scaleb(exponent)
    if abs(scaled) > MAX_MINOR:
        raise AmountError(INVALID_AMOUNT)
    if scaled != scaled.to_integral_value():
        raise AmountError(OFF_STEP)
    return int(scaled)


def to_major(minor: int | Fraction, exponent: int, places: int | None = None) -> Decimal:
    """Minor units (or an exact fraction of them) as a Decimal in major units, rounded half-up
    (ties away from zero) to ``places`` decimals (default: the currency's ``exponent``)."""
    places = exponent if places is None else places
    scaled = Fraction(minor) * Fraction(10) ** (places - exponent)
    sign = -1 if scaled < 0 else 1
    rounded = int(abs(scaled) + Fraction(1, 2))  # floor(|x| + 1/2): half-up, exactly
    return Decimal(sign * rounded).scaleb(-places)


def parse_share(value: Any) -> Decimal:
    """A household share such as ``"0.00002"`` (1 in 50,000). Raises :class:`AmountError`."""
    if isinstance(value, bool) or value is None:
        raise AmountError(INVALID_AMOUNT)
    try:
        share = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise AmountError(INVALID_AMOUNT) from exc
    if not share.is_finite() or share < 0 or share > 1:
        raise AmountError(INVALID_AMOUNT)
    return share


# --- a resident's choices --------------------------------------------------------------------


def parse_choices(
    simulator: Simulator, raw: Mapping[Any, Any]
) -> tuple[dict[int, int], list[Violation]]:
    """Turn ``{"<line id>": amount}`` into ``{line_id: minor}``, collecting unreadable entries.

    On/off lines also accept ``true``/``false``.
    """
    chosen: dict[int, int] = {}
    violations: list[Violation] = []
    for key, value in raw.items():
        line_id = _line_id(key)
        line = simulator.line(line_id) if line_id is not None else None
        if line is None:
            violations.append(Violation(UNKNOWN_LINE, None, {"key": str(key)[:40]}))
            continue
        if line.kind == TOGGLE and isinstance(value, bool):
            chosen[line.id] = line.maximum if value else 0
            continue
        try:
            chosen[line.id] = to_minor(value, simulator.exponent)
        except AmountError as error:
            violations.append(Violation(error.code, line.id))
    return chosen, violations


def _line_id(key: Any) -> int | None:
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key
    text = str(key).strip()
    if text.isdigit() and len(text) <= 18:
        return int(text)
    return None


def check_line(line: Line, amount: int) -> list[Violation]:
    found = []
    if amount < line.minimum:
        found.append(Violation(BELOW_MINIMUM, line.id, {"minimum": line.minimum}))
    elif amount > line.maximum:
        found.append(Violation(ABOVE_MAXIMUM, line.id, {"maximum": line.maximum}))
    if not line.on_step(amount):
        found.append(Violation(OFF_STEP, line.id, {"step": line.step, "minimum": line.minimum}))
    return found


def check(
    simulator: Simulator,
    chosen: Mapping[int, int],
    *,
    complete: bool = True,
    balanced: bool = True,
) -> list[Violation]:
    """Every rule ``chosen`` breaks: bounds and steps per line, every line present
    (``complete``) and, in balance mode, the total within the tolerance (``balanced``)."""
    violations: list[Violation] = []
    for line in simulator.lines:
        if line.id not in chosen:
            if complete:
                violations.append(Violation(MISSING_LINE, line.id))
            continue
        violations += check_line(line, chosen[line.id])
    known = {line.id for line in simulator.lines}
    violations += [
        Violation(UNKNOWN_LINE, key, {"key": str(key)}) for key in chosen if key not in known
    ]
    if balanced and simulator.mode == BALANCE and not violations:
        summary = summarize(simulator, chosen)
        if not summary.balanced:
            violations.append(
                Violation(
                    UNBALANCED,
                    None,
                    {"delta": summary.delta, "tolerance": simulator.tolerance},
                )
            )
    return violations


def validate(
    simulator: Simulator, raw: Mapping[Any, Any], *, final: bool = True
) -> tuple[dict[int, int], list[Violation]]:
    """Parse and check a submission. A draft (``final=False``) may leave lines out (they keep
    their current amount) and may be out of balance; bounds and steps still hold."""
    chosen, violations = parse_choices(simulator, raw)
    if not final:
        chosen = {line.id: chosen.get(line.id, line.current) for line in simulator.lines} | chosen
    violations += check(simulator, chosen, complete=final, balanced=final and not violations)
    return chosen, violations


def household_impact(simulator: Simulator, delta: int | Fraction) -> Decimal:
    """Yearly change for a typical household, in major units, rounded half-up to the minor unit
    (exact: ``delta × household_share``). Zero in balance mode: the total does not move."""
    if simulator.mode != TAX:
        return to_major(0, simulator.exponent)
    return to_major(Fraction(delta) * Fraction(simulator.household_share), simulator.exponent)


def summarize(simulator: Simulator, chosen: Mapping[int, int]) -> Summary:
    """Totals for ``chosen`` (lines left out count at their current amount)."""
    total = sum(chosen.get(line.id, line.current) for line in simulator.lines)
    current = simulator.current_total
    delta = total - current
    balanced = simulator.mode != BALANCE or abs(delta) <= simulator.tolerance
    return Summary(current, total, delta, balanced, household_impact(simulator, delta))


# --- a planner's definition ------------------------------------------------------------------


def check_line_definition(line: Line) -> list[Violation]:
    found = []
    if line.step <= 0:
        found.append(Violation(STEP_NOT_POSITIVE, line.id))
    if line.minimum < 0:
        found.append(Violation(NEGATIVE_MINIMUM, line.id))
    if line.minimum > line.maximum:
        found.append(Violation(MINIMUM_ABOVE_MAXIMUM, line.id))
    elif not line.minimum <= line.current <= line.maximum:
        found.append(Violation(CURRENT_OUT_OF_BOUNDS, line.id))
    if line.step > 0 and not found:
        if not line.on_step(line.current):
            found.append(Violation(CURRENT_OFF_STEP, line.id))
        if not line.on_step(line.maximum):
            found.append(Violation(MAXIMUM_OFF_STEP, line.id))
    return found


# --- statistics from counts ------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """Exact statistics of a multiset given as ``{value: count}`` (values in minor units)."""

    count: int
    mean: Fraction
    minimum: int
    q1: Fraction
    median: Fraction
    q3: Fraction
    maximum: int


@dataclass(frozen=True)
class Movement:
    """How many chose more than, the same as, or less than the current amount."""

    raised: int
    kept: int
    cut: int

    @property
    def count(self) -> int:
        return self.raised + self.kept + self.cut

    def share(self, part: int) -> Fraction:
        return Fraction(part, self.count) if self.count else Fraction(0)


def _sorted_counts(counts: Mapping[int, int] | Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    items = counts.items() if isinstance(counts, Mapping) else counts
    merged: dict[int, int] = {}
    for value, number in items:
        if number:
            merged[value] = merged.get(value, 0) + number
    return sorted(merged.items())


def quantile(sorted_counts: list[tuple[int, int]], p: Fraction) -> Fraction:
    """The p-quantile by linear interpolation between closest ranks (Hyndman & Fan type 7,
    the default of R and NumPy), computed exactly from ``[(value, count), ...]`` sorted."""
    cumulative = []
    running = 0
    for _value, number in sorted_counts:
        running += number
        cumulative.append(running)
    n = running
    if n == 0:
        raise ValueError("quantile of an empty distribution")

    def nth(k: int) -> int:  # the k-th smallest (0-based)
        return sorted_counts[bisect.bisect_right(cumulative, k)][0]

    h = (n - 1) * p
    low = h.numerator // h.denominator
    frac = h - low
    lower = nth(low)
    if frac == 0:
        return Fraction(lower)
    upper = nth(low + 1)
    return lower + frac * (upper - lower)


def distribution(counts: Mapping[int, int] | Iterable[tuple[int, int]]) -> Distribution | None:
    items = _sorted_counts(counts)
    n = sum(number for _v, number in items)
    if n == 0:
        return None
    total = sum(value * number for value, number in items)
    return Distribution(
        count=n,
        mean=Fraction(total, n),
        minimum=items[0][0],
        q1=quantile(items, Fraction(1, 4)),
        median=quantile(items, Fraction(1, 2)),
        q3=quantile(items, Fraction(3, 4)),
        maximum=items[-1][0],
    )


def movement(counts: Mapping[int, int] | Iterable[tuple[int, int]], current: int) -> Movement:
    raised = kept = cut = 0
    for value, number in _sorted_counts(counts):
        if value > current:
            raised += number
        elif value < current:
            cut += number
        else:
            kept += number
    return Movement(raised, kept, cut)
