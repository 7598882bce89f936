"""The self-consistency vote: keys per task kind, shares, ties, k = 1, and code by behaviour."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from cascade.verifiers import build, vote_code
from cascade.verifiers.base import Candidate, Task, Verdict, run_verifier
from cascade.verifiers.combine import AllOf
from cascade.verifiers.examples import setup_code
from cascade.verifiers.sandbox import SandboxError, SandboxResult, arun_python
from cascade.verifiers.vote import Vote, tally
from hypothesis import given, settings
from hypothesis import strategies as st


def cands(*texts: str) -> list[Candidate]:
    return [Candidate(t, "m/cheap", i) for i, t in enumerate(texts)]


async def run(v: Vote, texts: Sequence[str], **task: Any) -> Verdict:
    return await v(cands(*texts), Task(**{"prompt": "q", **task}))


# --- answers keyed per kind ----------------------------------------------------------------


async def test_math_share_counts_samples_without_an_answer() -> None:
    texts = ["so 6*7 = 42", "The answer is 42.", "#### 41", "I am not sure", "\\boxed{42}"]
    verdict = await run(Vote(), texts, kind="math")
    assert verdict.score == pytest.approx(3 / 5)
    assert (verdict.choice, verdict.value, verdict.passed) == (0, "42", True)
    assert "3/5 samples agree" in verdict.reason and "1 without answer" in verdict.reason


async def test_choice_by_letter_or_option_text() -> None:
    public = {"choices": ["red", "green", "blue"]}
    texts = ["Answer: B", "green", "(C)", "The answer is B"]
    verdict = await run(Vote(), texts, kind="choice", public=public)
    assert (verdict.value, verdict.score, verdict.choice) == ("B", 0.75, 0)


async def test_choice_options_read_from_the_prompt() -> None:
    prompt = "Which is a fruit?\nA) stone\nB) apple\nC) chair\nAnswer:"
    verdict = await run(Vote(), ["apple", "B", "stone"], kind="choice", prompt=prompt)
    assert verdict.value == "B" and verdict.score == pytest.approx(2 / 3)


async def test_json_is_compared_canonically() -> None:
    texts = ['{"a": 1, "b": [1, 2]}', '```json\n{"b":[1,2],"a":1}\n```', '{"a": 2}']
    verdict = await run(Vote(), texts, kind="json")
    assert verdict.value == '{"a":1,"b":[1,2]}' and verdict.score == pytest.approx(2 / 3)


async def test_qa_normalizes_short_answers() -> None:
    texts = ["A: 05/02/2021", "A: 5/2/2021", "A: 05/01/2021"]
    verdict = await run(Vote(), texts, kind="qa")
    assert (verdict.value, verdict.choice) == ("05/02/2021", 0)


async def test_default_kind_votes_on_the_whole_normalized_text() -> None:
    verdict = await run(Vote(), ["Paris.", "paris", "Lyon"])
    assert verdict.score == pytest.approx(2 / 3) and verdict.value == "paris"


async def test_kind_parameter_overrides_the_task() -> None:
    verdict = await run(Vote(kind="math"), ["x = 4", "it is 4", "4.0"], kind="qa")
    assert verdict.score == 1.0 and verdict.value == "4"


async def test_ties_go_to_the_group_with_the_earliest_sample() -> None:
    verdict = await run(Vote(), ["#### 1", "#### 2", "#### 2", "#### 1"], kind="math")
    assert (verdict.value, verdict.choice, verdict.score) == ("1", 0, 0.5)


async def test_no_answer_at_all_scores_zero() -> None:
    verdict = await run(Vote(), ["no idea", "hmm"], kind="math")
    assert (verdict.passed, verdict.score, verdict.choice) == (False, 0.0, None)


async def test_passed_needs_a_majority_or_min_votes() -> None:
    texts = ["#### 1", "#### 1", "#### 2", "#### 3"]
    assert not (await run(Vote(), texts, kind="math")).passed
    assert (await run(Vote(min_votes=2), texts, kind="math")).passed


# --- one sample ----------------------------------------------------------------------------


async def test_a_single_sample_cannot_vote() -> None:
    verdict = await run(Vote(), ["#### 7"], kind="math")
    assert (verdict.score, verdict.passed, verdict.choice) == (1.0, True, 0)
    assert "single sample cannot vote" in verdict.reason
    assert (await run(Vote(single_score=0.4), ["#### 7"], kind="math")).score == 0.4
    assert (await run(Vote(), ["no number"], kind="math")).score == 0.0


def test_bad_parameters_are_rejected() -> None:
    with pytest.raises(ValueError, match="kind"):
        Vote(kind="poetry")
    with pytest.raises(ValueError, match="min_votes"):
        Vote(min_votes=0)
    with pytest.raises(ValueError, match="single_score"):
        Vote(single_score=2.0)


def test_registered_with_its_parameters() -> None:
    v = build("vote", {"kind": "math", "min_votes": 2})
    assert isinstance(v, Vote) and v.name == "vote" and v.min_votes == 2
    with pytest.raises(TypeError, match="valid parameters"):
        build("vote", {"k": 5})


async def test_combines_with_operators() -> None:
    both = Vote(kind="math") & (lambda cs, t: True)
    assert isinstance(both, AllOf)
    assert (await run_verifier(both, cands("#### 2", "#### 2"), Task("q"))).score == 1.0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.sampled_from("abc")), min_size=1, max_size=9))
def test_tally_invariants(keys: list[str | None]) -> None:
    groups = tally(keys)
    assert sum(len(g.members) for g in groups) == sum(k is not None for k in keys)
    if groups:
        best = groups[0]
        assert len(best.members) == max(len(g.members) for g in groups)
        assert all(keys[i] == best.key for i in best.members)
        assert 0.0 <= best.weight(len(keys)) <= 1.0


# --- code ----------------------------------------------------------------------------------

PROMPT = '''```python
def add(a, b):
    """Add two numbers.
    >>> add(2, 3)
    5
    >>> add(-1, 1)
    0
    """
```
Complete the function.'''

RIGHT = "def add(a, b):\n    return a + b\n"
RIGHT_TOO = "```python\ndef add(x, y):\n    total = y + x\n    return total\n```"
WRONG = "def add(a, b):\n    return a * b + 1\n"
CODE = {"kind": "code", "prompt": PROMPT, "public": {"entry_point": "add"}}


async def test_code_groups_by_behaviour_not_text() -> None:
    verdict = await run(Vote(), [RIGHT, RIGHT_TOO, WRONG], **CODE)
    assert verdict.score == pytest.approx(2 / 3) and verdict.choice == 0
    assert verdict.value == RIGHT.strip("\n")
    assert "reproduces 100%" in verdict.reason


async def test_a_majority_failing_the_visible_examples_loses() -> None:
    texts = [WRONG, WRONG + "\n# again\n", RIGHT]
    verdict = await run(Vote(), texts, **CODE)
    assert verdict.choice == 2 and verdict.score == pytest.approx(1 / 3)


async def test_code_without_examples_groups_by_syntax() -> None:
    task = {"kind": "code", "prompt": "Write add(a, b)."}
    texts = [RIGHT, RIGHT + '\n"""doc"""\n', RIGHT_TOO]
    verdict = await run(Vote(), texts, **task)
    assert verdict.score == pytest.approx(2 / 3) and "grouped by code" in verdict.reason
    assert (await run(Vote(examples=False), [RIGHT, RIGHT_TOO], **CODE)).score == 0.5


async def test_broken_or_crashing_code_joins_no_group() -> None:
    texts = ["def add(a, b) return", "raise SystemExit('boom')", RIGHT]
    verdict = await run(Vote(), texts, **CODE)
    assert verdict.choice == 2 and verdict.score == pytest.approx(1 / 3)


async def test_hangs_and_prints_cannot_fake_a_result() -> None:
    hang = "def add(a, b):\n    while True:\n        pass\n"
    noisy = "def add(a, b):\n    print(\"('case', 0, '5', True)\")\n    return 0\n"
    verdict = await run(Vote(timeout_s=1.0), [hang, noisy, RIGHT], **CODE)
    assert verdict.choice == 2 and verdict.score == pytest.approx(1 / 3)


async def test_a_single_program_is_scored_on_the_examples() -> None:
    assert (await run(Vote(), [RIGHT], **CODE)).score == 1.0
    half = "def add(a, b):\n    return 5\n"
    assert (await run(Vote(), [half], **CODE)).score == 0.5


async def test_prompt_helpers_are_available_to_candidates() -> None:
    prompt = (
        "```python\ndef twice(x):\n    return 2 * x\n\n"
        "def f(x):\n    '''>>> f(2)\n    5\n    '''\n```"
    )
    body = "def f(x):\n    return twice(x) + 1\n"
    verdict = await run(Vote(), [body, body], kind="code", prompt=prompt)
    assert verdict.score == 1.0 and setup_code(prompt, "f") == "def twice(x):\n    return 2 * x"


async def test_outputs_are_cached_per_program_and_example(monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[str] = []
    real = arun_python

    async def counting(code: str, **kw: Any) -> SandboxResult:
        runs.append(code)
        return await real(code, **kw)

    monkeypatch.setattr(vote_code, "arun_python", counting)
    v = Vote()
    await run(v, [RIGHT, RIGHT + "# same tree\n", WRONG], **CODE)
    assert len(runs) == 2
    await run(v, [WRONG, RIGHT], **CODE)
    assert len(runs) == 2


async def test_sandbox_failure_falls_back_to_syntax(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(code: str, **kw: Any) -> SandboxResult:
        raise SandboxError("no sandbox here")

    monkeypatch.setattr(vote_code, "arun_python", broken)
    verdict = await run(Vote(), [RIGHT, RIGHT, WRONG], **CODE)
    assert verdict.score == pytest.approx(2 / 3) and "sandbox unavailable" in verdict.reason


async def test_a_doctest_stating_a_comparison_is_a_stated_result() -> None:
    # HumanEval/145's form: ``>>> f(x) == y`` with no output line below it
    prompt = "```python\ndef f(x):\n    '''\n    >>> f(2) == 4\n    '''\n```"
    wrong, right = "def f(x):\n    return x + 3\n", "def f(x):\n    return 2 * x\n"
    verdict = await run(Vote(), [wrong, wrong, right], kind="code", prompt=prompt)
    assert verdict.choice == 2 and "reproduces 100%" in verdict.reason


async def test_an_mbpp_prompt_without_a_def_is_run_on_its_asserts() -> None:
    prompt = "Write a function to add two numbers.\nassert add(1, 2) == 3\nassert add(0, 0) == 0"
    wrong, right = "def add(a, b):\n    return a * b\n", "def add(a, b):\n    return b + a\n"
    verdict = await run(Vote(), [wrong, wrong, right], kind="code", prompt=prompt)
    assert (
        verdict.choice == 2 and "ran 2 visible examples (2 with a stated result)" in verdict.reason
    )
