"""What a code prompt gives: its entry point, setup code and visible examples in every form."""

from __future__ import annotations

import ast

import pytest
from cascade.verifiers.base import Task
from cascade.verifiers.examples import (
    Example,
    defined_names,
    entry_point,
    find_examples,
    parameters,
    setup_code,
)
from hypothesis import example, given
from hypothesis import strategies as st

# HumanEval/3 as recorded (humaneval-3m-dev): a fenced stub whose docstring holds doctests.
BELOW_ZERO = (
    "```python\nfrom typing import List\n\n\n"
    'def below_zero(operations: List[int]) -> bool:\n    """ Detect if at any point the balance'
    " of account falls below zero.\n    >>> below_zero([1, 2, 3])\n    False\n"
    '    >>> below_zero([1, 2, -4, 5])\n    True\n    """\n```\n'
    "The above is an incomplete Python code fragment. Return the complete and correct code."
)
MBPP = (
    "Write a function to add two numbers.\nYour code should pass these tests:\n"
    "assert add(1, 2) == 3\nassert add(0, 0) == 0\nassert len([1]) == 1\nassert other(1) == 2"
)


def task(prompt: str, **public: str) -> Task:
    return Task(prompt=prompt, kind="code", public=public)


# --- forms --------------------------------------------------------------------------------------


def test_doctests() -> None:
    assert find_examples(BELOW_ZERO, {"below_zero"}) == (
        Example("below_zero([1, 2, 3])", "False"),
        Example("below_zero([1, 2, -4, 5])", "True"),
    )


@pytest.mark.parametrize(
    ("line", "entry", "example"),
    [  # example lines of HumanEval prompts (69, 77, 134, 97, 98, 79, 144, 150, 145, 96, 155, 32)
        ("    search([5, 5, 4, 4, 4]) == -1", "search", ("search([5, 5, 4, 4, 4])", "-1")),
        ("    iscube(180) ==> False", "iscube", ("iscube(180)", "False")),
        ('    check("apple pi e") ➞ True', "check", ("check('apple pi e')", "True")),
        ("    multiply(14,-15) should return 20.", "multiply", ("multiply(14, -15)", "20")),
        ("    count_upper('aBCdEf') returns 1", "count_upper", ("count_upper('aBCdEf')", "1")),
        ('    d2b(15)   # returns "db1111db"', "d2b", ("d2b(15)", "'db1111db'")),
        ('    simplify("1/5", "5/1") = True', "simplify", ("simplify('1/5', '5/1')", "True")),
        ("    for x_or_y(7, 34, 12) == 34", "x_or_y", ("x_or_y(7, 34, 12)", "34")),
        ("    >>> order([]) == []", "order", ("order([])", "[]")),
        ("    count_up_to(5) => [2,3]", "count_up_to", ("count_up_to(5)", "[2, 3]")),
        ("    even_odd(-12) ==> (1, 1)", "even_odd", ("even_odd(-12)", "(1, 1)")),
        ("    f(2) == 0.5 # a half", "f", ("f(2)", "0.5")),
        (
            "    >>> round(find_zero([1, 2]), 2) # f(x) = 1 + 2x\n    -0.5",
            "find_zero",
            ("round(find_zero([1, 2]), 2)", "-0.5"),
        ),
        # HumanEval/151: the result after a chain of ``=``
        ("    f([1, 3, 2, 0]) == 1 + 9 + 0 + 0 = 10", "f", ("f([1, 3, 2, 0])", "10")),
        ("assert f(1, n=2) == 3, 4", "f", ("f(1, n=2)", "3")),  # 4 is the assert's message
        ("assert is_prime(7)", "is_prime", ("bool(is_prime(7))", "True")),
        ("assert set(f([1, 1])) == set([1])", "f", ("set(f([1, 1]))", "set([1])")),
        ("    len(f(1)) == 2", "f", ("len(f(1))", "2")),
        ("    f(1) + f(2) == 3", "f", ("f(1) + f(2)", "3")),
        ('    f(")") == 1', "f", ("f(')')", "1")),
        ("    >>> f(2) == 3\n    False", "f", ("f(2) == 3", "False")),  # as doctest runs it
        ('    >>> f(2)\n    [1, 2]"""', "f", ("f(2)", "[1, 2]")),  # docstring closed on the line
    ],
)
def test_example_forms(line: str, entry: str, example: tuple[str, str]) -> None:
    assert find_examples(line, {entry}) == (Example(*example),)


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        ('    find_max(["aaaaaaa", "bb" ,"cc"]) == ""aaaaaaa"', "find_max"),  # HumanEval/158's typo
        ("    f(1).real == 3", "f"),
        ("    print(f(1)) -> 3", "f"),
        ("    >>> f(2)", "f"),  # no expected output
        ("    f(1) is the first value", "f"),
        ("    f(1) == 3 and g(2) == 4", "f"),  # the result is 3, not 4
    ],
)
def test_calls_without_a_stated_result(line: str, entry: str) -> None:
    found = find_examples(line, {entry})
    assert len(found) == 1 and found[0].expected is None and entry in found[0].call


@pytest.mark.parametrize(
    ("line", "entry"),
    [
        ('    assert list_sort(["aa", "a", "aaa"]) => ["aa"]', "sorted_list_sum"),  # HumanEval/149
        ("def f(a) -> None", "f"),
        ("    f(x) == 3", "f"),  # not a constant argument
        ("    len([1, 2]) == 2", "f"),
        ("    f(lambda x: x) == 1", "f"),
        ("    f(1, key=str.lower) == 1", "f"),
    ],
)
def test_lines_that_are_not_examples(line: str, entry: str) -> None:
    assert find_examples(line, {entry}) == ()


def test_examples_in_doctest_assert_and_prose_forms() -> None:
    prompt = """
    >>> f([1, 2])
    3
    assert f([4]) == 4
    f([1, 1]) ==> 2
    f([5])  # returns 5
    f([2, 2]) should return 4.
    f([3]) ➞ 3
    f(xs) is the sum of xs
    def f(xs) -> int:
    g(1) == 2
    """
    assert find_examples(prompt, {"f"}) == (
        Example("f([1, 2])", "3"),
        Example("f([4])", "4"),
        Example("f([1, 1])", "2"),
        Example("f([5])", "5"),
        Example("f([2, 2])", "4"),
        Example("f([3])", "3"),
    )


def test_examples_for_one_parameter_functions() -> None:
    prompt = (
        "Example 1:\n    Input: [4,2,3]\n    Output: [2, 1]\n"
        "For n = 1000, the output should be '1'."
    )
    found = find_examples(prompt, {"g"}, single="g")
    assert found == (Example("g([4, 2, 3])", "[2, 1]"), Example("g(1000)", "'1'"))
    assert find_examples(prompt, {"g"}) == ()


def test_unusable_expected_results_keep_the_call() -> None:
    found = find_examples('f(["a"]) == ""a"\n>>> f(2)\n', {"f"})
    assert found == (Example("f(2)", None), Example("f(['a'])", None))


def test_a_stated_result_wins_and_the_limit_holds() -> None:
    prompt = ">>> f(1)\nf(1) == 2\nf(1) == 3\n" + "".join(f"f({i}) == {i}\n" for i in range(2, 40))
    found = find_examples(prompt, {"f"})
    assert found[0] == Example("f(1)", "2") and len(found) == 16
    assert len(find_examples(prompt, {"f"}, limit=None)) == 39


def test_helpers_of_the_task_may_appear_in_calls() -> None:
    prompt = ">>> decode(encode('abc'))\n'abc'"
    assert find_examples(prompt, {"decode"}) == ()
    assert find_examples(prompt, {"decode", "encode"}) == (
        Example("decode(encode('abc'))", "'abc'"),
    )


@given(st.text(alphabet=st.sampled_from("f(1)[]'\" =>#\n,.-:aessrt"), max_size=80))
@example("f(1) => 1\n>>> f([1, 'a'])\n[1]")  # random texts rarely hold an example: always one
def test_every_example_is_a_self_contained_call(prompt: str) -> None:
    for found in find_examples(prompt, {"f"}, single="f", limit=None):
        tree = ast.parse(found.call, mode="eval")
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - {"bool"}
        assert names == {"f"}
        if found.expected is not None:
            ast.parse(found.expected, mode="eval")


# --- entry point, setup code, definitions --------------------------------------------------------


def test_entry_point() -> None:
    assert entry_point(task(BELOW_ZERO, entry_point="given")) == "given"
    assert entry_point(task(BELOW_ZERO)) == "below_zero"
    two = "```python\ndef encode(s):\n    return s[::-1]\n\n\ndef decode(s):\n    '''Undo.'''\n```"
    assert entry_point(task(two)) == "decode"  # the function left to write
    assert (
        entry_point(task("```python\ndef a():\n    return 1\n\ndef b():\n    return 2\n```")) == "a"
    )
    assert entry_point(task("def broken(x:\n    pass")) == "broken"
    assert entry_point(task("Write a function to add numbers.")) is None


def test_entry_point_without_a_def_is_the_most_called_function() -> None:
    assert entry_point(task(MBPP)) == "add"
    assert find_examples(MBPP, {"add"}) == (Example("add(1, 2)", "3"), Example("add(0, 0)", "0"))
    assert entry_point(task("Write f. Example: f(2) is not shown here.")) is None


def test_setup_code_is_imports_and_finished_helpers() -> None:
    prompt = (
        "```python\nfrom __future__ import annotations\nimport math\nfrom typing import List\n"
        "LIMIT = 3\n\ndef helper(x):\n    return x + 1\n\ndef other(x):\n    pass\n\n"
        "def f(xs: List[int]) -> int:\n    '''>>> f([1])\n    2\n    '''\n```"
    )
    assert setup_code(prompt, "f") == (
        "import math\n\nfrom typing import List\n\ndef helper(x):\n    return x + 1"
    )
    assert "helper" not in setup_code(prompt, "helper")
    assert setup_code("Write a function.", None) == ""


def test_parameters_and_defined_names() -> None:
    prompt = "```python\ndef f(a, /, b, *c, d=1):\n    pass\n\nasync def g():\n    pass\n```"
    assert parameters(prompt) == {"f": 2, "g": 0}
    assert parameters(BELOW_ZERO) == {"below_zero": 1}
    code = "import os\nclass A:\n    def m(self):\n        pass\ndef f():\n    pass\nx = 1"
    assert defined_names(code) == {"A", "f"}
    assert defined_names("def broken(:") == frozenset()
