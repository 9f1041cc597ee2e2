# ruff: noqa: E501 - demo texts are long sentences
"""Demo ideas for the demo consultation, with residents, supports and dates over weeks."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from portal.accounts.demo import DEMO_PASSWORD
from portal.accounts.services import create_user, find_by_email
from portal.core.models import utcnow
from portal.extensions import db
from portal.ideas import services
from portal.ideas.models import Idea, Support

RESIDENTS = (
    ("amira@example.org", "Amira H."),
    ("bram@example.org", "Bram de Vries"),
    ("carmen@example.org", "Carmen López"),
    ("dmitri@example.org", "Dmitri"),
    ("eva@example.org", "Eva Janssen"),
    ("farid@example.org", "Farid B."),
    ("grace@example.org", "Grace O."),
    ("hugo@example.org", "Hugo"),
    ("ines@example.org", "Inês Costa"),
    ("jonas@example.org", "Jonas Peeters"),
)

# (title, body, category index, district index or None, cost or None, (lat, lon) or None)
IDEAS = (
    (
        "Shade trees on the market square",
        "The square is an oven in July. Ten large trees along the south side would give shade to the market and the café terraces.",
        0,
        0,
        45000,
        (52.3702, 4.8952),
    ),
    (
        "Benches along the river path",
        "Older people walk the river path but there is nowhere to rest between the bridge and the mill. Benches every 300 m, please.",
        0,
        1,
        12000,
        (52.3675, 4.9041),
    ),
    (
        "Community vegetable garden in North Hills",
        "The empty lot behind the library could become a shared garden with raised beds, a water tap and a tool shed.",
        0,
        2,
        18000,
        None,
    ),
    (
        "Wildflower verges instead of mown grass",
        "Mow the verges twice a year instead of every two weeks. Good for bees, cheaper, and prettier.",
        0,
        None,
        5000,
        None,
    ),
    (
        "Dog park near the station",
        "A fenced area where dogs can run off the leash, with a water point and bins.",
        0,
        3,
        25000,
        None,
    ),
    (
        "Protected cycle lane on Mill Street",
        "Mill Street is the route to the secondary school. Cars park on the painted lane; a kerb-separated lane would make it safe.",
        1,
        1,
        220000,
        (52.3691, 4.9011),
    ),
    (
        "Covered bike parking at the station",
        "There are 300 bikes and 80 racks. Two-storey racks under a roof would end the chaos.",
        1,
        3,
        90000,
        None,
    ),
    (
        "30 km/h in the Old Town",
        "Narrow streets, children and terraces: a 30 km/h zone with a few raised crossings.",
        1,
        0,
        40000,
        None,
    ),
    (
        "Evening bus to North Hills",
        "The last bus leaves at 19:30. One more trip at 22:00 would let people go out without a car.",
        1,
        2,
        60000,
        None,
    ),
    (
        "Safe crossing at the primary school",
        "Zebra crossing with a flashing light and a school street closure at 8:30 and 15:00.",
        1,
        2,
        15000,
        None,
    ),
    (
        "Repair the pavement on Church Lane",
        "Tree roots have lifted the tiles; wheelchairs and buggies have to use the road.",
        1,
        0,
        30000,
        None,
    ),
    (
        "Open-air cinema in summer",
        "Four Friday evenings on the riverside lawn with films chosen by residents.",
        2,
        1,
        20000,
        None,
    ),
    (
        "Outdoor table tennis tables",
        "Two concrete tables in the park, they last forever and bring people together.",
        2,
        None,
        8000,
        None,
    ),
    (
        "Mural festival for the underpass",
        "Invite local artists to paint the grey station underpass, with workshops for teenagers.",
        2,
        3,
        15000,
        None,
    ),
    (
        "Bigger library opening hours",
        "Open the library on Sunday afternoons and until 21:00 on weekdays for students.",
        2,
        2,
        70000,
        None,
    ),
    (
        "Stage and power point in the park",
        "A small permanent stage with electricity so that neighbourhood groups can hold concerts.",
        2,
        1,
        35000,
        None,
    ),
    (
        "Better lighting in the station underpass",
        "The underpass is dark and people avoid it at night. Bright LED lighting and a camera-free design with open views.",
        3,
        3,
        28000,
        (52.3789, 4.9003),
    ),
    (
        "Lights on the river path",
        "Low, warm lights that do not disturb bats, so that the path can be used in winter evenings.",
        3,
        1,
        55000,
        None,
    ),
    (
        "Defibrillators in public buildings",
        "An AED in the town hall, the library and the sports hall, with free first-aid courses.",
        3,
        None,
        12000,
        None,
    ),
    (
        "Speed display on the ring road",
        "A sign that shows your speed at the entrance of North Hills.",
        3,
        2,
        6000,
        None,
    ),
    (
        "Youth centre in the old post office",
        "Teenagers have nowhere to go. The empty post office could host a youth centre run with them.",
        4,
        0,
        300000,
        None,
    ),
    (
        "Skatepark near the station",
        "A concrete skatepark designed together with local skaters, on the unused corner of the station car park.",
        4,
        3,
        150000,
        None,
    ),
    (
        "Homework café in the library",
        "Volunteers help pupils with homework two afternoons a week.",
        4,
        2,
        10000,
        None,
    ),
    (
        "Climbing wall in the sports hall",
        "A bouldering wall for schools and clubs.",
        4,
        None,
        40000,
        None,
    ),
    (
        "Nature playground on the riverside",
        "Logs, sand, water pumps and willow huts instead of plastic slides.",
        4,
        1,
        65000,
        None,
    ),
    (
        "Drinking water fountains",
        "Fountains on the market square, in the park and at the station so people can refill bottles.",
        0,
        None,
        20000,
        None,
    ),
    (
        "Car-free Sundays on the quay",
        "Close the quay to cars on Sundays from May to September for walking, cycling and markets.",
        1,
        1,
        3000,
        None,
    ),
    (
        "Public toilets in the park",
        "Clean, accessible toilets, also for the elderly and families with small children.",
        3,
        1,
        80000,
        None,
    ),
    (
        "Repair café every month",
        "A place where volunteers help repair bikes, clothes and electrical devices.",
        2,
        0,
        4000,
        None,
    ),
    (
        "Trees for the market",
        "More trees on the market square please, it is too hot in summer.",
        0,
        0,
        None,
        None,
    ),
    (
        "Bike repair stations",
        "Free pumps and tools on poles at the station and the school.",
        1,
        None,
        7000,
        None,
    ),
    (
        "Chess tables in the Old Town square",
        "Two stone chess tables near the fountain.",
        2,
        0,
        6000,
        None,
    ),
)


def _residents() -> list:
    people = []
    for email, name in RESIDENTS:
        person = find_by_email(email) or create_user(email, DEMO_PASSWORD, [], name)
        people.append(person)
    return people


def load() -> list[str]:
    from portal.consultations.demo import demo_consultation

    consultation = demo_consultation()
    if consultation is None:
        return []
    existing = db.session.scalar(
        select(func.count(Idea.id)).where(Idea.consultation_id == consultation.id)
    )
    if existing:
        return ["Demo ideas already present; left as they are."]
    people = _residents()
    rng = random.Random(2026)
    now = utcnow()
    categories, districts = consultation.categories, consultation.districts
    ideas = []
    for n, (title, body, cat, dist, cost, place) in enumerate(IDEAS):
        author = people[n % len(people)]
        data = services.IdeaData(
            title=title,
            body=body,
            category_id=categories[cat].id,
            district_id=districts[dist].id if dist is not None else None,
            cost=cost,
            latitude=place[0] if place else None,
            longitude=place[1] if place else None,
            address=districts[dist].name if dist is not None else "",
        )
        idea = services.create_idea(author, consultation, data)
        # spread over eight weeks, oldest first
        idea.created_at = idea.updated_at = now - timedelta(
            days=56 - n * 1.6, hours=rng.randint(0, 10)
        )
        ideas.append(idea)
    db.session.flush()
    # supports: popular ideas get more; written directly (their dates lie in the past)
    support_rows = 0
    used: dict[int, int] = {}
    for idea in ideas:
        wanted = rng.choice((0, 1, 2, 3, 4, 5, 6, 7, 8))
        for person in rng.sample(people, k=min(wanted, len(people))):
            if used.get(person.id, 0) >= consultation.support_limit:
                continue
            used[person.id] = used.get(person.id, 0) + 1
            db.session.add(
                Support(
                    idea_id=idea.id,
                    user_id=person.id,
                    consultation_id=consultation.id,
                    created_at=idea.created_at + timedelta(days=rng.randint(1, 5)),
                )
            )
            idea.support_count += 1
            support_rows += 1
        idea.is_qualified = idea.support_count >= (consultation.support_threshold or 10**9)
    return [f"Demo ideas: {len(ideas)} ideas with {support_rows} supports by demo residents"]
