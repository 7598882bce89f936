"""Tests for benchmarks.record: a fake at the provider seam, resumable output, valid format."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import diskcache
import pytest

from benchmarks.record import local_models, machine, main, notes_for
from benchmarks.record_run import record, run_order
from benchmarks.record_store import ModelSpec, RecordError, Store
from benchmarks.suites import Graded, Suite, Task, get_suite
from cascade import CallRequest, Completion, FunctionProvider
from cascade.recordings import open_recording

MODELS = (
    ModelSpec("tiny", 2, 1e-7, 5e-7, "made up"),
    ModelSpec("big", 1, 4e-6, 2e-5, "made up"),
)


def toy_tasks(n: int = 6) -> list[Task]:
    return [
        Task(f"toy/{i}", f"What is {i} + {i}?", {"answer": str(2 * i)}, {"i": i}) for i in range(n)
    ]


def toy_grade(task: Task, text: str) -> Graded:
    answer = text.rsplit(" ", 1)[-1] if text else None
    return Graded(answer, answer == task.reference["answer"])


def toy_suite(n: int = 6, prompt_suffix: str = "") -> Suite:
    def tasks() -> list[Task]:
        return [Task(t.id, t.prompt + prompt_suffix, t.reference, t.public) for t in toy_tasks(n)]

    return Suite("toy", "math", 32, tasks, toy_grade, "builder", "MIT", "toy grading")


class Model:
    """A fake at the provider seam: the big model is right, the tiny one right on even seeds."""

    def __init__(self, fail_after: int | None = None) -> None:
        self.calls: list[CallRequest] = []
        self.fail_after = fail_after

    def __call__(self, request: CallRequest) -> Completion:
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise RuntimeError("killed")
        self.calls.append(request)
        i = int(str(request.messages[0]["content"]).split()[2])
        right = request.model == "big" or request.extra["seed"] % 2 == 0
        return Completion(f"It is {2 * i if right else 0}", tokens_in=10, tokens_out=4)


async def run(
    out: Path,
    model: Callable[[CallRequest], Completion],
    *,
    suite: Suite | None = None,
    cache: Any = None,
    limit: int | None = None,
    models: tuple[ModelSpec, ...] = MODELS,
) -> list[Path]:
    return await record(
        [suite or toy_suite()],
        models,
        provider=FunctionProvider(model),
        out_dir=out,
        notes=lambda s: f"notes of {s.name}",
        cache=cache,
        limit=limit,
        stream=io.StringIO(),
    )


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


async def test_a_complete_recording_is_valid_sorted_and_priced(tmp_path: Path) -> None:
    model = Model()
    [manifest] = await run(tmp_path, model)
    recording = open_recording(manifest)
    records = recording.load()
    assert [r.id for r in records] == [t.id for t in toy_tasks()]
    assert recording.manifest.model_names == ("tiny", "big")
    assert recording.manifest.records == 6 and recording.manifest.notes == "notes of toy"
    raw = json.loads(manifest.read_text("utf-8"))
    assert raw["partial"] is False and raw["settings"]["temperature"] == 0.7
    tiny = records[3].samples["tiny"]
    assert [s.correct for s in tiny] == [True, False] and tiny[1].answer == "0"
    assert tiny[0].cost_usd == pytest.approx(10 * 1e-7 + 4 * 5e-7)
    assert records[3].samples["big"][0].cost_usd == pytest.approx(10 * 4e-6 + 4 * 2e-5)
    assert len(model.calls) == 6 * 3
    assert {(c.model, c.extra["seed"], c.temperature, c.max_tokens) for c in model.calls} == {
        ("tiny", 0, 0.7, 32),
        ("tiny", 1, 0.7, 32),
        ("big", 0, 0.7, 32),
    }


async def test_a_recording_is_valid_before_its_first_record(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="killed"):
        await run(tmp_path, Model(fail_after=0))
    recording = open_recording(tmp_path / "local-toy.manifest.json")
    assert recording.manifest.records == 0 and recording.load() == []


async def test_a_limited_run_is_a_valid_partial_recording_and_the_rest_resumes(
    tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    [manifest] = await run(out, Model(), limit=2)
    assert json.loads(manifest.read_text("utf-8"))["partial"] is True
    first = [r.id for r in open_recording(manifest).load()]
    assert first == [t.id for t in run_order(toy_tasks())[:2]]
    again = Model()
    await run(out, again)
    assert len(again.calls) == 4 * 3
    assert [r.id for r in open_recording(manifest).load()] == [t.id for t in toy_tasks()]


async def test_an_interrupted_run_keeps_whole_records_and_cached_samples(tmp_path: Path) -> None:
    out, cache = tmp_path / "out", diskcache.Cache(str(tmp_path / "cache"))
    with pytest.raises(RuntimeError, match="killed"):
        await run(out, Model(fail_after=7), cache=cache)
    recording = open_recording(out / "local-toy.manifest.json")
    assert recording.manifest.records == 2 and len(recording.load()) == 2
    resumed = Model()
    await run(out, resumed, cache=cache)
    assert len(resumed.calls) == 6 * 3 - 7
    assert len(open_recording(out / "local-toy.jsonl").load()) == 6
    cache.close()


async def test_committed_files_alone_are_enough_to_resume(tmp_path: Path) -> None:
    await run(tmp_path, Model(), limit=3, cache=diskcache.Cache(str(tmp_path / "c1")))
    fresh = Model()
    await run(tmp_path, fresh, cache=diskcache.Cache(str(tmp_path / "c2")))
    assert len(fresh.calls) == 3 * 3


async def test_a_torn_last_line_is_dropped_and_the_count_repaired(tmp_path: Path) -> None:
    [manifest] = await run(tmp_path, Model(), limit=2)
    records = tmp_path / "local-toy.jsonl"
    whole = records.read_text("utf-8")
    records.write_text(whole + whole.splitlines()[0][:40], "utf-8")
    leftover = tmp_path / ".local-toy.jsonl.123.tmp"
    leftover.write_text("half a file", "utf-8")
    store = Store(
        tmp_path,
        toy_suite(),
        toy_tasks(),
        MODELS,
        json.loads(manifest.read_text("utf-8"))["settings"],
        "n",
    )
    assert len(store.open()) == 2
    assert records.read_text("utf-8") == whole
    assert not leftover.exists()
    assert open_recording(manifest).manifest.records == 2


async def test_a_last_line_cut_inside_a_character_is_dropped_too(tmp_path: Path) -> None:
    [manifest] = await run(tmp_path, Model(), limit=2)
    records = tmp_path / "local-toy.jsonl"
    whole = records.read_bytes()
    line = json.dumps({"id": "toy/5", "text": "x \u2264 \u03c0"}, ensure_ascii=False).encode()
    records.write_bytes(whole + line[: line.index("\u03c0".encode()) + 1])  # half of pi
    settings = json.loads(manifest.read_text("utf-8"))["settings"]
    store = Store(tmp_path, toy_suite(), toy_tasks(), MODELS, settings, "n")
    assert len(store.open()) == 2
    assert records.read_bytes() == whole
    assert open_recording(manifest).manifest.records == 2


async def test_a_regrade_grades_the_recorded_texts_again_and_runs_no_model(
    tmp_path: Path,
) -> None:
    [manifest] = await run(tmp_path, Model(), limit=3)
    before = lines(tmp_path / "local-toy.jsonl")

    def lenient(task: Task, text: str) -> Graded:  # a fixed grader: "0" counts as well
        graded = toy_grade(task, text)
        return Graded(graded.answer, graded.correct or graded.answer == "0")

    base = toy_suite()
    fixed = Suite(base.name, base.task_kind, base.max_tokens, base.tasks, lenient, "b", "MIT", "g")
    model = Model(fail_after=0)  # any model call fails the test
    await record(
        [fixed],
        MODELS,
        provider=FunctionProvider(model),
        out_dir=tmp_path,
        notes=lambda s: "n",
        limit=3,
        regrade=True,
        stream=(out := io.StringIO()),
    )
    after = lines(tmp_path / "local-toy.jsonl")
    assert [r["id"] for r in after] == [r["id"] for r in before] and not model.calls
    flips = 0
    for old, new in zip(before, after, strict=True):
        for name, samples in new["samples"].items():
            for was, now in zip(old["samples"][name], samples, strict=True):
                assert now["correct"] and {**now, "correct": was["correct"]} == was
                flips += not was["correct"]
    assert flips > 0
    assert f"{flips} now right, 0 now wrong" in out.getvalue()
    assert open_recording(manifest).manifest.records == 3


async def test_other_settings_or_changed_tasks_are_refused(tmp_path: Path) -> None:
    await run(tmp_path, Model(), limit=2)
    fewer = (MODELS[0],)
    with pytest.raises(RecordError, match="other settings"):
        await run(tmp_path, Model(), models=fewer)
    with pytest.raises(RecordError, match="prompt changed"):
        await run(tmp_path, Model(), suite=toy_suite(prompt_suffix=" Think."))


async def test_two_recorders_cannot_write_one_directory(tmp_path: Path) -> None:
    async def nested(request: CallRequest) -> Completion:
        with pytest.raises(RecordError, match="another recorder"):
            await run(tmp_path, Model())
        return Model()(request)

    await record(
        [toy_suite(1)],
        MODELS[:1],
        provider=FunctionProvider(nested),
        out_dir=tmp_path,
        notes=lambda s: "",
        stream=io.StringIO(),
    )


def test_the_command_line_records_a_generated_suite(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def answer(request: CallRequest) -> str:
        return "Adding up gives 3.\nThe answer is 3"

    argv = [
        "--suite",
        "math",
        "--limit",
        "2",
        "--samples",
        "2,1,1",
        "--out",
        str(tmp_path),
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    assert main(argv, provider=FunctionProvider(answer)) == 0
    out = capsys.readouterr()
    assert out.out.strip() == str(tmp_path / "local-math.manifest.json")
    assert "2/2 tasks" in out.err and "ETA" in out.err
    recording = open_recording(tmp_path / "local-math.jsonl")
    assert recording.manifest.model_names == (
        "local/smollm2-135m",
        "local/qwen2.5-coder-0.5b",
        "local/qwen2.5-coder-1.5b",
    )
    assert recording.manifest.task_kind == "math"
    [sample] = recording.load()[0].samples["local/qwen2.5-coder-1.5b"]
    assert sample.answer == "3" and sample.tokens_in is None and sample.cost_usd == 0.0
    assert main([*argv, "--finalize"], provider=FunctionProvider(answer)) == 0
    assert main(["--suite", "math", "--samples", "1,2", "--out", str(tmp_path)]) == 2


def test_local_models_carry_the_declared_prices() -> None:
    models = local_models(["smollm2-135m", "local/qwen2.5-coder-1.5b"], [5, 3])
    assert [(m.name, m.samples) for m in models] == [
        ("local/smollm2-135m", 5),
        ("local/qwen2.5-coder-1.5b", 3),
    ]
    assert models[0].input_cost_per_token < models[1].input_cost_per_token
    assert "Opus" in models[1].price_note and "nominal" in models[1].price_note
    with pytest.raises(RecordError, match="unknown local model"):
        local_models(["gpt-5"], [1])
    notes = notes_for(models, 0.7, "2 CPU cores")(toy_suite())
    assert "2 CPU cores" in notes and "temperature 0.7" in notes and "toy grading" in notes
    assert "Intel Xeon" not in notes  # a suite the project did not record has no history


def test_the_notes_of_a_project_recording_say_where_each_task_ran() -> None:
    models = local_models(None, [5, 5, 3])
    notes = notes_for(models, 0.7, "2 CPU cores (Here)", project=True)(get_suite("math"))
    assert "tasks 1-116 in run order on Intel Xeon, weights in llama.cpp's repacked" in notes
    assert "tasks 117-153 in run order on Intel Xeon whose CPU reports AMX" in notes
    assert "tasks 154-160 in run order on AMD EPYC" in notes
    assert "any later task on 2 CPU cores (Here)" in notes
    assert "in the first 42 tasks in the order they were run" in notes
    # a recording made elsewhere (another --out) describes only the machine it ran on
    other = notes_for(models, 0.7, "2 CPU cores (Here)")(get_suite("math"))
    assert "Intel Xeon" not in other and "first 42 tasks" not in other
    assert "on 2 CPU cores (Here)." in other


def test_the_machine_is_described_with_its_weight_buffers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASCADE_LOCAL_EXTRA_BUFFERS", "0")
    assert machine().endswith("threads per model, plain buffers")
    monkeypatch.setenv("CASCADE_LOCAL_EXTRA_BUFFERS", "1")
    assert "CPU cores (" in machine() and machine().endswith("repacked CPU weight buffers")
