"""Read and write Pabulib ``.pb`` files (see FORMAT.md in the test data folder).

The reader streams the file row by row through :mod:`csv` with ``;`` as delimiter, so quoted
cells with ``;``, doubled quotes and quotes in mid-field behave as in pabutools and the Pabulib
validator. It is tolerant where the data are (trimmed cells and list items, ``None`` for missing
values, comma decimals in ``budget`` and ``cost``, blank lines, any line ending, a byte-order
mark) and strict where a wrong guess would change a result: such problems raise
:class:`PabulibError` with the 1-based line number. Curator conveniences that do not change
results (``num_votes``, the ``votes``/``score`` columns) only produce :class:`PabulibWarning`.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TextIO

from portal.pb.model import (
    SECTION_NAMES,
    VOTE_TYPES,
    Ballot,
    Election,
    Money,
    Project,
    exact,
    money_text,
)

__all__ = [
    "PabulibError",
    "PabulibWarning",
    "dumps_pb",
    "parse_number",
    "read_pb",
    "read_pb_text",
    "write_pb",
]

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_REQUIRED_META = (
    "description",
    "country",
    "unit",
    "instance",
    "num_projects",
    "num_votes",
    "budget",
    "vote_type",
    "rule",
)
# Keys the writer always derives from the election itself, so they cannot go stale.
_DERIVED_META = ("num_projects", "num_votes", "budget", "vote_type")


class PabulibError(ValueError):
    """A file that cannot be read without guessing. ``line`` is 1-based (``None`` if unknown)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


@dataclass(frozen=True)
class PabulibWarning:
    """A data problem that does not change any result, such as a stale ``votes`` column."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


def parse_number(text: str, *, comma_decimal: bool = False) -> Money:
    """Parse plain decimal notation exactly (``"100000.0"`` -> 100000, ``"0.5"`` -> 1/2).

    ``comma_decimal`` also accepts one ``,`` as the decimal separator, as pabutools does for
    ``budget`` and ``cost``. Raises ``ValueError`` for anything else.
    """
    cleaned = text.strip()
    if comma_decimal and cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")
    if not _NUMBER.fullmatch(cleaned):
        raise ValueError(f"not a number: {text!r}")
    return exact(Fraction(cleaned))


def _missing(cell: str) -> bool:
    return cell == "" or cell.lower() == "none"


def _split_list(cell: str) -> list[str]:
    """Split a comma list, trimming items and dropping empty ones (trailing commas)."""
    if _missing(cell):
        return []
    return [item.strip() for item in cell.split(",") if item.strip()]


def read_pb(source: str | os.PathLike[str] | TextIO, *, strict: bool = False) -> Election:
    """Read a ``.pb`` file from a path or from a text stream.

    A path is opened as ``utf-8-sig``; a stream should be opened with ``newline=""`` so that
    line breaks inside quoted cells survive (CR, LF and CRLF all end a row either way). With
    ``strict`` every warning becomes a :class:`PabulibError`.
    """
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, encoding="utf-8-sig", newline="") as stream:
                return _Reader(stream, strict).read()
        except UnicodeDecodeError as error:
            raise PabulibError(f"not UTF-8 text ({error.reason} at byte {error.start})") from None
    return _Reader(source, strict).read()


def read_pb_text(text: str, *, strict: bool = False) -> Election:
    """Read a ``.pb`` file held in a string."""
    return read_pb(io.StringIO(text, newline=""), strict=strict)


class _Reader:
    """One pass over the rows of a file; a small state machine over the three sections."""

    def __init__(self, stream: TextIO, strict: bool) -> None:
        self.rows = csv.reader(stream, delimiter=";", quotechar='"')
        self.strict = strict
        self.warnings: list[PabulibWarning] = []
        self.meta: dict[str, str] = {}
        self.meta_lines: dict[str, int] = {}
        self.projects: dict[str, Project] = {}
        self.project_lines: dict[str, int] = {}
        self.project_columns: tuple[str, ...] = ()
        self.vote_columns: tuple[str, ...] = ()
        self.ballots: dict[Ballot, int] = {}
        self.voter_ids: set[str] = set()
        self.num_rows_votes = 0
        self.vote_type = ""
        self.budget: Money = 0
        self.project_index: dict[str, int] = {}

    @property
    def line(self) -> int:
        return self.rows.line_num

    def warn(self, message: str, line: int | None = None) -> None:
        line = self.line if line is None else line
        if self.strict:
            raise PabulibError(message, line)
        self.warnings.append(PabulibWarning(line, message))

    def _cells(self) -> Iterator[list[str]]:
        """Yield non-blank rows as trimmed cells, turning csv errors into PabulibError."""
        first = True
        while True:
            try:
                row = next(self.rows)
            except StopIteration:
                return
            except csv.Error as error:
                raise PabulibError(f"unreadable CSV row: {error}", self.line + 1) from None
            if first and row:
                row[0] = row[0].removeprefix("\ufeff")  # a BOM left by a stream reader
                first = False
            cells = [cell.strip() for cell in row]
            if any(cells):
                yield cells

    def read(self) -> Election:
        handlers = {
            "meta": self._meta_row,
            "projects": self._project_row,
            "votes": self._vote_row,
        }
        seen: list[str] = []
        section = ""
        rows = self._cells()
        for cells in rows:
            marker = cells[0].lower()
            if marker in SECTION_NAMES:
                self._enter_section(marker, seen)
                seen.append(marker)
                section = marker
                self._read_header(section, rows)
            elif not section:
                raise PabulibError("data before the META section marker", self.line)
            else:
                handlers[section](cells)
        if len(seen) < len(SECTION_NAMES):
            missing = [name.upper() for name in SECTION_NAMES if name not in seen]
            raise PabulibError(f"missing section(s): {', '.join(missing)}", self.line or None)
        return self._finish()

    def _enter_section(self, marker: str, seen: list[str]) -> None:
        if marker in seen:
            raise PabulibError(f"section {marker.upper()} appears twice", self.line)
        expected = SECTION_NAMES[len(seen)]
        if marker != expected:
            raise PabulibError(
                f"section {marker.upper()} found where {expected.upper()} was expected "
                "(sections must be META, PROJECTS, VOTES in this order)",
                self.line,
            )
        if marker == "projects":
            self._check_meta()

    def _read_header(self, section: str, rows: Iterator[list[str]]) -> None:
        header = next(rows, None)
        if header is None:
            raise PabulibError(f"section {section.upper()} has no header row", self.line)
        names = [cell.lower() for cell in header]
        if section == "meta":
            if names[:2] != ["key", "value"]:
                raise PabulibError("the META header must be 'key;value'", self.line)
        elif section == "projects":
            self._project_header(names)
        else:
            self._votes_header(names)

    # --- META ---------------------------------------------------------------------------

    def _meta_row(self, cells: list[str]) -> None:
        key = cells[0]
        value = cells[1] if len(cells) > 1 else ""
        if len(cells) > 2 and any(cells[2:]):
            self.warn(f"META value of {key!r} has an unquoted ';'; the parts were joined")
            value = ";".join(cells[1:])
        if key in self.meta:
            self.warn(f"META key {key!r} repeated; the last value is kept")
        self.meta[key] = value
        self.meta_lines[key] = self.line

    def _check_meta(self) -> None:
        line = self.line
        for key in _REQUIRED_META:
            if _missing(self.meta.get(key, "")) and key not in ("budget", "vote_type"):
                self.warn(f"required META key {key!r} is missing", line)
        vote_type = self.meta.get("vote_type", "").lower()
        if _missing(vote_type):
            raise PabulibError("META key 'vote_type' is missing", line)
        if vote_type not in VOTE_TYPES:
            raise PabulibError(
                f"unknown vote_type {vote_type!r} (expected one of {', '.join(VOTE_TYPES)})",
                self.meta_lines["vote_type"],
            )
        self.vote_type = vote_type
        budget = self.meta.get("budget", "")
        if _missing(budget):
            raise PabulibError("META key 'budget' is missing", line)
        try:
            self.budget = parse_number(budget, comma_decimal=True)
        except ValueError:
            raise PabulibError(
                f"budget {budget!r} is not a number", self.meta_lines["budget"]
            ) from None
        if self.budget < 0:
            raise PabulibError("budget is negative", self.meta_lines["budget"])
        if vote_type == "scoring":
            default = self.meta.get("default_score", "")
            if not _missing(default):
                try:
                    parse_number(default)
                except ValueError:
                    raise PabulibError(
                        f"default_score {default!r} is not a number",
                        self.meta_lines["default_score"],
                    ) from None

    # --- PROJECTS -----------------------------------------------------------------------

    def _project_header(self, names: list[str]) -> None:
        if names[0] != "project_id":
            raise PabulibError("the PROJECTS header must start with 'project_id'", self.line)
        if "cost" not in names:
            raise PabulibError("the PROJECTS header has no 'cost' column", self.line)
        self._check_unique_columns(names, "PROJECTS")
        self.project_columns = tuple(names)

    def _check_unique_columns(self, names: list[str], section: str) -> None:
        repeated = sorted({name for name in names if names.count(name) > 1 and name})
        if repeated:
            raise PabulibError(f"{section} header repeats column(s) {repeated}", self.line)

    def _record(self, cells: list[str], columns: tuple[str, ...]) -> dict[str, str]:
        """Map cells to column names; trailing empty cells are tolerated, extra data are not."""
        if len(cells) > len(columns) and any(cells[len(columns) :]):
            raise PabulibError(
                f"row has {len(cells)} cells but the header has {len(columns)} (an unquoted ';'?)",
                self.line,
            )
        return {
            column: cell
            for column, cell in zip(columns, cells, strict=False)
            if column and not _missing(cell)
        }

    def _project_row(self, cells: list[str]) -> None:
        record = self._record(cells, self.project_columns)
        project_id = record.pop("project_id", "")
        if not project_id:
            raise PabulibError("project without a project_id", self.line)
        if project_id in self.projects:
            raise PabulibError(
                f"duplicate project_id {project_id!r} "
                f"(first on line {self.project_lines[project_id]})",
                self.line,
            )
        cost_text = record.pop("cost", "")
        if not cost_text:
            raise PabulibError(f"project {project_id!r} has no cost", self.line)
        try:
            cost = parse_number(cost_text, comma_decimal=True)
        except ValueError:
            raise PabulibError(
                f"cost {cost_text!r} of project {project_id!r} is not a number", self.line
            ) from None
        if cost < 0:
            raise PabulibError(f"project {project_id!r} has a negative cost", self.line)
        if cost == 0:
            self.warn(f"project {project_id!r} costs 0")
        self.project_index[project_id] = len(self.projects)
        self.projects[project_id] = Project(project_id, cost, record)
        self.project_lines[project_id] = self.line

    # --- VOTES --------------------------------------------------------------------------

    def _votes_header(self, names: list[str]) -> None:
        if names[0] != "voter_id":
            raise PabulibError("the VOTES header must start with 'voter_id'", self.line)
        if "vote" not in names:
            raise PabulibError("the VOTES header has no 'vote' column", self.line)
        self._check_unique_columns(names, "VOTES")
        self.vote_columns = tuple(names)
        if self.vote_type in ("cumulative", "scoring") and "points" not in names:
            raise PabulibError(f"{self.vote_type} votes need a 'points' column", self.line)

    def _vote_row(self, cells: list[str]) -> None:
        self.num_rows_votes += 1
        record = self._record(cells, self.vote_columns)
        voter_id = record.get("voter_id", "")
        if not voter_id:
            self.warn("vote without a voter_id")
        elif voter_id in self.voter_ids:
            self.warn(f"duplicate voter_id {voter_id!r}")
        else:
            self.voter_ids.add(voter_id)
        ids = _split_list(record.get("vote", ""))
        self._check_ids(ids)
        if self.vote_type in ("cumulative", "scoring"):
            ballot = self._points_ballot(ids, record.get("points", ""))
        elif self.vote_type == "ordinal":
            ballot = Ballot(tuple(ids))
        else:
            if self.vote_type == "choose-1" and len(ids) > 1:
                self.warn(f"choose-1 vote lists {len(ids)} projects")
            ballot = Ballot(tuple(sorted(ids, key=self.project_index.__getitem__)))
        self.ballots[ballot] = self.ballots.get(ballot, 0) + 1

    def _check_ids(self, ids: list[str]) -> None:
        for project_id in ids:
            if project_id not in self.projects:
                raise PabulibError(f"vote for unknown project {project_id!r}", self.line)
        if len(set(ids)) != len(ids):
            repeated = sorted({pid for pid in ids if ids.count(pid) > 1})
            raise PabulibError(f"vote lists project(s) {repeated} more than once", self.line)

    def _points_ballot(self, ids: list[str], points_cell: str) -> Ballot:
        texts = _split_list(points_cell)
        if ids and not texts:
            # pabutools reads such a row as an empty ballot; say so rather than guess points.
            self.warn("vote without points; counted as an empty ballot")
            return Ballot(())
        if len(texts) != len(ids):
            raise PabulibError(
                f"vote lists {len(ids)} projects but points has {len(texts)} values", self.line
            )
        points: list[Money] = []
        for text in texts:
            try:
                value = parse_number(text)
            except ValueError:
                raise PabulibError(f"points value {text!r} is not a number", self.line) from None
            if value < 0 and self.vote_type == "cumulative":
                raise PabulibError(f"negative points {text!r} on a cumulative vote", self.line)
            points.append(value)
        return Ballot(tuple(ids), tuple(points))

    # --- end of file --------------------------------------------------------------------

    def _finish(self) -> Election:
        self._check_count("num_projects", len(self.projects), "PROJECTS")
        self._check_count("num_votes", self.num_rows_votes, "VOTES")
        election = Election(
            meta=self.meta,
            projects=self.projects,
            ballots=self.ballots,
            vote_type=self.vote_type,
            budget=self.budget,
            project_columns=self.project_columns,
        )
        self._check_totals(election)
        return replace(election, warnings=tuple(self.warnings))

    def _check_count(self, key: str, actual: int, section: str) -> None:
        text = self.meta.get(key, "")
        if _missing(text):
            return
        line = self.meta_lines[key]
        try:
            stated = int(text)
        except ValueError:
            self.warn(f"{key} {text!r} is not a whole number", line)
            return
        if stated != actual:
            self.warn(f"{key} is {stated} but {section} has {actual} rows", line)

    def _check_totals(self, election: Election) -> None:
        """Compare the curators' votes/score columns with the counts recomputed from VOTES."""
        for column in ("votes", "score"):
            if column not in self.project_columns:
                continue
            totals = election.votes() if column == "votes" else election.scores()
            for project in self.projects.values():
                stated = project.extra.get(column)
                if stated is None:
                    continue
                try:
                    matches = parse_number(stated, comma_decimal=True) == totals[project.id]
                except ValueError:
                    matches = False
                if not matches:
                    self.warn(
                        f"project {project.id!r}: {column} column says {stated} "
                        f"but the votes give {money_text(totals[project.id])}",
                        self.project_lines[project.id],
                    )


# --- writer -------------------------------------------------------------------------------


def _quote(cell: str) -> str:
    """Quote a cell when CSV needs it (``;``, ``"`` or a line break inside)."""
    if any(char in cell for char in ';"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _check_list_item(project_id: str) -> None:
    """Ids end up in comma lists and in the first cell of rows, so some forms cannot be written."""
    if (
        not project_id
        or project_id != project_id.strip()
        or "," in project_id
        or project_id.lower() in SECTION_NAMES
        or project_id.lower() == "none"
    ):
        raise ValueError(f"project id {project_id!r} cannot be written to a .pb file")


def _row(cells: list[str]) -> str:
    return ";".join(_quote(cell) for cell in cells) + "\n"


def _meta_rows(election: Election) -> Iterator[str]:
    derived = {
        "num_projects": str(len(election.projects)),
        "num_votes": str(election.num_voters),
        "budget": money_text(election.budget),
        "vote_type": election.vote_type,
    }
    yield "META\n"
    yield "key;value\n"
    written = set()
    for key, value in election.meta.items():
        if key.lower() in SECTION_NAMES:
            raise ValueError(f"META key {key!r} cannot be written to a .pb file")
        yield _row([key, derived.get(key, value)])
        written.add(key)
    for key in _DERIVED_META:
        if key not in written:
            yield _row([key, derived[key]])


def _project_rows(election: Election) -> Iterator[str]:
    columns = list(election.project_columns)
    for required in ("cost", "project_id"):
        if required in columns:
            columns.remove(required)
        columns.insert(0, required)
    yield "PROJECTS\n"
    yield _row(columns)
    for project in election.projects.values():
        _check_list_item(project.id)
        cells = [project.id, money_text(project.cost)]
        cells += [project.extra.get(column, "") for column in columns[2:]]
        yield _row(cells)


def _vote_rows(election: Election) -> Iterator[str]:
    with_points = election.vote_type in ("cumulative", "scoring")
    yield "VOTES\n"
    yield "voter_id;vote;points\n" if with_points else "voter_id;vote\n"
    voter = 0
    for ballot, count in election.ballots.items():
        cells = [",".join(ballot.projects)]
        if with_points:
            cells.append(",".join(money_text(points) for points in ballot.points))
        tail = ";" + ";".join(_quote(cell) for cell in cells) + "\n"
        for _ in range(count):
            voter += 1
            yield f"{voter}{tail}"


def write_pb(election: Election, target: str | os.PathLike[str] | TextIO) -> None:
    """Write ``election`` as a valid ``.pb`` file (LF line ends, minimal quoting).

    ``num_projects``, ``num_votes``, ``budget`` and ``vote_type`` are written from the election
    itself. Voters get ids 1..n because ballots are stored aggregated, without voter columns.
    """
    if isinstance(target, str | os.PathLike):
        with open(target, "w", encoding="utf-8", newline="") as stream:
            write_pb(election, stream)
        return
    for chunk in (_meta_rows(election), _project_rows(election), _vote_rows(election)):
        target.writelines(chunk)


def dumps_pb(election: Election) -> str:
    """Return ``election`` as ``.pb`` text."""
    buffer = io.StringIO(newline="")
    write_pb(election, buffer)
    return buffer.getvalue()
