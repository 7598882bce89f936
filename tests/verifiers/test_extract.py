"""extract_answer: real recorded answers per task kind, dispatch, and cross-kind invariants."""

from __future__ import annotations

from typing import Any

import pytest
from cascade.verifiers.extract import KINDS, choices_from_prompt, extract_answer
from hypothesis import given, settings
from hypothesis import strategies as st

WINOGRANDE_PROMPT = (
    "Emily said that Victoria's hijab was silly and old fashioned. _ heard some very "
    "offensive things.\nA) Emily\nB) Victoria\n"
    'Print only a single choice  from "A" or "B" without explanation. Answer:'
)
ARC_CHOICES = {"A": "28", "B": "13", "C": "1", "D": "7"}
HUMANEVAL = {"entry_point": "multiply"}

# Short answers copied from /work/shared/recordings (text -> expected key).
RECORDED: list[tuple[str, str, dict[str, Any] | None, str | None]] = [
    # gsm8k-routellm: mixtral's "#### n" and GPT-4's prose
    ("math", "so she has 13 - 4 = <<13-4=9>>9 eggs left.\n...$<<9*2=18>>18.\n#### 18", None, "18"),
    ("math", "a total of 4 * $4.00 = $16.00 on ice cream after 60 days.", None, "16"),
    ("math", "making the final price $53.00 + $4.00 = $57.00.\n\n#### $57.00", None, "57"),
    ("math", "240 hours / 5 = 48 hours for 5 people to paint a whole house.", None, "48"),
    ("math", "it will take 82.5 / 3 = <<82.5/3=27.5>>27.5 years\n#### 27.5", None, "27.5"),
    ("math", "hiring the accountant puts $90 - $105 = $-15 ahead.\n#### -15", None, "-15"),
    ("math", "#### 7 packs and 2 extra glue sticks", None, "7"),
    ("math", "So, there is a 50% (or 1/2) chance ...\n#### 50% or 1/2", None, "50"),
    # gsm8k-mot: program-of-thought answers, read but never run
    (
        "math",
        "# Python code, return ans\nnum_of_eggs_per_duck = 16\neggs_eaten = 3\neggs_baked = 4\n"
        "eggs_sold = num_of_eggs_per_duck - (eggs_eaten + eggs_baked)\neggs_sold_price = 2\n"
        "ans = eggs_sold * eggs_sold_price",
        None,
        "18",
    ),
    (
        "math",
        "# Python code, return ans\nsprints_per_day = 3\ndays_per_week = 3\n"
        "meters_per_sprint = 60\nans = sprints_per_day * days_per_week * meters_per_sprint\nans",
        None,
        "540",
    ),
    (
        "math",
        "# Python code, return ans\nspiders = 90\nmillipedes = spiders * 0.333333333\n"
        "stink_bugs = 2 * millipedes - 12\nans = spiders + millipedes + stink_bugs",
        None,
        "168",
    ),
    (
        "math",
        "# Python code, return ans\nphotos_in_jamal's_phone = 6 * photos_in_brittany's_phone\n"
        "ducks_in_jamal's_photo = photos_in_jamal's_phone / 6\nans = ducks_in_jamal's_photo",
        None,
        None,
    ),
    (
        "math",
        "# Python code, return ans\nnum_of_boxes = 0\nmax_weight = 5000\n"
        "while (max_weight - 3755) >= 15:\n    num_of_boxes += 1\n    max_weight -= 15\n"
        "ans = num_of_boxes",
        None,
        None,
    ),
    (
        "math",
        "# Python code, return ans\ntotal_weight = 75 * 80\n"
        "num_of_trucks_needed = total_weight / 2000\nans = math.ceil(num_of_trucks_needed)",
        None,
        None,
    ),
    # date-mot (qa)
    (
        "qa",
        "Explain: Yesterday was April 30, 2021. Therefore, today is May 1, 2021.\n"
        "Tomorrow is May 2, 2021.\nA: 05/02/2021",
        None,
        "05/02/2021",
    ),
    ("qa", "Explain: Today is 5/9/2017.\nA: 5/9/2017", None, "05/09/2017"),
    ("qa", "Tomorrow is Tue, 7/9/1972.", None, "07/09/1972"),
    (
        "qa",
        "Therefore, today's date is May 30, 2021, which is written as 05/30/2021 in "
        "MM/DD/YYYY format.",
        None,
        "05/30/2021",
    ),
    (
        "qa",
        "Explain: Tomorrow is Jul 29, 2002, so today is Jul 28, 2002.\nA: Jul 28, 2002",
        None,
        "07/28/2002",
    ),
    (
        "qa",
        "If John is correct and today is 6/19/2019, then yesterday's date is 6/18/2019. \n"
        "Therefore, yesterday's date is 6/18/2019.",
        None,
        "06/18/2019",
    ),
    (
        "qa",
        "Explain: Tomorrow is 11/12/2019.\nTherefore, today is 11/11/2019.\nTomorrow is "
        "11/12/2019.\nA: 11/12/2019\n\n## Q: Today is 6/21/1943, but will be 6/22/1943 "
        "tomorrow. What is the date 24 hours later from today in MM/DD/YYYY?\n"
        "Explain: 24 hours later of today is 6/23/1943.\nA: 6/23/1943\n",
        None,
        "11/12/2019",
    ),
    # routerbench-arc / winogrande (choice)
    ("choice", "A\n", None, "A"),
    ("choice", "D)", None, "D"),
    ("choice", "I do", None, None),
    ("choice", "Unfortunately I", None, None),
    ("choice", "Vict", {"choices": choices_from_prompt(WINOGRANDE_PROMPT)}, "B"),
    ("choice", "C\n", {"choices": choices_from_prompt(WINOGRANDE_PROMPT)}, None),
    ("choice", "13", {"choices": ARC_CHOICES}, "B"),
    ("choice", "Selenium has", {"choices": ARC_CHOICES}, None),
]


@pytest.mark.parametrize(("kind", "text", "public", "expected"), RECORDED)
def test_recorded_answers(
    kind: str, text: str, public: dict[str, Any] | None, expected: str | None
) -> None:
    assert extract_answer(text, kind, public) == expected


def test_recorded_code_answers_group_despite_docstrings_and_fences() -> None:
    bare = "def multiply(a, b):\n    return (a % 10) * (b % 10)\n"
    documented = (
        'def multiply(a, b):\n    """Complete the function."""\n'
        "    # unit digits\n    return (a % 10) * (b % 10)\n"
    )
    fenced = f"Here it is:\n```python\n{documented}```\nThis multiplies the unit digits."
    keys = {extract_answer(text, "code", HUMANEVAL) for text in (bare, documented, fenced)}
    assert len(keys) == 1
    assert None not in keys


def test_code_llama_tagged_block_is_code() -> None:
    text = (
        " \n[PYTHON]\ndef is_unique_tuple(my_tuple):\n"
        "    return len(my_tuple) == len(set(my_tuple))\n[/PYTHON]\n[TESTS]\n"
        "# Test case 1:\nassert is_unique_tuple(()) == True\n[/TESTS]\n"
    )
    plain = "def is_unique_tuple(my_tuple):\n    return len(my_tuple) == len(set(my_tuple))"
    assert extract_answer(text, "code") == extract_answer(plain, "code")


def test_json_kind_returns_canonical_serialization() -> None:
    text = 'Sure:\n```json\n{"b": [1.0, 2], "a": "x"}\n```'
    assert extract_answer(text, "json") == '{"a":"x","b":[1,2]}'


def test_unknown_kind_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown task kind"):
        extract_answer("42", "poetry")


def test_public_fields_of_other_tasks_are_ignored() -> None:
    public = {"humaneval_prompt": "def f(): ...", "choices": 3}
    assert extract_answer("B", "choice", public) == "B"
    assert extract_answer("The answer is 4", "math", public) == "4"


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=300), st.sampled_from(KINDS))
def test_any_text_gives_a_string_key_or_none(text: str, kind: str) -> None:
    key = extract_answer(text, kind)
    assert key is None or (isinstance(key, str) and key)


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=200), st.sampled_from(["math", "choice", "json"]))
def test_keys_are_fixed_points(text: str, kind: str) -> None:
    """A key read again is itself (qa keys are not: `answer is 0` is read as `0`)."""
    key = extract_answer(text, kind)
    if key is not None:
        assert extract_answer(key, kind) == key
