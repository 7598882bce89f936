"""Math word-problem templates: each draws numbers, writes the problem and computes the answer.

A template returns a `Problem`: its numbers (``params``, enough to solve it again), the text,
the exact answer as a Fraction and the number of arithmetic steps a solution takes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from benchmarks.suites.words import FIRST

__all__ = [
    "F",
    "Problem",
    "ages",
    "average",
    "convert",
    "groups",
    "leftovers",
    "name",
    "pipes",
    "trip",
]

F = Fraction
THINGS = (
    ("box", "boxes", "pencils"),
    ("crate", "crates", "apples"),
    ("tray", "trays", "muffins"),
    ("pack", "packs", "batteries"),
    ("carton", "cartons", "eggs"),
    ("bag", "bags", "oranges"),
)


@dataclass(frozen=True, slots=True)
class Problem:
    """A generated problem: numbers, text, exact answer and step count."""

    template: str
    params: dict[str, Any]
    text: str
    answer: Fraction
    steps: int


def name(rng: random.Random) -> str:
    """A first name for a problem's person."""
    return rng.choice(FIRST)


def groups(rng: random.Random) -> Problem:
    """One step: items per container times containers, or the reverse division."""
    (box, boxes, items), per = rng.choice(THINGS), rng.randint(4, 24)
    count = rng.randint(3, 30)
    if rng.random() < 0.5:
        text = f"A {box} holds {per} {items}. How many {items} are there in {count} full {boxes}?"
        return Problem(
            "groups", {"per": per, "count": count, "ask": "total"}, text, F(per * count), 1
        )
    text = f"{per * count} {items} are packed {per} to a {box}. How many {boxes} are needed?"
    return Problem("groups", {"per": per, "count": count, "ask": "boxes"}, text, F(count), 1)


def trip(rng: random.Random) -> Problem:
    """Three or four steps: distance over two legs, the second given in minutes."""
    s1, h1 = rng.randint(4, 24) * 5, rng.randint(1, 4)
    s2, minutes = rng.randint(2, 16) * 6, rng.choice((10, 15, 20, 30, 40, 45, 50))
    who = name(rng)
    text = (
        f"{who} drives for {h1} hour{'s' if h1 > 1 else ''} at {s1} km/h, then for "
        f"{minutes} minutes at {s2} km/h. How many kilometres does {who} drive in total?"
    )
    answer = s1 * h1 + F(s2 * minutes, 60)
    return Problem("trip", {"s1": s1, "h1": h1, "s2": s2, "minutes": minutes}, text, answer, 4)


def pipes(rng: random.Random) -> Problem:
    """Three steps, often a fractional answer: two pipes filling a tank together."""
    a, b = rng.sample(range(2, 13), 2)
    text = (
        f"One pipe fills a tank in {a} hours; another fills the same tank in {b} hours. "
        "Running together, how many hours do they take to fill the empty tank?"
    )
    return Problem("pipes", {"a": a, "b": b}, text, 1 / (F(1, a) + F(1, b)), 3)


def ages(rng: random.Random) -> Problem:
    """Four steps: a difference of ages and a future sum of ages."""
    young, gap, years = rng.randint(3, 40), rng.randint(2, 30), rng.randint(2, 12)
    total = 2 * young + gap + 2 * years
    first, second = rng.sample(FIRST, 2)
    text = (
        f"{first} is {gap} years older than {second}. In {years} years the sum of their "
        f"ages will be {total}. How old is {first} now?"
    )
    return Problem("ages", {"gap": gap, "years": years, "total": total}, text, F(young + gap), 4)


def convert(rng: random.Random) -> Problem:
    """One or two steps: a unit conversion (lengths, volumes, durations)."""
    kind = rng.choice(("laps", "milk", "film"))
    if kind == "laps":
        laps, track = rng.randint(2, 25), rng.choice((200, 250, 400))
        text = f"A runner does {laps} laps of a {track} m track. How many kilometres is that?"
        return Problem(
            "convert", {"kind": kind, "n": laps, "size": track}, text, F(laps * track, 1000), 2
        )
    if kind == "milk":
        batches, ml = rng.randint(2, 12), rng.choice((150, 200, 250, 300, 350))
        text = (
            f"A recipe uses {ml} ml of milk per batch. How many litres of milk are needed "
            f"for {batches} batches?"
        )
        return Problem(
            "convert", {"kind": kind, "n": batches, "size": ml}, text, F(batches * ml, 1000), 2
        )
    minutes = rng.randint(7, 40) * 5
    text = f"A film lasts {minutes} minutes. How many hours is that?"
    return Problem("convert", {"kind": kind, "n": minutes, "size": 60}, text, F(minutes, 60), 1)


def average(rng: random.Random) -> Problem:
    """Three steps: the score needed on a last test to reach a target average."""
    while True:
        scores, target = [rng.randint(55, 98) for _ in range(4)], rng.randint(70, 90)
        need = 5 * target - sum(scores)
        if 0 <= need <= 100:
            break
    who = name(rng)
    text = (
        f"{who} scored {', '.join(map(str, scores[:3]))} and {scores[3]} on four tests. "
        f"What score does {who} need on the fifth test for an average of {target} "
        "over all five?"
    )
    return Problem("average", {"scores": scores, "target": target}, text, F(need), 3)


def leftovers(rng: random.Random) -> Problem:
    """Three to six steps: fractions of what remains, given away in turn."""
    parts = [rng.choice((2, 3, 4, 5)) for _ in range(rng.randint(1, 3))]
    start = rng.randint(1, 4)
    for k in parts:
        start *= k
    start *= rng.randint(1, 3)
    who, left = name(rng), F(start)
    text = f"{who} has {start} stickers."
    for i, k in enumerate(parts):
        rest = "them" if i == 0 else "what is left"
        text += f" {who} gives 1/{k} of {rest} to {rng.choice(FIRST)}."
        left -= left / k
    text += f" How many stickers does {who} have now?"
    return Problem("leftovers", {"start": start, "parts": parts}, text, left, 2 * len(parts))
