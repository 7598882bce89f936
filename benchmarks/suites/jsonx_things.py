"""JSON-extraction templates about things: invoices, events, products and books.

Same contract as `jsonx_people`: a seeded generator and a level in, a `Draft` out.
"""

from __future__ import annotations

import random

from benchmarks.suites.jsonx_schema import (
    Draft,
    array,
    boolean,
    integer,
    number,
    obj,
    say,
    string,
    without_article,
)
from benchmarks.suites.words import CITIES, person, pick_date

__all__ = ["book", "event", "invoice", "product"]

GOODS = (
    ("printer paper (box)", 18, 34),
    ("desk lamp", 22, 60),
    ("USB-C cable", 6, 15),
    ("office chair", 90, 240),
    ("whiteboard marker set", 4, 12),
    ("monitor stand", 25, 70),
    ("ergonomic keyboard", 45, 130),
    ("coffee beans (1 kg)", 14, 28),
)
CURRENCIES = (("EUR", "euros"), ("USD", "US dollars"), ("GBP", "pounds sterling"))
EVENTS = (
    "Robotics Meetup",
    "Poetry Evening",
    "Open Data Workshop",
    "Chess Tournament",
    "Film Night",
    "Startup Pitch Day",
    "Gardening Class",
    "Jazz Concert",
)
VENUES = (
    "the Old Library",
    "Hall B of the Civic Centre",
    "the Riverside Pavilion",
    "the community hall",
    "Room 204 of the Science Park",
)
PRODUCTS = (
    "Trailblazer backpack",
    "Aurora desk fan",
    "Nimbus kettle",
    "Vector drill",
    "Lumen reading lamp",
    "Cascade water filter",
    "Orbit speaker",
    "Summit tent",
)
COLORS = ("slate grey", "forest green", "navy blue", "matte black", "sand", "coral red")
TITLE_WORDS = ("Silent", "Harbor", "Glass", "Winter", "Hidden", "Paper", "Last", "Northern")
TITLE_NOUNS = ("Orchard", "Lighthouse", "Garden", "Archive", "River", "Clockmaker", "Bridge")
GENRES = ("mystery", "historical fiction", "science fiction", "memoir", "fantasy", "thriller")


def _money(cents: int) -> float:
    return round(cents / 100, 2)


def invoice(rng: random.Random, level: int) -> Draft:
    """An invoice with line items and a stated total."""
    d = Draft("invoice", level)
    code, customer = (
        f"INV-{rng.randint(1000, 99999)}",
        rng.choice(
            ("Bluefield Analytics", "Redstone Logistics", "Vireo Health", "Maple Leaf Media")
        ),
    )
    date = pick_date(rng)
    d.add("invoice_number", string(), code, f"Invoice {code} was issued to {customer}")
    d.add("customer", string(), customer)
    d.add("date", string("YYYY-MM-DD"), date.iso, f"on {date.prose(rng.randint(0, 2))}.")
    d.facts[-2:] = [" ".join(d.facts[-2:])]
    goods = rng.sample(GOODS, (1, 2, rng.randint(3, 4))[level])
    items, total = [], 0
    for name, low, high in goods:
        quantity, cents = rng.randint(1, 12), rng.randint(low * 100, high * 100) // 5 * 5
        total += quantity * cents
        items.append({"description": name, "quantity": quantity, "unit_price": _money(cents)})
        amount = f"{say(quantity, True)} units of" if level >= 2 else f"{quantity} x"
        d.facts.append(f"It lists {amount} {name} at {cents / 100:.2f} each.")
    item = obj(
        {
            "description": string(),
            "quantity": integer(),
            "unit_price": number("per unit, no currency symbol"),
        }
    )
    d.add("items", array(item), items)
    symbol, words = rng.choice(CURRENCIES)
    d.add("total", number(), _money(total), f"The amount due is {total / 100:.2f} {words}.")
    if level >= 1:
        d.add("currency", string("ISO 4217 code, e.g. EUR"), symbol)
        d.optional("purchase_order", string(), f"PO-{rng.randint(100, 999)}", "", present=False)
    if level >= 2:
        old = rng.randint(2000, 90000)
        d.distractors.append(
            f"Invoice INV-{rng.randint(1000, 9999)} for {old / 100:.2f} "
            f"{words} was already paid in full last quarter."
        )
    return d


def _clock(hour: int, minute: int, level: int) -> str:
    if level == 0:
        return f"{hour:02d}:{minute:02d}"
    half = "am" if hour < 12 else "pm"
    twelve = hour % 12 or 12
    if level == 1 or minute == 0:
        return f"{twelve}:{minute:02d} {half}"
    part = "in the morning" if hour < 12 else "in the evening" if hour >= 17 else "in the afternoon"
    if minute == 45:
        return f"a quarter to {(hour + 1) % 12 or 12} {part}"
    return f"{'a quarter' if minute == 15 else 'half'} past {twelve} {part}"


def event(rng: random.Random, level: int) -> Draft:
    """An event announcement with a date, a start time and a capacity."""
    d = Draft("event", level)
    title, venue, city = rng.choice(EVENTS), rng.choice(VENUES), rng.choice(CITIES)
    date, hour, minute = pick_date(rng), rng.randint(9, 20), rng.choice((0, 15, 30, 45))
    capacity = rng.randint(2, 40) * 5
    d.add("title", string(), title, f"Join us for the {title}!")
    d.add("date", string("YYYY-MM-DD"), date.iso, f"It takes place on {date.prose(level)}")
    d.add(
        "start_time",
        string("HH:MM, 24-hour clock"),
        f"{hour:02d}:{minute:02d}",
        f"starting at {_clock(hour, minute, level)},",
    )
    d.add(
        "location",
        string("venue, city"),
        f"{venue}, {city.name}",
        f"at {venue}, {city.name}.",
        also=[f"{bare}, {city.name}" for bare in without_article(venue)],
    )
    d.facts[-3:] = [" ".join(d.facts[-3:])]
    d.add("capacity", integer(), capacity, f"There is room for {say(capacity, level >= 2)} people.")
    if level >= 1:
        online = rng.random() < 0.5
        d.add(
            "streamed_online",
            boolean(),
            online,
            "It will also be streamed online." if online else "There is no online stream.",
        )
        organizer = " ".join(person(rng))
        d.optional(
            "organizer",
            string(),
            organizer,
            f"It is organised by {organizer}.",
            present=rng.random() < 0.5,
        )
    if level >= 2:
        past = pick_date(rng)
        d.distractors.append(
            f"Last time, on {past.prose(0)}, {say(rng.randint(20, 300), True)} people came."
        )
    return d


def product(rng: random.Random, level: int) -> Draft:
    """A product sheet, with nested dimensions and a weight that may need converting."""
    d = Draft("product", level)
    name, color = rng.choice(PRODUCTS), rng.choice(COLORS)
    sku, price = f"SKU-{rng.randint(10000, 99999)}", rng.randint(500, 40000) // 5 * 5
    grams = rng.randint(3, 95) * 50
    d.add("name", string(), name, f"The {name} ({sku}) sells for {price / 100:.2f}.")
    d.add("sku", string(), sku)
    d.add("price", number(), _money(price))
    weight = f"{grams} grams" if level >= 2 else f"{grams / 1000:g} kg"
    d.add("weight_kg", number("kilograms"), grams / 1000, f"It weighs {weight}.")
    in_stock = rng.random() < 0.6
    d.add(
        "in_stock",
        boolean(),
        in_stock,
        "It is in stock." if in_stock else "It is currently sold out.",
    )
    if level >= 1:
        w, h, depth = (rng.randint(5, 90) for _ in range(3))
        dims = {"width": w, "height": h, "depth": depth}
        d.add(
            "dimensions_cm",
            obj({k: number() for k in dims}),
            dims,
            f"It measures {w} cm wide, {h} cm high and {depth} cm deep.",
        )
        d.optional("color", string(), color, f"It comes in {color}.", present=rng.random() < 0.5)
    if level >= 2:
        d.distractors.append(
            f"The previous model weighed {rng.randint(3, 95) * 50} grams "
            f"and cost {rng.randint(5, 400)}.00."
        )
    return d


def book(rng: random.Random, level: int) -> Draft:
    """A catalogue entry for a book."""
    d = Draft("book", level)
    title = f"The {rng.choice(TITLE_WORDS)} {rng.choice(TITLE_NOUNS)}"
    author, year = " ".join(person(rng)), rng.randint(1950, 2024)
    pages = rng.randint(120, 780)
    d.add("title", string(), title, f"{title} was written by {author}")  # "The" is the title's
    d.add("author", string(), author)
    d.add("year", integer(), year, f"and first published in {year}.")
    d.facts[-2:] = [" ".join(d.facts[-2:])]
    d.add("pages", integer(), pages, f"It runs to {say(pages, level >= 2)} pages.")
    if level >= 1:
        genres = rng.sample(GENRES, 2)
        d.add(
            "genres", array(string()), genres, f"Shops shelve it under {genres[0]} and {genres[1]}."
        )
        d.optional("series", string(), f"{rng.choice(TITLE_NOUNS)} Chronicles", "", present=False)
    if level >= 2:
        d.distractors.append(
            f"A sequel of {rng.randint(120, 780)} pages followed in {year + rng.randint(2, 9)}."
        )
    return d
