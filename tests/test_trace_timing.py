"""When trace events reach the file: gathered per loop step, on disk before any wait."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from cascade.verifiers import Candidate, Task

from cascade import CallRequest, Cascade, Completion, FunctionProvider, read_events
from cascade.sinks import JsonlSink
from cascade.trace import Event
from tests.builders import PRICES, Script, engine, policy


def _event(i: int) -> Event:
    return Event(run_id="r", step=i, kind="call", t=0.0, policy="p", prompt_hash="h")


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def test_events_of_one_loop_step_are_written_together_before_the_loop_waits(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.jsonl"
    sink = JsonlSink(path)

    async def steps() -> list[int]:
        seen = []
        for i in range(3):
            sink(_event(i))
        seen.append(_lines(path))  # held: nothing has waited yet
        await asyncio.sleep(0.01)  # the loop waits: what is held is written first
        seen.append(_lines(path))
        return seen

    assert asyncio.run(steps()) == [0, 3]


def test_outside_a_loop_each_event_is_written_at_once(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "t.jsonl")
    sink(_event(0))
    assert _lines(tmp_path / "t.jsonl") == 1


def test_a_request_returns_with_every_step_on_disk(tmp_path: Path) -> None:
    async def handler(req: CallRequest) -> Completion:
        return Completion("good", 1, 1)  # answers without waiting

    eng = Cascade(
        provider=FunctionProvider(handler, prices=PRICES), cache=False, trace=tmp_path / "t"
    )

    async def one() -> tuple[int, int]:
        r = await eng.arun("q", policy())
        return len(r.trace), len(read_events(tmp_path / "t"))  # before the loop runs again

    steps, on_disk = asyncio.run(one())
    assert steps == on_disk == 3  # call, verdict, accept


def test_a_blocking_provider_sees_the_earlier_steps_on_disk(tmp_path: Path) -> None:
    seen: list[list[str]] = []
    script = Script({"m/cheap": ["bad"], "m/mid": ["good"]})

    def handler(req: CallRequest) -> Completion:  # a plain function: it holds the loop
        seen.append([e["kind"] for e in read_events(tmp_path / "t")] if seen else [])
        return script(req)

    eng = Cascade(
        provider=FunctionProvider(handler, prices=PRICES), cache=False, trace=tmp_path / "t"
    )
    eng.run("q", policy(("m/cheap", "m/mid")))
    assert seen[1] == ["call", "verdict", "escalate"]


def test_a_blocking_verifier_sees_the_call_on_disk(tmp_path: Path) -> None:
    kinds: list[str] = []

    def slow_check(cands: Sequence[Candidate], task: Task) -> bool:  # sync: holds the loop
        kinds.extend(e["kind"] for e in read_events(tmp_path / "t"))
        return True

    async def handler(req: CallRequest) -> Completion:
        return Completion("answer", 1, 1)

    eng = Cascade(
        provider=FunctionProvider(handler, prices=PRICES), cache=False, trace=tmp_path / "t"
    )
    eng.run("q", policy(verifiers=[slow_check]))
    assert kinds == ["call"]


def test_a_field_json_has_no_type_for_is_written_not_raised(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "t.jsonl")
    sink(Event("r", 0, "call", 0.0, "p", "h", tokens_in=np.int64(7), reason=Path("x")))  # type: ignore[arg-type]
    (event,) = read_events(tmp_path / "t.jsonl")
    assert event["tokens_in"] == 7 and event["reason"] == "x"


def test_default_engine_flushes_at_exit_of_a_sync_run(tmp_path: Path) -> None:
    s = Script({"m/cheap": ["good"]})
    r = engine(s, trace=tmp_path / "t.jsonl").run("q", policy())
    assert len(read_events(tmp_path / "t.jsonl")) == len(r.trace)


def test_a_lone_surrogate_is_written_escaped_with_the_other_events(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "t.jsonl")

    async def steps() -> None:
        sink(Event("a", 0, "call", 0.0, "p", "h", reason="bad \udcff text"))
        sink(Event("b", 0, "call", 0.0, "p", "h", reason="fine"))
        await asyncio.sleep(0.01)

    asyncio.run(steps())
    events = read_events(tmp_path / "t.jsonl")
    assert [e["run_id"] for e in events] == ["a", "b"]
    assert events[0]["reason"] == "bad \udcff text"
