"""Budget simulator services: set-up by planners, one response per person, the aggregate.

Services flush, never commit, and raise :class:`~portal.core.errors.PortalError` subclasses.
Public functions other capabilities call:

- :func:`simulators_for` (the consultation page and API list a consultation's simulators),
- :func:`aggregate` (plain data of the results, for the vision document and exports).
"""

from __future__ import annotations

import importlib
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from flask_babel import format_datetime
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, cast, exists, func, literal_column, null, select, union_all
from sqlalchemy.exc import IntegrityError

from portal.consultations.models import Consultation, Verification
from portal.core.errors import Conflict, Forbidden, NotFound, PortalError, ValidationFailed
from portal.core.models import utcnow
from portal.core.permissions import has_role
from portal.extensions import db
from portal.simulator import rules
from portal.simulator.messages import (
    DEFINITION_FIELDS,
    DEFINITION_MESSAGES,
    describe,
    field_key,
)
from portal.simulator.models import (
    STATUSES,
    Simulator,
    SimulatorLine,
    SimulatorResponse,
    SimulatorResponseLine,
)

PLANNER = "planner"
MAX_COMMENT = 2000
MAX_OVERALL_COMMENT = 4000
MAX_START_AGE = timedelta(days=30)  # an older "started" mark is not believed
# Written into the SQL (not bound) so that SQLite uses the partial index "WHERE comment != ''".
EMPTY = literal_column("''")


# --- errors ----------------------------------------------------------------------------------


class SimulatorClosed(PortalError):
    status = 403
    code = "phase_closed"

    def default_message(self) -> str:
        return str(_l("This simulator is not taking responses."))


class VerificationRequired(Forbidden):
    code = "verification_required"

    def default_message(self) -> str:
        return str(
            _l("This consultation asks residents to verify that they live in the area first.")
        )


class ResultsNotPublished(Forbidden):
    code = "results_not_published"

    def default_message(self) -> str:
        return str(_l("The planners have not published the results of this simulator yet."))


class AlreadySubmitted(Conflict):
    code = "already_submitted"

    def default_message(self) -> str:
        return str(_l("Your response is already submitted; change it and submit it again instead."))


class ResponsesExist(Conflict):
    code = "responses_exist"

    def default_message(self) -> str:
        return str(
            _l(
                "People have already answered: the lines' amounts, bounds and steps, the mode, "
                "the currency and the tolerance can no longer change."
            )
        )


class ResponseRejected(ValidationFailed):
    """A response broke one or more rules; ``violations`` lists them with their messages.

    ``code`` is the code of the first broken rule (``below_minimum``, ``unbalanced`` ...).
    """

    def __init__(self, simulator: Simulator, violations: list[rules.Violation]) -> None:
        self.violations = violations
        self.described = [(v, describe(v, simulator)) for v in violations]
        fields: dict[str, str] = {}
        for violation, message in self.described:
            key = field_key(violation)
            fields[key] = f"{fields[key]} {message}" if key in fields else message
        self.code = violations[0].code
        first = self.described[0][1]
        message = (
            first
            if len(violations) == 1
            else str(_l("%(n)d rules are broken. %(first)s", n=len(violations), first=first))
        )
        super().__init__(message, fields=fields)

    def as_list(self) -> list[dict[str, Any]]:
        return [
            {"code": v.code, "line": v.line_id, "message": message} for v, message in self.described
        ]


# --- who sees what ---------------------------------------------------------------------------


def is_planner(user: Any) -> bool:
    return has_role(user, PLANNER)


def is_public(simulator: Simulator) -> bool:
    return simulator.status in ("open", "closed") and simulator.consultation.status in (
        "published",
        "archived",
    )


def can_view(user: Any, simulator: Simulator) -> bool:
    return is_public(simulator) or is_planner(user)


def can_see_results(user: Any, simulator: Simulator) -> bool:
    return is_planner(user) or (is_public(simulator) and simulator.results_published)


def can_see_comments(user: Any, simulator: Simulator) -> bool:
    return is_planner(user) or (can_see_results(user, simulator) and simulator.publish_comments)


def get_simulator(simulator_id: int, user: Any = None) -> Simulator:
    """The simulator, if ``user`` may see it; raises NotFound otherwise."""
    simulator = db.session.get(Simulator, simulator_id)
    if simulator is None or not can_view(user, simulator):
        raise NotFound()
    return simulator


def get_line(simulator: Simulator, line_id: int) -> SimulatorLine:
    for line in simulator.lines:
        if line.id == line_id:
            return line
    raise NotFound()


def simulators_for(consultation: Consultation, user: Any = None) -> list[Simulator]:
    """The simulators of ``consultation`` that ``user`` may see (one query).

    Anyone sees open and closed simulators of a published or archived consultation; planners
    also see drafts.
    """
    stmt = select(Simulator).where(Simulator.consultation_id == consultation.id)
    if not is_planner(user):
        if consultation.status not in ("published", "archived"):
            return []
        stmt = stmt.where(Simulator.status.in_(("open", "closed")))
    return list(db.session.scalars(stmt.order_by(Simulator.id)))


def visible_simulators(user: Any = None) -> list[Simulator]:
    stmt = select(Simulator).join(Consultation, Consultation.id == Simulator.consultation_id)
    if not is_planner(user):
        stmt = stmt.where(
            Simulator.status.in_(("open", "closed")),
            Consultation.status.in_(("published", "archived")),
        )
    return list(db.session.scalars(stmt.order_by(Simulator.id.desc())).unique())


# --- the phase of a simulator ----------------------------------------------------------------


def phase(simulator: Simulator, now: datetime | None = None) -> str:
    """``draft``, ``upcoming``, ``open`` or ``closed``."""
    now = now or utcnow()
    if simulator.status == "draft" or simulator.consultation.status == "draft":
        return "draft"
    if simulator.status == "closed" or simulator.consultation.status == "archived":
        return "closed"
    if simulator.opens_at is not None and now < simulator.opens_at:
        return "upcoming"
    if simulator.closes_at is not None and now >= simulator.closes_at:
        return "closed"
    return "open"


def is_open(simulator: Simulator, now: datetime | None = None) -> bool:
    return phase(simulator, now) == "open"


def phase_message(simulator: Simulator, now: datetime | None = None) -> str | None:
    """Why the simulator takes no responses now (None when it does)."""
    state = phase(simulator, now)
    if state == "open":
        return None
    if state == "draft":
        return str(_l("This simulator is not open yet."))
    if state == "upcoming":
        return str(
            _l("This simulator opens on %(date)s.", date=format_datetime(simulator.opens_at))
        )
    if simulator.closes_at is not None and simulator.closes_at <= (now or utcnow()):
        return str(
            _l(
                "This simulator closed on %(date)s; responses can no longer be changed.",
                date=format_datetime(simulator.closes_at),
            )
        )
    return str(_l("This simulator is closed; responses can no longer be changed."))


def require_open(simulator: Simulator, now: datetime | None = None) -> None:
    message = phase_message(simulator, now)
    if message is not None:
        raise SimulatorClosed(message)


# --- verification ----------------------------------------------------------------------------


def is_verified(user: Any, consultation: Consultation) -> bool:
    """Uses the consultations capability's check when it exists, else the Verification row."""
    try:
        module = importlib.import_module("portal.consultations.services")
    except ModuleNotFoundError as exc:
        if exc.name != "portal.consultations.services":
            raise
        module = None
    check = getattr(module, "is_verified", None)
    if check is not None:
        return bool(check(user, consultation))
    return (
        db.session.scalar(
            select(Verification.id).where(
                Verification.consultation_id == consultation.id,
                Verification.user_id == user.id,
            )
        )
        is not None
    )


def may_respond(user: Any, simulator: Simulator) -> bool:
    consultation = simulator.consultation
    return not consultation.require_verification or is_verified(user, consultation)


# --- responses -------------------------------------------------------------------------------


def response_of(simulator: Simulator, user: Any) -> SimulatorResponse | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(SimulatorResponse).where(
            SimulatorResponse.simulator_id == simulator.id,
            SimulatorResponse.user_id == user.id,
        )
    )


def _clean_comments(
    simulator: Simulator, comments: dict[Any, Any] | None, comment: str | None
) -> tuple[dict[int, str], str]:
    known = {line.id for line in simulator.lines}
    cleaned: dict[int, str] = {}
    problems: dict[str, str] = {}
    for key, value in (comments or {}).items():
        line_id = rules._line_id(key)
        if line_id not in known:
            problems[f"comments.{key}"] = str(_l("There is no such budget line."))
            continue
        if value is None:
            continue
        if not isinstance(value, str):
            problems[f"comments.{key}"] = str(_l("A comment must be text."))
            continue
        text = value.strip()
        if len(text) > MAX_COMMENT:
            problems[f"comments.{key}"] = str(
                _l("At most %(n)d characters, please.", n=MAX_COMMENT)
            )
        cleaned[line_id] = text
    if comment is not None and not isinstance(comment, str):
        problems["comment"] = str(_l("A comment must be text."))
        comment = ""
    overall = (comment or "").strip()
    if len(overall) > MAX_OVERALL_COMMENT:
        problems["comment"] = str(_l("At most %(n)d characters, please.", n=MAX_OVERALL_COMMENT))
    if problems:
        raise ValidationFailed(fields=problems)
    return cleaned, overall


def save_response(
    user: Any,
    simulator: Simulator,
    lines: dict[Any, Any],
    *,
    comments: dict[Any, Any] | None = None,
    comment: str | None = "",
    submit: bool = True,
    started_at: datetime | None = None,
    now: datetime | None = None,
) -> tuple[SimulatorResponse, bool]:
    """Store ``user``'s response (``{line id: amount in major units}``): a draft, or submitted.

    Returns ``(response, created)``. Nothing is written when a rule is broken. Raises
    SimulatorClosed, VerificationRequired, ResponseRejected (every broken rule), ValidationFailed
    (comments), AlreadySubmitted (a draft over a submitted response) and Conflict (the same
    person saved at the same moment from elsewhere: one response per person holds).
    """
    now = now or utcnow()
    require_open(simulator, now)
    if not may_respond(user, simulator):
        raise VerificationRequired()
    if not isinstance(lines, dict):
        raise ValidationFailed(
            str(_l('Send the amounts as {"lines": {"<line id>": amount}}.')),
            fields={"lines": str(_l("An object of line ids and amounts is expected."))},
        )
    definition = simulator.rule()
    chosen, violations = rules.validate(definition, lines, final=submit)
    if violations:
        raise ResponseRejected(simulator, violations)
    line_comments, overall = _clean_comments(simulator, comments, comment)

    # Lock this person's row (PostgreSQL) so two saves of one response apply one after another.
    response = db.session.scalar(
        select(SimulatorResponse)
        .where(
            SimulatorResponse.simulator_id == simulator.id,
            SimulatorResponse.user_id == user.id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    created = response is None
    if response is None:
        start = started_at if started_at is not None else now
        if start > now or now - start > MAX_START_AGE:
            start = now
        response = SimulatorResponse(simulator_id=simulator.id, user_id=user.id, started_at=start)
        db.session.add(response)
    elif response.is_submitted and not submit:
        raise AlreadySubmitted()

    existing = {row.line_id: row for row in response.lines}
    for line in simulator.lines:
        amount = chosen.get(line.id, line.current_amount)
        text = line_comments.get(line.id, existing[line.id].comment if line.id in existing else "")
        if comments is not None:
            text = line_comments.get(line.id, "")
        if line.id in existing:
            existing[line.id].amount = amount
            existing[line.id].comment = text
        else:
            response.lines.append(
                SimulatorResponseLine(line_id=line.id, amount=amount, comment=text)
            )
    if comment is not None:
        response.comment = overall
    response.total = rules.summarize(definition, chosen).chosen_total
    response.updated_at = now
    if submit and response.submitted_at is None:
        response.submitted_at = now
        response.completion_seconds = max(0, int((now - response.started_at).total_seconds()))
    for row in response.lines:
        row.counted = response.submitted_at is not None
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(
            str(
                _l(
                    "You already have a response to this simulator (saved at the same moment "
                    "from elsewhere). Reload the page to see it."
                )
            )
        ) from exc
    return response, created


def preview(simulator: Simulator, raw: dict[Any, Any]) -> tuple[dict[int, int], list]:
    """Check a resident's choices without storing them (the "Recalculate" button).

    Returns the amounts (lines that could not be read keep their current amount) and the broken
    rules with their messages.
    """
    definition = simulator.rule()
    chosen, violations = rules.validate(definition, raw, final=True)
    amounts = {line.id: line.current_amount for line in simulator.lines}
    amounts.update({k: v for k, v in chosen.items() if k in amounts})
    return amounts, [(v, describe(v, simulator)) for v in violations]


# --- set-up by planners ----------------------------------------------------------------------


def has_responses(simulator: Simulator) -> bool:
    if simulator.id is None:
        return False
    return bool(
        db.session.scalar(select(exists().where(SimulatorResponse.simulator_id == simulator.id)))
    )


def _require_planner(actor: Any) -> None:
    if not is_planner(actor):
        raise Forbidden()


def _money(value: Any, exponent: int, field: str, problems: dict[str, str]) -> int:
    try:
        return rules.to_minor(value, exponent)
    except rules.AmountError as error:
        problems[field] = (
            str(_l("Use at most %(n)d decimals.", n=exponent))
            if error.code == rules.OFF_STEP
            else str(_l("Enter an amount."))
        )
        return 0


def _settings(values: dict[str, Any], problems: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    title = (values.get("title") or "").strip()
    if not title:
        problems["title"] = str(_l("A title is needed."))
    out["title"] = title[:200]
    out["description"] = (values.get("description") or "").strip()
    mode = values.get("mode") or rules.BALANCE
    if mode not in rules.MODES:
        problems["mode"] = str(_l("Choose balance or tax mode."))
    out["mode"] = mode
    currency = (values.get("currency") or "EUR").strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        problems["currency"] = str(_l("Use a three-letter currency code such as EUR."))
    out["currency"] = currency[:3]
    probe = Simulator(currency=out["currency"])
    tolerance = _money(values.get("tolerance") or "0", probe.exponent, "tolerance", problems)
    if tolerance < 0:
        problems["tolerance"] = str(_l("The tolerance cannot be negative."))
    out["tolerance"] = tolerance
    try:
        share = rules.parse_share(values.get("household_share") or "0")
    except rules.AmountError:
        problems["household_share"] = str(
            _l("Enter the household share as a decimal between 0 and 1, such as 0.00002.")
        )
        share = Decimal(0)
    out["household_share"] = format(share.normalize(), "f") if share else "0"
    status = values.get("status") or "draft"
    if status not in STATUSES:
        problems["status"] = str(_l("Unknown status."))
    out["status"] = status
    opens_at, closes_at = values.get("opens_at"), values.get("closes_at")
    if opens_at and closes_at and closes_at <= opens_at:
        problems["closes_at"] = str(_l("The closing date must come after the opening date."))
    out["opens_at"], out["closes_at"] = opens_at, closes_at
    out["results_published"] = bool(values.get("results_published"))
    out["publish_comments"] = bool(values.get("publish_comments"))
    return out


def create_simulator(actor: Any, consultation: Consultation, **values: Any) -> Simulator:
    """A new simulator (a draft unless ``status`` says otherwise). Raises ValidationFailed."""
    _require_planner(actor)
    problems: dict[str, str] = {}
    settings = _settings(values, problems)
    if settings["status"] != "draft":
        problems["status"] = str(_l("Add the budget lines first; a new simulator is a draft."))
    if problems:
        raise ValidationFailed(fields=problems)
    simulator = Simulator(consultation=consultation, created_by_id=actor.id, **settings)
    db.session.add(simulator)
    db.session.flush()
    return simulator


def update_simulator(actor: Any, simulator: Simulator, **values: Any) -> Simulator:
    """Change the settings. Raises ValidationFailed, ResponsesExist."""
    _require_planner(actor)
    problems: dict[str, str] = {}
    settings = _settings(values, problems)
    if problems:
        raise ValidationFailed(fields=problems)
    locked = ("mode", "currency", "tolerance")
    if any(settings[key] != getattr(simulator, key) for key in locked) and has_responses(simulator):
        raise ResponsesExist()
    if settings["status"] != "draft" and not simulator.lines:
        raise ValidationFailed(
            fields={"status": str(_l("Add at least one budget line before opening."))}
        )
    for key, value in settings.items():
        setattr(simulator, key, value)
    db.session.flush()
    return simulator


def _line_values(simulator: Simulator, values: dict[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}
    name = (values.get("name") or "").strip()
    if not name:
        problems["name"] = str(_l("A name is needed."))
    out["name"] = name[:120]
    out["description"] = (values.get("description") or "").strip()
    out["group_name"] = (values.get("group_name") or "").strip()[:80]
    kind = values.get("kind") or rules.AMOUNT
    if kind not in rules.KINDS:
        problems["kind"] = str(_l("Choose an amount or an on/off line."))
        kind = rules.AMOUNT
    out["kind"] = kind
    exponent = simulator.exponent
    if kind == rules.TOGGLE:
        cost = _money(values.get("cost"), exponent, "cost", problems)
        if cost <= 0 and "cost" not in problems:
            problems["cost"] = str(_l("The cost must be more than zero."))
        included = bool(values.get("included"))
        out.update(
            current_amount=cost if included else 0, minimum=0, maximum=cost, step=max(cost, 1)
        )
    else:
        for key in ("current_amount", "minimum", "maximum", "step"):
            out[key] = _money(values.get(key), exponent, key, problems)
        if not problems:
            probe = rules.Line(
                0, out["current_amount"], out["minimum"], out["maximum"], out["step"]
            )
            for violation in rules.check_line_definition(probe):
                key = DEFINITION_FIELDS[violation.code]
                problems.setdefault(key, str(DEFINITION_MESSAGES[violation.code]))
    if problems:
        raise ValidationFailed(fields=problems)
    return out


NUMERIC = ("kind", "current_amount", "minimum", "maximum", "step")


def add_line(actor: Any, simulator: Simulator, **values: Any) -> SimulatorLine:
    """A new budget line at the end. Raises ValidationFailed, ResponsesExist."""
    _require_planner(actor)
    cleaned = _line_values(simulator, values)
    if has_responses(simulator):
        raise ResponsesExist()
    position = max((line.position for line in simulator.lines), default=0) + 1
    line = SimulatorLine(position=position, **cleaned)
    simulator.lines.append(line)
    db.session.flush()
    return line


def update_line(actor: Any, line: SimulatorLine, **values: Any) -> SimulatorLine:
    """Change a line; its amounts only while nobody has answered. Raises ValidationFailed,
    ResponsesExist."""
    _require_planner(actor)
    cleaned = _line_values(line.simulator, values)
    changed = any(cleaned[key] != getattr(line, key) for key in NUMERIC)
    if changed and has_responses(line.simulator):
        raise ResponsesExist()
    for key, value in cleaned.items():
        setattr(line, key, value)
    db.session.flush()
    return line


def delete_line(actor: Any, line: SimulatorLine) -> None:
    _require_planner(actor)
    simulator = line.simulator
    if has_responses(simulator):
        raise ResponsesExist()
    if simulator.status != "draft" and len(simulator.lines) == 1:
        raise Conflict(str(_l("An open simulator needs at least one line.")))
    simulator.lines.remove(line)
    db.session.flush()


def move_line(actor: Any, line: SimulatorLine, direction: str) -> None:
    """Swap the line with its neighbour (``up`` or ``down``)."""
    _require_planner(actor)
    lines = list(line.simulator.lines)
    index = lines.index(line)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(lines):
        return
    lines[index], lines[other] = lines[other], lines[index]
    for position, item in enumerate(lines, start=1):
        item.position = position
    db.session.flush()
    db.session.expire(line.simulator, ["lines"])


# --- the aggregate ---------------------------------------------------------------------------


def _major(value: int | Fraction, exponent: int) -> Decimal:
    return rules.to_major(value, exponent)


def _share(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0000")
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"))


def _seconds(value: Fraction) -> Decimal:
    return rules.to_major(value, 0, 1)


def aggregate(
    simulator: Simulator, *, include_comments: bool = True, comment_limit: int = 20
) -> dict[str, Any]:
    """The results as plain data (dicts, lists, str, int, Decimal in major units).

    At most five SQL queries whatever the number of responses: the lines (if not loaded yet),
    counts per (line, amount), counts per total / time to complete / drafts, responses per
    day, and the latest ``comment_limit`` comments per line with their counts. Statistics are
    exact, computed in Python from the counts (see :mod:`portal.simulator.rules`).
    """
    exponent = simulator.exponent
    lines = list(simulator.lines)
    R, RL = SimulatorResponse, SimulatorResponseLine  # noqa: N806 - short table aliases
    mine = R.simulator_id == simulator.id
    submitted = R.submitted_at.is_not(None)

    line_ids = [line.id for line in lines]
    counted = RL.line_id.in_(line_ids) & (RL.counted == True)  # noqa: E712 - SQL, not Python

    per_line: dict[int, list[tuple[int, int]]] = {line_id: [] for line_id in line_ids}
    amount_rows = db.session.execute(
        select(RL.line_id, RL.amount, func.count()).where(counted).group_by(RL.line_id, RL.amount)
    )
    for line_id, amount, count in amount_rows:
        if line_id in per_line:
            per_line[line_id].append((int(amount), int(count)))

    kind = R.total.label("value")
    totals_q = select(literal_column("1").label("kind"), kind, func.count().label("n"))
    totals_q = totals_q.where(mine, submitted).group_by(R.total)
    seconds_q = (
        select(literal_column("2"), R.completion_seconds, func.count())
        .where(mine, submitted, R.completion_seconds.is_not(None))
        .group_by(R.completion_seconds)
    )
    drafts_q = select(literal_column("3"), cast(literal_column("0"), Integer), func.count()).where(
        mine, R.submitted_at.is_(None)
    )
    totals: list[tuple[int, int]] = []
    seconds: list[tuple[int, int]] = []
    drafts = 0
    for which, value, count in db.session.execute(union_all(totals_q, seconds_q, drafts_q)):
        if int(which) == 1:
            totals.append((int(value), int(count)))
        elif int(which) == 2:
            seconds.append((int(value), int(count)))
        else:
            drafts = int(count)

    day = func.date(R.submitted_at)
    per_day = [
        {"date": str(value)[:10], "count": int(count)}
        for value, count in db.session.execute(
            select(day, func.count()).where(mine, submitted).group_by(day).order_by(day)
        )
    ]

    comments: dict[int | None, list[dict[str, Any]]] = {}
    comment_counts: dict[int | None, int] = {}
    # Comment counts always; the texts (newest responses first) only when include_comments.
    # No join: the partial index (line, counted, response) WHERE comment != '' has it all.
    line_comments = select(
        RL.line_id.label("line_id"), RL.comment.label("text"), RL.response_id.label("rid")
    ).where(counted, RL.comment != EMPTY)
    overall = select(cast(null(), Integer), R.comment, R.id).where(
        mine, submitted, R.comment != EMPTY
    )
    both = union_all(line_comments, overall).subquery()
    ranked = select(
        both.c.line_id,
        both.c.text,
        both.c.rid,
        func.row_number()
        .over(partition_by=both.c.line_id, order_by=both.c.rid.desc())
        .label("rank"),
        func.count().over(partition_by=both.c.line_id).label("n"),
    ).subquery()
    for line_id, text, rid, _rank, n in db.session.execute(
        select(ranked)
        .where(ranked.c.rank <= (comment_limit if include_comments else 1))
        .order_by(ranked.c.line_id, ranked.c.rank)
    ):
        comment_counts[line_id] = int(n)
        if include_comments:
            comments.setdefault(line_id, []).append({"text": text, "response": int(rid)})

    definition = simulator.rule()
    current_total = definition.current_total
    respondents = sum(n for _v, n in totals)
    line_data = []
    for line in lines:
        counts = per_line[line.id]
        dist = rules.distribution(counts)
        move = rules.movement(counts, line.current_amount)
        entry: dict[str, Any] = {
            "id": line.id,
            "name": line.name,
            "group": line.group_name,
            "kind": line.kind,
            "current": _major(line.current_amount, exponent),
            "minimum_allowed": _major(line.minimum, exponent),
            "maximum_allowed": _major(line.maximum, exponent),
            "count": move.count,
            "raised": move.raised,
            "kept": move.kept,
            "cut": move.cut,
            "raised_share": _share(move.raised, move.count),
            "kept_share": _share(move.kept, move.count),
            "cut_share": _share(move.cut, move.count),
            "amounts": [{"amount": _major(v, exponent), "count": n} for v, n in sorted(counts)],
            "comment_count": comment_counts.get(line.id, 0),
            "comments": comments.get(line.id, []),
        }
        for key in ("mean", "minimum", "q1", "median", "q3", "maximum"):
            entry[key] = _major(getattr(dist, key), exponent) if dist else None
        line_data.append(entry)

    total_dist = rules.distribution(totals)
    total_move = rules.movement(totals, current_total)
    total: dict[str, Any] = {
        "current": _major(current_total, exponent),
        "raised": total_move.raised,
        "kept": total_move.kept,
        "cut": total_move.cut,
    }
    for key in ("mean", "minimum", "q1", "median", "q3", "maximum"):
        total[key] = _major(getattr(total_dist, key), exponent) if total_dist else None
    impact: dict[str, Any] | None = None
    if simulator.mode == rules.TAX:
        share = definition.household_share
        impact = {"household_share": share, "mean": None, "median": None}
        if total_dist:
            for key in ("mean", "median"):
                delta = getattr(total_dist, key) - current_total
                impact[key] = rules.household_impact(definition, delta)
    time_dist = rules.distribution(seconds)
    return {
        "simulator": {
            "id": simulator.id,
            "title": simulator.title,
            "mode": simulator.mode,
            "currency": simulator.currency,
            "tolerance": _major(simulator.tolerance, exponent),
            "consultation": {
                "id": simulator.consultation.id,
                "slug": simulator.consultation.slug,
                "title": simulator.consultation.title,
            },
        },
        "generated_at": utcnow(),
        "responses": respondents,
        "drafts": drafts,
        "total": total,
        "household_impact": impact,
        "lines": line_data,
        "per_day": per_day,
        "time_to_complete": {
            "count": time_dist.count if time_dist else 0,
            "mean_seconds": _seconds(time_dist.mean) if time_dist else None,
            "q1_seconds": _seconds(time_dist.q1) if time_dist else None,
            "median_seconds": _seconds(time_dist.median) if time_dist else None,
            "q3_seconds": _seconds(time_dist.q3) if time_dist else None,
        },
        "comments_included": include_comments,
        "overall_comment_count": comment_counts.get(None, 0),
        "overall_comments": comments.get(None, []),
    }


def all_comments(simulator: Simulator) -> list[dict[str, Any]]:
    """Every comment of the submitted responses (for the planners' CSV), oldest first."""
    R, RL = SimulatorResponse, SimulatorResponseLine  # noqa: N806
    names = {line.id: line.name for line in simulator.lines}
    rows = db.session.execute(
        select(RL.line_id, RL.comment, R.id, R.updated_at)
        .join(R, R.id == RL.response_id)
        .where(R.simulator_id == simulator.id, R.submitted_at.is_not(None), RL.comment != "")
        .order_by(R.id, RL.line_id)
    ).all()
    overall = db.session.execute(
        select(R.comment, R.id, R.updated_at)
        .where(R.simulator_id == simulator.id, R.submitted_at.is_not(None), R.comment != "")
        .order_by(R.id)
    ).all()
    found = [
        {
            "response": rid,
            "line_id": line_id,
            "line": names.get(line_id, ""),
            "text": text,
            "at": at,
        }
        for line_id, text, rid, at in rows
    ]
    found += [
        {"response": rid, "line_id": None, "line": "", "text": text, "at": at}
        for text, rid, at in overall
    ]
    return sorted(found, key=lambda c: (c["response"], c["line_id"] or 0))
