"""Trace events: whole lines under concurrency, no secrets, prompts hashed unless opted in."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import pytest

from cascade import JsonlSink, MissingApiKey, read_events
from cascade.trace import Event, Tracer, redact
from tests.builders import LADDER, Script, engine, policy


def _event(i: int, payload: str = "") -> Event:
    return Event(
        run_id=f"r{i}", step=i, kind="call", t=0.0, policy="p", prompt_hash="h", text=payload
    )


def test_events_are_written_as_whole_lines_from_threads(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "t.jsonl")
    big = "x" * 20_000

    def writer(k: int) -> None:
        for i in range(200):
            sink(_event(k * 1000 + i, big))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lines = (tmp_path / "t.jsonl").read_text().splitlines()
    assert len(lines) == 1600
    assert all(json.loads(line)["text"] == big for line in lines)


def _proc_writer(path: str, k: int) -> None:
    sink = JsonlSink(path)
    for i in range(100):
        sink(_event(k * 1000 + i, "y" * 10_000))


def test_events_are_whole_lines_across_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "t.jsonl")
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_proc_writer, args=(path, k)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    lines = Path(path).read_text().splitlines()
    assert len(lines) == 400 and all(json.loads(x)["text"] == "y" * 10_000 for x in lines)


def test_directory_sink_writes_one_file_per_day(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "traces")
    sink(_event(1))
    files = list((tmp_path / "traces").glob("*.jsonl"))
    assert len(files) == 1 and files[0].name.count("-") == 2
    assert read_events(tmp_path / "traces")[0]["run_id"] == "r1"


def test_default_trace_file_holds_one_event_per_step(tmp_path: Path) -> None:
    s = Script({"m/cheap": ["bad"], "m/mid": ["good zebra"]})
    r = engine(s, trace=True).run("secret prompt", policy())
    events = read_events(tmp_path / "traces")
    assert [e["kind"] for e in events] == [e.kind for e in r.trace]
    assert {e["run_id"] for e in events} == {r.run_id}
    assert all(e["v"] == 1 and len(e["prompt_hash"]) == 16 for e in events)
    raw = "".join(p.read_text() for p in (tmp_path / "traces").glob("*"))
    assert "secret prompt" not in raw and "zebra" not in raw


def test_prompt_text_only_when_opted_in(tmp_path: Path) -> None:
    s = Script({"m/cheap": ["good answer"]})
    engine(s, trace=tmp_path / "t.jsonl", trace_prompts=True).run("my prompt", policy())
    events = read_events(tmp_path / "t.jsonl")
    assert events[0]["prompt"] == "my prompt" and events[0]["text"] == "good answer"


def test_trace_off_by_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASCADE_TRACE", "off")
    r = engine(Script({"m/cheap": ["good"]}), trace=True).run("q", policy())
    assert r.trace and not (tmp_path / "traces").exists()


def test_no_api_key_reaches_the_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "sk-ant-api03-" + "A1b2C3d4" * 6
    monkeypatch.setenv("ANTHROPIC_API_KEY", key)
    err = MissingApiKey(
        f"bad key {key} with header x-api-key: {key[:20]} Authorization: Bearer zzzzzzzzzz"
    )
    s = Script({m: [err] for m in LADDER})
    with pytest.raises(MissingApiKey):
        engine(s, trace=tmp_path / "t.jsonl").run("q", policy())
    raw = (tmp_path / "t.jsonl").read_text()
    assert key not in raw and key[:20] not in raw and "zzzzzzzzzz" not in raw
    assert "[redacted]" in raw


def test_redact_keeps_ordinary_text() -> None:
    assert redact("max_tokens=1024 temperature: 0.7") == "max_tokens=1024 temperature: 0.7"
    assert "sk-" not in redact("key sk-abcdefghijklmnop")


def test_unwritable_trace_location_warns_and_continues(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a dir")
    with pytest.warns(RuntimeWarning, match="trace disabled"):
        r = engine(Script({"m/cheap": ["good"]}), trace=blocker / "sub").run("q", policy())
    assert r.accepted


def test_sinks_are_callables_and_see_every_event() -> None:
    seen: list[Event] = []
    r = engine(Script({"m/cheap": ["good"]}), trace=[seen.append]).run("q", policy())
    assert tuple(seen) == r.trace
    assert [e.step for e in seen] == list(range(len(seen)))


def test_tracer_numbers_steps() -> None:
    t = Tracer("p", "h", [])
    t.emit("call")
    t.emit("verdict", name="x", score=0.5)
    assert [e.step for e in t.events] == [0, 1]
    assert t.events[1].to_dict()["score"] == 0.5 and "model" not in t.events[1].to_dict()


_KILLED_WRITER = """
import sys
from cascade import Cascade, FunctionProvider, Policy, Tier
eng = Cascade(provider=FunctionProvider(lambda r: "answer"), cache=False, trace=sys.argv[1])
pol = Policy(name="k", tiers=(Tier(model="m/x"),))
print("ready", flush=True)
while True:
    eng.run("q", pol)
"""


def test_a_killed_process_leaves_every_written_line_whole(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "t.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    deadline = time.monotonic() + 30
    while (not path.exists() or path.stat().st_size < 50_000) and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    proc.stdout.close()
    events = read_events(path)  # raises if any line were torn
    assert len(events) > 100
    assert {e["kind"] for e in events} <= {"call", "verdict", "accept"}
