"""JSON-extraction templates about people: contact cards, addresses, teams and bookings.

Each template takes a seeded generator and a level (0 easy, 1 medium, 2 hard) and returns a
`Draft`. Harder levels add fields, nesting, optional fields that must be null, numbers in words
and distractor sentences that mention values of the same kind.
"""

from __future__ import annotations

import random

from benchmarks.suites.jsonx_schema import Draft, array, integer, obj, say, string
from benchmarks.suites.words import CITIES, STREETS, person, pick_date, postal_code

__all__ = ["contact", "flight", "resident", "team"]

COMPANIES = (
    "Northwind Tools",
    "Bluefield Analytics",
    "Harbor & Finch",
    "Quantum Kitchens",
    "Redstone Logistics",
    "Maple Leaf Media",
    "Solent Robotics",
    "Vireo Health",
)
TITLES = (
    "head of procurement",
    "data engineer",
    "office manager",
    "sales director",
    "product designer",
    "research scientist",
    "account executive",
    "operations lead",
)
ROLES = ("designer", "developer", "tester", "team lead", "analyst", "writer", "support engineer")
DOMAINS = ("example.com", "example.org", "mail.example.net")


def _email(first: str, last: str, rng: random.Random) -> str:
    return f"{first.lower()}.{last.lower()}@{rng.choice(DOMAINS)}"


def _phone(rng: random.Random) -> str:
    return f"+{rng.randint(30, 49)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def contact(rng: random.Random, level: int) -> Draft:
    """A contact card from a short self-introduction."""
    d = Draft("contact", level)
    first, last = person(rng)
    email, phone = _email(first, last, rng), _phone(rng)
    d.add("name", string("full name"), f"{first} {last}", f"Hello, this is {first} {last}.")
    d.add("email", string(), email, f"My email address is {email}.")
    d.add("phone", string("as written"), phone, f"You can also call me on {phone}.")
    if level >= 1:
        company, title = rng.choice(COMPANIES), rng.choice(TITLES)
        d.add("company", string(), company, f"I work at {company}.")
        d.optional(
            "job_title", string(), title, f"My role there is {title}.", present=rng.random() < 0.5
        )
    if level >= 2:
        years = rng.randint(2, 19)
        d.add(
            "years_at_company",
            integer(),
            years,
            f"I have been with the company for {say(years, True)} years.",
        )
        other = person(rng)
        d.distractors.append(
            f"My colleague {other[0]} {other[1]} ({_email(*other, rng)}) is on leave this month."
        )
        d.optional("fax", string(), None, "", present=False)
    return d


def resident(rng: random.Random, level: int) -> Draft:
    """A person with a nested postal address."""
    d = Draft("resident", level)
    first, last = person(rng)
    age = rng.randint(19, 84)
    city = rng.choice(CITIES)
    street = f"{rng.randint(1, 240)} {rng.choice(STREETS)}"
    code = postal_code(rng, city)
    address = {"street": street, "city": city.name, "postal_code": code, "country": city.country}
    d.add("name", string(), f"{first} {last}", f"{first} {last} filled in the registration form.")
    d.add("age", integer(), age, f"{first} is {say(age, level >= 1)} years old.")
    schema = obj(
        {"street": string(), "city": string(), "postal_code": string(), "country": string()}
    )
    d.add(
        "address",
        schema,
        address,
        f"{first} lives at {street}, {code} {city.name}, {city.country}.",
    )
    if level >= 1:
        email = _email(first, last, rng)
        d.optional("email", string(), email, f"Contact email: {email}.", present=rng.random() < 0.5)
    if level >= 2:
        old = rng.choice([c for c in CITIES if c != city])
        d.distractors.append(
            f"Until last spring {first} lived at {rng.randint(1, 99)} {rng.choice(STREETS)} "
            f"in {old.name}, {old.country}."
        )
        sibling = rng.randint(19, 84)
        d.distractors.append(f"{first}'s older brother turned {say(sibling, True)} in May.")
    return d


def team(rng: random.Random, level: int) -> Draft:
    """A team and its members as a list of objects."""
    d = Draft("team", level)
    name = f"{rng.choice(('Atlas', 'Beacon', 'Comet', 'Delta', 'Ember', 'Falcon'))} team"
    count = (2, 3, rng.randint(4, 5))[level]
    members = []
    sentences = []
    for _ in range(count):
        first, last = person(rng)
        role, age = rng.choice(ROLES), rng.randint(21, 63)
        member: dict[str, str | int] = {"name": f"{first} {last}", "role": role}
        if level >= 1:
            member["age"] = age
            sentences.append(f"{first} {last}, aged {say(age, level >= 2)}, works as {role}.")
        else:
            sentences.append(f"{first} {last} is the {role}.")
        members.append(member)
    items = {"name": string(), "role": string()}
    if level >= 1:
        items["age"] = integer()
    d.add(
        "team",
        string(),
        name,
        f"Here is the current line-up of the {name}.",
        also=[name.removesuffix(" team"), f"the {name}"],  # "the Ember team": Ember's
    )
    d.add("members", array(obj(items)), members)
    d.facts.extend(sentences)
    if level >= 2:
        gone = person(rng)
        d.distractors.append(
            f"{gone[0]} {gone[1]}, who was the {rng.choice(ROLES)}, left the team in "
            f"{rng.randint(2015, 2022)} and is no longer a member."
        )
    return d


def flight(rng: random.Random, level: int) -> Draft:
    """A flight booking confirmation."""
    d = Draft("flight", level)
    first, last = person(rng)
    origin, destination = rng.sample(CITIES, 2)
    number = f"{rng.choice(('KL', 'LH', 'AF', 'BA', 'SK', 'IB'))}{rng.randint(100, 2999)}"
    date = pick_date(rng)
    seat = f"{rng.randint(3, 38)}{rng.choice('ABCDEF')}"
    d.add("passenger", string(), f"{first} {last}", f"Booking confirmed for {first} {last}.")
    d.add(
        "flight_number",
        string(),
        number,
        f"Flight {number} from {origin.name} to {destination.name}.",
    )
    d.add("from_city", string(), origin.name)
    d.add("to_city", string(), destination.name)
    d.add(
        "date", string("YYYY-MM-DD"), date.iso, f"Departure is on {date.prose(rng.randint(0, 2))}."
    )
    if level >= 1:
        d.add("seat", string(), seat, f"Your seat is {seat}.")
        bags = rng.randint(0, 3)
        d.add(
            "checked_bags",
            integer(),
            bags,
            f"You have {say(bags, level >= 2)} checked bag{'s' if bags != 1 else ''}.",
        )
    if level >= 2:
        d.optional(
            "meal",
            string(),
            "vegetarian",
            "You asked for a vegetarian meal.",
            present=rng.random() < 0.5,
        )
        back = pick_date(rng)
        d.distractors.append(f"The return flight on {back.prose(0)} is not part of this booking.")
    return d
