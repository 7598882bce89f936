"""Choice answers: letters, markers, option texts, and options read from a prompt."""

from __future__ import annotations

import pytest
from cascade.verifiers.extract_choice import choices_from_prompt, extract_choice, letter_map
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("B", "B"),
        ("  c\n", "C"),
        ("(B)", "B"),
        ("(b)", "B"),
        ("b)", "B"),
        ("D. palms covered with lotion", "D"),
        ("A\n\nExplanation: dry palms rub best.", "A"),
        ("Answer: C", "C"),
        ("answer: e", "E"),
        ("The correct option is B", "B"),
        ("The correct answer is (D) because iron sticks.", "D"),
        ("I think option C is correct.", "C"),
        ("Option A is tempting, but the answer is B.", "B"),
        ("a", "A"),
    ],
)
def test_letters(text: str, expected: str) -> None:
    assert extract_choice(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "I do", "Okay,", "a dog would say so", "A boat travels north", "F", "The answer is a dog"],
)
def test_no_letter(text: str) -> None:
    assert extract_choice(text) is None


CHOICES = ["dry palms", "wet palms", "palms covered with oil", "palms covered with lotion"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wet palms", "B"),
        ("Wet palms.", "B"),
        ("palms covered with oil, since oil heats", "C"),
        ("palms covered with lot", "D"),
        ("I would say the dry palms work best", "A"),
        ("E", None),
        ("palms", None),
        ("palms covered", None),
    ],
)
def test_option_texts(text: str, expected: str | None) -> None:
    assert extract_choice(text, CHOICES) == expected


def test_mapping_choices_keep_their_letters() -> None:
    assert extract_choice("Logan", {"a": "Kyle", "b": "Logan"}) == "B"
    assert letter_map(["A) Ian", "B) Dennis"]) == {"A": "Ian", "B": "Dennis"}


def test_more_than_five_options() -> None:
    options = [f"option {n}" for n in range(8)]
    assert extract_choice("G", options) == "G"
    assert extract_choice("G") is None


def test_choices_from_prompt_takes_the_last_block() -> None:
    prompt = (
        "Q1\nA) dry palms\nB) wet palms\nAnswer:\nA\n\n"
        "Which of these do scientists offer?\nA) worldwide disease\nB) global mountain building\n"
        "C) rise of mammals\nD) impact of an asteroid\nPrint only a single choice. Answer:"
    )
    assert choices_from_prompt(prompt) == {
        "A": "worldwide disease",
        "B": "global mountain building",
        "C": "rise of mammals",
        "D": "impact of an asteroid",
    }
    assert choices_from_prompt("no options here") == {}


@given(
    st.sampled_from("ABCDE"),
    st.sampled_from(
        [
            "{}",
            "({})",
            "{})",
            "{}.",
            "Answer: {}",
            "The answer is ({}).",
            "The correct option is {}",
        ]
    ),
    st.booleans(),
)
def test_letter_formats_share_a_key(letter: str, template: str, lower: bool) -> None:
    written = letter.lower() if lower and "(" in template else letter
    assert extract_choice(template.format(written)) == letter
