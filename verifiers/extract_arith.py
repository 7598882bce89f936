"""Values and pure operations of the arithmetic subset that `extract_program` reads."""

from __future__ import annotations

import ast
import math
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeAlias

__all__ = [
    "ALWAYS_AVAILABLE",
    "BINARY",
    "BUILTINS",
    "COMPARE",
    "MATH_CONSTANTS",
    "Unreadable",
    "Value",
    "checked",
    "number",
]

Value: TypeAlias = int | float | str | tuple["Value", ...]
"""What a readable program computes: a number, a string, or a tuple of them."""

_MAX_BITS = 4096
MATH_CONSTANTS = {"pi": math.pi, "e": math.e}
"""The `math` constants a program may use."""


class Unreadable(Exception):
    """The program leaves the readable subset."""


def _unreadable() -> NoReturn:
    """Give up on the program."""
    raise Unreadable


def number(value: Value) -> int | float:
    """`value` if it is a real number (not a bool), else the program is unreadable."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Unreadable
    return value


def checked(value: Value) -> Value:
    """Reject results that are too large or not finite."""
    if isinstance(value, int) and value.bit_length() > _MAX_BITS:
        raise Unreadable
    if isinstance(value, float) and not math.isfinite(value):
        raise Unreadable
    return value


def _power(base: int | float, exp: int | float) -> int | float:
    """`base ** exp` within size bounds and real-valued."""
    if isinstance(exp, int) and abs(exp) * max(1, abs(int(base)).bit_length()) > _MAX_BITS:
        raise Unreadable
    result = base**exp
    if not isinstance(result, int | float):
        raise Unreadable
    return result


BINARY: dict[type[ast.operator], Callable[[int | float, int | float], int | float]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.FloorDiv: lambda a, b: a // b,
    ast.Mod: lambda a, b: a % b,
    ast.Pow: _power,
}
"""The arithmetic operators, as CPython computes them."""


def _round(*args: Value) -> Value:
    """`round(x)` or `round(x, n)` with a small `n`."""
    if len(args) == 1:
        return round(number(args[0]))
    if len(args) == 2 and isinstance(args[1], int) and abs(args[1]) <= 20:
        return round(number(args[0]), args[1])
    raise Unreadable


def _items(args: Sequence[Value]) -> list[int | float]:
    """The numbers of `f(a, b, c)` or `f((a, b, c))`."""
    if len(args) == 1:
        args = args[0] if isinstance(args[0], tuple) else _unreadable()
    if not args:
        raise Unreadable
    return [number(arg) for arg in args]


def _single_tuple(args: Sequence[Value]) -> bool:
    """Whether the arguments are exactly one tuple (a list or tuple in the program)."""
    return len(args) == 1 and isinstance(args[0], tuple)


def _one(func: Callable[[int | float], Value]) -> Callable[..., Value]:
    """Wrap a one-number builtin."""

    def call(*args: Value) -> Value:
        if len(args) != 1:
            raise Unreadable
        return func(number(args[0]))

    return call


ALWAYS_AVAILABLE = frozenset({"round", "int", "float", "abs", "min", "max", "sum", "len"})
"""Builtins usable without an import."""

BUILTINS: dict[str, Callable[..., Value]] = {
    "round": _round,
    "int": _one(int),
    "float": _one(float),
    "abs": _one(abs),
    "min": lambda *args: min(_items(args)),
    "max": lambda *args: max(_items(args)),
    "sum": lambda *args: sum(_items(args)) if len(args) == 1 else _unreadable(),
    "floor": _one(math.floor),
    "ceil": _one(math.ceil),
    "sqrt": _one(math.sqrt),
    "len": lambda *args: len(args[0]) if _single_tuple(args) else _unreadable(),
}
"""The pure functions a program may call, by name."""

COMPARE: dict[type[ast.cmpop], Callable[[int | float, int | float], bool]] = {
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
}
"""Comparisons between numbers, for conditional expressions."""
