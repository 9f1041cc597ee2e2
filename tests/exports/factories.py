"""A consultation with every kind of content the exports read: themes, districts, ideas
(some hidden, pending or withdrawn), supports, comments for and against (some hidden or
deleted), official responses, verification codes, a budget with ballots and a simulator."""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from portal.accountability.models import OfficialResponse
from portal.budgets.models import Ballot, BallotChoice, Budget, Project
from portal.comments.models import Comment
from portal.consultations.models import (
    Category,
    Consultation,
    District,
    Phase,
    Verification,
    VerificationCode,
)
from portal.core.models import utcnow
from portal.extensions import db
from portal.ideas.models import Idea, Support
from portal.simulator.models import (
    Simulator,
    SimulatorLine,
    SimulatorResponse,
    SimulatorResponseLine,
)
from tests.factories import make_user

_counter = itertools.count(1)


@dataclass
class World:
    consultation: Consultation
    users: list = field(default_factory=list)
    ideas: list = field(default_factory=list)
    hidden_idea: Idea | None = None
    pending_idea: Idea | None = None
    withdrawn_idea: Idea | None = None
    hidden_comment: Comment | None = None
    deleted_comment: Comment | None = None
    budget: Budget | None = None
    simulator: Simulator | None = None
    codes: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)  # texts that must never be exported


def make_world(
    *,
    published_results: bool = True,
    simulator_published: bool = True,
    hide_support_counts: bool = False,
    support_phase_open: bool = False,
) -> World:
    n = next(_counter)
    now = utcnow()
    consultation = Consultation(
        slug=f"tomorrow-{n}",
        title=f"Tualatin Tomorrow {n}",
        summary="A community vision for the next twenty years.",
        status="published",
        require_verification=True,
        support_limit=10,
        support_threshold=3,
        hide_support_counts=hide_support_counts,
        voting_scope="all",
    )
    db.session.add(consultation)
    themes = [Category(name=name, position=i) for i, name in enumerate(("Parks", "Mobility"))]
    consultation.categories.extend(themes)
    districts = [District(name=name, position=i) for i, name in enumerate(("North", "South"))]
    consultation.districts.extend(districts)
    start = now - timedelta(days=40)
    support_start = now - timedelta(days=1) if support_phase_open else start + timedelta(days=10)
    consultation.phases.extend(
        [
            Phase(kind="ideas", starts_at=start, ends_at=start + timedelta(days=10)),
            Phase(kind="support", starts_at=support_start, ends_at=now + timedelta(days=5)),
            Phase(
                kind="ballot",
                starts_at=start + timedelta(days=20),
                ends_at=start + timedelta(days=30),
            ),
        ]
    )
    db.session.flush()
    world = World(consultation)
    users = [make_user(commit=False) for _ in range(6)]
    db.session.flush()
    world.users = users
    for user in users:
        world.secrets.append(user.email)

    # Verification codes (stored hashed; the raw code must never appear anywhere).
    from portal.consultations.services import hash_code

    for i, user in enumerate(users[:4]):
        raw = f"CODE{n:03d}{i:03d}{secrets.token_hex(3).upper()}"
        code = VerificationCode(
            consultation_id=consultation.id,
            code_hash=hash_code(consultation, raw),
            district_id=districts[i % 2].id,
            used_at=now,
            used_by_id=user.id,
        )
        db.session.add(code)
        db.session.flush()
        db.session.add(
            Verification(
                consultation_id=consultation.id,
                user_id=user.id,
                code_id=code.id,
                district_id=districts[i % 2].id,
            )
        )
        world.codes.append(raw)
        world.secrets.append(raw)

    titles = [
        ("More shade trees on Main Street", 0, 0),
        ("A riverside walking loop", 0, 1),
        ("Safe bike lanes to school", 1, 0),
        ("Later bus service at weekends", 1, 1),
        ("Community garden behind the library", 0, 1),
    ]
    for i, (title, theme, district) in enumerate(titles):
        idea = Idea(
            consultation=consultation,
            author=users[i % len(users)],
            title=title,
            body=f"**{title}** would make the city better. Details follow.",
            category=themes[theme],
            district=districts[district],
            created_at=start + timedelta(days=i * 3),
            updated_at=start + timedelta(days=i * 3),
        )
        db.session.add(idea)
        world.ideas.append(idea)
    world.hidden_idea = Idea(
        consultation=consultation,
        author=users[0],
        title="SECRET hidden idea title",
        body="hidden body",
        category=themes[0],
        moderation_state="hidden",
        hidden_reason="offensive",
        hidden_at=now,
    )
    world.pending_idea = Idea(
        consultation=consultation,
        author=users[1],
        title="SECRET pending idea title",
        body="pending body",
        category=themes[1],
        moderation_state="pending",
    )
    world.withdrawn_idea = Idea(
        consultation=consultation,
        author=users[2],
        title="SECRET withdrawn idea title",
        body="withdrawn body",
        category=themes[1],
        withdrawn_at=now,
        status="withdrawn",
    )
    db.session.add_all([world.hidden_idea, world.pending_idea, world.withdrawn_idea])
    db.session.flush()
    world.secrets += ["SECRET hidden idea title", "SECRET pending idea title"]
    world.secrets += ["SECRET withdrawn idea title"]

    # Supports: idea i gets 5 - i supports.
    for i, idea in enumerate(world.ideas):
        for user in users[: 5 - i]:
            db.session.add(
                Support(
                    idea_id=idea.id,
                    user_id=user.id,
                    consultation_id=consultation.id,
                    created_at=start + timedelta(days=12 + i),
                )
            )
        idea.support_count = 5 - i
        idea.is_qualified = idea.support_count >= 3

    first = world.ideas[0]
    for j, (stance, up, body) in enumerate(
        [
            ("for", 7, "Shade lowers the temperature in summer."),
            ("for", 3, "Trees make walking pleasant."),
            ("against", 5, "Roots may damage the pavement."),
            ("neutral", 9, "Which species would be planted?"),
        ]
    ):
        db.session.add(
            Comment(
                target_anchor_id=first.anchor_id,
                author_id=users[j].id,
                body=body,
                stance=stance,
                up_count=up,
                created_at=start + timedelta(days=2 + j),
            )
        )
    world.hidden_comment = Comment(
        target_anchor_id=first.anchor_id,
        author_id=users[5].id,
        body="SECRET hidden comment body",
        stance="against",
        up_count=50,
        moderation_state="hidden",
        hidden_reason="spam",
        created_at=start + timedelta(days=3),
    )
    world.deleted_comment = Comment(
        target_anchor_id=first.anchor_id,
        author_id=users[4].id,
        body="SECRET deleted comment body",
        stance="for",
        up_count=40,
        deleted_at=now,
        created_at=start + timedelta(days=3),
    )
    # A comment on the hidden idea: it must not appear either.
    hidden_target = Comment(
        target_anchor_id=world.hidden_idea.anchor_id,
        author_id=users[3].id,
        body="SECRET comment on a hidden idea",
        stance="for",
        up_count=30,
    )
    db.session.add_all([world.hidden_comment, world.deleted_comment, hidden_target])
    world.secrets += [
        "SECRET hidden comment body",
        "SECRET deleted comment body",
        "SECRET comment on a hidden idea",
    ]

    answered = world.ideas[1]
    db.session.add(
        OfficialResponse(
            idea_id=answered.id,
            status="accepted",
            previous_status="published",
            text="We will build the loop in 2027.",
            created_at=answered.created_at + timedelta(days=4),
        )
    )
    answered.status = "accepted"
    answered.first_answered_at = answered.created_at + timedelta(days=4)

    # A budget with projects and ballots.
    budget = Budget(
        consultation=consultation,
        title="City-wide budget",
        total=100_000 * 100,
        currency="EUR",
        ballot_kind="approval",
        official_rule="greedy_votes",
        results_published_at=now if published_results else None,
    )
    db.session.add(budget)
    db.session.flush()
    costs = [("P1", "Shade trees", 60_000), ("P2", "Bike lanes", 50_000), ("P3", "Garden", 30_000)]
    projects = []
    for position, (ref, title, cost) in enumerate(costs):
        project = Project(
            budget=budget,
            ref=ref,
            position=position,
            title=title,
            cost=cost * 100,
            feasibility="feasible",
        )
        db.session.add(project)
        projects.append(project)
    db.session.flush()
    # 3 ballots {P1,P3}, 2 ballots {P2}: greedy funds P1 + P3; Equal Shares funds the same
    # or differs — the document shows both either way.
    ballots = [["P1", "P3"], ["P1", "P3"], ["P1"], ["P2", "P3"], ["P2"]]
    refs = {p.ref: p for p in projects}
    for i, choice in enumerate(ballots):
        ballot = Ballot(
            budget_id=budget.id,
            voter_id=users[i].id,
            channel="online",
            receipt_code=f"R{n}X{i}{secrets.token_hex(4)}",
            fingerprint=secrets.token_hex(32),
        )
        for position, ref in enumerate(choice):
            ballot.choices.append(BallotChoice(project_id=refs[ref].id, position=position))
        db.session.add(ballot)
        world.secrets.append(ballot.receipt_code)
    world.budget = budget

    simulator = Simulator(
        consultation=consultation,
        title="Split the budget",
        mode="balance",
        currency="EUR",
        status="open",
        results_published=simulator_published,
        opens_at=now - timedelta(days=5),
    )
    for position, (name, current) in enumerate((("Parks", 300_000), ("Roads", 700_000))):
        simulator.lines.append(
            SimulatorLine(
                position=position,
                name=name,
                group_name="",
                current_amount=current * 100,
                minimum=0,
                maximum=1_000_000 * 100,
                step=50_000 * 100,
            )
        )
    db.session.add(simulator)
    db.session.flush()
    parks, roads = simulator.lines
    for i, user in enumerate(users[:3]):
        response = SimulatorResponse(
            simulator_id=simulator.id,
            user_id=user.id,
            total=1_000_000 * 100,
            submitted_at=now - timedelta(days=1),
            completion_seconds=120 + i,
        )
        response.lines.append(
            SimulatorResponseLine(
                line_id=parks.id, amount=(400_000 + i * 50_000) * 100, counted=True
            )
        )
        response.lines.append(
            SimulatorResponseLine(
                line_id=roads.id, amount=(600_000 - i * 50_000) * 100, counted=True
            )
        )
        db.session.add(response)
    world.simulator = simulator
    db.session.commit()
    return world
