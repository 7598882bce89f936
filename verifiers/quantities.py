"""The ``quantities`` verifier: a vote in which each sample counts as much as its work supports it.

A correct solution to a word problem uses every quantity the question gives and does something
with every value it works out; a wrong one often skips a given number (a misread question) or
computes a step it then drops (a lost thread). Neither depends on the dataset, only on what a
solution is. So each sample with a numeric answer gets a support in [0, 1]:

* ``penalty ** misses``, where misses counts the question's quantities the answer never uses
  (digits, number words, fractions such as "two thirds"; a percent may be used as p/100 or
  1 +- p/100, a fraction as its value or its numerator and denominator; a repeated value, or a
  word such as "twice", "half", "dozen", counts only when used), plus, for a program, each
  variable it assigns that the answer does not depend on. "Uses" means: for a program
  (program of thought, bare or fenced), the literals the printed or ``ans``/``answer``/
  ``result`` value depends on, by data flow; for prose, every number written;
* times 0 when the answer is not a possible amount: negative for "how many/much", or not a
  whole number for "how many" of things (not of units such as hours or dollars).

The samples are grouped by final number, as `Vote` groups them; the majority group (ties: the
earliest sample) is the answer, its best-supported sample the ``choice``. With ``rule="margin"``
(default) the score is the majority's support minus the strongest rival group's, over k (at
most 1, at least 0); with ``"share"`` it is the majority's support over k. One sample scores
its own support. ``passed`` means a score of at least 0.5. Scores run lower than a plain
vote's share, so a tier's threshold needs tuning anew. On gsm8k-mot (llama2-13b, k=5) the margin
rule moves ROC-AUC from 0.78 (plain vote) to 0.85; see ``benchmarks/verifier_auc.py``. Tasks of
another kind are scored by a plain `Vote`: support is only defined for numeric answers.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from cascade.verifiers.base import Candidate, Task, Verdict
from cascade.verifiers.combine import Combinable
from cascade.verifiers.extract import extract_answer
from cascade.verifiers.extract_fences import fenced_blocks
from cascade.verifiers.extract_math import looks_like_program
from cascade.verifiers.extract_numbers import clean_latex, find_numbers
from cascade.verifiers.registry import register
from cascade.verifiers.vote import Vote

__all__ = ["Quantities", "Quantity", "Work", "misses", "plausible", "quantities", "support"]
__all__ += ["question_quantities", "work_of"]

Rule = Literal["margin", "share"]
_UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
_UNITS += ["eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen"]
_UNITS += ["eighteen", "nineteen"]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_OPTIONAL = {"twice": Fraction(2), "double": Fraction(2), "triple": Fraction(3)}
_OPTIONAL |= {"thrice": Fraction(3), "half": Fraction(1, 2), "dozen": Fraction(12)}
_OPTIONAL |= {"quarter": Fraction(1, 4)}
_DENOMINATORS = {"half": 2, "halves": 2, "third": 3, "quarter": 4, "fourth": 4, "fifth": 5}
_DENOMINATORS |= {"sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10}
_CARDINAL = rf"(?:{'|'.join(_TENS)})(?:-(?:{'|'.join(_UNITS[1:10])}))?|{'|'.join(_UNITS)}"
_DENOMINATOR = rf"(?:{'|'.join(_DENOMINATORS)})s?"
_FRACTION = rf"(?P<card>{_CARDINAL})(?:[\s-]+(?P<den>{_DENOMINATOR}))?"
_WORD = re.compile(rf"\b(?:{_FRACTION}|(?P<opt>{'|'.join(_OPTIONAL)}))\b", re.IGNORECASE)
_PER = re.compile(r"(?<=\d)/(?=[A-Za-z])")
_ORDINAL = re.compile(r"(?:st|nd|rd|th)\b", re.IGNORECASE)
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s*cent\b)", re.IGNORECASE)
_AMOUNT = re.compile(r"\bhow\s+(?:many|much)\b", re.IGNORECASE)
_COUNT = re.compile(r"\bhow\s+many\s+([a-z]+)(?:\s+([a-z]+))?", re.IGNORECASE)
_MEASURES = "second minute hour day week month year inch inche feet foot yard mile meter metre "
_MEASURES += "kilometer centimeter mm cm km ounce pound gram kilogram kg ton cup pint quart gallon "
_MEASURES += "liter litre milliliter ml dollar cent euro percent degree square cubic acre hectare"
_MEASURE = re.compile(rf"(?:{'|'.join(_MEASURES.split())})s?", re.IGNORECASE)
_ANSWER_NAMES = ("ans", "answer", "result")
_TRIVIAL = (Fraction(0), Fraction(1))
_PYTHON = {"python", "py", "python3", "py3", ""}


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number the question gives: its value, whether a solution must use it, if a percent."""

    value: Fraction
    required: bool = True
    percent: bool = False


@dataclass(frozen=True, slots=True)
class Work:
    """The numbers an answer uses (with multiplicity) and the values it works out but drops."""

    used: Counter[Fraction]
    dropped: int = 0


def question_quantities(question: str) -> list[Quantity]:
    """The quantities a question gives, in order: numbers, number words and word fractions."""
    text = _PER.sub(" per ", clean_latex(question))
    found = [
        Quantity(n.value, True, bool(_PERCENT.match(text, n.end)))
        for n in find_numbers(text)
        if not _ORDINAL.match(text, n.end)
    ]
    for match in _WORD.finditer(text):
        if match["opt"]:
            found.append(Quantity(_OPTIONAL[match["opt"].lower()], required=False))
            continue
        value = Fraction(_cardinal(match["card"].lower()))
        if match["den"]:
            value /= _DENOMINATORS[match["den"].lower().removesuffix("s")]
        found.append(Quantity(value))
    seen: set[Fraction] = set()
    out = []
    for q in found:
        if q.value not in _TRIVIAL:
            out.append(Quantity(q.value, q.required and q.value not in seen, q.percent))
            seen.add(q.value)
    return out


def _cardinal(word: str) -> int:
    tens, _, unit = word.partition("-")
    if tens in _UNITS:
        return _UNITS.index(tens)
    return 10 * (_TENS.index(tens) + 2) + (_UNITS.index(unit) if unit else 0)


def work_of(text: str) -> Work:
    """What an answer works with: data flow for a program, every number for prose."""
    for code in _programs(text):
        found = _flow(code)
        if found is not None:
            return found
    return Work(Counter(n.value for n in find_numbers(_PER.sub(" per ", clean_latex(text)))))


def _programs(text: str) -> list[str]:
    """The text itself when it reads as a program, then its Python blocks, last first."""
    fences = [f.body for f in reversed(fenced_blocks(text)) if f.lang in _PYTHON]
    return [text, *fences] if looks_like_program(text) else fences


def _flow(code: str) -> Work | None:
    """Literals the answer depends on and assigned names it does not; None if no answer."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    defines: list[tuple[set[str], list[ast.expr]]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign) and node.value:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            reads = [node.value, *([node.target] if isinstance(node, ast.AugAssign) else [])]
            defines.append(({n for t in targets for n in _names(t)}, reads))
        elif isinstance(node, ast.For):
            defines.append((_names(node.target), [node.iter]))
        elif isinstance(node, ast.FunctionDef):
            returns = [r.value for r in ast.walk(node) if isinstance(r, ast.Return) and r.value]
            defines.append(({node.name}, returns))
    roots = _roots(tree, {n for names, _ in defines for n in names})
    if not roots:
        return None
    live, todo, exprs = set[str](), set[str]().union(*map(_names, roots)), list(roots)
    while todo:
        name = todo.pop()
        live.add(name)
        for names, reads in defines:
            if name in names:
                exprs += reads
                todo |= set[str]().union(*map(_names, reads)) - live
    used = Counter(v for e in exprs for n in ast.walk(e) if (v := _literal(n)) is not None)
    assigned = {n for names, _ in defines for n in names if not n.startswith("_")}
    return Work(used, len(assigned - live - set(_ANSWER_NAMES)))


def _roots(tree: ast.Module, assigned: set[str]) -> list[ast.expr]:
    """The answer's expressions: the last top-level print, else ``ans``, else the returns."""
    prints = [
        s.value
        for s in tree.body
        if isinstance(s, ast.Expr)
        and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Name)
        and s.value.func.id == "print"
    ]
    if prints:
        return [prints[-1]]
    named = next((n for n in _ANSWER_NAMES if n in assigned), None)
    if named:
        return [ast.Name(named, ast.Load())]
    return [r.value for r in ast.walk(tree) if isinstance(r, ast.Return) and r.value]


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _literal(node: ast.AST) -> Fraction | None:
    if not isinstance(node, ast.Constant) or isinstance(node.value, bool):
        return None
    if isinstance(node.value, int):
        return Fraction(node.value)
    return Fraction(repr(node.value)) if isinstance(node.value, float) else None


def misses(quantities: Sequence[Quantity], used: Counter[Fraction]) -> int:
    """How many required quantities ``used`` leaves out; each use covers one quantity."""
    pool = Counter(used)
    missed = 0
    for q in sorted(quantities, key=lambda q: not q.required):
        taken = _find(q, pool)
        pool.subtract(taken or ())
        missed += taken is None and q.required
    return missed


def _find(q: Quantity, pool: Counter[Fraction]) -> list[Fraction] | None:
    """The pool numbers that stand for ``q``: its value (or p/100, 1 +- p/100), or its parts."""
    forms = [q.value, q.value / 100]
    forms += [1 + q.value / 100, 1 - q.value / 100] if q.percent else []
    forms += [1 / q.value] if 0 < q.value < 1 else []
    for form in forms:
        hit = next((u for u in pool if pool[u] > 0 and _same(u, form)), None)
        if hit is not None:
            return [hit]
    top, bottom = Fraction(q.value.numerator), Fraction(q.value.denominator)
    if 1 < bottom <= 12 and 0 < top <= 12 and pool[bottom] > 0:
        if top == 1:
            return [bottom]
        if top != bottom and pool[top] > 0:
            return [top, bottom]
    return None


def _same(used: Fraction, wanted: Fraction) -> bool:
    """Equal, or a decimal such as 0.33 or 0.3333 written for a fraction such as 1/3."""
    gap = abs(used - wanted)
    if gap <= max(Fraction(1), abs(wanted)) / 10_000:
        return True
    return wanted.denominator != 1 and gap < abs(wanted) / 50 and used == round(used, 2)


def plausible(question: str, answer: Fraction) -> bool:
    """Whether ``answer`` can answer the question: no negative amount, no fractional count."""
    if answer < 0 and _AMOUNT.search(question):
        return False
    count = _COUNT.search(question)
    if answer.denominator == 1 or count is None:
        return True
    return any(word and _MEASURE.fullmatch(word) for word in count.groups())


def support(question: str, wanted: Sequence[Quantity], text: str, penalty: float) -> float:
    """One sample's support: ``penalty`` per miss or dropped value, 0 for no possible answer."""
    key = extract_answer(text, "math")
    if key is None or not plausible(question, Fraction(key)):
        return 0.0
    work = work_of(text)
    return float(penalty ** (misses(wanted, work.used) + work.dropped))


class Quantities(Combinable):
    """Scores the majority answer by its samples' support; see the module docstring."""

    def __init__(self, penalty: float = 0.5, rule: Rule = "margin", kind: str | None = None):
        if not 0.0 <= penalty <= 1.0:
            raise ValueError(f"penalty must be in [0, 1], got {penalty!r}")
        if rule not in ("margin", "share"):
            raise ValueError(f"rule must be 'margin' or 'share', got {rule!r}")
        self.penalty, self.rule, self.kind = penalty, rule, kind
        self.vote = Vote(kind)
        self.name = "quantities"

    async def __call__(self, candidates: Sequence[Candidate], task: Task) -> Verdict:
        """Group the numeric answers and score the majority by support."""
        if (self.kind or task.kind) != "math":
            verdict = await self.vote(candidates, task)
            reason = f"not a math task, scored as a plain vote: {verdict.reason}"
            return Verdict(
                verdict.passed, verdict.score, reason, 0.0, verdict.choice, self.name, verdict.value
            )
        k = len(candidates)
        wanted = question_quantities(task.prompt)
        groups: dict[str, list[int]] = {}
        for index, candidate in enumerate(candidates):
            if (key := extract_answer(candidate.text, "math")) is not None:
                groups.setdefault(key, []).append(index)
        if not groups:
            return Verdict(False, 0.0, f"no numeric answer in {k} sample(s)", name=self.name)
        weights = [support(task.prompt, wanted, c.text, self.penalty) for c in candidates]
        (answer, best), *rivals = sorted(groups.items(), key=lambda g: (-len(g[1]), g[1][0]))
        held = sum(weights[i] for i in best)
        rival = max((sum(weights[i] for i in members) for _, members in rivals), default=0.0)
        score = min(1.0, max(0.0, held - (rival if self.rule == "margin" else 0.0)) / k)
        reason = (
            f"{len(best)}/{k} samples give {answer} with support {held:.2f} (best rival"
            f" {rival:.2f}); the question gives {sum(q.required for q in wanted)} quantities"
        )
        choice = max(best, key=lambda i: (weights[i], -i))
        return Verdict(score >= 0.5, score, reason, choice=choice, name=self.name, value=answer)

    def __repr__(self) -> str:
        return f"Quantities(penalty={self.penalty!r}, rule={self.rule!r}, kind={self.kind!r})"


# The class itself is the registered factory: its constructor's parameters are the TOML ones.
quantities = register("quantities")(Quantities)
