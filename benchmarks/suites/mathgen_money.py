"""Math word-problem templates about money: baskets, discounts, growth, shares and savings."""

from __future__ import annotations

import random
from fractions import Fraction

from benchmarks.suites.mathgen_templates import F, Problem, name
from benchmarks.suites.words import FIRST

__all__ = ["discount", "growth", "ratio", "savings", "shopping"]

GOODS = (
    ("notebook", "notebooks", 3, 9),
    ("pen", "pens", 1, 4),
    ("mug", "mugs", 6, 15),
    ("scarf", "scarves", 12, 30),
    ("plant pot", "plant pots", 5, 14),
    ("puzzle", "puzzles", 8, 22),
    ("candle", "candles", 4, 11),
)


def _money(value: Fraction) -> str:
    return f"${float(value):.2f}" if value.denominator != 1 else f"${value}"


def shopping(rng: random.Random) -> Problem:
    """Two to six steps: a basket of items, optionally paid with a bill (ask the change)."""
    picks = rng.sample(GOODS, rng.randint(1, 3))
    lines = [
        (one if q == 1 else many, q, F(rng.randint(2 * low, 2 * high), 2))
        for one, many, low, high in picks
        for q in [rng.randint(1, 6)]
    ]
    total = sum((q * p for _, q, p in lines), F(0))
    bill = next(b for b in (10, 20, 50, 100, 200, 500, 1000) if b > total)
    change = rng.random() < 0.5
    who = name(rng)
    bought = [f"{q} {n} at {_money(p)} each" for n, q, p in lines]
    listed = bought[0] if len(bought) == 1 else ", ".join(bought[:-1]) + " and " + bought[-1]
    text = f"{who} buys {listed}."
    text += (
        f" {who} pays with a ${bill} bill. How much change does {who} get, in dollars?"
        if change
        else " How much does everything cost in total, in dollars?"
    )
    params = {"lines": [[q, str(p)] for _, q, p in lines], "bill": bill if change else None}
    steps = 2 * len(lines) - 1 + change
    return Problem("shopping", params, text, bill - total if change else total, steps)


def discount(rng: random.Random) -> Problem:
    """Two to four steps: a percentage off, then possibly sales tax on the reduced price."""
    while True:
        price, off = rng.randint(2, 40) * 5, rng.choice((10, 15, 20, 25, 30, 40))
        tax = rng.choice((0, 0, 5, 8, 10))
        answer = price * F(100 - off, 100) * F(100 + tax, 100)
        if (answer * 100).denominator == 1:
            break
    text = f"A jacket costs ${price}. It is on sale for {off}% off."
    text += (
        f" Sales tax of {tax}% is added to the sale price. What is the final price in dollars?"
        if tax
        else " What is the sale price in dollars?"
    )
    return Problem(
        "discount", {"price": price, "off": off, "tax": tax}, text, answer, 4 if tax else 2
    )


def growth(rng: random.Random) -> Problem:
    """Two or three steps: a rise by one percentage followed by a fall by another."""
    while True:
        start, up = rng.randint(2, 60) * 100, rng.choice((10, 20, 25, 50))
        down = rng.choice((10, 20))
        answer = start * F(100 + up, 100) * F(100 - down, 100)
        if answer.denominator == 1:
            break
    text = (
        f"A town had {start} residents. The population grew by {up}% one year and then "
        f"fell by {down}% the next year. How many residents does it have now?"
    )
    return Problem("growth", {"start": start, "up": up, "down": down}, text, answer, 3)


def ratio(rng: random.Random) -> Problem:
    """Two or four steps: an amount shared in a ratio, then part of one share given away."""
    a, b = rng.sample(range(1, 8), 2)
    keep = rng.choice((None, 2, 3, 4))
    unit = rng.randint(3, 30) * (keep or 1)
    total = unit * (a + b)
    first, second = rng.sample(FIRST, 2)
    text = f"{first} and {second} share ${total} in the ratio {a}:{b}."
    if keep is None:
        text += f" How many dollars does {second} get?"
        answer, steps = F(unit * b), 2
    else:
        text += (
            f" {second} then gives 1/{keep} of that share to a friend. "
            f"How many dollars does {second} have left?"
        )
        answer, steps = F(unit * b) * (1 - F(1, keep)), 4
    return Problem("ratio", {"total": total, "a": a, "b": b, "keep": keep}, text, answer, steps)


def savings(rng: random.Random) -> Problem:
    """Five or six steps: weekly earnings and spending over weeks, then a purchase."""
    wage, hours, weeks = rng.randint(8, 20), rng.randint(3, 15), rng.randint(3, 12)
    spend = rng.randint(1, wage * hours // 2)
    bonus = rng.choice((0, 0, 25, 40, 60))
    earned = (wage * hours - spend) * weeks + bonus
    price = rng.randint(earned // 4, earned * 3 // 4)
    who = name(rng)
    text = (
        f"{who} earns ${wage} an hour and works {hours} hours a week. Each week {who} "
        f"spends ${spend} on lunches."
    )
    if bonus:
        text += f" At the end {who} also gets a one-off bonus of ${bonus}."
    text += (
        f" After {weeks} weeks {who} buys a bike for ${price}. "
        f"How many dollars does {who} have left from the job?"
    )
    params = {
        "wage": wage,
        "hours": hours,
        "spend": spend,
        "weeks": weeks,
        "price": price,
        "bonus": bonus,
    }
    return Problem("savings", params, text, F(earned - price), 6 if bonus else 5)
