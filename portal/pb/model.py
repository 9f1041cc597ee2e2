"""The election data model shared by the reader, the writer, the rules and the portal.

Money and points are exact: ``int`` when whole, ``fractions.Fraction`` otherwise, never ``float``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, NamedTuple

Money = int | Fraction
"""An exact amount of money (or of points): an ``int`` when whole, a ``Fraction`` otherwise."""

VOTE_TYPES = ("approval", "choose-1", "cumulative", "scoring", "ordinal")
"""Values of the META key ``vote_type`` that this package understands (FORMAT.md §6)."""

SECTION_NAMES = ("meta", "projects", "votes")


def exact(value: int | Fraction) -> Money:
    """Return ``value`` as an ``int`` when it is whole, else as a ``Fraction``."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else value
    raise TypeError(f"expected an int or a Fraction, got {type(value).__name__}")


def money_text(value: Money) -> str:
    """Write an exact amount in plain decimal notation (``12``, ``969245.38``).

    Raises ``ValueError`` when the amount has no finite decimal expansion (such as 1/3).
    """
    value = exact(value)
    if isinstance(value, int):
        return str(value)
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        raise ValueError(f"{value} has no finite decimal expansion")
    digits = max(twos, fives)
    scaled = abs(value) * 10**digits
    whole, frac_part = divmod(int(scaled), 10**digits)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{frac_part:0{digits}d}"


class Ballot(NamedTuple):
    """One ballot: the listed project ids and, for cumulative and scoring votes, their points.

    For approval and choose-1 votes the ids are kept in PROJECTS order (order carries no meaning),
    so identical approval ballots aggregate. Ordinal ballots list the most preferred project first.
    """

    projects: tuple[str, ...]
    points: tuple[Money, ...] = ()


@dataclass(frozen=True)
class Project:
    """A project: its id (always a string), exact cost, and the other PROJECTS columns as text."""

    id: str
    cost: Money
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.extra.get("name", "")


@dataclass(frozen=True)
class Election:
    """One participatory-budgeting election (one Pabulib file).

    ``ballots`` is a multiprofile: each distinct :class:`Ballot` maps to how many voters cast it,
    so memory stays small for whole-city files. Empty ballots are kept: they count in
    :attr:`num_voters`, which sets every voter's share in Equal Shares. Treat instances as
    immutable; the rules cache derived data on them.
    """

    meta: dict[str, str]
    projects: dict[str, Project]
    ballots: dict[Ballot, int]
    vote_type: str
    budget: Money
    project_columns: tuple[str, ...] = ("project_id", "cost")
    warnings: tuple[Any, ...] = field(default=(), compare=False)
    _cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def num_voters(self) -> int:
        return sum(self.ballots.values())

    @property
    def project_ids(self) -> tuple[str, ...]:
        """Project ids in PROJECTS (file) order."""
        return tuple(self.projects)

    def votes(self) -> dict[str, int]:
        """Number of ballots listing each project (FORMAT.md §6.2)."""
        totals = dict.fromkeys(self.projects, 0)
        for ballot, count in self.ballots.items():
            for project_id in ballot.projects:
                totals[project_id] += count
        return totals

    def scores(self) -> dict[str, Money]:
        """Total score of each project as city greedy rules rank it (FORMAT.md §6.2).

        Cumulative and scoring: the sum of the points (scoring adds ``default_score`` for every
        ballot that does not list the project). Ordinal: a k-long ranking gives k points to its top
        project and 1 to its last. Approval: the number of votes.
        """
        if self.vote_type == "ordinal":
            totals: dict[str, Money] = dict.fromkeys(self.projects, 0)
            for ballot, count in self.ballots.items():
                length = len(ballot.projects)
                for position, project_id in enumerate(ballot.projects):
                    totals[project_id] += (length - position) * count
            return totals
        if self.vote_type in ("cumulative", "scoring"):
            totals = dict.fromkeys(self.projects, 0)
            for ballot, count in self.ballots.items():
                for project_id, points in zip(ballot.projects, ballot.points, strict=True):
                    totals[project_id] += points * count
            if self.vote_type == "scoring":
                default = self.default_score
                if default:
                    votes = self.votes()
                    n = self.num_voters
                    for project_id in totals:
                        totals[project_id] += default * (n - votes[project_id])
            return {key: exact(value) for key, value in totals.items()}
        return dict(self.votes())

    @property
    def default_score(self) -> Money:
        """Score of an unlisted project on a scoring ballot (META ``default_score``, else 0)."""
        text = self.meta.get("default_score", "").strip()
        if not text or text.lower() == "none":
            return 0
        return exact(Fraction(text))
