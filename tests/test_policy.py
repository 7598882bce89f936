"""Policies as data: presets, files, code, and errors that name what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

import cascade
from cascade import Policy, PolicyError, Tier, load_policy, policy_from_toml, preset_names
from cascade.ladders import ladder_models

DEFAULT_LADDER = [
    "anthropic/claude-haiku-5-5",
    "anthropic/claude-sonnet-5-5",
    "anthropic/claude-opus-5-5",
]


def test_presets_exist_for_every_task_kind() -> None:
    assert {"default", "code", "json", "math", "choice", "qa"} <= set(preset_names())
    for name in preset_names():
        pol = load_policy(name)
        assert pol.name == name
        assert [t.model for t in pol.tiers] == DEFAULT_LADDER


def test_default_ladder_is_priced_and_not_deprecated() -> None:
    import litellm

    prices = []
    for model in DEFAULT_LADDER:
        info = litellm.model_cost[model.split("/", 1)[1]]
        assert info.get("deprecation_date") is None
        prices.append(info["output_cost_per_token"])
    assert prices == sorted(prices)  # cheapest first
    assert ladder_models("anthropic") == DEFAULT_LADDER


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mine.toml"
    p.write_text(text)
    return p


GOOD = """
name = "mine"
[[tiers]]
model = "a/x"
threshold = 0.7
[[tiers]]
model = "a/y"
[[verifiers]]
kind = "non_empty"
min_chars = 3
[prices."a/x"]
input_cost_per_token = 1e-7
output_cost_per_token = 2e-7
"""


def test_load_from_path(tmp_path: Path) -> None:
    pol = load_policy(_write(tmp_path, GOOD))
    assert [t.model for t in pol.tiers] == ["a/x", "a/y"]
    assert pol.tiers[0].threshold == 0.7 and pol.tiers[1].threshold == 0.5
    assert pol.verifiers[0].params == {"min_chars": 3}
    assert pol.prices["a/x"].input_cost_per_token == 1e-7
    assert load_policy(str(tmp_path / "mine.toml")) == pol


@pytest.mark.parametrize(
    ("text", "field", "hint"),
    [
        (GOOD.replace("threshold = 0.7", "threshold = 1.7"), "tiers[0].threshold", "less than"),
        (
            GOOD.replace('name = "mine"', 'name = "mine"\non_exhausted = "panic"'),
            "on_exhausted",
            "'best', 'last' or 'raise'",
        ),
        (GOOD.replace("threshold = 0.7", "treshold = 0.7"), "tiers[0].treshold", "threshold"),
        (GOOD.replace('kind = "non_empty"', 'kind = "nope"'), "verifiers[0]", "non_empty"),
        (GOOD.replace("min_chars = 3", "max_chars = 3"), "verifiers[0]", "max_chars"),
        (GOOD.replace('name = "mine"', 'name = "mine"\nrule = "median"'), "rule", "'min' or"),
        ("name = 'x'\ntiers = []\n", "tiers", "at least 1"),
        ("name = [", None, "not valid TOML"),
    ],
)
def test_errors_name_file_field_and_valid_choices(
    tmp_path: Path, text: str, field: str | None, hint: str
) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    msg = str(info.value)
    assert str(path) in msg and hint in msg
    if field:
        assert info.value.field == field


def test_unknown_preset_lists_valid_ones() -> None:
    with pytest.raises(PolicyError, match=r"valid presets: .*code.*default"):
        load_policy("defualt")
    with pytest.raises(PolicyError, match="no policy file"):
        load_policy("nowhere/missing.toml")


def test_policy_built_in_code_with_function_verifier() -> None:
    pol = Policy(tiers=(Tier(model="a/x"),), verifiers=(lambda cands, task: True,))
    assert pol.built_verifiers[0].name == "<lambda>"
    r = policy_from_toml('[[tiers]]\nmodel = "a/x"\n')
    assert r.verifiers[0].kind == "non_empty"


def test_with_models_maps_tier_settings_by_rank() -> None:
    pol = Policy(tiers=tuple(Tier(model=f"a/{i}", threshold=i / 10) for i in range(3)))
    two = pol.with_models(["b/0", "b/1"])
    assert [(t.model, t.threshold) for t in two.tiers] == [("b/0", 0.0), ("b/1", 0.2)]
    one = pol.with_models(["b/only"])
    assert [(t.model, t.threshold) for t in one.tiers] == [("b/only", 0.2)]
    five = pol.with_models([f"c/{i}" for i in range(5)])
    assert [t.threshold for t in five.tiers] == [0.0, 0.0, 0.1, 0.2, 0.2]
    with pytest.raises(PolicyError):
        pol.with_models([])


def test_unknown_ladder_names_valid_ones() -> None:
    with pytest.raises(PolicyError, match="valid ladders: anthropic"):
        cascade.engine.resolve_policy("default", None, "nope")
    with pytest.raises(ValueError, match="either"):
        cascade.engine.resolve_policy("default", ["a/b"], "anthropic")


def test_policies_are_frozen() -> None:
    pol = load_policy("default")
    with pytest.raises(Exception, match="frozen"):
        pol.name = "x"


def test_replacing_verifiers_rebuilds_them() -> None:
    from cascade import VerifierSpec

    pol = load_policy("default")
    swapped = pol.model_copy(update={"verifiers": (VerifierSpec(kind="non_empty", min_chars=5),)})
    assert swapped.built_verifiers[0].min_chars == 5  # type: ignore[attr-defined]
    assert pol.built_verifiers[0].min_chars == 1  # type: ignore[attr-defined]
