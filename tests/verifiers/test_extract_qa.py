"""Short free-text answers and dates."""

from __future__ import annotations

import datetime as dt

import pytest
from cascade.verifiers.extract_dates import last_date
from cascade.verifiers.extract_qa import (
    extract_qa,
    normalize_qa,
    normalize_text,
    strip_continuation,
)
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A: 05/02/2021", "05/02/2021"),
        ("Explain: blah.\nA: 5/2/2021", "05/02/2021"),
        ("Explain: blah.\nA: May 2, 2021", "05/02/2021"),
        ("The answer is 2021-05-02.", "05/02/2021"),
        ("Answer: The Beatles.", "beatles"),
        ("Final answer: an apple", "apple"),
        ("Paris", "paris"),
        ("  PARIS!  ", "paris"),
        ("The capital of France is Paris.", "paris"),
        ("Well. Hmm.\nThe height of the wall was 3.5 meters", "3.5 meters"),
        ("It was 3.5 meters", "it was 3.5 meters"),
        ("A: Mount Everest\n\nQ: next question?\nA: K2", "mount everest"),
    ],
)
def test_extract_qa(text: str, expected: str) -> None:
    assert extract_qa(text) == expected


@pytest.mark.parametrize("text", ["", "   \n ", "A:", "!!!", " ".join(["word"] * 30)])
def test_no_answer(text: str) -> None:
    assert extract_qa(text) is None


def test_strip_continuation() -> None:
    assert strip_continuation("A: 1\n\n## Q: more?\nA: 2") == "A: 1\n"
    assert strip_continuation("**Q: x**") == "**Q: x**"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5/2/2021", "05/02/2021"),
        ("12/31/1899", "12/31/1899"),
        ("2021/5/2", "05/02/2021"),
        ("Sept. 9th, 2021", "09/09/2021"),
        ("9 September 2021", "09/09/2021"),
        ("the 2nd of May, 2021", "05/02/2021"),
        ("from 01/01/2020 to Jan 3, 2020", "01/03/2020"),
        ("13/05/2021", "13/05/2021"),
        ("in May 2021", None),
        ("1/2/21", None),
        ("3/4", None),
    ],
)
def test_last_date(text: str, expected: str | None) -> None:
    assert last_date(text) == expected


def test_normalize_text() -> None:
    assert normalize_text("The  Cat's hat, a 3.5-inch, 1,000 $!") == "cats hat 3.5inch 1,000"


@settings(deadline=None, max_examples=300)
@given(st.text(max_size=80))
def test_normalization_is_idempotent(text: str) -> None:
    once = normalize_qa(text)
    assert normalize_qa(once) == once
    assert normalize_text(normalize_text(text)) == normalize_text(text)


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@given(
    st.dates(min_value=dt.date(1000, 1, 1), max_value=dt.date(9999, 12, 31)),
    st.sampled_from(
        [
            "{d.month}/{d.day}/{d.year}",
            "{d:%m/%d/%Y}",
            "{d:%Y-%m-%d}",
            "{m} {d.day}, {d.year}",
            "{d.day} {m} {d.year}",
            "{d:%B} {d.day}, {d.year}",
        ]
    ),
    st.sampled_from(["{}", "A: {}", "Therefore, the date is {}.", "The answer is {}"]),
)
def test_date_formats_share_a_key(day: dt.date, date_format: str, sentence: str) -> None:
    written = date_format.format(d=day, m=MONTHS[day.month - 1])
    assert extract_qa(sentence.format(written)) == f"{day:%m/%d/%Y}"
