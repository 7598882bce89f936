"""Math answers: number finding, canonical numbers, markers, and programs of thought."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from cascade.verifiers.extract_math import extract_math, looks_like_program
from cascade.verifiers.extract_numbers import (
    canonical_number,
    find_numbers,
    parse_number,
    word_number,
)
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is 42", "42"),
        ("#### 42", "42"),
        ("\\boxed{42}", "42"),
        ("so the total is 10 + 32 = 42.", "42"),
        ("#### 1,234,567", "1234567"),
        ("It costs $1,000.50 dollars.", "1000.5"),
        ("The answer is 25%.", "25"),
        ("The answer is 42.0", "42"),
        ("The answer is 42.50 USD", "42.5"),
        ("x = 3/4", "0.75"),
        ("\\boxed{\\frac{3}{4}}", "0.75"),
        ("\\boxed{\\dfrac{-1}{3}}", "-1/3"),
        ("The answer is 1 1/2 cups", "1.5"),
        ("The answer is -7 degrees", "-7"),
        ("It fell to \u22127.", "-7"),
        ("The answer is 1.5e3", "1500"),
        ("Answer: \\$1{,}000", "1000"),
        ("The answer is five.", "5"),
        ("The final answer is twenty-one apples", "21"),
        ("I get 0.1 + 0.2 = 0.30000000000000004", "0.3"),
        ("that is 1/3 = 0.3333333333333333", "1/3"),
    ],
)
def test_formats_and_markers(text: str, expected: str) -> None:
    assert extract_math(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The answer is 12. Checking: 3 * 4 = 12, and 12 + 1 = 13 is not it.", "12"),
        ("\\boxed{7} because 2 + 5 = 7 and then 8", "7"),
        ("#### 9\nThe answer is 10", "9"),
        ("First 3 + 4 = 7.\nThen 7 * 2 = 14 apples for 3 kids.", "14"),
        ("It is 7.\n\nQuestion: How many?\nAnswer: 9", "7"),
        ("total <<3*4=12>>12 and then <<12+1", "12"),
    ],
)
def test_explicit_markers_beat_the_last_number(text: str, expected: str) -> None:
    assert extract_math(text) == expected


@pytest.mark.parametrize("text", ["", "no number here", "The date is 5/30/2021.", "The answer is"])
def test_no_answer(text: str) -> None:
    assert extract_math(text) is None


def test_numbers_are_found_left_to_right_without_dates_or_words() -> None:
    found = [n.value for n in find_numbers("v2 has 3 parts, 1,000 items, 5/30/2021 and -2.5")]
    assert found == [3, 1000, Fraction(-5, 2)]


def test_parse_number_needs_exactly_one_number() -> None:
    assert parse_number("$3,000") == 3000
    assert parse_number("3 and 4") is None
    assert parse_number("1/0") is None


def test_number_words_stop_before_larger_units() -> None:
    assert word_number("twenty-five cats") == 25
    assert word_number("one hundred") is None
    assert word_number("everyone") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Fraction(42), "42"),
        (Fraction(-3, 4), "-0.75"),
        (Fraction(0), "0"),
        (Fraction(1, 3), "1/3"),
        (Fraction(1825, 3), "1825/3"),
        (Fraction("608.3333333333333"), "1825/3"),
        (Fraction("20.000040000000002"), "20.00004"),
        (Fraction("167.99999991"), "168"),
        (Fraction("0.000001"), "0.000001"),
        (Fraction(1, 1024), "0.000976562"),
        (Fraction(10**30), str(10**30)),
    ],
)
def test_canonical_number(value: Fraction, expected: str) -> None:
    assert canonical_number(value) == expected


PROGRAM = "# Python code, return ans\nprice = 2.5\ncount = 4\nans = price * count\n"


def test_programs_are_read_not_run() -> None:
    assert looks_like_program(PROGRAM)
    assert extract_math(PROGRAM) == "10"
    assert extract_math(PROGRAM, fold_programs=False) is None
    assert extract_math("# Python code\nans = 10\n", fold_programs=False) == "10"


def test_program_printing_text_gives_the_number_in_it() -> None:
    assert extract_math('x = 6\nprint(f"The answer is {x * 7} dollars")') == "42"
    assert extract_math('print("no idea")\nx = 1', fold_programs=False) is None


def test_unreadable_program_is_none_not_its_last_number() -> None:
    loop = "total = 0\nfor i in range(3):\n    total += i\nans = total\n"
    assert extract_math(loop) is None
    broken = "# Python code\nprice's = 3\ncount = 4 *\nans = 12\n"
    assert extract_math(broken) is None


def test_fenced_program_in_prose() -> None:
    text = "Let me compute.\n```python\nans = 7 * 6\n```\nThat prints the result."
    assert extract_math(text) == "42"
    assert extract_math("We get 5.\n```python\nans = 7\n```\nThe answer is 5.") == "5"


LATEX_WORKING = r"""1. **Calculate the discount:**
   \[
   0.15 \times 195 = 29.25
   \]
2. **Subtract it:**
   \[
   \text{Sale Price} = 195 - 29.25
   \]
   \[
   195 - 29.25 = 165.75
   \]

Therefore, the sale price of the jacket is \(\boxed{165.75}\) dollars."""


def test_working_in_latex_is_prose_not_a_program() -> None:
    assert not looks_like_program(LATEX_WORKING)  # its display lines read like code before
    assert extract_math(LATEX_WORKING) == "165.75"
    no_marker = LATEX_WORKING.rsplit("\n", 1)[0]
    assert extract_math(no_marker) == "165.75"  # the last line with a number, after its "="


def test_a_broken_program_with_a_regex_stays_a_program() -> None:
    broken = (
        "import re\n"
        'm = re.search(r"\\((\\d+)\\)", "total (42) items")\n'
        "total = int(m.group(1)) * 3\n"
        "print(total"
    )
    assert "\\(" in broken and looks_like_program(broken)  # the "\\(" is in a string literal
    assert extract_math(broken) is None  # unreadable program: None, not a number from it


def test_one_line_assignment_is_prose() -> None:
    assert not looks_like_program("x = 5")
    assert extract_math("x = 5") == "5"


decimals = st.decimals(
    min_value=-(10**9), max_value=10**9, places=4, allow_nan=False, allow_infinity=False
)


def _plain(value: Decimal) -> str:
    text = f"{abs(value):f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return ("-" if value < 0 else "") + text


def _with_commas(value: Decimal) -> str:
    whole, _, frac = _plain(abs(value)).partition(".")
    grouped = f"{int(whole):,}" + (f".{frac}" if frac else "")
    return ("-" if value < 0 else "") + grouped


TEMPLATES = [
    "{}",
    "The answer is {}.",
    "#### {}",
    "\\boxed{{{}}}",
    "So the total is 3 + 4 = {}.",
    "Answer: {} dollars",
    "We first add 2 and 3.\nThen the result is {} units",
]


@settings(deadline=None, max_examples=300)
@given(decimals, st.sampled_from(TEMPLATES), st.booleans(), st.booleans())
def test_formatting_variants_share_a_key(
    number: Decimal, template: str, commas: bool, trailing_zero: bool
) -> None:
    value = Fraction(number)
    written = _with_commas(number) if commas else _plain(number)
    if trailing_zero:
        written += ".0" if "." not in written else "0"
    assert extract_math(template.format(written)) == canonical_number(value)


@settings(deadline=None, max_examples=300)
@given(
    st.fractions(max_denominator=10**12)
    | st.builds(Fraction, st.integers(-(10**40), 10**40), st.integers(1, 10**15))
)
def test_canonical_numbers_are_fixed_points(value: Fraction) -> None:
    key = canonical_number(value)
    assert extract_math(key) == key
    parsed = parse_number(key)
    assert parsed is not None
    # within 1e-6 (relative) of an integer snaps to it; every other rule stays within 1e-9
    assert abs(parsed - value) <= Fraction(1, 10**6) * max(Fraction(1), abs(value))
    if parsed.denominator != 1:
        assert abs(parsed - value) <= Fraction(1, 10**9) * max(Fraction(1), abs(value))
