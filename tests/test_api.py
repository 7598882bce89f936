"""The public API: complete ``__all__``, docstrings, module-level functions."""

from __future__ import annotations

import inspect

import cascade
from cascade import FunctionProvider


def test_all_is_complete_and_documented() -> None:
    public = {n for n in dir(cascade) if not n.startswith("_")}
    modules = {n for n in public if inspect.ismodule(getattr(cascade, n))}
    assert set(cascade.__all__) == public - modules - {"annotations", "os"}
    for name in cascade.__all__:
        assert inspect.getdoc(getattr(cascade, name)), name


def test_module_level_functions_use_the_configured_engine() -> None:
    cascade.configure(
        provider=FunctionProvider(lambda req: f"hi from {req.model}"), cache=False, trace=False
    )
    r = cascade.run("q", policy="qa")  # five samples agree: the cheapest tier's answer stands
    assert r.text == "hi from anthropic/claude-haiku-5-5" and r.accepted
    rs = cascade.run_many(["a", "b"], policy="code", concurrency=2)
    assert len(rs) == 2


async def test_async_forms() -> None:
    cascade.configure(provider=FunctionProvider(lambda req: "ok"), cache=False, trace=False)
    r = await cascade.arun("q", policy="qa")
    assert r.text == "ok"
    rs = await cascade.arun_many(["a", "b", "c"])
    assert [x.text for x in rs if isinstance(x, cascade.Result)] == ["ok"] * 3


def test_result_to_dict_is_json_ready() -> None:
    import json

    cascade.configure(provider=FunctionProvider(lambda req: "ok"), cache=False, trace=False)
    d = cascade.run("q").to_dict()
    assert json.loads(json.dumps(d))["text"] == "ok"
