"""The Method of Equal Shares (MES) and its "Add1" completions, in exact integer arithmetic.

Definitions follow FORMAT.md §9.2. Each voter starts with the same budget ``b0``. A project ``p``
is bought at the smallest price per unit of satisfaction ``rho`` such that its supporters, each
paying ``min(budget_i, rho * sat_i(p))``, cover its cost; the affordable project with the
smallest ``rho`` wins, ties going to the tie-breaking order. This repeats until no project is
affordable.

Exact without ``Fraction`` in the inner loops: every budget is an integer over one common
denominator ``D``; buying a project multiplies ``D`` by the smallest factor that keeps all
payments integral. Prices are integer pairs compared by cross multiplication.

Fast:

* voters hold few distinct budgets, so they are grouped into budget *classes* and a price is
  computed over the distinct classes of a project's supporters (counted in C);
* as in pabutools, a project's price never falls as budgets shrink, so a price computed earlier
  is a lower bound, and projects whose bound already exceeds the round's best are skipped;
* Add1 reruns MES with ever larger budgets. The first rounds in which every examined project
  was affordable by all its supporters at the equal price do not depend on the start budget,
  so a :class:`Checkpoint` lets the next run resume after them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from copy import copy
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import accumulate
from math import gcd
from operator import mul
from typing import Any

from portal.pb.prepared import Prepared, SatView

TieKey = Callable[[int], object]


@dataclass
class Purchase:
    """One project bought by MES: its price and who paid what (scaled units, over ``D``)."""

    project: int
    rho: Fraction  # price per unit of (scaled) satisfaction, in scaled money
    payments: dict[Fraction, int]  # payment per voter (scaled money) -> number of voters
    exhausted: int  # voters who paid all they had left


@dataclass
class MesRun:
    """The outcome of one MES run, with the details the explanations need when recorded."""

    per_voter: Fraction  # scaled money
    selected: list[int]
    purchases: list[Purchase] = field(default_factory=list)
    final_budgets: list[Fraction] | None = None  # per ballot group, scaled money


def mes_run(
    prep: Prepared,
    view: SatView,
    per_voter: Fraction,
    tie_key: TieKey,
    record: bool = False,
    checkpoint: Checkpoint | None = None,
) -> MesRun:
    """Run MES once with every voter starting at ``per_voter`` (scaled money).

    ``checkpoint`` (for Add1 loops, whose budgets only grow) lets this run resume after the
    rounds that an earlier, poorer run proved independent of the budget, and is updated.
    """
    run = MesRun(per_voter=per_voter, selected=list(view.free))
    if prep.num_voters == 0:
        return run
    if checkpoint is not None and checkpoint.state is not None:
        state, alive, run.selected = checkpoint.resume(per_voter)
    else:
        state = _State(prep, view, per_voter)
        alive = list(view.candidates)
    # While every round so far was budget-independent, keep the checkpoint up to date.
    saver = checkpoint if not record else None
    while alive:
        state.stable = True
        if saver is not None:
            # This round may turn out budget-dependent; its evaluations then update the price
            # bounds with values that a richer run must not inherit.
            bounds = list(state.bound_num), list(state.bound_den)
        chosen, price, dead = _best_project(state, alive, tie_key)
        if saver is not None and not state.stable:
            saved = saver.save(state, per_voter, alive, run.selected)
            saved.bound_num, saved.bound_den = bounds
            saver = None
        for p in dead:
            alive.remove(p)
        if chosen is None:
            break
        alive.remove(chosen)
        run.selected.append(chosen)
        if record:
            run.purchases.append(state.pay_recorded(chosen, price))
        else:
            state.pay(chosen, price)
    if saver is not None:
        saver.save(state, per_voter, alive, run.selected)
    if record:
        run.final_budgets = [state.budget(g) for g in range(len(prep.multiplicity))]
    return run


class Checkpoint:
    """The state of MES after its budget-independent first rounds, reusable for larger budgets.

    A round is budget-independent ("stable") when every project evaluated in it was affordable
    and all its supporters could pay the equal price: then prices are cost / total satisfaction
    and each supporter pays a fixed amount. With a larger start budget every voter simply holds
    that much more, so the same rounds happen again and the saved state, shifted, is exact.
    """

    def __init__(self) -> None:
        self.state: _State | None = None
        self.per_voter = Fraction(0)
        self.alive: list[int] = []
        self.selected: list[int] = []

    def save(
        self, state: _State, per_voter: Fraction, alive: list[int], selected: list[int]
    ) -> _State:
        """Keep a copy of ``state`` (returned, for adjustments) and of the run's lists."""
        self.state = state.copy()
        self.per_voter = per_voter
        self.alive = list(alive)
        self.selected = list(selected)
        return self.state

    def resume(self, per_voter: Fraction) -> tuple[_State, list[int], list[int]]:
        assert self.state is not None and per_voter >= self.per_voter
        state = self.state.copy()
        state.shift(per_voter - self.per_voter)
        return state, list(self.alive), list(self.selected)


class _State:
    """Voter budgets as classes: group ``g`` holds ``values[classes[g]] / denominator``.

    Supporters of a project hold far fewer distinct budgets than there are voters (everybody
    starts equal and pays the same few amounts), so prices are computed over the distinct
    classes of its supporters, counted in C with ``collections.Counter``; after a purchase each
    paying class moves to one new class, and rescaling only touches the class table.
    """

    def __init__(self, prep: Prepared, view: SatView, per_voter: Fraction) -> None:
        self.prep = prep
        self.view = view
        self.denominator = per_voter.denominator
        self.values = [per_voter.numerator, 0]  # class 1 is the shared "nothing left" class
        self.classes = [0] * len(prep.multiplicity)
        self.counted: dict[int, Counter[Any]] = {}
        self.compact_at = 256
        self.stable = True  # no evaluation of this round depended on the start budget
        # Lower bounds of the prices, starting from "everybody can pay": cost / total sat.
        self.bound_num = list(prep.costs)
        self.bound_den = [t if t else 1 for t in view.total]

    def copy(self) -> _State:
        twin = copy(self)
        twin.values = list(self.values)
        twin.classes = list(self.classes)
        twin.bound_num = list(self.bound_num)
        twin.bound_den = list(self.bound_den)
        twin.counted = {}
        return twin

    def shift(self, extra: Fraction) -> None:
        """Give every voter ``extra`` more money (scaled); ``extra * D`` is an integer."""
        amount = extra * self.denominator
        assert amount.denominator == 1
        values = [v + amount.numerator for v in self.values]
        values[1] = 0  # class 1 stays "nothing left"; its holders get a class of their own
        if 1 in self.classes:
            values.append(amount.numerator)
            self.classes = [len(values) - 1 if c == 1 else c for c in self.classes]
        self.values = values

    def budget(self, g: int) -> Fraction:
        """Current budget of one voter of group ``g`` (scaled money)."""
        return Fraction(self.values[self.classes[g]], self.denominator)

    def price(self, p: int) -> tuple[int, int] | None:
        """Exact price of ``p`` as (numerator, denominator), or ``None`` if unaffordable.

        The numerator is the money still to be covered by the "rich" supporters (scaled,
        over ``D``); the denominator is ``D`` times their total satisfaction.
        """
        view = self.view
        classes = self.classes
        needed = self.prep.costs[p] * self.denominator
        values = self.values
        sats = view.sats[p]
        if sats is None:
            counted = self.counted[p] = Counter(view.gather_single[p](classes))
            for g, n in view.crowds[p]:
                counted[classes[g]] += n
            budgets = list(map(values.__getitem__, counted))
            if sum(map(mul, budgets, counted.values())) < needed:
                self.stable = False
                return None
            weight = view.weight[p]
            if min(budgets) * weight >= needed:
                return needed, self.denominator * weight * view.unit[p]
            self.stable = False
            pairs = sorted(zip(budgets, counted.values(), strict=True))
            uncovered, rich = _uniform_split(pairs, needed, weight)
            return uncovered, self.denominator * rich * view.unit[p]
        held = view.gather_voters[p](classes)
        if sum(map(values.__getitem__, held)) < needed:
            self.stable = False
            return None
        pairs = self.counted[p] = Counter(zip(held, view.voter_sats[p], strict=True))
        triples = [(values[c], s, n) for (c, s), n in pairs.items()]
        uncovered, rich_sat = _weighted_split(triples, needed, view.total[p])
        if rich_sat != view.total[p]:
            self.stable = False
        return uncovered, self.denominator * rich_sat

    def _rescale(self, factor: int) -> None:
        if factor > 1:
            self.values = [v * factor for v in self.values]
            self.denominator *= factor

    def _compact(self) -> None:
        """Drop classes no voter holds any more, so rescaling stays cheap."""
        live = sorted(set(self.classes) | {1})
        renumber = {old: new for new, old in enumerate(live)}
        values = self.values
        self.values = [values[c] for c in live]
        self.classes = [renumber[c] for c in self.classes]
        self.counted = {}
        self.compact_at = max(256, 4 * len(live))

    def pay(self, p: int, price: tuple[int, int]) -> dict[int, int]:
        """Charge the supporters of ``p`` at ``price``; return paid amount (over D) -> voters.

        The denominator is first multiplied by the smallest factor that makes every payment
        an integer. Uses the class counts of the last :meth:`price` call for ``p``.
        """
        view = self.view
        num, den = price
        over_d = den // self.denominator  # the rich supporters' total satisfaction
        counted = self.counted[p]
        paid: dict[int, int] = {}
        if view.sats[p] is None:
            # Every rich supporter pays num / rich_weight (over D): one amount for all.
            rich_weight = over_d // view.unit[p]
            common = gcd(rich_weight, num)
            self._rescale(rich_weight // common)
            move = self._moves(counted.items(), num // common, paid)
            classes = self.classes
            for g in view.supporters[p]:
                classes[g] = move[classes[g]]
        else:
            # A supporter with satisfaction s pays num * s / over_d (over D).
            old_denominator = self.denominator
            self._rescale(over_d // gcd(over_d, num * view.sat_gcd[p]))
            scaled = num * (self.denominator // old_denominator)
            moves = self._weighted_moves(counted.items(), scaled, over_d, paid)
            classes = self.classes
            for g, s in zip(view.supporters[p], view.sats[p], strict=True):
                classes[g] = moves[classes[g], s]
        if len(self.values) > self.compact_at:
            self._compact()
        return paid

    def _moves(self, counted: Any, due: int, paid: dict[int, int]) -> dict[int, int]:
        """New class of each old class after paying ``due``; fills ``paid``."""
        values = self.values
        move = {}
        for c, n in counted:
            value = values[c]
            if value > due:
                move[c] = len(values)
                values.append(value - due)
                paid[due] = paid.get(due, 0) + n
            else:
                move[c] = 1
                paid[value] = paid.get(value, 0) + n
        return move

    def _weighted_moves(
        self, counted: Any, scaled: int, over_d: int, paid: dict[int, int]
    ) -> dict[tuple[int, int], int]:
        values = self.values
        moves = {}
        for (c, s), n in counted:
            value = values[c]
            due = scaled * s // over_d
            if value > due:
                moves[c, s] = len(values)
                values.append(value - due)
                paid[due] = paid.get(due, 0) + n
            else:
                moves[c, s] = 1
                paid[value] = paid.get(value, 0) + n
        return moves

    def pay_recorded(self, p: int, price: tuple[int, int]) -> Purchase:
        """:meth:`pay`, also returning who paid what (for explanations)."""
        paid = self.pay(p, price)
        multiplicity = self.prep.multiplicity
        exhausted = sum(
            multiplicity[g] for g in self.view.supporters[p] if self.values[self.classes[g]] == 0
        )
        payments = {Fraction(amount, self.denominator): n for amount, n in paid.items()}
        return Purchase(p, Fraction(price[0], price[1]), payments, exhausted)


def _uniform_split(items: list[tuple[int, int]], needed: int, weight: int) -> tuple[int, int]:
    """Solve sum(n * min(v, alpha)) = needed over sorted (budget v, voters n) pairs.

    Returns (needed - money of the poor, number of rich voters): ``alpha``, the payment of
    each rich voter, is their ratio. Voters holding less than ``alpha`` ("poor") pay all they
    have. In budget order the poor come first, and once a class can pay the price computed
    as if all before it were poor, so can every later one: a binary search finds the first.
    """
    if len(items) < 48:  # a plain scan is cheaper than the search's set-up
        covered, rich = 0, weight
        for value, n in items:
            if value * rich >= needed - covered:
                break
            covered += value * n
            rich -= n
        return needed - covered, rich
    budgets, voters = zip(*items, strict=True)
    covered = list(accumulate(map(mul, budgets, voters), initial=0))
    poor = list(accumulate(voters, initial=0))
    low, high = 0, len(items) - 1  # the last class can always pay: the project is affordable
    while low < high:
        middle = (low + high) // 2
        if budgets[middle] * (weight - poor[middle]) >= needed - covered[middle]:
            high = middle
        else:
            low = middle + 1
    return needed - covered[low], weight - poor[low]


def _weighted_split(
    triples: list[tuple[int, int, int]], needed: int, total_sat: int
) -> tuple[int, int]:
    """Like :func:`_uniform_split` over (budget, satisfaction, voters); returns the split.

    Returns (needed - money of the poor, total satisfaction of the rich). Iterates the
    poor/rich split: start with everybody rich, move to "poor" everyone who cannot pay at the
    current price, recompute; the price only rises and stops at the exact root.
    """
    uncovered = needed
    rich_sat = total_sat
    rich = triples
    while True:
        poor = [t for t in rich if t[0] * rich_sat < uncovered * t[1]]
        if not poor:
            return uncovered, rich_sat
        for value, sat, n in poor:
            uncovered -= value * n
            rich_sat -= sat * n
        poor_set = set(poor)
        rich = [t for t in rich if t not in poor_set]


def _best_project(
    state: _State, alive: list[int], tie_key: TieKey
) -> tuple[int | None, tuple[int, int], list[int]]:
    """The affordable project with the lowest price (ties by ``tie_key``), and the dead ones.

    The returned price is the chosen project's own (numerator, denominator) pair: equal
    prices of different projects are different pairs, and :meth:`_State.pay` needs its own.
    """
    bound_num, bound_den = state.bound_num, state.bound_den
    best_num, best_den = 0, 0
    tied: list[int] = []
    dead: list[int] = []
    for p in sorted(alive, key=lambda q: bound_num[q] / bound_den[q]):
        if tied and bound_num[p] * best_den > best_num * bound_den[p]:
            continue  # its price can only have risen since it was last computed
        price = state.price(p)
        if price is None:
            dead.append(p)  # budgets only shrink, so it never becomes affordable again
            continue
        num, den = price
        bound_num[p], bound_den[p] = num, den
        if not tied or num * best_den < best_num * den:
            best_num, best_den, tied = num, den, [p]
        elif num * best_den == best_num * den:
            tied.append(p)
    if not tied:
        return None, (0, 1), dead
    chosen = min(tied, key=tie_key)
    return chosen, (bound_num[chosen], bound_den[chosen]), dead


# --- completions -------------------------------------------------------------------------


def total_cost(prep: Prepared, selected: Sequence[int]) -> int:
    return sum(prep.costs[p] for p in selected)


def is_exhaustive(prep: Prepared, selected: Sequence[int], available: Sequence[int]) -> bool:
    """True when no project of ``available`` outside ``selected`` still fits in the budget."""
    chosen = set(selected)
    room = prep.budget - total_cost(prep, selected)
    return all(prep.costs[p] > room for p in available if p not in chosen)


_LOOP_BEFORE_JUMP = 200
"""Add1 iterations tried before jumping ahead when every supported project fits in the budget."""


def _fits_entirely(prep: Prepared, view: SatView) -> bool:
    return total_cost(prep, [*view.free, *view.candidates]) <= prep.budget


def _all_bought(prep: Prepared, view: SatView, start: Fraction, tie_key: TieKey) -> MesRun:
    """First run (stepping by 1 per voter) that buys every supported project.

    Used when all supported projects fit in the budget together: then every Add1 variant
    ends exactly when MES buys them all (no outcome can be too expensive, and while one is
    missing it still fits). The set is therefore known; only the per-voter budget shown in
    explanations needs a run. After a bounded number of steps the budget jumps by doubling.
    """
    wanted = len(view.free) + len(view.candidates)
    per_voter = start
    step = prep.money_scale
    checkpoint = Checkpoint()
    for _ in range(_LOOP_BEFORE_JUMP):
        run = mes_run(prep, view, per_voter, tie_key, checkpoint=checkpoint)
        if len(run.selected) == wanted:
            return run
        per_voter += step
    while True:
        step *= 2
        per_voter += step
        run = mes_run(prep, view, per_voter, tie_key, checkpoint=checkpoint)
        if len(run.selected) == wanted:
            return run


def mes_pabutools_add1(prep: Prepared, view: SatView, tie_key: TieKey) -> MesRun:
    """pabutools' iterated MES (``voter_budget_increment=1``), FORMAT.md §9.2.

    Per-voter budgets B/n, B/n + 1, ...: return the first outcome that is exhaustive over the
    supported projects; if an outcome costs more than B, return the previous one.
    """
    if prep.num_voters == 0:
        return MesRun(Fraction(0), [])
    start = Fraction(prep.budget, prep.num_voters)
    if _fits_entirely(prep, view):
        return _all_bought(prep, view, start, tie_key)
    previous = MesRun(start, list(view.free))
    per_voter = start
    checkpoint = Checkpoint()
    while True:
        run = mes_run(prep, view, per_voter, tie_key, checkpoint=checkpoint)
        if total_cost(prep, run.selected) > prep.budget:
            return previous
        if is_exhaustive(prep, run.selected, view.candidates):
            return run
        previous = run
        per_voter += prep.money_scale


def mes_integral_add1(
    prep: Prepared, view: SatView, tie_key: TieKey, *, exhaustive_stop: bool
) -> MesRun:
    """The equalshares.net / Pabulib validator "Add1" (FORMAT.md §9.2).

    Start at floor(B/n) per voter and add 1 per voter while the next outcome costs at most B.
    With ``exhaustive_stop`` (equalshares.net) also stop as soon as the current outcome is
    exhaustive over all projects. When all supported projects fit in the budget together, both
    end exactly when MES buys them all (the validator itself would never stop there).
    """
    if prep.num_voters == 0:
        return MesRun(Fraction(0), [])
    step = prep.money_scale
    per_voter = Fraction(prep.budget // (step * prep.num_voters) * step)
    if _fits_entirely(prep, view):
        return _all_bought(prep, view, per_voter, tie_key)
    all_projects = range(len(prep.ids))
    checkpoint = Checkpoint()
    current = mes_run(prep, view, per_voter, tie_key, checkpoint=checkpoint)
    while True:
        if exhaustive_stop and is_exhaustive(prep, current.selected, all_projects):
            return current
        following = mes_run(prep, view, per_voter + step, tie_key, checkpoint=checkpoint)
        if total_cost(prep, following.selected) > prep.budget:
            return current
        current = following
        per_voter += step
