"""The local models' host settings: CPU facts and the CASCADE_LOCAL_* switches."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from cascade.local import host
from cascade.local.assets import LocalModelError


def test_threads_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CASCADE_LOCAL_THREADS", "3")
    assert host.threads() == 3
    monkeypatch.delenv("CASCADE_LOCAL_THREADS")
    assert host.threads() >= 1
    for bad in ("many", "0"):
        monkeypatch.setenv("CASCADE_LOCAL_THREADS", bad)
        with pytest.raises(LocalModelError, match="CASCADE_LOCAL_THREADS"):
            host.threads()


def test_batching_switch_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CASCADE_LOCAL_BATCH", raising=False)
    assert host.batching()
    for value, on in (("0", False), ("off", False), ("1", True), ("TRUE", True)):
        monkeypatch.setenv("CASCADE_LOCAL_BATCH", value)
        assert host.batching() is on
    monkeypatch.setenv("CASCADE_LOCAL_BATCH", "sometimes")
    with pytest.raises(LocalModelError, match="CASCADE_LOCAL_BATCH"):
        host.batching()


def test_extra_buffers_off_by_default_only_where_the_cpu_reports_amx(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CASCADE_LOCAL_EXTRA_BUFFERS", raising=False)
    monkeypatch.setattr(host, "cpu_flags", lambda: {"avx2", "fma", "avx512f"})
    assert host.extra_buffers()
    monkeypatch.setattr(host, "cpu_flags", lambda: {"avx2", "amx_tile", "amx_int8"})
    assert not host.extra_buffers()
    monkeypatch.setenv("CASCADE_LOCAL_EXTRA_BUFFERS", "1")
    assert host.extra_buffers()
    monkeypatch.setenv("CASCADE_LOCAL_EXTRA_BUFFERS", "off")
    monkeypatch.setattr(host, "cpu_flags", lambda: {"avx2"})
    assert not host.extra_buffers()
    monkeypatch.setenv("CASCADE_LOCAL_EXTRA_BUFFERS", "amx")
    with pytest.raises(LocalModelError, match="CASCADE_LOCAL_EXTRA_BUFFERS must be 1 or 0"):
        host.extra_buffers()


def test_cpuinfo_gives_the_first_value_of_a_field(tmp_path: Path) -> None:
    info = tmp_path / "cpuinfo"
    info.write_text(
        "processor\t: 0\nmodel name\t: Example CPU @ 2.0GHz\nflags\t\t: fpu avx2 amx_tile\n\n"
        "processor\t: 1\nmodel name\t: Other\nflags\t\t: fpu\n",
        encoding="utf-8",
    )
    assert host.cpuinfo("model name", str(info)) == "Example CPU @ 2.0GHz"
    assert host.cpuinfo("flags", str(info)).split() == ["fpu", "avx2", "amx_tile"]
    assert host.cpuinfo("model", str(info)) == ""  # a field's whole name, not a prefix
    assert host.cpuinfo("flags", str(tmp_path / "missing")) == ""


def test_cpu_flags_are_read_where_there_is_a_cpuinfo() -> None:
    flags = host.cpu_flags()
    if Path("/proc/cpuinfo").exists() and sys.platform.startswith("linux"):
        assert flags and all(isinstance(f, str) and " " not in f for f in flags)
    else:
        assert flags == set()
