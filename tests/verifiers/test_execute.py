"""The execute verifier: tests from the task or the prompt, run in the sandbox, hostile code."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from cascade.verifiers.base import Candidate, Task, Verdict
from cascade.verifiers.combine import AllOf
from cascade.verifiers.examples import Example
from cascade.verifiers.execute import SLOTS, Execute, assertion, execute, prompt_tests
from cascade.verifiers.nonempty import NonEmpty
from cascade.verifiers.registry import build

QUICK: dict[str, Any] = {"timeout_s": 2.0, "memory_mb": 256}
SUFFIX = (
    "\nThe above is an incomplete Python code fragment. "
    "Return the complete and correct code with no additional text."
)
# HumanEval/3 and HumanEval/69 as recorded (humaneval-3m-dev), with real answers.
BELOW_ZERO = (
    "```python\nfrom typing import List\n\n\n"
    'def below_zero(operations: List[int]) -> bool:\n    """'
    " You're given a list of deposit and withdrawal operations on a bank account that starts with"
    "\n    zero balance. Your task is to detect if at any point the balance of account fallls below"
    " zero, and\n    at that point function should return True. Otherwise it should return False."
    "\n    >>> below_zero([1, 2, 3])\n    False\n"
    '    >>> below_zero([1, 2, -4, 5])\n    True\n    """'
    "\n```" + SUFFIX
)
BELOW_ZERO_ANSWER = (
    "from typing import List\n\n\ndef below_zero(operations: List[int]) -> bool:\n"
    "    balance = 0\n    for operation in operations:\n        balance += operation\n"
    "        if balance < 0:\n            return True\n    return False\n"
)
SEARCH = (
    "```python\ndef search(lst):\n    '''\n    You are given a non-empty list of positive integers."
    " Return the greatest integer that is greater than \n    zero, and has a frequency greater than"
    " or equal to the value of the integer itself. \n    The frequency of an integer is the number"
    " of times it appears in the list.\n    If no such a value exist, return -1.\n    Examples:\n"
    "        search([4, 1, 2, 2, 3, 1]) == 2\n        search([1, 2, 2, 3, 3, 3, 4, 4, 4]) == 3\n"
    "        search([5, 5, 4, 4, 4]) == -1\n    '''\n```" + SUFFIX
)
SEARCH_FIRST_FOUND = (  # gpt-3.5-turbo's answer: returns the first qualifying number, 1/3
    "def search(lst):\n    freq_dict = {}\n    for num in lst:\n        if num in freq_dict:\n"
    "            freq_dict[num] += 1\n        else:\n            freq_dict[num] = 1\n    \n"
    "    for num, freq in freq_dict.items():\n        if freq >= num and num > 0:\n"
    "            return num\n    \n    return -1\n"
)
SEARCH_RIGHT = (
    "```python\nfrom collections import Counter\n\ndef search(lst):\n    counts = Counter(lst)\n"
    "    good = [n for n, c in counts.items() if 0 < n <= c]\n    return max(good, default=-1)\n```"
)


def cands(*texts: str) -> list[Candidate]:
    return [Candidate(text, "m/x", i) for i, text in enumerate(texts)]


def code_task(prompt: str = "Write a function f.", *tests: str, entry: str | None = None) -> Task:
    public = {"entry_point": entry} if entry else {}
    return Task(prompt=prompt, kind="code", public=public, tests=tests)


async def run(*texts: str, on: Task | None = None, **params: Any) -> Verdict:
    return await Execute(**{**QUICK, **params})(cands(*texts), on or code_task())


# --- tests found in prompts ---------------------------------------------------------------------


def test_doctests_become_assertions() -> None:
    assert prompt_tests(BELOW_ZERO, "below_zero") == [
        "assert below_zero([1, 2, 3]) == False",
        "assert below_zero([1, 2, -4, 5]) == True",
    ]


@pytest.mark.parametrize(
    ("example", "test"),
    [
        (("search([5, 5, 4, 4, 4])", "-1"), "assert search([5, 5, 4, 4, 4]) == -1"),
        (("even_odd(-12)", "(1, 1)"), "assert even_odd(-12) == (1, 1)"),
        (("set(f([1, 1]))", "set([1])"), "assert set(f([1, 1])) == set([1])"),
        (("f(2) == 3", "False"), "assert (f(2) == 3) == False"),
        (("f(2)", "0.5"), "assert abs(f(2) - 0.5) <= 1e-6 * max(1.0, abs(0.5))"),
        (
            ("round(find_zero([1, 2]), 2)", "-0.5"),
            "assert abs(round(find_zero([1, 2]), 2) - -0.5) <= 1e-6 * max(1.0, abs(-0.5))",
        ),
        (("f(1) + f(2)", "3.5"), "assert abs((f(1) + f(2)) - 3.5) <= 1e-6 * max(1.0, abs(3.5))"),
        (("f(2)", None), None),
        (("f(2", "1"), None),
    ],
)
def test_examples_become_assertions(example: tuple[str, str | None], test: str | None) -> None:
    assert assertion(Example(*example)) == test


def test_only_examples_of_the_entry_point_with_a_result_are_tests() -> None:
    prompt = ">>> f(1)\n2\n>>> g(1)\n3\n>>> f(2)\n>>> f(3) == 4"
    assert prompt_tests(prompt, "f") == ["assert f(1) == 2", "assert f(3) == 4"]
    pluck = (
        '```python\ndef pluck(arr):\n    """\n    Input: [4,2,3]\n    Output: [2, 1]\n    """\n```'
    )
    assert prompt_tests(pluck) == ["assert pluck([4, 2, 3]) == [2, 1]"]  # HumanEval/68
    assert prompt_tests("Write a function to add numbers.") == []


MBPP = (
    "Write a function to add two numbers.\nYour code should pass these tests:\n"
    "assert add(1, 2) == 3\nassert add(0, 0) == 0\nassert len([1]) == 1\nassert other(1) == 2"
)


def test_without_an_entry_point_the_most_called_name_is_tested() -> None:
    assert prompt_tests(MBPP) == ["assert add(1, 2) == 3", "assert add(0, 0) == 0"]


async def test_an_mbpp_prompt_without_a_def_is_tested_on_its_asserts() -> None:
    texts = ("def add(a, b):\n    return a - b", "def add(a, b):\n    return a + b")
    v = await run(*texts, on=code_task(MBPP))
    assert (v.score, v.choice) == (1.0, 1)
    assert v.reason.startswith("2 example(s) from the prompt; candidate 0: 1/2 tests passed")


# --- scoring ------------------------------------------------------------------------------------


async def test_a_correct_recorded_answer_passes_the_prompts_doctests() -> None:
    v = await run(BELOW_ZERO_ANSWER, on=code_task(BELOW_ZERO))
    assert (v.passed, v.score, v.choice, v.name) == (True, 1.0, 0, "execute")
    assert v.value == BELOW_ZERO_ANSWER.strip()
    assert v.reason == "2 example(s) from the prompt; candidate 0: 2/2 tests passed"


async def test_best_candidate_is_chosen_or_the_mean_is_taken() -> None:
    texts = (SEARCH_FIRST_FOUND, SEARCH_RIGHT, "I cannot do that.")
    best = await run(*texts, on=code_task(SEARCH))
    assert (best.score, best.choice, best.passed) == (1.0, 1, True)
    assert "candidate 0: 1/3 tests passed; failed assert search([4, 1, 2, 2, 3, 1]) == 2" in (
        best.reason
    )
    assert "candidate 2: no Python code found" in best.reason
    mean = await run(*texts, on=code_task(SEARCH), aggregate="mean")
    assert mean.score == pytest.approx((1 / 3 + 1 + 0) / 3) and not mean.passed
    assert mean.choice == 1


async def test_the_prompts_imports_run_before_the_candidate() -> None:
    # HumanEval/7: codellama's answer uses List without importing it, as the prompt did.
    prompt = (
        "```python\nfrom typing import List\n\n\ndef filter_by_substring(strings: List[str],"
        ' substring: str) -> List[str]:\n    """ Filter an input list of strings only for ones that'
        " contain given substring\n    >>> filter_by_substring([], 'a')\n    []\n"
        "    >>> filter_by_substring(['abc', 'bacd', 'cde', 'array'], 'a')\n"
        "    ['abc', 'bacd', 'array']\n    \"\"\"\n```" + SUFFIX
    )
    answer = (
        "def filter_by_substring(strings: List[str], substring: str) -> List[str]:\n"
        "    return [s for s in strings if substring in s]\n"
    )
    assert (await run(answer, on=code_task(prompt))).score == 1.0


async def test_a_syntax_error_scores_zero_with_the_error() -> None:
    v = await run("```python\ndef f(x):\n    return x +\n```")
    assert (v.score, v.passed, v.choice) == (0.0, False, None)
    assert "candidate 0: SyntaxError: invalid syntax (line 2)" in v.reason


async def test_caller_tests_win_over_the_prompt() -> None:
    one_source = "assert search([1]) == 1\nassert search([2]) == -1\nassert search([]) == 0"
    v = await run(SEARCH_RIGHT, on=code_task(SEARCH, one_source))
    assert v.score == pytest.approx(2 / 3)
    assert v.reason.startswith("tests from the task; candidate 0: 2/3 tests passed")
    many = code_task(SEARCH, "assert search([1]) == 1", "assert search([3]) == 3")
    assert (await run(SEARCH_RIGHT, on=many)).score == 0.5
    with pytest.raises(ValueError, match="test code does not parse"):
        await run(SEARCH_RIGHT, on=code_task(SEARCH, "assert ("))


async def test_without_tests_parsing_and_defining_scores_untested_score() -> None:
    task = code_task("Write a function to reverse a string.")
    v = await run("```python\ndef rev(s):\n    return s[::-1]\n```", "Use s[::-1].", on=task)
    assert (v.score, v.choice, v.passed) == (0.5, 0, True)
    assert v.reason == (
        "no tests found: scored 0.5 for parsing and defining a function; "
        "candidate 0: parses, untested; candidate 1: no Python code found"
    )
    named = code_task("Write reverse.", entry="reverse")
    missing = await run("def rev(s):\n    return s[::-1]", on=named, untested_score=0.2)
    assert missing.score == 0.0 and "does not define reverse" in missing.reason
    assert (await run("reverse = lambda s: s[::-1]", on=named, untested_score=0.2)).score == 0.2


async def test_no_candidates() -> None:
    assert (await run()).reason == "no candidates"


def test_parameters_are_checked_and_registered() -> None:
    built = build("execute", {"timeout_s": 2, "aggregate": "mean", "untested_score": 0.0})
    assert isinstance(built, Execute) and built.limits.timeout_s == 2
    for bad in ({"aggregate": "max"}, {"untested_score": 2}, {"timeout_s": 0}):
        with pytest.raises(ValueError):
            execute(**bad)
    assert isinstance(execute() & NonEmpty(), AllOf)
    assert 2 <= SLOTS <= 4


# --- hostile candidates -------------------------------------------------------------------------

HOSTILE = {  # name: (code, what the reason says)
    "infinite loop": ("def f(x):\n    while True:\n        pass", "the run was stopped ("),
    "fork bomb": ("import os\nwhile True:\n    os.fork()\ndef f(x):\n    return x", "os.fork"),
    "memory bomb": (
        "def f(x):\n    chunks = []\n    while True:\n        chunks.append(bytearray(10**7))",
        "MemoryError",
    ),
    "socket": (
        "import socket\nsocket.create_connection(('127.0.0.1', 80), timeout=1)\n"
        "def f(x):\n    return x",
        "PermissionError: sandbox: socket",
    ),
    "kill the parent": (
        "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\ndef f(x):\n    return x",
        "PermissionError: sandbox: os.kill",
    ),
    "exit before the tests": ("import sys\ndef f(x):\n    return x\nsys.exit(0)", "SystemExit: 0"),
    "huge output": ("def f(x):\n    while True:\n        print('x' * 10_000)", "stopped (output)"),
}


def _sandbox_children() -> list[str]:
    """Live sandbox interpreters started by this process."""
    found = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"_cascade_sandbox" in cmdline:
            found.append(entry)
    return found


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_code_fails_within_the_time_limit(name: str) -> None:
    start = time.monotonic()
    code, why = HOSTILE[name]
    v = await run(code, on=code_task("f", "assert f(1) == 1"))
    assert (v.score, v.passed) == (0.0, False), v.reason
    assert time.monotonic() - start < QUICK["timeout_s"] + 3.0
    assert "0/1 tests passed" in v.reason and why in v.reason


async def test_writing_outside_the_work_directory_fails(tmp_path: Path) -> None:
    target = tmp_path / "escape.txt"
    code = f"open({str(target)!r}, 'w').write('x')\ndef f(x):\n    return x"
    v = await run(code, on=code_task("f", "assert f(1) == 1"))
    assert v.score == 0.0 and "PermissionError" in v.reason
    assert not target.exists()


async def test_hostile_candidates_together_leave_the_good_one_chosen() -> None:
    texts = [*(code for code, _ in HOSTILE.values()), "def f(x):\n    return x"]
    start = time.monotonic()
    v = await run(*texts, on=code_task("f", "assert f(1) == 1"))
    assert (v.score, v.choice) == (1.0, len(texts) - 1)
    assert time.monotonic() - start < 2 * QUICK["timeout_s"] + 5.0
    deadline = time.monotonic() + 2.0
    while _sandbox_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _sandbox_children() == []
