"""The quantities verifier: the question's quantities, an answer's work, support and the vote."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

import pytest
from cascade.verifiers import build
from cascade.verifiers.base import Candidate, Task, Verdict
from cascade.verifiers.combine import AllOf, AnyOf, Not
from cascade.verifiers.nonempty import NonEmpty
from cascade.verifiers.quantities import (
    Quantities,
    Quantity,
    misses,
    plausible,
    question_quantities,
    support,
    work_of,
)
from cascade.verifiers.vote import Vote
from hypothesis import given, settings
from hypothesis import strategies as st

EGGS = (
    "Janet's ducks lay 16 eggs per day. She eats three for breakfast and bakes muffins with "
    "four. She sells the rest for $2 per egg. How much does she make every day?"
)
RIGHT = "eggs = 16\neaten = 3\nbaked = 4\nprice = 2\nans = (eggs - eaten - baked) * price"
SKIPS_BAKED = "eggs = 16\neaten = 3\nprice = 2\nans = (eggs - eaten) * price"
DROPS_A_STEP = "eggs = 16\nleft = eggs - 3 - 4\nspare = left + 1\nans = left * 2"


def cands(*texts: str) -> list[Candidate]:
    return [Candidate(t, "m/cheap", i) for i, t in enumerate(texts)]


async def judge(texts: Sequence[str], prompt: str = EGGS, **kw: Any) -> Verdict:
    return await Quantities(**kw)(cands(*texts), Task(prompt=prompt, kind="math"))


def values(question: str, required: bool | None = None) -> list[Fraction]:
    found = question_quantities(question)
    return [q.value for q in found if required is None or q.required == required]


# --- the question's quantities ---------------------------------------------------------------


def test_digits_words_and_word_fractions() -> None:
    assert values(EGGS) == [16, 2, 3, 4]
    question = "Two thirds of 27 unicorns, one-third of them, and twenty-five more."
    assert values(question) == [27, Fraction(2, 3), Fraction(1, 3), 25]


def test_multipliers_and_repeats_count_only_when_used() -> None:
    question = "Tom ran 3 laps 3 times, twice as many as half of a dozen."
    assert values(question, required=True) == [3]
    assert values(question, required=False) == [3, 2, Fraction(1, 2), 12]


def test_percents_rates_ordinals_and_trivial_numbers() -> None:
    found = question_quantities("A $50,000/year pension grows 5% on the 2nd day, 1 time, 0 fees.")
    assert [(q.value, q.percent) for q in found] == [(Fraction(50000), False), (Fraction(5), True)]


# --- what an answer works with ---------------------------------------------------------------


def test_program_uses_only_what_the_answer_depends_on() -> None:
    work = work_of("ducks = 1\neggs = 16\nsold = eggs - 7\nprint(sold * 2)")
    assert work.used == Counter({16: 1, 7: 1, 2: 1})
    assert work.dropped == 1


def test_program_answer_by_name_or_return_or_fence() -> None:
    assert work_of("a = 5\nresult = a * 2").used == Counter({5: 1, 2: 1})
    returned = work_of("def solve():\n    x = 3\n    return x + 4\n\nprint(solve())")
    assert returned.used == Counter({3: 1, 4: 1}) and returned.dropped == 0
    fenced = work_of("Here:\n```python\nans = 6 * 7\n```\nso 42.")
    assert fenced.used == Counter({6: 1, 7: 1})


def test_prose_uses_every_number_written() -> None:
    work = work_of("She has 16 - 3 - 4 = 9 eggs, so 9 * $2 = $18.")
    assert work.used == Counter({16: 1, 3: 1, 4: 1, 9: 2, 2: 1, 18: 1}) and work.dropped == 0


@pytest.mark.parametrize(
    ("question", "used", "missed"),
    [
        ("A 25% discount on 80 dollars.", [Fraction(3, 4), 80], 0),
        ("25% more than 80.", [Fraction(5, 4), 80], 0),
        ("25% of 80.", [25, 100, 80], 0),
        ("Two thirds of 27.", [2, 3, 27], 0),
        ("One third of 27.", [Fraction(33, 100), 27], 0),
        ("One third of 27.", [3, 27], 0),
        ("Half of 10 and twice 4.", [10, 4], 0),
        ("5 and 7 and 9.", [5, 7], 1),
        ("5 and 7 and 9.", [], 3),
    ],
)
def test_misses(question: str, used: list[Fraction], missed: int) -> None:
    pool = Counter(Fraction(u) for u in used)
    assert misses(question_quantities(question), pool) == missed


def test_a_used_number_covers_one_quantity() -> None:
    wanted = [Quantity(Fraction(2)), Quantity(Fraction(2, 3))]
    assert misses(wanted, Counter({Fraction(2): 1, Fraction(3): 1})) == 1


# --- plausible answers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "answer", "ok"),
    [
        ("How many apples are left?", Fraction(5, 2), False),
        ("How many red apples are left?", Fraction(-3), False),
        ("How much money did he lose?", Fraction(-3), False),
        ("How many hours does it take?", Fraction(5, 2), True),
        ("How many more miles?", Fraction(5, 2), True),
        ("How much does it weigh?", Fraction(5, 2), True),
        ("What is x if 2x + 7 = 1?", Fraction(-3), True),
    ],
)
def test_plausible(question: str, answer: Fraction, ok: bool) -> None:
    assert plausible(question, answer) is ok


# --- support and the verdict -----------------------------------------------------------------


def test_support_halves_per_miss_or_drop() -> None:
    wanted = question_quantities(EGGS)
    assert support(EGGS, wanted, RIGHT, 0.5) == 1.0
    assert support(EGGS, wanted, SKIPS_BAKED, 0.5) == 0.5
    assert support(EGGS, wanted, DROPS_A_STEP, 0.5) == 0.5
    assert support(EGGS, wanted, "I do not know", 0.5) == 0.0
    assert support("How many cats?", [], "ans = 2.5", 0.5) == 0.0


async def test_one_sample_scores_its_support() -> None:
    assert (await judge([RIGHT])).score == 1.0
    verdict = await judge([SKIPS_BAKED])
    assert (verdict.score, verdict.passed, verdict.value, verdict.choice) == (0.5, True, "26", 0)
    assert (await judge(["No idea."])).score == 0.0


async def test_margin_over_the_strongest_rival() -> None:
    texts = [SKIPS_BAKED, RIGHT, RIGHT, RIGHT, SKIPS_BAKED]
    verdict = await judge(texts)
    assert verdict.score == pytest.approx((3 - 1) / 5)
    assert (verdict.value, verdict.choice, verdict.name) == ("18", 1, "quantities")
    assert (await judge(texts, rule="share")).score == pytest.approx(3 / 5)


async def test_majority_is_by_count_and_its_best_sample_is_chosen() -> None:
    texts = ["ans = 26", SKIPS_BAKED, RIGHT]
    verdict = await judge(texts, rule="share")
    assert verdict.value == "26" and verdict.choice == 1
    assert verdict.score == pytest.approx((0.5**4 + 0.5) / 3)
    assert "2/3 samples give 26" in verdict.reason


async def test_other_task_kinds_are_a_plain_vote() -> None:
    texts = ["Answer: B", "B", "(C)"]
    task = Task(prompt="Pick one.", kind="choice", public={"choices": ["x", "y", "z"]})
    ours, vote = await Quantities()(cands(*texts), task), await Vote()(cands(*texts), task)
    assert (ours.score, ours.choice, ours.value) == (vote.score, vote.choice, vote.value)
    assert ours.name == "quantities" and "plain vote" in ours.reason


def test_built_by_kind_and_composable() -> None:
    made = build("quantities", {"penalty": 0.25, "rule": "share"})
    assert isinstance(made, Quantities) and (made.penalty, made.rule) == (0.25, "share")
    assert isinstance(made & NonEmpty(), AllOf) and isinstance(made | NonEmpty(), AnyOf)
    assert isinstance(~made, Not)


def test_bad_parameters() -> None:
    with pytest.raises(ValueError, match="penalty"):
        Quantities(penalty=1.5)
    with pytest.raises(ValueError, match="rule"):
        Quantities(rule="max")  # type: ignore[arg-type]


answers = [RIGHT, SKIPS_BAKED, DROPS_A_STEP, "ans = 26", "no answer"]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(answers), min_size=1, max_size=8))
async def test_margin_at_most_share_at_most_vote(texts: list[str]) -> None:
    margin, share = await judge(texts), await judge(texts, rule="share")
    vote = await Vote()(cands(*texts), Task(prompt=EGGS, kind="math"))
    assert 0.0 <= margin.score <= share.score <= vote.score + 1e-12
