"""Word pools and small renderers (numbers in words, dates, times) for the generated suites."""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = [
    "CITIES",
    "FILLERS",
    "FIRST",
    "LAST",
    "MONTHS",
    "City",
    "Date",
    "number_words",
    "ordinal",
    "person",
    "pick_date",
]

FIRST = (
    "Alice",
    "Bram",
    "Chen",
    "Dana",
    "Elif",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kemi",
    "Lars",
    "Maya",
    "Nikhil",
    "Olga",
    "Pablo",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Marco",
    "Priya",
    "Tomasz",
    "Leila",
)
LAST = (
    "Abbott",
    "Brennan",
    "Castillo",
    "Dupont",
    "Eriksen",
    "Fischer",
    "Gallo",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quintero",
    "Rossi",
    "Santos",
    "Tanaka",
    "Ueda",
    "Varga",
    "Whitfield",
    "Xu",
    "Yilmaz",
    "Zimmer",
    "Bianchi",
    "Coleman",
    "Delgado",
    "Novak",
)
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
FILLERS = (
    "The weather had been grey all week.",
    "Someone had left a stack of old magazines by the door.",
    "The coffee machine on the second floor was still out of order.",
    "Traffic on the ring road was heavier than usual that morning.",
    "A new bakery opened around the corner last month.",
    "The printer kept jamming, so the copy was sent by email instead.",
    "Please ignore the previous message, which was sent by mistake.",
    "The office will be closed on the next public holiday.",
    "Parking behind the building is free after six.",
    "Nobody could remember who had ordered the extra chairs.",
)

_UNITS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_ORDINAL_SUFFIX = {1: "st", 2: "nd", 3: "rd"}


@dataclass(frozen=True, slots=True)
class City:
    """A city with its country and a postal code pattern (``#`` is a digit, ``A`` a letter)."""

    name: str
    country: str
    postal: str


CITIES = (
    City("Lyon", "France", "69###"),
    City("Porto", "Portugal", "4###-###"),
    City("Utrecht", "Netherlands", "35## AA"),
    City("Graz", "Austria", "80##"),
    City("Leeds", "United Kingdom", "LS# #AA"),
    City("Tampere", "Finland", "33###"),
    City("Bologna", "Italy", "401##"),
    City("Denver", "United States", "802##"),
    City("Osaka", "Japan", "5##-####"),
    City("Krakow", "Poland", "3#-###"),
    City("Halifax", "Canada", "B3H #A#"),
    City("Bergen", "Norway", "50##"),
)
STREETS = (
    "Elm Road",
    "Harbour Street",
    "Linden Avenue",
    "Mill Lane",
    "Station Road",
    "Canal Walk",
    "Orchard Way",
    "Quarry Hill",
    "Beacon Street",
    "Willow Crescent",
)


def number_words(n: int) -> str:
    """``n`` (0 to 999999) in English words: 47 -> "forty-seven"."""
    if not 0 <= n < 1_000_000:
        raise ValueError(f"number_words covers 0..999999, not {n}")
    if n < 20:
        return _UNITS[n]
    if n < 100:
        tens, unit = divmod(n, 10)
        return _TENS[tens] + (f"-{_UNITS[unit]}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_UNITS[hundreds]} hundred" + (f" and {number_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    tail = "" if not rest else (" and " if rest < 100 else " ") + number_words(rest)
    return f"{number_words(thousands)} thousand{tail}"


def ordinal(n: int) -> str:
    """``n`` as a numeric ordinal: 1 -> "1st", 12 -> "12th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else _ORDINAL_SUFFIX.get(n % 10, "th")
    return f"{n}{suffix}"


@dataclass(frozen=True, slots=True)
class Date:
    """A calendar date that renders as ISO or in prose."""

    year: int
    month: int
    day: int

    @property
    def iso(self) -> str:
        """``YYYY-MM-DD``."""
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def prose(self, style: int) -> str:
        """The date in words: style 0 "March 4, 2024", 1 "4 March 2024", 2 "the 4th of March"."""
        month = MONTHS[self.month - 1]
        if style == 0:
            return f"{month} {self.day}, {self.year}"
        if style == 1:
            return f"{self.day} {month} {self.year}"
        return f"the {ordinal(self.day)} of {month}, {self.year}"


def pick_date(rng: random.Random) -> Date:
    """A date in 2023-2026 (days up to 28, so every month has it)."""
    return Date(rng.randint(2023, 2026), rng.randint(1, 12), rng.randint(1, 28))


def person(rng: random.Random) -> tuple[str, str]:
    """A (first, last) name pair."""
    return rng.choice(FIRST), rng.choice(LAST)


def postal_code(rng: random.Random, city: City) -> str:
    """A postal code following ``city``'s pattern."""
    letters = "ABDEFGHJLNPRSTUWXYZ"
    return "".join(
        str(rng.randint(0, 9)) if c == "#" else rng.choice(letters) if c == "A" else c
        for c in city.postal
    )
