"""program_answer: reading arithmetic programs from their syntax tree."""

from __future__ import annotations

import math

import pytest
from cascade.verifiers.extract_program import program_answer
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("ans = 2 + 3 * 4", 14),
        ("a, b = 3, 4\nans = a ** 2 + b ** 2", 25),
        ("x: int = 7\nx += 3\nx //= 4\nanswer = x", 2),
        ("result = 7 / 2", 3.5),
        ("ans = round(2.675, 2)", round(2.675, 2)),
        ("ans = int(7.9) + abs(-2) + max(1, 5) + min((4, 2)) + sum([1, 2])", 19),
        ("scores = [65, 94, 81]\nans = sum(scores) / len(scores)", 80.0),
        ("import math\nans = math.ceil(7 / 2) + math.floor(2.5)", 6),
        ("from math import sqrt\nans = sqrt(16)", 4.0),
        ("x = 21\nbonus = 1 if x > 20 and x < 30 else 0\nans = x + bonus", 22),
        ("x = 5\nprint(x * 2)\nans = 1", 10),
        ('x = 5\nprint(f"Total: {x * 2:.2f}")', "Total: 10.00"),
        ("def solution():\n    a = 6\n    return a * 7\n", 42),
        ("def solution():\n    return 6 * 7\n\nprint(solution())", 42),
        ('"""Doc."""\nimport math\nans = math.pi', 3.141592653589793),
        ("ans = 10\nans", 10),
    ],
)
def test_readable_programs(source: str, expected: object) -> None:
    assert program_answer(source) == expected


@pytest.mark.parametrize(
    "source",
    [
        "total = 0\nfor i in range(3):\n    total += i\nans = total",
        "x = 5\nif x > 3:\n    ans = 1\nelse:\n    ans = 2",
        "import os\nans = 1",
        "ans = math.ceil(2.5)",
        "ans = (2.5).is_integer()",
        "ans = undefined + 1",
        "ans = 1 / 0",
        "ans = 10 ** 100000",
        "ans = 2.0 ** 5000",
        "ans = True",
        "ans = 'a' * 3",
        "ans = open('f').read()",
        "ans = __import__('os').getcwd()",
        "ans = (lambda: 3)()",
        "x = [1, 2]\nans = x[0]",
        "def f(n):\n    return n\nans = f(3)",
        "def f():\n    return f()\nans = f()",
        "x = 1",
        "this is not python",
        "ans = sum(3)",
    ],
)
def test_unreadable_programs_give_none(source: str) -> None:
    assert program_answer(source) is None


def test_literal_only_mode() -> None:
    assert program_answer("ans = 42", arithmetic=False) == 42
    assert program_answer("ans = -4.5", arithmetic=False) == -4.5
    assert program_answer('print("18 dollars")', arithmetic=False) == "18 dollars"
    assert program_answer("x = 4\nans = x", arithmetic=False) == 4
    assert program_answer("ans = 6 * 7", arithmetic=False) is None
    assert program_answer("ans = round(4.2)", arithmetic=False) is None


def test_step_budget_bounds_long_programs() -> None:
    source = "x = 0\n" + "x = x + 1\n" * 30_000 + "ans = x"
    assert program_answer(source) is None


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(
        st.integers(-50, 50).map(str),
        # magnitudes in [1e-6, 100]: no intermediate overflow, which the reader rejects
        st.floats(-100, 100, allow_nan=False).filter(lambda x: x == 0 or abs(x) >= 1e-6).map(repr),
    )
    ops = st.sampled_from(["+", "-", "*", "/", "//", "%"])
    return st.recursive(
        leaves,
        lambda inner: st.tuples(inner, ops, inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        max_leaves=8,
    )


@settings(deadline=None, max_examples=300)
@given(_expressions())
def test_arithmetic_matches_cpython(expression: str) -> None:
    try:
        expected = eval(expression, {"__builtins__": {}})  # generated arithmetic only
    except ZeroDivisionError:
        expected = None
    if isinstance(expected, float) and not math.isfinite(expected):
        expected = None  # overflow to inf or nan is not an answer
    assert program_answer(f"ans = {expression}") == expected
