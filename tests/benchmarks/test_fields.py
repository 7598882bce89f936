"""Tests for cascade.recording_fields: checked field reads and field-to-line lookup."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cascade.recording_fields import Fields, Origin, RecordingError, freeze, show, value_lines

DOCUMENT = """{
  "a": 1,
  "b": [
    {"c": "x"},
    {
      "c": [1,
            2]
    }
  ],
  "d": {}, "e": []
}"""


def test_value_lines_maps_every_path_to_its_line() -> None:
    assert value_lines(DOCUMENT) == {
        "": 1,
        "a": 2,
        "b": 3,
        "b[0]": 4,
        "b[0].c": 4,
        "b[1]": 5,
        "b[1].c": 6,
        "b[1].c[0]": 6,
        "b[1].c[1]": 7,
        "d": 10,
        "e": 10,
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(json_values, st.sampled_from([None, 0, 1, 2]))
def test_value_lines_covers_any_document(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    lines = value_lines(text)
    assert lines[""] == 1
    assert all(1 <= line <= text.count("\n") + 1 for line in lines.values())


def test_line_of_falls_back_to_the_enclosing_field() -> None:
    origin = Origin("m.json", 1, value_lines(DOCUMENT))
    assert origin.line_of("b[1].c[1]") == 7
    assert origin.line_of("b[1].missing") == 5
    assert origin.line_of("missing") == 1
    assert Origin("r.jsonl", 9).line_of("samples.gpt-3.5[0].text") == 9


def test_checked_reads() -> None:
    data = {"s": "x", "b": False, "n": 3, "f": 0.5, "neg": -1.5, "o": {"k": None}, "l": [1]}
    fields = Fields.of(data, Origin("f.jsonl", 4), "rec")
    assert (fields.string("s"), fields.boolean("b"), fields.count("n")) == ("x", False, 3)
    assert (fields.number("f"), fields.number("n"), fields.number("neg", signed=True)) == (
        0.5,
        3.0,
        -1.5,
    )
    assert fields.object("o").optional_string("k") is None
    assert fields.object("o").optional_count("absent") is None
    assert fields.array("l", nonempty=True) == [1]
    assert fields.at("s") == "rec.s"


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda f: f.string("n"), "field 'n' must be a string, got 3"),
        (lambda f: f.boolean("s"), "field 's' must be a boolean, got \"x\""),
        (lambda f: f.count("f"), "field 'f' must be a non-negative integer, got 0.5"),
        (lambda f: f.number("neg"), "field 'neg' must be a non-negative finite number, got -1.5"),
        (lambda f: f.object("l"), "field 'l' must be an object, got [1]"),
        (lambda f: f.array("o"), "field 'o' must be an array, got {}"),
        (lambda f: f.raw("zz"), "field 'zz' is missing (expected any JSON value)"),
    ],
)
def test_failed_reads_name_file_line_field_and_expectation(
    read: Callable[[Fields], object], message: str
) -> None:
    data = {"s": "x", "n": 3, "f": 0.5, "neg": -1.5, "o": {}, "l": [1]}
    fields = Fields.of(data, Origin("f.jsonl", 4))
    with pytest.raises(RecordingError) as caught:
        read(fields)
    assert str(caught.value) == f"f.jsonl line 4: {message}"
    assert isinstance(caught.value, ValueError)


def test_show_is_short_json() -> None:
    assert show("yes") == '"yes"'
    assert show(None) == "null"
    assert show("x" * 100) == '"' + "x" * 56 + "..."


def test_freeze_makes_read_only_copies() -> None:
    frozen = freeze({"a": [1, {"b": [2]}]})
    assert frozen == {"a": (1, {"b": (2,)})}
    with pytest.raises(TypeError):
        frozen["a"] = 2  # type: ignore[index]
