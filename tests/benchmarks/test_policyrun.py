"""Policy runs in the harness: the threshold sweep runs every tier, skipped or not."""

from __future__ import annotations

from benchmarks.policyrun import passes, with_threshold
from cascade import Policy, Tier


def test_the_sweep_runs_every_tier_of_a_tuned_policy_that_skips_some() -> None:
    tuned = Policy(tiers=(Tier(model="a/s", threshold=1.0, skip=True), Tier(model="a/b")))
    swept = with_threshold(tuned, 0.0)
    assert [(t.threshold, t.skip) for t in swept.tiers] == [(0.0, False), (0.0, False)]
    assert passes(tuned, (0.0, 1.0)) == 3  # its own run differs from the sweep at 1.0
