"""Query discipline: every main page runs the same number of SQL statements whatever the data
size. Each case renders its page with a small data set, adds much more of what the page shows
(ideas, comments with replies and votes, supports, official answers, follows and notifications,
projects, ballots, simulator responses, reports, notes, export jobs, consultations) and renders
it again: the statement counts must not move.

The statements are counted on the engine while no application context is held around the
request: an outer context would share its session (and identity map) with the request and
hide the queries a real request runs."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import event

from portal.accountability import services as accountability
from portal.accounts.models import User
from portal.accounts.services import create_api_token, hash_password
from portal.budgets import services as budget_services
from portal.budgets.models import Budget, Project
from portal.comments import services as comment_services
from portal.consultations.models import Consultation
from portal.core.models import utcnow
from portal.exports import services as export_services
from portal.extensions import db
from portal.ideas import services as idea_services
from portal.ideas.models import Idea
from portal.moderation import services as moderation_services
from portal.moderation.models import ModerationSettings
from portal.notifications import services as notification_services
from portal.simulator import services as simulator_services
from portal.simulator.models import Simulator
from tests.budgets.factories import make_budget
from tests.budgets.factories import make_consultation as make_voting_consultation
from tests.factories import PASSWORD, make_user
from tests.ideas.factories import make_consultation, make_idea
from tests.simulator.factories import amounts, make_simulator

# What the first render sees, then how much is added before the second one.
SMALL = 2
MORE = 8
# Hashing a password takes a quarter of a second: the accounts that sign in share one hash,
# the others have none.
_password_hash: list[str] = []


@dataclass
class Site:
    """Ids of the rows the pages are about (no ORM objects: they outlive their session)."""

    slug: str = ""
    consultation_id: int = 0
    idea_id: int = 0
    category_id: int = 0
    case_id: int = 0
    budget_id: int = 0  # the resident has a draft here
    voted_budget_id: int = 0  # the resident has voted here; results are published
    simulator_id: int = 0
    resident_id: int = 0
    planner_id: int = 0
    moderator_id: int = 0
    rounds: int = 0


def _signing_in(email: str, roles: tuple[str, ...] = ()) -> User:
    if not _password_hash:
        _password_hash.append(hash_password(PASSWORD))
    user = make_user(email, roles=roles, password=None, commit=False)
    user.password_hash = _password_hash[0]
    return user


def _person() -> User:
    """Someone who takes part; no e-mail goes to them (sending would only slow the test)."""
    person = make_user(password=None, commit=False)
    person.email_confirmed_at = None
    return person


def build() -> Site:
    """The accounts, a consultation with an idea under discussion, a reported comment, two
    budgets open for voting and a published simulator; no volume yet."""
    resident = _signing_in("resident@example.org")
    planner = _signing_in("planner@example.org", roles=("planner",))
    moderator = _signing_in("moderator@example.org", roles=("moderator",))
    db.session.commit()
    notification_services.set_frequency(resident, "daily")  # no e-mail per notification
    consultation = make_consultation(planner=planner)
    idea = make_idea(consultation, author=resident, title="Shade trees along the river")
    # A reported comment; reports never hide it on their own here, so that every round can
    # add one (and the idea's page shows it throughout).
    db.session.add(ModerationSettings(id=1, report_threshold=1000))
    reported = comment_services.post_comment(_person(), idea, "Buy my shoes", "neutral")
    for _ in range(2):
        moderation_services.report(_person(), reported, "spam", "advertising")
    case = moderation_services.find_case(reported)

    voting = make_voting_consultation()
    drafted = make_budget(voting, total=10**12, ballot_kind="approval", commit=False)
    voted = make_budget(voting, total=10**12, ballot_kind="approval", allow_replace=True)
    budget_services.save_draft(
        resident, drafted, budget_services.parse_items(drafted, [drafted.projects[0].id])
    )
    voted.results_published_at = utcnow()

    simulator = make_simulator(
        consultation, results_published=True, publish_comments=True, commit=False
    )
    db.session.commit()
    return Site(
        slug=consultation.slug,
        consultation_id=consultation.id,
        idea_id=idea.id,
        category_id=consultation.categories[1].id,
        case_id=case.id,
        budget_id=drafted.id,
        voted_budget_id=voted.id,
        simulator_id=simulator.id,
        resident_id=resident.id,
        planner_id=planner.id,
        moderator_id=moderator.id,
    )


KINDS = (
    "consultations",
    "ideas",
    "comments",
    "moderation",
    "budgets",
    "simulator",
    "exports",
    "tokens",
)


@dataclass
class Round:
    """One round of new content: its number and the rows it works with."""

    n: int
    consultation: Consultation
    idea: Idea  # the idea under discussion
    other: Idea | None  # this round's new idea (when ideas grow)
    resident: User
    planner: User
    moderator: User
    author: User
    commenter: User
    replier: User
    voter: User


def _ideas(r: Round) -> None:
    """A new idea in a category and district, supported (also by the resident), answered and
    followed; the idea under discussion gets supports and, every other round, an answer."""
    categories, districts = r.consultation.categories, r.consultation.districts
    r.other = make_idea(
        r.consultation,
        author=r.author,
        title=f"Benches in square number {r.n}",
        category_id=categories[r.n % len(categories)].id,
        district_id=districts[r.n % len(districts)].id,
        commit=False,
    )
    for supporter in (r.commenter, r.replier, r.voter, r.resident):
        idea_services.add_support(supporter, r.other)
    idea_services.add_support(r.voter, r.idea)
    accountability.respond(r.planner, r.other, "under_review", "We are looking into it now.")
    notification_services.follow(r.resident, r.other)
    if r.n % 2 == 0:
        status = "accepted" if r.idea.status != "accepted" else "under_review"
        accountability.respond(r.planner, r.idea, status, f"Answer number {r.n} to the idea.")


def _comments(r: Round) -> None:
    """A comment, a reply and votes (the resident's too) on the idea under discussion, the
    consultation and this round's idea; the resident's followed content notifies them."""
    notification_services.follow(r.resident, r.idea)
    for target in filter(None, (r.idea, r.consultation, r.other)):
        top = comment_services.post_comment(r.commenter, target, f"Comment {r.n}", "for")
        reply = comment_services.post_comment(
            r.replier, target, f"Reply {r.n}", "against", parent_id=top.id
        )
        comment_services.vote(r.voter, top, "up")
        comment_services.vote(r.resident, top, "up")
        comment_services.vote(r.voter, reply, "down")


def _moderation(r: Round, case) -> None:
    """New cases for the queue; more reports and a note on the open case."""
    comment = comment_services.post_comment(r.author, r.idea, f"Rude words {r.n}", "against")
    moderation_services.report(r.voter, comment, "offensive", "rude")
    moderation_services.report(r.replier, r.author, "spam", "")
    if r.other is not None:
        moderation_services.report(r.replier, r.other, "spam", "")
    moderation_services.report(r.author, moderation_services.target_of_case(case), "spam", "")
    moderation_services.add_note(r.moderator, case, f"Note number {r.n}")


def _budgets(r: Round, drafted: Budget, voted: Budget) -> None:
    """A project in both budgets; the resident's draft and ballot hold every project; another
    person votes; the consultation gets another budget."""
    for budget in (drafted, voted):
        db.session.add(
            Project(
                budget_id=budget.id,
                ref=f"x{r.n}",
                position=100 + r.n,
                title=f"Extra project {r.n}",
                cost=1_000_00 * r.n,
                feasibility="feasible",
            )
        )
    db.session.flush()
    db.session.expire(drafted, ["projects"])
    db.session.expire(voted, ["projects"])
    every = {b.id: [p.id for p in b.projects] for b in (drafted, voted)}
    for budget in (drafted, voted):
        some = every[budget.id][: r.n % 4 + 1]
        budget_services.checkout(r.voter, budget, budget_services.parse_items(budget, some))
    budget_services.save_draft(
        r.resident, drafted, budget_services.parse_items(drafted, every[drafted.id])
    )
    budget_services.checkout(r.resident, voted, budget_services.parse_items(voted, every[voted.id]))
    make_budget(r.consultation, costs=(1_000_00,), commit=False)


def _simulator(r: Round, simulator: Simulator) -> None:
    """Two more responses with comments on every line; the consultation gets a simulator."""
    for person in (r.author, r.voter):
        notes = {str(line.id): f"Line {line.id} by {person.id}" for line in simulator.lines}
        simulator_services.save_response(
            person, simulator, amounts(simulator), comments=notes, comment=f"All {r.n}"
        )
    make_simulator(r.consultation, commit=False)


def grow(site: Site, count: int, kinds: tuple[str, ...]) -> None:
    """Add ``count`` rounds of the ``kinds`` of content, through the real services."""
    assert set(kinds) <= set(KINDS), f"unknown kinds: {set(kinds) - set(KINDS)}"
    get = db.session.get
    consultation = get(Consultation, site.consultation_id)
    drafted = get(Budget, site.budget_id)
    voted = get(Budget, site.voted_budget_id)
    simulator = get(Simulator, site.simulator_id)
    case = moderation_services.get_case(site.case_id)
    for _ in range(count):
        site.rounds += 1
        r = Round(
            site.rounds,
            consultation,
            get(Idea, site.idea_id),
            None,
            get(User, site.resident_id),
            get(User, site.planner_id),
            get(User, site.moderator_id),
            *(_person() for _ in range(4)),
        )
        db.session.flush()
        if "consultations" in kinds:
            make_consultation(planner=r.planner, title=f"Consultation round {r.n}", commit=False)
        if "ideas" in kinds:
            _ideas(r)
        if "comments" in kinds:
            _comments(r)
        if "moderation" in kinds:
            _moderation(r, case)
        if "budgets" in kinds:
            _budgets(r, drafted, voted)
        if "simulator" in kinds:
            _simulator(r, simulator)
        if "exports" in kinds:
            export_services.create_job(r.planner, consultation, "data", "zip")
        if "tokens" in kinds:
            create_api_token(r.resident, f"Script number {r.n}")
        db.session.commit()
    resident = get(User, site.resident_id)
    if simulator_services.response_of(simulator, resident) is None:
        simulator_services.save_response(
            resident, simulator, amounts(simulator, Parks=350_000, Libraries=150_000)
        )
        db.session.commit()


# --- the pages ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    who: str | None  # the e-mail of the person signed in, None for a visitor
    url: Callable[[Site], str]
    kinds: tuple[str, ...]  # what grows between the two renders: what the page shows
    shows: str | None  # text of the last round that the second render must contain
    marks: tuple = ()

    def param(self):
        return pytest.param(self, id=self.name, marks=self.marks)


RESIDENT = "resident@example.org"
MODERATOR = "moderator@example.org"
PLANNER = "planner@example.org"
LISTS = ("consultations", "ideas", "budgets", "simulator")
IDEAS = ("ideas", "comments")
DISCUSSION = ("ideas", "comments", "moderation")
BUDGETS = ("budgets",)
SIMULATOR = ("simulator",)
EXPORTS = ("ideas", "comments", "budgets", "simulator", "exports")


def ideas(query: str = "") -> Callable[[Site], str]:
    return lambda s: f"/consultations/{s.slug}/ideas{query}"


# The texts the rounds write, "{n}" being the last round's number.
CONSULTATION = "Consultation round {n}"
IDEA_TITLE = "Benches in square number {n}"
COMMENT = "Comment {n}"
PROJECT = "Extra project {n}"


def page(name, who, url, kinds, shows=None, *marks) -> Page:
    return Page(name, who, url, kinds, shows, marks)


PAGES = [
    page("home", None, lambda s: "/", LISTS, CONSULTATION),
    page("home-resident", RESIDENT, lambda s: "/", LISTS, CONSULTATION),
    page("consultations", None, lambda s: "/consultations", LISTS, CONSULTATION),
    page("consultations-planner", PLANNER, lambda s: "/consultations", LISTS, CONSULTATION),
    page("consultation", None, lambda s: f"/consultations/{s.slug}", LISTS + IDEAS, COMMENT),
    page(
        "consultation-resident",
        RESIDENT,
        lambda s: f"/consultations/{s.slug}",
        LISTS + IDEAS,
        IDEA_TITLE,
    ),
    page("ideas-newest", None, ideas(), IDEAS, IDEA_TITLE),
    page("ideas-supported", None, ideas("?sort=supported"), IDEAS, IDEA_TITLE),
    page("ideas-commented", None, ideas("?sort=commented"), IDEAS, IDEA_TITLE),
    page("ideas-random", None, ideas("?sort=random"), IDEAS, IDEA_TITLE),
    page(
        "ideas-filtered",
        None,
        lambda s: f"/consultations/{s.slug}/ideas?category={s.category_id}&status=under_review",
        IDEAS,
        IDEA_TITLE,
    ),
    page("ideas-search", None, ideas("?q=benches"), IDEAS, IDEA_TITLE),
    page("ideas-resident", RESIDENT, ideas("?sort=supported"), IDEAS, IDEA_TITLE),
    page("idea", None, lambda s: f"/ideas/{s.idea_id}", DISCUSSION, "Reply {n}"),
    page(
        "idea-newest-comments",
        None,
        lambda s: f"/ideas/{s.idea_id}?order=newest",
        DISCUSSION,
        COMMENT,
    ),
    page("idea-resident", RESIDENT, lambda s: f"/ideas/{s.idea_id}", DISCUSSION, COMMENT),
    page("idea-moderator", MODERATOR, lambda s: f"/ideas/{s.idea_id}", DISCUSSION, COMMENT),
    page("response-times", None, lambda s: f"/consultations/{s.slug}/response-times", IDEAS),
    page("feed", None, lambda s: f"/consultations/{s.slug}/feed.atom", IDEAS, IDEA_TITLE),
    page("budgets", None, lambda s: "/budgets/", BUDGETS, "Budget of Consultation"),
    page("budget", None, lambda s: f"/budgets/{s.budget_id}", BUDGETS, PROJECT),
    page("budget-resident", RESIDENT, lambda s: f"/budgets/{s.budget_id}", BUDGETS, PROJECT),
    page("budget-planner", PLANNER, lambda s: f"/budgets/{s.voted_budget_id}", BUDGETS, PROJECT),
    page("ballot", RESIDENT, lambda s: f"/budgets/{s.budget_id}/ballot", BUDGETS, PROJECT),
    page("results", None, lambda s: f"/budgets/{s.voted_budget_id}/results", BUDGETS, PROJECT),
    page(
        "results-planner",
        PLANNER,
        lambda s: f"/budgets/{s.voted_budget_id}/results",
        BUDGETS,
        PROJECT,
    ),
    page("receipt", RESIDENT, lambda s: f"/budgets/{s.voted_budget_id}/receipt", BUDGETS, PROJECT),
    page("simulators", None, lambda s: "/simulators", SIMULATOR, "How would you split the budget?"),
    page("simulator", None, lambda s: f"/simulators/{s.simulator_id}", SIMULATOR),
    page("simulator-resident", RESIDENT, lambda s: f"/simulators/{s.simulator_id}", SIMULATOR),
    page(
        "simulator-results",
        None,
        lambda s: f"/simulators/{s.simulator_id}/results",
        SIMULATOR,
        "All {n}",
    ),
    page(
        "simulator-results-planner",
        PLANNER,
        lambda s: f"/simulators/{s.simulator_id}/results",
        SIMULATOR,
        "All {n}",
    ),
    page(
        "moderation-queue",
        MODERATOR,
        lambda s: "/moderation?per_page=50",
        DISCUSSION,
        "Rude words {n}",
    ),
    page(
        "moderation-case",
        MODERATOR,
        lambda s: f"/moderation/cases/{s.case_id}",
        DISCUSSION,
        "Note number {n}",
    ),
    page("notifications", RESIDENT, lambda s: "/notifications/", IDEAS, IDEA_TITLE),
    page("account", RESIDENT, lambda s: "/account", IDEAS + ("tokens",), "Script number {n}"),
    page("open-data", None, lambda s: f"/consultations/{s.slug}/open-data", EXPORTS),
    page("exports", PLANNER, lambda s: "/exports", LISTS + ("exports",), CONSULTATION),
    page("export-builder", PLANNER, lambda s: f"/exports/{s.slug}", EXPORTS, IDEA_TITLE),
    page(
        "export-preview",
        PLANNER,
        lambda s: f"/exports/{s.slug}/preview",
        EXPORTS,
        IDEA_TITLE,
    ),
    page("profile", None, lambda s: f"/users/{s.resident_id}", IDEAS),
]


# A list of bound values, whatever its length and the driver's placeholder style.
IN_LIST = re.compile(r"\((?:\?|%\(\w+\)s)(?:, (?:\?|%\(\w+\)s))*\)")


def _count(client, engine, url: str) -> tuple[int, int, list[str], str]:
    """Statements of a first request and of the same request again (warm caches), the
    statements of the second and its page."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(IN_LIST.sub("(…)", " ".join(statement.split()))[:100])

    counts = []
    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(2):
            statements.clear()
            answer = client.get(url)
            assert answer.status_code == 200, (url, answer.status_code)
            counts.append(len(statements))
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return counts[0], counts[1], list(statements), answer.get_data(as_text=True)


@pytest.mark.parametrize("page", [p.param() for p in PAGES])
def test_a_page_runs_as_many_statements_with_much_more_data(app, client, page: Page):
    assert not app.config["PAGE_CACHE_ENABLED"]  # a cached page would run no statement at all
    with app.app_context():
        site = build()
        grow(site, SMALL, page.kinds)
        engine = db.engine
    if page.who:
        client.login(page.who)
    url = page.url(site)
    few = _count(client, engine, url)
    with app.app_context():
        grow(site, MORE, page.kinds)
    many = _count(client, engine, url)
    if page.shows:
        assert page.shows.format(n=site.rounds) in many[3], "the new data is not on the page"
    print(f"{page.name}: {few[:2]} statements (first, again), then {many[:2]}")
    grown = Counter(many[2]) - Counter(few[2])
    detail = "\n".join(f"{n:+d}  {statement}" for statement, n in grown.most_common())
    assert many[:2] == few[:2], (
        f"{page.name} {url}: {few[:2]} statements (first, again) with {SMALL} rounds of data, "
        f"{many[:2]} with {SMALL + MORE}:\n{detail}"
    )
