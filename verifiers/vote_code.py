"""Behaviour of candidate programs: each runs in the sandbox on a task's visible examples.

One sandbox run per distinct program (up to ``concurrency`` at once) evaluates every example
call in turn and reports, for each, a canonical text of the result (or ``!ErrorName``) and
whether it equals the expected result (None when none is stated). The task's setup code (the
prompt's imports and finished helpers) runs first, so that they are there, as they would be
when the completed file is used. Outputs are cached per (program, example).
Results are reported on stdout in lines tagged with a per-run random tag; the candidate's own
prints go nowhere.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import secrets
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from cascade.verifiers.examples import Example
from cascade.verifiers.extract_code import code_key
from cascade.verifiers.sandbox import Limits, arun_python

__all__ = ["Behaviour", "CodeRunner", "Outcome"]

Outcome = tuple[str, bool | None]
"""One example's result: its canonical text (``!Name`` for an exception) and whether it matched
the expected result (None: no result stated)."""

_HARNESS = r"""
import sys as _sys
_real = _sys.stdout
class _Sink:
    def write(self, s): return len(s)
    def flush(self): pass
_sys.stdout = _Sink()
def _emit(*fields):
    _real.write(_TAG + " " + repr(fields) + "\n")
    _real.flush()
def _canon(v, depth=0):
    if depth > 30: return "..."
    if v is None or isinstance(v, bool): return repr(v)
    if isinstance(v, float):
        return repr(float(format(v, ".9g"))) if v == v else "nan"
    if isinstance(v, int):
        try: return repr(v)
        except ValueError: return "int:" + hex(v)
    if isinstance(v, (str, bytes)): return repr(v)
    if isinstance(v, list): return "[" + ", ".join(_canon(x, depth + 1) for x in v) + "]"
    if isinstance(v, tuple): return "(" + ", ".join(_canon(x, depth + 1) for x in v) + ",)"
    if isinstance(v, (set, frozenset)):
        return "{" + ", ".join(sorted(_canon(x, depth + 1) for x in v)) + "}"
    if isinstance(v, dict):
        items = (_canon(k, depth + 1) + ": " + _canon(x, depth + 1) for k, x in v.items())
        return "{" + ", ".join(sorted(items)) + "}"
    if hasattr(v, "__next__"):
        import itertools
        return "iter" + _canon(list(itertools.islice(v, 10000)), depth + 1)
    text = repr(v)
    return type(v).__name__ + ":" + (text if " at 0x" not in text else "object")
def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)
def _same(a, b):
    if _number(a) and _number(b):
        import math
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if type(a) is type(b) and isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try: return bool(a == b)
    except BaseException: return False
def _short(text):
    if len(text) <= 2000: return text
    import hashlib
    return "sha1:" + hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()
_ns = {"__name__": "__candidate__"}
try: exec(compile(_PREFIX, "<task>", "exec"), _ns)
except BaseException: pass
try: exec(compile(_CODE, "<candidate>", "exec"), _ns)
except BaseException as e:
    _emit("load", type(e).__name__)
    raise SystemExit(0)
for _i, (_call, _expected) in enumerate(_CASES):
    try:
        _out = eval(_call, _ns)
        _text = _short(_canon(_out))
    except BaseException as e:
        _emit("case", _i, "!" + type(e).__name__, False if _expected is not None else None)
        continue
    _ok = None
    if _expected is not None:
        try: _ok = _same(_out, eval(_expected, {}))
        except BaseException: _ok = repr(_out) == _expected or str(_out) == _expected
    _emit("case", _i, _text, bool(_ok) if _ok is not None else None)
"""


@dataclass(frozen=True, slots=True)
class Behaviour:
    """What one program did on the examples; ``outcomes`` is None when it failed to load."""

    outcomes: tuple[Outcome, ...] | None

    @property
    def key(self) -> tuple[str, ...] | None:
        """The grouping key: the canonical results, in example order."""
        return None if self.outcomes is None else tuple(text for text, _ in self.outcomes)

    @property
    def checked(self) -> int:
        """Examples with a stated result."""
        return sum(ok is not None for _, ok in self.outcomes or ())

    @property
    def passed(self) -> int:
        """Examples whose stated result this program reproduced."""
        return sum(ok is True for _, ok in self.outcomes or ())


class CodeRunner:
    """Runs programs on examples in the sandbox, caching each (program, example) outcome."""

    def __init__(self, limits: Limits, concurrency: int = 2, cache_size: int = 20_000):
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        self.limits = limits
        self.concurrency = concurrency
        self.cache_size = cache_size
        self._cache: OrderedDict[tuple[str, str, Example], Outcome | None] = OrderedDict()

    async def behaviours(
        self, codes: Sequence[str | None], prefix: str, examples: Sequence[Example]
    ) -> list[Behaviour | None]:
        """The behaviour of each program (None for no code or invalid code).

        Raises `SandboxError` when the sandbox itself cannot run.
        """
        keys = [None if code is None else code_key(code) for code in codes]
        scope = hashlib.sha256(prefix.encode()).hexdigest()
        todo = {k: c for k, c in zip(keys, codes, strict=True) if k is not None and c is not None}
        gate = asyncio.Semaphore(self.concurrency)
        runs = [self._fill(gate, scope, k, c, prefix, examples) for k, c in todo.items()]
        for failure in await asyncio.gather(*runs, return_exceptions=True):
            if isinstance(failure, BaseException):
                raise failure
        return [None if k is None else self._behaviour(scope, k, examples) for k in keys]

    def _behaviour(self, scope: str, key: str, examples: Sequence[Example]) -> Behaviour:
        found = [self._cache.get((scope, key, example)) for example in examples]
        if any(outcome is None for outcome in found):
            return Behaviour(None)
        return Behaviour(tuple(o for o in found if o is not None))

    async def _fill(
        self,
        gate: asyncio.Semaphore,
        scope: str,
        key: str,
        code: str,
        prefix: str,
        examples: Sequence[Example],
    ) -> None:
        """Run the examples not cached yet and cache their outcomes."""
        missing = [e for e in examples if (scope, key, e) not in self._cache]
        if not missing:
            return
        tag = secrets.token_hex(12)
        cases = [(e.call, e.expected) for e in missing]
        program = f"_TAG = {tag!r}\n_PREFIX = {prefix!r}\n_CODE = {code!r}\n_CASES = {cases!r}\n"
        async with gate:
            run = await arun_python(program + _HARNESS, limits=self.limits)
        loaded, outcomes = _read(run.stdout, tag)
        stopped = f"!{run.killed or 'exit'}"
        for i, example in enumerate(missing):
            outcome = outcomes.get(i, (stopped, _failed(example))) if loaded else None
            self._store((scope, key, example), outcome)

    def _store(self, key: tuple[str, str, Example], outcome: Outcome | None) -> None:
        self._cache[key] = outcome
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)


def _failed(example: Example) -> bool | None:
    return False if example.expected is not None else None


def _read(stdout: str, tag: str) -> tuple[bool, dict[int, Outcome]]:
    """(loaded, outcome per case index) from the tagged lines of a run's stdout."""
    loaded = True
    found: dict[int, Outcome] = {}
    for line in stdout.splitlines():
        head, _, rest = line.partition(" ")
        if head != tag:
            continue
        try:
            fields = ast.literal_eval(rest)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            continue
        match fields:
            case ("load", str()):
                loaded = False
            case ("case", int(index), str(text), bool() | None as ok):
                found.setdefault(index, (text, ok))
    return loaded, found
