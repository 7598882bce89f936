"""What the caller passes besides the prompt: schema, tests, public inputs; verifier calls."""

from __future__ import annotations

from collections.abc import Sequence

import pydantic
import pytest
from cascade.verifiers import Candidate, Task

from cascade import PolicyError, Verdict
from cascade.providers import _supported
from cascade.request import resolve_schema
from tests.builders import Script, engine, policy


class Invoice(pydantic.BaseModel):
    number: str
    total: float


def test_invalid_schema_fails_before_any_call() -> None:
    s = Script({"m/cheap": ["good"]})
    with pytest.raises(PolicyError, match=r"invalid JSON Schema at properties/x"):
        engine(s).run("q", policy(), schema={"type": "object", "properties": {"x": {"type": 7}}})
    with pytest.raises(PolicyError, match="pydantic model class"):
        engine(s).run("q", policy(), schema=int)
    assert s.calls == []


def test_a_schema_checked_once_is_still_refused_or_accepted_every_time() -> None:
    bad = {"type": "object", "properties": {"x": {"type": 7}}}
    for _ in range(2):  # the second check comes from the memo
        with pytest.raises(PolicyError, match=r"invalid JSON Schema at properties/x"):
            resolve_schema(bad)
    good = {"type": "object", "properties": {"x": {"type": "integer"}}}
    first, _ = resolve_schema(good)
    assert first is not None
    first["properties"]["x"]["type"] = "string"  # the caller's copy: the memo is not changed
    again, _ = resolve_schema(good)
    assert again == {"type": "object", "properties": {"x": {"type": "integer"}}}
    with pytest.raises(PolicyError, match="invalid JSON Schema"):
        resolve_schema({"type": "object", "minProperties": -1, "default": {1, 2}})  # not JSON


def test_schema_reaches_the_task_and_asks_for_json_mode() -> None:
    seen: list[Task] = []

    def spy(cands: Sequence[Candidate], task: Task) -> Verdict:
        seen.append(task)
        return Verdict(True, 1.0, value={"parsed": True})

    s = Script({"m/cheap": ['{"number": "A1", "total": 3}']})
    r = engine(s).run(
        "q",
        policy(verifiers=[spy]),
        schema=Invoice,
        tests=["assert f(1) == 2"],
        public={"choices": ["a", "b"]},
    )
    task = seen[0]
    assert task.model_class is Invoice and task.schema is not None
    assert task.schema["properties"]["total"]["type"] == "number"
    assert task.tests == ("assert f(1) == 2",) and task.public == {"choices": ["a", "b"]}
    fmt = s.calls[0].extra["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["schema"] == task.schema
    assert r.parsed == {"parsed": True}


def test_json_mode_is_dropped_or_degraded_for_models_that_lack_it() -> None:
    import litellm

    fmt = {"response_format": {"type": "json_schema", "json_schema": {"name": "a", "schema": {}}}}
    assert _supported(litellm, "anthropic/claude-haiku-5-5", fmt) == fmt
    assert _supported(litellm, "nobody/unknown-model", fmt) == {}


def _judge(answer_cost: list[float], max_tokens: int = 5) -> object:
    async def judge(cands: Sequence[Candidate], task: Task) -> Verdict:
        assert task.complete is not None
        reply = await task.complete("rate this", max_tokens=max_tokens, name="judge")
        answer_cost.append(reply.cost_usd)
        return Verdict("good" in reply.text, 1.0 if "good" in reply.text else 0.0)

    return judge


def test_verifier_calls_are_traced_and_counted() -> None:
    costs: list[float] = []
    s = Script({"m/cheap": ["good"]})
    r = engine(s).run("q", policy(verifiers=[_judge(costs)]))
    calls = [e for e in r.trace if e.kind == "call"]
    assert [e.name for e in calls] == [None, "judge"]
    assert calls[1].model == "m/cheap" and calls[1].cost_usd == costs[0] > 0
    assert r.cost_usd == pytest.approx(sum(e.cost_usd or 0 for e in calls))
    assert len(s.calls) == 2
    assert [c.purpose for c in s.calls] == [None, "judge"]


def test_verifier_call_that_would_pass_the_budget_stops_the_cascade() -> None:
    s = Script({"m/cheap": ["good answer"]})
    # the answer's estimate (1.16e-4) fits; the judge's, at 200 output tokens, does not
    pol = policy(["m/cheap"], verifiers=[_judge([], max_tokens=200)])
    r = engine(s).run("q", pol, max_cost_usd=1.2e-4)
    assert (r.reason, r.accepted, r.text) == ("budget", False, "good answer")
    assert len(s.calls) == 1 and r.cost_usd <= 1.2e-4
    assert r.trace[-1].kind == "budget"


def test_read_only_schema_mappings_are_accepted() -> None:
    from types import MappingProxyType

    frozen = MappingProxyType(
        {
            "type": "object",
            "properties": MappingProxyType({"a": MappingProxyType({"type": ("string", "null")})}),
        }
    )
    seen: list[Task] = []

    def spy(cands: Sequence[Candidate], task: Task) -> bool:
        seen.append(task)
        return True

    engine(Script({"m/cheap": ["{}"]})).run("q", policy(verifiers=[spy]), schema=frozen)
    assert seen[0].schema == {"type": "object", "properties": {"a": {"type": ["string", "null"]}}}


def test_a_failing_verifier_call_escalates_instead_of_failing_the_request() -> None:
    from cascade import ProviderUnavailable

    async def judge(cands: Sequence[Candidate], task: Task) -> Verdict:
        assert task.complete is not None
        reply = await task.complete("rate", name="judge", model="m/judge")
        return Verdict(True, 1.0, reply.text)

    s = Script(
        {
            "m/cheap": ["good"],
            "m/mid": ["good"],
            "m/top": ["good"],
            "m/judge": [ProviderUnavailable("503")],
        }
    )
    r = engine(s).run("q", policy(verifiers=[judge]))
    assert (r.model, r.accepted) == ("m/top", False)
    verdicts = [e for e in r.trace if e.kind == "verdict"]
    assert all(e.score == 0.0 and "verifier call failed" in (e.reason or "") for e in verdicts)
