"""Read the answer of a short arithmetic program from its syntax tree, never running it.

Program-of-thought answers are Python programs whose result is the answer. Model code is not
run in-process; this module walks the tree and understands only a closed, bounded subset:
assignments of numbers and strings combined with `+ - * / // % **`, conditional expressions
over comparisons, lists and tuples, the pure builtins `round int float abs min max sum len`,
`math.floor/ceil/sqrt/pi/e` once imported, `print`, f-strings and argument-free functions
ending in `return`. Numbers behave as in CPython (ints exact, floats IEEE), sizes bounded.
Anything else (loops, statements `if`, methods, subscripts, other calls or imports) makes the
program unreadable and the answer None: a sandboxed run is the place for those.

The answer is the last printed value; else the variable `ans`, `answer` or `result`; else the
return value of the program's only argument-free function.
"""

from __future__ import annotations

import ast
import re

from cascade.verifiers.extract_arith import (
    ALWAYS_AVAILABLE,
    BINARY,
    BUILTINS,
    COMPARE,
    MATH_CONSTANTS,
    Unreadable,
    Value,
    checked,
    number,
)

__all__ = ["program_answer"]

_ANSWER_NAMES = ("ans", "answer", "result")
_MAX_SOURCE = 20_000
_MAX_STEPS = 20_000
_MAX_DEPTH = 4
_SPEC = re.compile(r"[,_]?(?:\.\d{1,2})?[dfeg%]?")


class _Reader:
    """Walks one module, keeping names, functions and what was printed."""

    def __init__(self, arithmetic: bool) -> None:
        self.arithmetic = arithmetic
        self.globals: dict[str, Value] = {}
        self.functions: dict[str, ast.FunctionDef] = {}
        self.printed: list[Value] = []
        self.imported: set[str] = set(ALWAYS_AVAILABLE)
        self.steps = 0
        self.depth = 0

    def tick(self) -> None:
        self.steps += 1
        if self.steps > _MAX_STEPS:
            raise Unreadable

    def run(self, body: list[ast.stmt], scope: dict[str, Value]) -> Value | None:
        """Walk statements; the value of a `return`, if one is reached."""
        for stmt in body:
            self.tick()
            if isinstance(stmt, ast.Return):
                return self.value_of(stmt.value, scope) if stmt.value is not None else None
            self.statement(stmt, scope)
        return None

    def statement(self, stmt: ast.stmt, scope: dict[str, Value]) -> None:
        match stmt:
            case ast.Assign(targets=targets, value=value):
                result = self.value_of(value, scope)
                for target in targets:
                    self.bind(target, result, scope)
            case ast.AugAssign(target=ast.Name(id=name), op=op, value=value):
                current = self.lookup(name, scope)
                self.bind(stmt.target, self.binary(op, current, self.value_of(value, scope)), scope)
            case ast.AnnAssign(target=target, value=value) if value is not None:
                self.bind(target, self.value_of(value, scope), scope)
            case ast.Expr(value=ast.Constant(value=str())) | ast.Pass():
                pass
            case ast.Expr(value=ast.Call() as call):
                self.call(call, scope, as_statement=True)
            case ast.Expr(value=value):
                self.value_of(value, scope)
            case ast.Import(names=names) | ast.ImportFrom(module="math", names=names) if all(
                alias.name in {"math", *BUILTINS, *MATH_CONSTANTS} and alias.asname is None
                for alias in names
            ):
                self.imported.update(alias.name for alias in names)
            case ast.FunctionDef(args=args, decorator_list=[]) if not (
                args.args or args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg
            ):
                self.functions[stmt.name] = stmt
            case _:
                raise Unreadable

    def bind(self, target: ast.expr, value: Value, scope: dict[str, Value]) -> None:
        match target:
            case ast.Name(id=name):
                scope[name] = value
            case ast.Tuple(elts=elts) | ast.List(elts=elts) if isinstance(value, tuple) and len(
                value
            ) == len(elts):
                for elt, item in zip(elts, value, strict=True):
                    self.bind(elt, item, scope)
            case _:
                raise Unreadable

    def lookup(self, name: str, scope: dict[str, Value]) -> Value:
        if name not in scope and name not in self.globals:
            raise Unreadable
        return scope[name] if name in scope else self.globals[name]

    def binary(self, op: ast.operator, left: Value, right: Value) -> Value:
        if not self.arithmetic or type(op) not in BINARY:
            raise Unreadable
        try:
            return checked(BINARY[type(op)](number(left), number(right)))
        except (ArithmeticError, ValueError) as exc:
            raise Unreadable from exc

    def value_of(self, node: ast.expr, scope: dict[str, Value]) -> Value:
        self.tick()
        match node:
            case ast.Constant(value=bool()):
                raise Unreadable
            case ast.Constant(value=int() | float() | str() as value):
                return checked(value)
            case ast.Name(id=name):
                return self.lookup(name, scope)
            case ast.Attribute(value=ast.Name(id="math"), attr=attr) if (
                attr in MATH_CONSTANTS and "math" in self.imported
            ):
                return MATH_CONSTANTS[attr]
            case ast.UnaryOp(op=ast.USub() | ast.UAdd() as op, operand=operand):
                value = number(self.value_of(operand, scope))
                if not self.arithmetic and not isinstance(operand, ast.Constant):
                    raise Unreadable
                return -value if isinstance(op, ast.USub) else value
            case ast.BinOp(left=left, op=op, right=right):
                return self.binary(op, self.value_of(left, scope), self.value_of(right, scope))
            case ast.Tuple(elts=elts) | ast.List(elts=elts):
                return tuple(self.value_of(elt, scope) for elt in elts)
            case ast.IfExp(test=test, body=body, orelse=orelse) if self.arithmetic:
                return self.value_of(body if self.truth(test, scope) else orelse, scope)
            case ast.JoinedStr(values=values):
                return "".join(self.format(part, scope) for part in values)
            case ast.Call():
                result = self.call(node, scope, as_statement=False)
                if result is None:
                    raise Unreadable
                return result
        raise Unreadable

    def truth(self, node: ast.expr, scope: dict[str, Value]) -> bool:
        """The truth of a condition: comparisons of numbers, `and`, `or`, `not`, numbers."""
        match node:
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                current = number(self.value_of(left, scope))
                for op, right in zip(ops, comparators, strict=True):
                    following = number(self.value_of(right, scope))
                    if type(op) not in COMPARE:
                        raise Unreadable
                    if not COMPARE[type(op)](current, following):
                        return False
                    current = following
                return True
            case ast.BoolOp(op=ast.And(), values=values):
                return all(self.truth(value, scope) for value in values)
            case ast.BoolOp(op=ast.Or(), values=values):
                return any(self.truth(value, scope) for value in values)
            case ast.UnaryOp(op=ast.Not(), operand=operand):
                return not self.truth(operand, scope)
        return number(self.value_of(node, scope)) != 0

    def format(self, part: ast.expr, scope: dict[str, Value]) -> str:
        match part:
            case ast.Constant(value=str() as text):
                return text
            case ast.FormattedValue(value=value, conversion=-1, format_spec=None):
                return str(self.value_of(value, scope))
            case ast.FormattedValue(
                value=value,
                conversion=-1,
                format_spec=ast.JoinedStr(values=[ast.Constant(value=str() as spec)]),
            ) if _SPEC.fullmatch(spec):
                try:
                    return format(self.value_of(value, scope), spec)
                except (ValueError, TypeError) as exc:
                    raise Unreadable from exc
        raise Unreadable

    def call(self, node: ast.Call, scope: dict[str, Value], as_statement: bool) -> Value | None:
        if node.keywords:
            raise Unreadable
        match node.func:
            case ast.Name(id="print") if as_statement:
                args = [self.value_of(arg, scope) for arg in node.args]
                self.printed.append(args[0] if len(args) == 1 else " ".join(map(str, args)))
                return None
            case ast.Name(id=name) if name in self.functions and not node.args:
                return self.call_function(self.functions[name])
            case ast.Name(id=name) if name in self.imported and self.arithmetic:
                return self.builtin(name, node, scope)
            case ast.Attribute(value=ast.Name(id="math"), attr=name) if (
                name in BUILTINS and "math" in self.imported and self.arithmetic
            ):
                return self.builtin(name, node, scope)
        raise Unreadable

    def builtin(self, name: str, node: ast.Call, scope: dict[str, Value]) -> Value:
        if name not in BUILTINS:
            raise Unreadable
        args = [self.value_of(arg, scope) for arg in node.args]
        try:
            return checked(BUILTINS[name](*args))
        except (ArithmeticError, ValueError, TypeError) as exc:
            raise Unreadable from exc

    def call_function(self, func: ast.FunctionDef) -> Value | None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise Unreadable
        try:
            return self.run(func.body, {})
        finally:
            self.depth -= 1

    def answer(self, tree: ast.Module) -> Value | None:
        self.run(tree.body, self.globals)
        if self.printed:
            return self.printed[-1]
        for name in _ANSWER_NAMES:
            if name in self.globals:
                return self.globals[name]
        if len(self.functions) == 1:
            return self.call_function(next(iter(self.functions.values())))
        return None


def program_answer(source: str, *, arithmetic: bool = True) -> int | float | str | None:
    """The printed or `ans` value of a straight-line arithmetic program, read without running it.

    With `arithmetic=False` only literal values are read (`ans = 42`, `print("42")`).
    """
    if len(source) > _MAX_SOURCE:
        return None
    try:
        tree = ast.parse(source)
        value = _Reader(arithmetic).answer(tree)
    except (Unreadable, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    except Exception:  # a corner of Python the subset did not foresee: unreadable, not a crash
        return None
    return None if value is None or isinstance(value, tuple) else value
