"""The answer cache: repeated calls are free and traced; broken caches degrade, never crash."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from cascade.cache import AnswerCache, KeyFilter, cache_key
from tests.builders import Script, engine, policy


def test_repeated_request_is_a_free_cache_hit(tmp_path: Path) -> None:
    s = Script({"m/cheap": ["good"]})
    eng = engine(s, cache=tmp_path / "c")
    first = eng.run("q", policy())
    second = eng.run("q", policy())
    assert len(s.calls) == 1
    assert first.cost_usd > 0 and second.cost_usd == 0
    assert second.text == first.text
    assert [e.kind for e in second.trace] == ["cache_hit", "verdict", "accept"]
    assert second.calls == 0


def test_cache_key_covers_what_changes_an_answer() -> None:
    base = cache_key("m", [{"role": "user", "content": "q"}], {"temperature": 0.7}, 0)
    assert base != cache_key("m2", [{"role": "user", "content": "q"}], {"temperature": 0.7}, 0)
    assert base != cache_key("m", [{"role": "user", "content": "q2"}], {"temperature": 0.7}, 0)
    assert base != cache_key("m", [{"role": "user", "content": "q"}], {"temperature": 0.2}, 0)
    assert base != cache_key("m", [{"role": "user", "content": "q"}], {"temperature": 0.7}, 1)


def test_samples_are_cached_separately(tmp_path: Path) -> None:
    s = Script({"m/cheap": ["good a", "good b", "good c"]})
    eng = engine(s, cache=tmp_path / "c")
    r1 = eng.run("q", policy(samples=3))
    r2 = eng.run("q", policy(samples=3))
    assert sorted(c.text for c in r2.candidates) == sorted(c.text for c in r1.candidates)
    assert len(s.calls) == 3


def test_cache_off_per_call_and_globally(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    s = Script({"m/cheap": ["good"]})
    eng = engine(s, cache=tmp_path / "c")
    eng.run("q", policy())
    eng.run("q", policy(), cache=False)
    assert len(s.calls) == 2
    monkeypatch.setenv("CASCADE_CACHE", "off")
    eng2 = engine(s, cache=True)
    assert eng2.cache is None


def test_corrupt_cache_degrades_to_no_cache(tmp_path: Path) -> None:
    d = tmp_path / "c"
    d.mkdir()
    (d / "cache.db").write_bytes(b"this is not a sqlite database" * 100)
    with pytest.warns(RuntimeWarning, match="cache disabled"):
        eng = engine(Script({"m/cheap": ["good"]}), cache=d)
        r = eng.run("q", policy())
    assert r.accepted


def test_unwritable_cache_location_degrades(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.warns(RuntimeWarning, match="cache disabled"):
        c = AnswerCache(blocker / "sub")
    assert not c.enabled and c.get("k") is None
    c.set("k", {"text": "x"})


def test_failing_cache_backend_disables_itself(tmp_path: Path) -> None:
    c = AnswerCache(tmp_path / "c")

    class Broken:
        def get(self, key: str) -> None:
            raise sqlite3.OperationalError("disk I/O error")

    c._cache = Broken()
    c._filter.add("k")  # so that the lookup reaches the database
    with pytest.warns(RuntimeWarning, match="disk I/O error"):
        assert c.get("k") is None
    assert not c.enabled


def test_cached_answers_reach_disk_for_the_next_process(tmp_path: Path) -> None:
    first = engine(Script({"m/cheap": ["good"]}), cache=tmp_path / "c")
    first.run("q", policy())
    first.close()  # flushes the background writer
    s = Script({"m/cheap": ["other"]})
    again = engine(s, cache=tmp_path / "c").run("q", policy())
    assert again.text == "good" and s.calls == [] and again.trace[0].kind == "cache_hit"


def _ready(c: AnswerCache) -> None:
    for _ in range(200):  # the keys on disk are read in the background at open
        if c._filter.ready:
            return
        time.sleep(0.01)
    raise AssertionError("the key filter never became ready")


def test_key_filter_answers_misses_without_the_database(tmp_path: Path) -> None:
    c = AnswerCache(tmp_path / "c")
    _ready(c)

    class Counting:
        reads = 0

        def get(self, key: str) -> None:
            Counting.reads += 1

    c._cache = Counting()
    assert c.get(cache_key("m", [{"role": "user", "content": "new"}], {}, 0)) is None
    assert Counting.reads == 0


def test_keys_stored_before_open_are_found(tmp_path: Path) -> None:
    first = AnswerCache(tmp_path / "c")
    first.set("k1", {"text": "a"})
    first.close()
    del first
    second = AnswerCache(tmp_path / "c")
    _ready(second)
    assert second.get("k1") == {"text": "a"}


def test_keys_another_process_stores_are_found_after_a_refresh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import diskcache

    c = AnswerCache(tmp_path / "c")
    _ready(c)
    other = diskcache.Cache(str(tmp_path / "c"))  # a writer the filter knows nothing of
    other.set("k2", {"text": "b"})
    other.close()
    monkeypatch.setattr("cascade.cache.REFRESH_S", 0.0)
    for _ in range(200):  # a lookup starts a refresh in the background
        if c.get("k2") is not None:
            break
        time.sleep(0.01)
    assert c.get("k2") == {"text": "b"}


def test_key_filter_rereads_everything_when_rowids_start_again(tmp_path: Path) -> None:
    import diskcache

    other = diskcache.Cache(str(tmp_path / "c"))
    for i in range(5):
        other.set(f"old{i}", {"text": "x"})
    f = KeyFilter()
    f.refresh(tmp_path / "c" / "cache.db")
    other.clear()  # another process empties the cache: rowids start again from 1
    other.set("fresh", {"text": "y"})
    other.close()
    f.refresh(tmp_path / "c" / "cache.db")
    assert f.may_hold("fresh")


def test_a_failed_first_read_of_the_keys_is_tried_again(tmp_path: Path) -> None:
    f = KeyFilter()
    f.refresh(tmp_path / "missing" / "cache.db")  # no database: not ready, no exception
    assert not f.ready and f.may_hold("anything")
    f.checked = 0.0
    assert f.due()


def test_caches_on_one_directory_in_a_process_see_each_others_writes(tmp_path: Path) -> None:
    a, b = AnswerCache(tmp_path / "c"), AnswerCache(tmp_path / "c")
    _ready(a)
    a.set("k3", {"text": "c"})
    a.flush()
    assert b.get("k3") == {"text": "c"}


def test_key_filter_has_no_false_negatives(tmp_path: Path) -> None:
    f = KeyFilter()
    f.ready = True
    keys = [f"key-{i}" for i in range(5000)]
    for k in keys:
        f.add(k)
    assert all(f.may_hold(k) for k in keys)
    assert sum(f.may_hold(f"other-{i}") for i in range(5000)) < 5  # 4 bits of 2**24 each
